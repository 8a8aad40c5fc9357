"""The output contract: pydantic models for articles and the spending claims found in them.

A `Claim` serialises to one JSON line (see schema/claim.schema.json, generated from these
models by `python -m extractor.schema`). Field meanings follow ANNOTATION.md; README.md
restates them.
"""

import datetime as dt
import hashlib
import json
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = "1"

ISO_PARTIAL = r"^\d{4}(-\d{2}(-\d{2})?)?$"
IsoPartialDate = Annotated[str, Field(pattern=ISO_PARTIAL, examples=["2027", "2027-04"])]


class Level(StrEnum):
    """How firm a claim is (ANNOTATION.md, 'Commitment levels')."""

    certainty = "certainty"
    ambition = "ambition"
    expectation = "expectation"
    proposal = "proposal"
    statement = "statement"
    rejected = "rejected"


class Topic(StrEnum):
    """What the money is for."""

    defence = "defence"
    security = "security"
    aid = "aid"
    health = "health"
    education = "education"
    climate = "climate"
    research = "research"
    infrastructure = "infrastructure"
    housing = "housing"
    welfare = "welfare"
    policing = "policing"
    energy = "energy"
    transport = "transport"
    culture = "culture"
    other = "other"


Base = Literal["GDP", "GNI", "budget"]
PublishedSource = Literal["article", "option", "metadata", "fetch_date"]


class Article(BaseModel):
    """One news article as given to the extractor."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, description="Caller's identifier for the article.")
    text: str = Field(description="The article text; claim spans are offsets into it.")
    title: str | None = None
    published: dt.date | None = Field(
        default=None, description="Publication date: the base for relative dates."
    )
    url: str | None = None
    published_source: PublishedSource | None = Field(
        default=None, description="Where `published` came from."
    )
    site: str | None = None
    author: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v

    @field_validator("published", mode="before")
    @classmethod
    def _published_date(cls, v: object) -> object:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, str):
            v = v.strip()
            if not v:
                return None
            if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", v):
                return v[:10]
        return v

    @property
    def identity(self) -> str:
        """The key that claim ids hash: the canonical URL where known, else the id."""
        return self.url or self.id


class Figure(BaseModel):
    """The spending figure itself, as written and as read."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The figure exactly as written, e.g. '£2.2bn'.")
    value: float = Field(description="The number; money in whole units (£2.2bn -> 2.2e9).")
    unit: str = Field(
        pattern=r"^(percent|[A-Z]{3})$", description="'percent' or an ISO 4217 currency code."
    )
    base: Base | None = Field(default=None, description="What a share is a share of.")


class Commitment(BaseModel):
    """How firm the claim is, with the cue words that decided it."""

    model_config = ConfigDict(extra="forbid")

    level: Level
    cues: list[str] = Field(default_factory=list)


class Timeframe(BaseModel):
    """When the figure starts to apply and by when it is to be reached (ISO partial dates)."""

    model_config = ConfigDict(extra="forbid")

    start: IsoPartialDate | None = None
    deadline: IsoPartialDate | None = None


class Claim(BaseModel):
    """One spending figure in one sentence, with who claimed it and how firmly."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1"] = SCHEMA_VERSION
    claim_id: str = Field(description="Stable id: hash of article identity, figure and position.")
    article_id: str
    sentence: str = Field(description="The sentence that holds the figure.")
    span: tuple[int, int] = Field(description="[start, end) of the figure in the article text.")
    figure: Figure
    topic: Topic
    actor: str | None = Field(default=None, description="Whose money it is.")
    speaker: str | None = Field(default=None, description="Who made the claim; null if nobody.")
    commitment: Commitment
    timeframe: Timeframe = Field(default_factory=Timeframe)
    published: dt.date | None = Field(
        default=None, description="The publication date used to resolve relative dates."
    )
    published_source: PublishedSource | None = None

    @staticmethod
    def make_id(article_identity: str, span: tuple[int, int], figure: Figure) -> str:
        """Deterministic id: the same figure at the same place in the same article."""
        payload = json.dumps(
            [article_identity, list(span), figure.text, figure.value, figure.unit],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:20]
