"""Exact, faster stand-ins for two rule components of spaCy's trained English pipelines.

The Extractor's pipeline runs these in place of `attribute_ruler` and `lemmatizer` (the
originals stay loaded, disabled, and provide the rules): the same token attributes, computed
once per distinct token and written as arrays instead of token by token. Tests compare them
with spaCy's own components on real text; the benchmark's naive baseline runs the originals.
"""

import re
from typing import Any

import numpy
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

# Entries a memo keeps before it starts afresh (a cache: a long feed with ever new words
# must not grow it without end; about 40 MB at most).
MEMO_LIMIT = 200_000
# What the attribute ruler's patterns may test here, and the token attribute each reads.
_TESTED = {"TAG": TAG, "LOWER": LOWER, "DEP": DEP, "IS_SPACE": IS_SPACE}
# What its rules may set and write as arrays (DEP is set token by token: it is rare).
_WRITTEN = (POS, TAG, MORPH, LEMMA)


class UnsupportedRules(ValueError):
    """The attribute ruler has a pattern this stand-in does not evaluate."""


def _condition(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) != 1:
            raise UnsupportedRules(f"pattern value {value!r}")
        ((op, arg),) = value.items()
        if op == "IN":
            wanted = set(arg)
            return lambda v: v in wanted
        if op == "NOT_IN":
            unwanted = set(arg)
            return lambda v: v not in unwanted
        if op == "REGEX":
            regex = re.compile(arg)
            return lambda v: regex.search(v) is not None
        raise UnsupportedRules(f"operator {op!r}")
    return lambda v: v == value


class ArrayAttributeRuler:
    """spaCy's attribute ruler with the same result: the one-token patterns are evaluated
    once per distinct (tag, lower, dep, is_space) and remembered; the few longer patterns
    run in a Matcher of their own; every match is applied in the ruler's order (pattern
    number, then position: a later pattern wins)."""

    def __init__(self, nlp: Language, name: str) -> None:
        ruler = nlp.get_pipe("attribute_ruler")
        self.name = name
        self.attrs: list[dict[int, Any]] = list(ruler.attrs)
        self.indices: list[int] = list(ruler.indices)
        # One-token patterns, indexed by the exact LOWER or TAG they require (else general):
        # only the patterns a token can meet are tested.
        self.by_lower: dict[str, list[tuple[int, list[tuple[str, Any]]]]] = {}
        self.by_tag: dict[str, list[tuple[int, list[tuple[str, Any]]]]] = {}
        self.general: list[tuple[int, list[tuple[str, Any]]]] = []
        self.multi = Matcher(nlp.vocab)
        self.has_multi = False
        for attr_id, entry in enumerate(ruler.patterns):
            patterns = entry["patterns"]
            if all(len(p) == 1 for p in patterns):
                for (token,) in patterns:
                    if not set(token) <= set(_TESTED):
                        raise UnsupportedRules(f"pattern keys {sorted(token)}")
                    test = (attr_id, [(key, _condition(v)) for key, v in token.items()])
                    if isinstance(token.get("LOWER"), str):
                        self.by_lower.setdefault(token["LOWER"], []).append(test)
                    elif isinstance(token.get("TAG"), str):
                        self.by_tag.setdefault(token["TAG"], []).append(test)
                    else:
                        self.general.append(test)
            else:
                self.multi.add(str(attr_id), patterns)
                self.has_multi = True
        for attrs in self.attrs:
            if not set(attrs) <= {*_WRITTEN, DEP}:
                raise UnsupportedRules(f"attributes {sorted(attrs)}")
        self.memo: dict[tuple[int, ...], tuple[int, ...]] = {}

    def _matching(self, doc: Doc, key: tuple[int, ...]) -> tuple[int, ...]:
        strings = doc.vocab.strings
        values = {
            "TAG": strings[key[0]] if key[0] else "",
            "LOWER": strings[key[1]] if key[1] else "",
            "DEP": strings[key[2]] if key[2] else "",
            "IS_SPACE": bool(key[3]),
        }
        candidates = [
            *self.by_lower.get(values["LOWER"], ()),
            *self.by_tag.get(values["TAG"], ()),
            *self.general,
        ]
        return tuple(
            sorted(
                {
                    attr_id
                    for attr_id, pattern in candidates
                    if all(test(values[k]) for k, test in pattern)
                }
            )
        )

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        seen = doc.to_array([TAG, LOWER, DEP, IS_SPACE]).astype("uint64")
        out = doc.to_array(list(_WRITTEN)).astype("uint64")
        column = {attr: n for n, attr in enumerate(_WRITTEN)}
        applied: dict[int, list[tuple[int, int, int]]] = {}
        for i, row in enumerate(seen.tolist()):
            key = tuple(row)
            ids = self.memo.get(key)
            if ids is None:
                if len(self.memo) >= MEMO_LIMIT:
                    self.memo.clear()
                ids = self.memo[key] = self._matching(doc, key)
            if ids:
                applied[i] = [(attr_id, i, i + 1) for attr_id in ids]
        if self.has_multi:
            strings = doc.vocab.strings
            for match_id, start, end in self.multi(doc, allow_missing=True, as_spans=False):
                attr_id = int(strings[match_id])
                target = range(start, end)[self.indices[attr_id]]
                applied.setdefault(target, []).append((attr_id, start, end))
        deps: dict[int, int] = {}
        for i, entries in applied.items():
            for attr_id, _, _ in sorted(entries):
                for attr, value in self.attrs[attr_id].items():
                    if attr == DEP:
                        deps[i] = value
                    else:
                        out[i, column[attr]] = value
        doc.from_array(list(_WRITTEN), out)
        for i, value in deps.items():
            doc[i].dep = value
        return doc


