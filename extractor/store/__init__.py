"""The claims database: SQLite by default, PostgreSQL for teams (needs the `db` extra).

    from extractor.store import connect, load_claims, query_claims, Filters, export
    engine = connect("sqlite:///claims.db")
    load_claims(engine, article, claims)
    query_claims(engine, Filters(topic="defence", level="certainty"))
    export(engine, "claimreview", "claims.jsonld")

docs/database.md describes the tables, the load semantics and the upgrade path.
"""

from extractor.store.db import SchemaVersionError, StoreError, connect, migrate
from extractor.store.export import (
    FORMATS,
    ExportRow,
    claim_jsonld,
    export,
    iter_export_rows,
    to_dataframe,
)
from extractor.store.load import LoadResult, load_claims, load_claims_file, record_failure
from extractor.store.query import Filters, count_claims, query_claims
from extractor.store.schema import SCHEMA_VERSION

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "ExportRow",
    "Filters",
    "LoadResult",
    "SchemaVersionError",
    "StoreError",
    "claim_jsonld",
    "connect",
    "count_claims",
    "export",
    "iter_export_rows",
    "load_claims",
    "load_claims_file",
    "migrate",
    "query_claims",
    "record_failure",
    "to_dataframe",
]
