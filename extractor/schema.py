"""JSON Schemas of the output contract, generated from the pydantic models.

    python -m extractor.schema            # rewrite schema/*.schema.json
    python -m extractor.schema --check    # exit 1 if the committed files drifted

The committed files are what downstream users validate against; a test fails when they
no longer match the models.
"""

import json
import sys
from pathlib import Path

from extractor.models import Article, Claim

SCHEMAS = {"claim.schema.json": Claim, "article.schema.json": Article}


def render(model: type) -> str:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://newsclaims.invalid/schema/{model.__name__.lower()}.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[args.index("--dir") + 1]) if "--dir" in args else Path("schema")
    drifted = []
    for name, model in SCHEMAS.items():
        path = out / name
        text = render(model)
        if "--check" in args:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drifted.append(str(path))
        else:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if drifted:
        print("schema drifted from the models: " + ", ".join(drifted), file=sys.stderr)
        print("regenerate with: python -m extractor.schema", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
