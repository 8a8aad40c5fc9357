"""Typed exceptions. The CLI turns these into one-line messages; the library never returns None
for a failure."""


class NewsclaimsError(Exception):
    """Base class for every error newsclaims raises on purpose."""


class RuleFileError(NewsclaimsError):
    """A rule file in patterns/ is malformed: the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class InputError(NewsclaimsError):
    """An input (file, line, URL) cannot be read as an article: the message names it."""

    def __init__(self, source: str, message: str, *, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


class ModelError(NewsclaimsError):
    """A requested spaCy pipeline cannot be loaded."""
