"""objects: full-text search index (SQLite FTS5, PostgreSQL GIN)

SQLite: the FTS5 table `objects_search`, keyed by `objects.pk`: tokenizer `unicode61
remove_diacritics 2`, `columnsize=0`. The application writes the entries of new rows
in the transaction that stores them (accord.intel.search.index_objects); this
migration back-fills the rows stored before it with the same text, built in Python.
Two triggers, which never fire on insert, follow deletes and pk changes (publishing).
An insert trigger was measured at 137-150 us of CPU per object (11 json_extract calls
into a trigram table), against 12-13 us for the text built in Python and a unicode61
insert (figures in accord.intel.search). A later migration that rebuilds `objects` in
batch mode keeps the pks, so the entries stay valid, but drops these triggers with
the old table and must create them again; tests/intel/test_search.py checks them.

PostgreSQL: a generated column `search_vector` (GIN-indexed) derived from `stix`, so it
follows the rows by itself. Neither is in the models.
Indexed text: name, description, value, pattern, display_name, abstract, content,
subject, labels, aliases and hash values (see accord.intel.search).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:20:00.000000
"""

# ruff: noqa: S608  (DDL assembled from this file's own constants; no input reaches it)
from __future__ import annotations

import json

from alembic import op
from sqlalchemy import text

from accord.intel.search import INDEX_SQL, LIST_FIELDS, TEXT_FIELDS, search_text

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BACKFILL_CHUNK = 5000
_SQLITE = [
    "CREATE VIRTUAL TABLE objects_search USING fts5(body, "
    "tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)",
    """CREATE TRIGGER objects_search_delete AFTER DELETE ON objects BEGIN
        DELETE FROM objects_search WHERE rowid = old.pk;
    END""",
    """CREATE TRIGGER objects_search_move AFTER UPDATE OF pk ON objects BEGIN
        UPDATE objects_search SET rowid = new.pk WHERE rowid = old.pk;
    END""",
]


def _sqlite_upgrade() -> None:
    """Create the table and triggers, then index the rows stored so far, in chunks."""
    conn = op.get_bind()
    for statement in _SQLITE:
        conn.exec_driver_sql(statement)
    after = 0
    while True:
        rows = conn.execute(
            text("SELECT pk, stix FROM objects WHERE pk > :after ORDER BY pk LIMIT :n"),
            {"after": after, "n": _BACKFILL_CHUNK},
        ).all()
        if not rows:
            return
        conn.exec_driver_sql(INDEX_SQL, [(pk, search_text(json.loads(stix))) for pk, stix in rows])
        after = rows[-1][0]


# Built-in functions only (no extension). Labels, aliases and hash values are indexed
# as their JSON text: the text-search parser drops the brackets and quotes. Kana and
# CJK ideograph runs become their overlapping bigrams plus the run's last character,
# so a word inside a sentence written without spaces is a phrase of lexemes. Keep the
# class equal to accord.intel.search.CJK_CLASS.
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_FIELD_SQL = ", ".join(f"j->>'{name}'" for name in TEXT_FIELDS)
_LIST_SQL = ", ".join(
    f"jsonb_path_query_array(j, '$.{path}')::text"
    for path in (*(f"{name}[*]" for name in LIST_FIELDS), "hashes.*")
)
_POSTGRESQL = [
    f"""CREATE FUNCTION accord_search_text(stix text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
        j jsonb := stix::jsonb;
        body text := concat_ws(' ', {_FIELD_SQL}, {_LIST_SQL});
    BEGIN
        IF body !~ '[{_CJK}]' THEN
            RETURN body;
        END IF;
        RETURN (
            SELECT string_agg(
                CASE WHEN r.m[1] ~ '^[{_CJK}]' THEN (
                    SELECT string_agg(substr(r.m[1], i, 2), ' ' ORDER BY i)
                    FROM generate_series(1, length(r.m[1])) AS i
                ) ELSE r.m[1] END, ' ' ORDER BY r.n)
            FROM regexp_matches(body, '[{_CJK}]+|[^{_CJK}]+', 'g') WITH ORDINALITY AS r(m, n)
        );
    END
    $$""",
    # Stored, so that phrase rechecks and filters read it instead of re-deriving it.
    "ALTER TABLE objects ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, accord_search_text(stix))) STORED",
    "CREATE INDEX ix_objects_search ON objects USING gin (search_vector)",
    # Lexeme statistics fine enough that a rare word's estimate stays small: the planner
    # then reads the GIN index instead of walking every row in pk order.
    "ALTER TABLE objects ALTER COLUMN search_vector SET STATISTICS 1000",
    "ANALYZE objects",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
        return
    for statement in _POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("delete", "move"):
            op.execute(f"DROP TRIGGER objects_search_{trigger}")
        op.execute("DROP TABLE objects_search")
    else:
        op.execute("DROP INDEX ix_objects_search")
        op.execute("ALTER TABLE objects DROP COLUMN search_vector")
        op.execute("DROP FUNCTION accord_search_text(text)")
