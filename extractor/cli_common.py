"""What every `newsclaims` command shares: one-line errors and date options."""

import datetime as dt

import typer

EXIT_USAGE = 2  # a bad option or an input that cannot be used at all


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    typer.echo(f"newsclaims: {message}", err=True)
    return typer.Exit(code)


def parse_date(value: str | None, option: str = "--published") -> dt.date | None:
    """A YYYY-MM-DD option value, or exit 2 with a message naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not a date (expected YYYY-MM-DD)", EXIT_USAGE) from None
