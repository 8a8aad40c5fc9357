"""Names of speakers: the mention behind a subject token, full names for surnames, titles
resolved to the person they name, genders for 'he' and 'she', and tidy display forms."""

import re

from spacy.tokens import Doc, Span, Token

from extractor.components.context import context_ents, context_tokens, source_text

SUBJECTS = ("nsubj", "nsubjpass", "csubj")
PRONOUNS = {
    "he": "PERSON", "she": "PERSON", "him": "PERSON", "her": "PERSON",
    "it": "ORG", "they": "GROUP", "we": "QUOTE", "i": "QUOTE",
}  # fmt: skip
# Titles that name one person ('the Health Secretary').
ROLE_TITLES = {"minister", "secretary", "chancellor", "president", "premier", "governor",
               "mayor", "commissioner", "treasurer", "spokesman", "spokeswoman"}  # fmt: skip
# Subject nouns whose 'of'/'at' phrase says who they are ('a group of lawmakers').
GROUP_NOUNS = {"group", "number", "coalition", "panel", "team", "body", "sources", "source"}
TITLES = re.compile(
    r"^(?:(?:the|former|then|new|acting|shadow|deputy|prime|minister|secretary|president|"
    r"chancellor|premier|treasurer|commissioner|mr|mrs|ms|dr|sir|dame|lord|lady|general|senator|"
    r"governor|mayor)\.?\s+)+",
    re.I,
)


def mention(doc: Doc, tok: Token) -> Span:
    """The name or noun phrase of a subject token, without relative clauses. A title
    with a name in apposition ('The Railway Minister, Sunil Bhatt,') gives the name, and
    a bare title takes the name it is given elsewhere ('Defence Minister Anita D.')."""
    appos = next((c for c in tok.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"), None)
    if appos is not None:
        tok = appos
    if tok.ent_type_:
        for ent in doc.ents:
            if ent.start <= tok.i < ent.end:
                if ent.label_ == "PERSON":
                    return full_name(doc, ent)
                break
    left = tok.left_edge.i
    # Keep compounds, adjectives and possessives; drop determiners at the edge.
    while left < tok.i and doc[left].dep_ in ("det", "punct", "cc", "predet"):
        left += 1
    right = tok.i + 1
    if tok.lower_ in GROUP_NOUNS:
        of = next((c for c in tok.rights if c.lower_ in ("of", "at")), None)
        if of is not None:
            right = of.right_edge.i + 1
    span = doc[left:right]
    persons = [e for e in span.ents if e.label_ == "PERSON"]
    if persons:
        return full_name(doc, persons[-1])
    return titled(doc, span) or span


def titled(doc: Doc, span: Span) -> Span | None:
    """The person a bare title names ('Defence minister' → 'Anita Desrosiers')."""
    words = [t.lower_ for t in span if not t.is_punct]
    if not words or words[-1] not in ROLE_TITLES:
        return None
    n = len(words)
    for ent in context_ents(doc):
        if ent.label_ != "PERSON" or ent.start < n:
            continue
        before = [t.lower_ for t in doc[ent.start - n : ent.start]]
        qualifier = doc[ent.start - n - 1].lower_ if ent.start > n else ""
        if before == words and qualifier not in ("shadow", "former", "deputy", "junior"):
            return full_name(doc, ent)
    return None


def full_names(doc: Doc) -> dict[str, str]:
    """A surname used alone ('Brennan') → the fullest name ending in it in the article
    ('Aoife Brennan'), so one person is one speaker."""
    out: dict[str, str] = {}
    for ent in context_ents(doc):
        if ent.label_ != "PERSON" or len(ent) < 2:
            continue
        name = clean(ent.text)
        last = name.split()[-1] if name else ""
        if last and len(name) > len(out.get(last, "")):
            out[last] = name
    return out


def full_name(doc: Doc, ent: Span) -> Span:
    """A surname alone ('Carney') takes the fullest earlier mention ('Mark Carney')."""
    if len(ent) > 1:
        return ent
    last = ent.text
    for other in context_ents(doc):
        if other.label_ == "PERSON" and len(other) > 1 and other[-1].text == last:
            return other
    return ent


def genders(doc: Doc) -> dict[str, str]:
    """Whom 'he' and 'she' can mean: a person's gender from a title ('Ms Reeves') or
    from the first he/she that follows their first mention before anyone else's."""
    cached = doc.user_data.get("newsclaims_genders")
    if cached is not None:
        return cached
    out: dict[str, str] = {}
    people = [e for e in context_ents(doc) if e.label_ == "PERSON"]
    for n, ent in enumerate(people):
        name = full_name(doc, ent).text
        title = doc[ent.start - 1].lower_.rstrip(".") if ent.start else ""
        if title in ("ms", "mrs", "miss", "dame", "lady"):
            out[name] = "f"
            continue
        if title in ("mr", "sir", "lord"):
            out[name] = "m"
            continue
        if name in out:
            continue
        stop = people[n + 1].start if n + 1 < len(people) else len(doc)
        for tok in context_tokens(doc, ent.end, stop, 60):
            if tok.lower_ in ("he", "his", "him"):
                out[name] = "m"
                break
            if tok.lower_ in ("she", "her", "hers"):
                out[name] = "f"
                break
    doc.user_data["newsclaims_genders"] = out
    return out


def noun_run(doc: Doc, start: int, limit: int) -> Span | None:
    end = start
    while end < limit and (
        doc[end].pos_ in ("PROPN", "NOUN", "ADJ", "DET", "PART", "NUM")
        or doc[end].is_title
        or doc[end].lower_ in ("of", "'s", "and")
    ):
        end += 1
    while end > start and doc[end - 1].lower_ in ("of", "and", "'s"):
        end -= 1
    return doc[start:end] if end > start else None


def clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,.:;\"'“”‘’")
    text = re.sub(r"['’]s$", "", text)
    stripped = TITLES.sub("", text)
    # Keep a title when nothing else is left ('the spokesman', 'Prime minister').
    return stripped if stripped and stripped[0].isupper() else text


# Capitalised words before a surname that are no first name ('But Marsh said').
NOT_FIRST_NAMES = {
    "but", "and", "or", "the", "a", "an", "when", "if", "as", "so", "then", "while", "after",
    "before", "since", "that", "this", "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord",
    "lady", "professor", "prof", "said", "says", "told", "according", "by", "for", "with",
    "from", "of", "in", "on", "at", "to", "labour", "tory", "conservative", "liberal",
    "democrat", "republican", "senator", "governor", "mayor", "chancellor", "president",
    "premier", "minister", "secretary", "treasurer", "commissioner", "spokesman",
    "spokeswoman", "chief", "leader", "general", "deputy", "shadow", "prime",
}  # fmt: skip


def text_full_name(text: str, surname: str) -> str | None:
    """A surname's full name from the article's text, where the model did not read it
    (outside the claims' context): the first 'Firstname Surname' written in it."""
    if not surname or " " in surname or not surname[:1].isupper():
        return None
    pattern = re.compile(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) " + re.escape(surname) + r"\b")
    for m in pattern.finditer(text):
        if m.group(1).lower() not in NOT_FIRST_NAMES:
            return f"{m.group(1)} {surname}"
    return None


def speaker_name(doc: Doc, name: str, full: dict[str, str]) -> str:
    """A speaker's name as output: a surname alone takes the fullest name of it in the
    context (`full`, from `full_names`), else the first 'Firstname Surname' in the text."""
    found = full.get(name) or name
    if " " not in found:
        found = text_full_name(source_text(doc), found) or found
    return found
