"""Every limit of the input side in one typed object, as trafilatura keeps its limits in one
`settings.cfg` — but passed explicitly: `fetch(url, settings=...)`, `run(..., settings=...)`.

Nothing here is a module global that the first call fixes; a `Settings` is frozen, and a
changed copy is made with `settings.model_copy(update={...})` or `load_settings(...)`.

Defaults (the values a user gets without a settings file):

=======================  ===========  ====================================================
key                      default      why
=======================  ===========  ====================================================
connect_timeout          10 s         a host that does not accept a connection is down
read_timeout             20 s         longest silence between two packets of a response
total_timeout            60 s         wall clock for one response (a server that trickles
                                      one byte every few seconds never hits read_timeout)
max_bytes                10 MB        cap on the *decompressed* body, enforced while it
                                      streams: a gzip bomb stops here
max_redirects            5            each hop is re-checked against private addresses
allow_private            False        refuse loopback, private, link-local, multicast and
                                      reserved addresses (SSRF); tests turn it on for
                                      their 127.0.0.1 server
respect_robots           True         robots.txt is fetched once per host and obeyed
per_host_concurrency     2            parallel requests to one host
per_host_delay           1.0 s        pause between two requests to one host (a larger
                                      robots.txt Crawl-delay wins, up to max_crawl_delay)
max_crawl_delay          30 s         ignore absurd Crawl-delay values
fetch_workers            8            fetching threads in total
extraction_timeout       30 s         per page; the cleaning worker is killed past it
extraction_workers       1            cleaning worker processes
max_article_chars        2,000,000    longer cleaned texts are refused as not an article
user_agent               newsclaims/<version> (+project URL)
=======================  ===========  ====================================================

Overrides come from a TOML file (the same keys at top level, or under ``[newsclaims]``),
then environment variables ``NEWSCLAIMS_<KEY>`` (e.g. ``NEWSCLAIMS_MAX_BYTES=5000000``),
then explicit keyword overrides (the CLI options); each layer changes only its own keys.
"""

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError

from extractor.errors import InputError

ENV_PREFIX = "NEWSCLAIMS_"
PROJECT_URL = "https://github.com/newsclaims/newsclaims"


def _default_user_agent() -> str:
    from extractor import __version__

    return f"newsclaims/{__version__} (+{PROJECT_URL})"


class Settings(BaseModel):
    """Limits for fetching and cleaning. See the module docstring for what each default guards."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_timeout: PositiveFloat = 10.0
    read_timeout: PositiveFloat = 20.0
    total_timeout: PositiveFloat = 60.0
    max_bytes: PositiveInt = 10_000_000
    max_redirects: int = Field(default=5, ge=0)
    allow_private: bool = False
    respect_robots: bool = True
    per_host_concurrency: PositiveInt = 2
    per_host_delay: float = Field(default=1.0, ge=0)
    max_crawl_delay: float = Field(default=30.0, ge=0)
    fetch_workers: PositiveInt = 8
    extraction_timeout: PositiveFloat = 30.0
    extraction_workers: PositiveInt = 1
    max_article_chars: PositiveInt = 2_000_000
    user_agent: str = Field(default_factory=_default_user_agent, min_length=1)


def load_settings(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file at `path`, then `NEWSCLAIMS_*` variables of `env`
    (default: os.environ), then `overrides` whose value is not None.

    Raises InputError naming the file or variable and the bad key.
    """
    values: dict[str, Any] = {}
    source = "settings"
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise InputError(source, "settings file not found") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise InputError(source, f"not a valid TOML file: {e}") from e
        section = data.get("newsclaims", data)
        if not isinstance(section, dict):
            raise InputError(source, "[newsclaims] must be a table")
        values.update(section)
    environ = os.environ if env is None else env
    for key in Settings.model_fields:
        name = ENV_PREFIX + key.upper()
        if name in environ:
            values[key] = environ[name]
            source = name if path is None else f"{source} / {name}"
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(settings)"
        allowed = ", ".join(Settings.model_fields)
        hint = f" (known keys: {allowed})" if first["type"] == "extra_forbidden" else ""
        raise InputError(source, f"{key}: {first['msg']}{hint}") from e
