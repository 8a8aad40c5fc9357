"""Claims as a pandas DataFrame and back, for notebooks (the optional `pandas` extra).

    df = to_dataframe(claims)
    df[df.level == "certainty"].groupby("actor").value.max()
    claims == from_dataframe(df)          # the round trip is lossless

One row per claim with typed columns: `value` float64; `level`, `topic`, `unit`, `base` as
categoricals (levels in their order of the spec, so sorting and plotting keep it); text
fields as the nullable `string` dtype; `published` as datetime64 (a full date); the
timeframe's `start`/`deadline` as strings, because they are ISO *partial* dates ("2030",
"2030-04") whose precision differs row to row and would not fit one Period frequency.
pandas is imported only when these functions run: the core install does not need it.
"""

import ast
import datetime as dt
import importlib
import json
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from extractor.errors import NewsclaimsError
from extractor.models import Claim, Level, Topic

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (
    "claim_id",
    "article_id",
    "published",
    "figure",
    "value",
    "unit",
    "base",
    "topic",
    "actor",
    "speaker",
    "level",
    "cues",
    "start",
    "deadline",
    "sentence",
    "span_start",
    "span_end",
    "published_source",
    "schema_version",
)
_STRINGS = (
    "claim_id",
    "article_id",
    "figure",
    "actor",
    "speaker",
    "start",
    "deadline",
    "sentence",
    "published_source",
    "schema_version",
)
_BASES = ("GDP", "GNI", "budget")


class MissingExtraError(NewsclaimsError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module` or raise MissingExtraError telling the user which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(
            f"{feature} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'newsclaims[{extra}]'"
        ) from e


def to_dataframe(claims: Iterable[Claim | Mapping[str, Any]]) -> "pd.DataFrame":
    """One typed row per claim.

    claims (Iterable[Claim | Mapping]): Claim objects, or dicts as read from claims JSONL
        (validated against the Claim model).
    RETURNS (pandas.DataFrame): columns as in COLUMNS; an empty frame keeps them and their
        dtypes.
    """
    pd = require("pandas", "pandas", "to_dataframe")
    rows = []
    for item in claims:
        c = item if isinstance(item, Claim) else Claim.model_validate(item)
        rows.append(
            {
                "claim_id": c.claim_id,
                "article_id": c.article_id,
                "published": c.published,
                "figure": c.figure.text,
                "value": c.figure.value,
                "unit": c.figure.unit,
                "base": c.figure.base,
                "topic": c.topic.value,
                "actor": c.actor,
                "speaker": c.speaker,
                "level": c.commitment.level.value,
                "cues": list(c.commitment.cues),
                "start": c.timeframe.start,
                "deadline": c.timeframe.deadline,
                "sentence": c.sentence,
                "span_start": c.span[0],
                "span_end": c.span[1],
                "published_source": c.published_source,
                "schema_version": c.schema_version,
            }
        )
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in _STRINGS:
        df[col] = df[col].astype("string")
    df["published"] = pd.to_datetime(df["published"]).astype("datetime64[s]")
    df["value"] = df["value"].astype("float64")
    df["span_start"] = df["span_start"].astype("int64")
    df["span_end"] = df["span_end"].astype("int64")
    df["level"] = pd.Categorical(df["level"], categories=[v.value for v in Level], ordered=True)
    df["topic"] = pd.Categorical(df["topic"], categories=[v.value for v in Topic])
    df["base"] = pd.Categorical(df["base"], categories=list(_BASES))
    df["unit"] = df["unit"].astype("category")
    df["cues"] = df["cues"].astype("object")
    return df


def from_dataframe(df: "pd.DataFrame") -> list[Claim]:
    """The claims back from a frame made by `to_dataframe` (also after CSV or Parquet).

    df (pandas.DataFrame): needs the columns of COLUMNS; extra columns are ignored, so a
        frame with added analysis columns converts back too.
    RETURNS (list[Claim]): validated claims, in row order.
    Raises ValueError naming the missing columns, or the row whose values do not validate.
    """
    require("pandas", "pandas", "from_dataframe")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"from_dataframe: the frame lacks the columns {', '.join(missing)}")
    from pydantic import ValidationError

    claims = []
    for index, row in zip(df.index, df[list(COLUMNS)].itertuples(index=False), strict=True):
        r = row._asdict()
        data = {
            "schema_version": _str(r["schema_version"]) or "1",
            "claim_id": _str(r["claim_id"]),
            "article_id": _str(r["article_id"]),
            "sentence": _str(r["sentence"]),
            "span": (int(r["span_start"]), int(r["span_end"])),
            "figure": {
                "text": _str(r["figure"]),
                "value": float(r["value"]),
                "unit": _str(r["unit"]),
                "base": _str(r["base"]),
            },
            "topic": _str(r["topic"]),
            "actor": _str(r["actor"]),
            "speaker": _str(r["speaker"]),
            "commitment": {"level": _str(r["level"]), "cues": _cues(r["cues"])},
            "timeframe": {"start": _partial(r["start"]), "deadline": _partial(r["deadline"])},
            "published": _date(r["published"]),
            "published_source": _str(r["published_source"]),
        }
        try:
            claims.append(Claim.model_validate(data))
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"from_dataframe: row {index!r}: {loc}: {first['msg']}") from e
    return claims


def _missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA in a scalar cell."""
    if value is None:
        return True
    if isinstance(value, str) or hasattr(value, "__len__"):
        return False
    import pandas as pd

    return bool(pd.isna(value))


def _str(value: object) -> str | None:
    if _missing(value):
        return None
    return str(value)


def _partial(value: object) -> str | None:
    """An ISO partial date; CSV readers turn a bare year into a number (2030.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _str(value)


def _date(value: object) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _cues(value: object) -> list[str]:
    """Cues from a list cell; Parquet returns arrays, CSV returns the list's text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            # JSON, or the Python list text that DataFrame.to_csv writes; both parse safely.
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                items = ast.literal_eval(text)
            return [str(v) for v in items]
        return [text] if text else []
    if _missing(value):
        return []
    return [str(v) for v in value]  # type: ignore[union-attr]
