"""What every newsclaims component shares: rules loaded in `initialize`, saved by `to_disk`,
a pure `match` separate from the `set_annotations` that writes the Doc, and spaCy's error
handler around both (the SpanRuler pattern)."""

import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import srsly
from spacy import util
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc

from extractor.rules import load_rules, parse_rules


class NoRulesWarning(UserWarning):
    """A component ran before any rules were loaded into it."""


class RuleComponent(Pipe):
    """Base for rule-driven components. Subclasses set RULE_FILES and implement
    `compile`, `match` and `set_annotations`."""

    RULE_FILES: tuple[str, ...] = ()

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.name = name
        self.rules: dict[str, list[Any]] = {}
        self._warned = False

    # -- rules -------------------------------------------------------------------------
    def initialize(
        self,
        get_examples: Any = None,
        *,
        nlp: Language | None = None,
        rules: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    ) -> None:
        """Load rules: `rules` maps a rule-file name to rows (any iterable); files not given
        come from the packaged patterns/."""
        self.clear()
        given = dict(rules or {})
        loaded: dict[str, list[Any]] = {}
        for name in self.RULE_FILES:
            if name in given:
                rows = [json.dumps(r) if not isinstance(r, str) else r for r in given[name]]
                loaded[name] = parse_rules(name, rows, f"<{self.name} rules: {name}>")
            else:
                loaded[name] = load_rules(name)
        self.add_rules(loaded)

    def add_rules(self, rules: Mapping[str, list[Any]]) -> None:
        for name, rows in rules.items():
            self.rules.setdefault(name, []).extend(rows)
        self.compile()

    def clear(self) -> None:
        self.rules = {}
        self.compile()

    def compile(self) -> None:
        """Build matchers from self.rules."""

    @property
    def has_rules(self) -> bool:
        return any(self.rules.get(n) for n in self.RULE_FILES) or not self.RULE_FILES

    # -- running -----------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        if not self.has_rules:
            self._lazy_initialize()
        error_handler = self.get_error_handler()
        try:
            self.set_annotations(doc, self.match(doc))
            return doc
        except Exception as e:
            error_handler(self.name, self, [doc], e)
            return doc

    def _lazy_initialize(self) -> None:
        # A bare nlp.add_pipe() in a user's pipeline without nlp.initialize(): use the
        # packaged rules, and say so once.
        if not self._warned:
            warnings.warn(
                f"{self.name}: no rules loaded; using the packaged patterns "
                "(call initialize() to load your own)",
                NoRulesWarning,
                stacklevel=3,
            )
            self._warned = True
        self.initialize()

    def match(self, doc: Doc) -> Any:
        raise NotImplementedError

    def set_annotations(self, doc: Doc, matches: Any) -> None:
        raise NotImplementedError

    # -- serialisation -----------------------------------------------------------------
    def _rows(self) -> dict[str, list[dict[str, Any]]]:
        return {
            n: [r.model_dump(mode="json", exclude_defaults=True) for r in self.rules.get(n, [])]
            for n in self.RULE_FILES
        }

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self._rows())

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "RuleComponent":
        self.initialize(rules=srsly.msgpack_loads(data))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = util.ensure_path(path)
        serializers = {
            f"{n}.jsonl": (lambda p, rows=rows: srsly.write_jsonl(p, rows))
            for n, rows in self._rows().items()
        }
        util.to_disk(path, serializers, {})

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "RuleComponent":
        path = util.ensure_path(path)
        rules = {
            n: list(srsly.read_jsonl(path / f"{n}.jsonl"))
            for n in self.RULE_FILES
            if (path / f"{n}.jsonl").exists()
        }
        self.initialize(rules=rules)
        return self
