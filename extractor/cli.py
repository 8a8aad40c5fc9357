"""The `newsclaims` command: a thin typer layer over the library.

Every command calls library functions and maps NewsclaimsError to a one-line message on
stderr and a non-zero exit code. Heavy imports happen inside the commands (start-up time).
"""

import typer

app = typer.Typer(
    name="newsclaims",
    help="Find spending claims in news articles and turn them into structured records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules add their commands to `app` through a `register(app)` function.
_COMMAND_MODULES = (
    "extractor.cli_extract",
    "extractor.cli_view",
    "extractor.cli_batch",
    "extractor.cli_store",
    "extractor.cli_track",
    "extractor.cli_bench",
)


def _register() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    _register()
    app()
