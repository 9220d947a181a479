"""Full-text search over objects: names, descriptions, labels and observable values.

Indexed text (`search_text`): name, description, value, pattern, display_name,
abstract, content, subject, labels, aliases and hash values. Chinese and Japanese have
no spaces, so each run of those characters becomes its overlapping character bigrams
plus the run's last character; a query is rewritten the same way and matched as a
phrase, so a word of 1-4 characters inside a sentence is found.

* SQLite: the FTS5 table `objects_search` (migration 0007), keyed by `objects.pk`,
  tokenizer `unicode61 remove_diacritics 2` (words, case-folded in every script),
  `columnsize=0`. The one ingest path writes the entries itself, with one executemany
  in the transaction that stores the rows (`index_objects`, from
  `intel.ingest._store`), so the index is never behind a committed object and needs
  no catch-up. Two triggers that never fire on insert follow the rarer changes: a
  deleted row takes its entry with it, and a pk change (publishing moves a version
  to a new pk) re-keys the entry. Measured in CPU per object (`time.process_time`)
  over 50,000 bench objects stored through `ingest` in bundles of 5,000: 12-13 us
  with this index (66-68 us without), against 137-150 us for the former insert
  trigger (11 `json_extract` calls into a trigram table). Alone: the text built in
  Python 2.6 us, the FTS5 insert 4.4 us; a trigram table costs 27-29 us per insert
  even with the text built in Python. A contentless table (`content=''`, 3.1 us,
  half the size) was not chosen: SQLite 3.40 has no `contentless_delete`, so
  deleting or moving an entry would need its exact text, which a trigger cannot
  rebuild, and a stale entry would match whatever row reuses its pk after a delete.
  `detail=column` (2.9 us) cannot match phrases. Each term matches as a prefix of
  words (`evil` finds `evil.example.com`, `phish` finds `phishing`); a last word under
  three characters matches whole, so that no term walks a large part of the index.
* PostgreSQL: the stored generated column `objects.search_vector`, that is
  `to_tsvector('simple', accord_search_text(stix))`, with a GIN index (stored, so that
  phrase rechecks read it instead of re-deriving it). `simple` keeps every language as
  written (lower-cased, no stemming); `accord_search_text` is the SQL twin of
  `search_text`. Words match whole (`evil.com`, not `evil`).

A search is a filter: it ANDs with the caller's visibility like every other filter,
and results keep the listing's keyset order (rank would reorder pages as objects
arrive). On SQLite it is `pk IN (SELECT rowid FROM objects_search WHERE ...)`, so an
entry counts only through the row that holds its pk (the delete trigger takes a
row's entry along, so a reused pk never inherits another row's words). User text
never reaches FTS syntax: each term is a quoted FTS5 string or the argument of
`phraseto_tsquery`, which reads plain text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import Boolean

from accord.errors import Invalid
from accord.intel.models import StixObject

SEARCH_TABLE = "objects_search"  # SQLite FTS5, and its shadow tables objects_search_*
SEARCH_INDEX = "ix_objects_search"  # PostgreSQL GIN, on the generated column below
SEARCH_COLUMN = "search_vector"  # PostgreSQL: objects.search_vector, a stored tsvector
MAX_QUERY_CHARS = 400
MAX_TERMS = 12
# Text fields and lists of text indexed, besides the values of `hashes`. Keep in step
# with the PostgreSQL function `accord_search_text` (migration 0007).
TEXT_FIELDS = (
    "name",
    "description",
    "value",
    "pattern",
    "display_name",
    "abstract",
    "content",
    "subject",
)
LIST_FIELDS = ("labels", "aliases")
_PREFIX_MIN = 3  # a shorter last word matches whole, not as a prefix
# Scripts written without spaces: kana and the CJK ideographs (Hangul has spaces).
CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_WORD = re.compile(r"[^\W_]+")  # what FTS5's unicode61 keeps as a token, near enough
_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEARCH_TABLE = table(SEARCH_TABLE, column("rowid"), column("body"))
# Names are this module's constants; values are bound.
INDEX_SQL = f"INSERT INTO {SEARCH_TABLE} (rowid, body) VALUES (?, ?)"  # noqa: S608
_SEARCH_VECTOR = table(StixObject.__tablename__, column(SEARCH_COLUMN)).c[SEARCH_COLUMN]


@dataclass(frozen=True)
class SearchQuery:
    """Terms that must all occur; each is a word or a quoted phrase, as written."""

    terms: tuple[str, ...]


def parse(text: str) -> SearchQuery:
    """Words ANDed, "quoted phrases" kept together; everything else is literal text.

    Raises `Invalid` for text that cannot be a search (too long, control characters,
    no letter or digit at all) so that every backend answers the same way.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise Invalid(f"the search text is longer than {MAX_QUERY_CHARS} characters")
    if _CONTROL.search(text):
        raise Invalid("the search text holds control characters")
    terms: list[str] = []
    for match in _TERM.finditer(text):
        term = " ".join((match.group(1) or match.group(2) or "").split())
        if any(ch.isalnum() for ch in term) and term not in terms:
            terms.append(term)
    if not terms:
        raise Invalid("the search needs at least one word with a letter or digit")
    if len(terms) > MAX_TERMS:
        raise Invalid(f"the search has more than {MAX_TERMS} words or phrases")
    return SearchQuery(tuple(terms))