class ArrayLemmatizer:
    """spaCy's rule lemmatizer, run faster with the same lemmas. Its answer is a function of
    a token's text, part of speech and morphology (the key of spaCy's own cache, which skips
    base forms and proper nouns); this component remembers every answer by that key and
    writes a Doc's lemmas as one array instead of token by token. Tokens that already have
    a lemma (from the attribute ruler) keep it, as with spaCy's."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.lemmatize = nlp.get_pipe("lemmatizer").lemmatize
        self.memo: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        arr = doc.to_array([LEMMA, ORTH, POS, MORPH]).astype("uint64")
        lemmas = arr[:, 0].copy()
        strings = doc.vocab.strings
        for i in numpy.flatnonzero(lemmas == 0).tolist():
            key = (int(arr[i, 1]), int(arr[i, 2]), int(arr[i, 3]))
            found = self.memo.get(key)
            if found is None:
                if len(self.memo) >= MEMO_LIMIT:
                    self.memo.clear()
                found = self.memo[key] = strings.add(self.lemmatize(doc[i])[0])
            lemmas[i] = found
        doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        return doc


@Language.factory(
    "newsclaims_attribute_ruler",
    assigns=["token.pos", "token.tag", "token.morph", "token.lemma"],
)
def make_array_attribute_ruler(nlp: Language, name: str) -> ArrayAttributeRuler:
    """The pipeline's attribute ruler, remembered per distinct token (same attributes)."""
    return ArrayAttributeRuler(nlp, name)


@Language.factory("newsclaims_lemmatizer", assigns=["token.lemma"], requires=["token.pos"])
def make_array_lemmatizer(nlp: Language, name: str) -> ArrayLemmatizer:
    """The pipeline's rule lemmatizer, memoised and written as one array (same lemmas)."""
    return ArrayLemmatizer(nlp, name)


def lean(nlp: Language) -> Language:
    """Run `nlp`'s attribute ruler and rule lemmatizer through the stand-ins above (the
    originals stay, disabled); a pipeline whose rules they cannot evaluate keeps its own."""
    if "attribute_ruler" in nlp.pipe_names:
        try:
            nlp.add_pipe("newsclaims_attribute_ruler", after="attribute_ruler")
        except UnsupportedRules:
            pass
        else:
            nlp.disable_pipe("attribute_ruler")
    if "lemmatizer" in nlp.pipe_names and getattr(nlp.get_pipe("lemmatizer"), "mode", "") == "rule":
        nlp.add_pipe("newsclaims_lemmatizer", after="lemmatizer")
        nlp.disable_pipe("lemmatizer")
    return nlp
