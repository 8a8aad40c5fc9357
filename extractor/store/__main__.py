"""Write the export JSON Schemas generated from the models (run from the repository root):

    python -m extractor.store schema

schema/export-row.schema.json comes from `ExportRow`; schema/claimreview.schema.json is
written by hand (it describes JSON-LD no pydantic model produces) and tests check both.
"""

import sys
from pathlib import Path

from extractor.store.export import write_schemas

if __name__ == "__main__":
    print(write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schema")))