class _Matches(ColumnElement[bool]):
    """What `search_condition` returns: compiled per dialect, so that `_filtered` and
    every other query builder need not know the backend."""

    type = Boolean()
    inherit_cache = False  # the terms decide the SQL's shape; never reuse it

    def __init__(self, query: SearchQuery) -> None:
        self.query = query

    def self_group(self, against: OperatorType | None = None) -> ColumnElement[bool]:
        # Already a condition: never `(...) = 1`, which hides `pk IN` from SQLite's planner.
        return self


def search_condition(query: SearchQuery) -> ColumnElement[bool]:
    """A WHERE condition on `objects`: the version's indexed text holds every term.

    AND it with `visible_to` and `latest_for` (as `intel.service` filters do): it
    decides matching only, never visibility.
    """
    return _Matches(query)


def search_text(obj: Mapping[str, Any]) -> str:
    """The text SQLite indexes for one object, CJK runs as their bigrams."""
    parts = [value for name in TEXT_FIELDS if isinstance(value := obj.get(name), str)]
    for name in LIST_FIELDS:
        values = obj.get(name)
        if isinstance(values, list):
            parts.extend(value for value in values if isinstance(value, str))
    hashes = obj.get("hashes")
    if isinstance(hashes, dict):
        parts.extend(value for value in hashes.values() if isinstance(value, str))
    return _CJK_RUN.sub(lambda run: f" {cjk_grams(run.group())} ", " ".join(parts))


def index_objects(session: Session, objects: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Index freshly stored versions, given as (pk, STIX object), in the caller's
    transaction. SQLite only: PostgreSQL derives its column from the row itself."""
    conn = session.connection()
    if objects and conn.dialect.name == "sqlite":
        conn.exec_driver_sql(INDEX_SQL, [(pk, search_text(obj)) for pk, obj in objects])


@compiles(_Matches, "sqlite")
def _compile_sqlite(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    expression = " AND ".join(_fts_term(term) for term in element.query.terms)
    hits = select(_SEARCH_TABLE.c.rowid).where(_SEARCH_TABLE.c.body.op("MATCH")(expression))
    return compiler.process(StixObject.pk.in_(hits), **kw)


def _fts_term(term: str) -> str:
    """One term as one FTS5 string ("" escapes "), so never operators or columns: a
    phrase of its words, CJK runs as the bigrams the index holds (as `_cjk_query`).
    The last word matches as a prefix when it has three characters or more, or is an
    ideograph (a lone one is the start of the document's bigrams)."""
    text = _CJK_RUN.sub(
        lambda run: f" {cjk_grams(run.group(), final=run.end() != len(term))} ", term
    )
    words = _WORD.findall(text)
    last = words[-1] if words else ""
    prefix = len(last) >= _PREFIX_MIN or _CJK_RUN.fullmatch(last) is not None
    return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")


@compiles(_Matches, "postgresql")
def _compile_postgresql(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    wanted = [_term_query(simple, term) for term in element.query.terms]
    tsquery = wanted[0]
    for more in wanted[1:]:
        tsquery = tsquery.op("&&")(more)
    return compiler.process(_SEARCH_VECTOR.op("@@")(tsquery), **kw)


@compiles(_Matches)
def _compile_other(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(f"no full-text search on {compiler.dialect.name}")


def _term_query(simple: ColumnElement[Any], term: str) -> ColumnElement[Any]:
    """One term as a tsquery phrase, CJK runs as the bigrams the index holds."""
    parts: list[ColumnElement[Any]] = []
    position = 0
    for run in _CJK_RUN.finditer(term):
        if run.start() > position:
            parts.append(func.phraseto_tsquery(simple, term[position : run.start()]))
        parts.append(_cjk_query(simple, run.group(), at_end=run.end() == len(term)))
        position = run.end()
    if position < len(term):
        parts.append(func.phraseto_tsquery(simple, term[position:]))
    phrase = parts[0]
    for part in parts[1:]:
        phrase = func.tsquery_phrase(phrase, part)
    return phrase


def _cjk_query(simple: ColumnElement[Any], run: str, *, at_end: bool) -> ColumnElement[Any]:
    """A run of ideographs as indexed: bigrams, then the run's last character alone.

    The index ends every run with its last character; a query run that ends the term
    may continue in the document, so it leaves that character out, and a lone final
    character matches as a prefix of the document's bigrams.
    """
    if at_end and len(run) == 1:
        return func.to_tsquery(simple, f"'{run}':*")  # the run is ideographs only: no quoting
    return func.phraseto_tsquery(simple, cjk_grams(run, final=not at_end))


def cjk_grams(run: str, *, final: bool = True) -> str:
    """Overlapping character pairs of a run, and (if `final`) its last character."""
    grams = [run[i : i + 2] for i in range(len(run) - 1)]
    if final or not grams:
        grams.append(run[-1])
    return " ".join(grams)


def highlight_spans(text: str, query: SearchQuery) -> list[tuple[int, int]]:
    """Where the terms occur in `text` (case-insensitive), merged, in order."""
    pattern = "|".join(re.escape(t) for t in sorted(query.terms, key=len, reverse=True))
    spans: list[tuple[int, int]] = []
    for match in re.finditer(pattern, text, re.IGNORECASE):
        if spans and match.start() <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], match.end()))
        elif match.end() > match.start():
            spans.append(match.span())
    return spans


def is_search_schema(name: str | None) -> bool:
    """The search table, its FTS5 shadow tables, the tsvector column and its GIN
    index: kept out of the models, so `alembic check` must not compare them."""
    return name is not None and (
        name in (SEARCH_INDEX, SEARCH_COLUMN) or name.startswith(SEARCH_TABLE)
    )
