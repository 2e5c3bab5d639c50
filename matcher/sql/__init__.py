"""Named SQL queries kept in .sql files, one block per query, called by name."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import LiteralString, cast

SQL_DIR = Path(__file__).parent
_BLOCK = re.compile(
    r"^-- name: (?P<name>\w+)\n-- (?P<doc>[^\n]*)\n(?P<sql>.*?)(?=^-- name: |\Z)", re.M | re.S
)


@dataclass(frozen=True)
class Query:
    """One named query with its one-line description."""

    name: str
    doc: str
    sql: LiteralString  # read from our own files, never built from input


class QuerySet:
    """The queries of one .sql file, reachable as attributes holding their SQL text."""

    def __init__(self, area: str, queries: dict[str, Query]) -> None:
        self.area = area
        self.queries = queries

    def __getattr__(self, name: str) -> LiteralString:
        try:
            return self.queries[name].sql
        except KeyError:
            raise AttributeError(f"no query {name!r} in sql/queries/{self.area}.sql") from None


def parse(text: str) -> dict[str, Query]:
    """Split a .sql file into its named blocks."""
    return {
        m["name"]: Query(m["name"], m["doc"].strip(), cast(LiteralString, m["sql"].strip().rstrip(";")))
        for m in _BLOCK.finditer(text)
    }


@cache
def queries(area: str) -> QuerySet:
    """The named queries in sql/queries/<area>.sql."""
    return QuerySet(area, parse((SQL_DIR / "queries" / f"{area}.sql").read_text(encoding="utf-8")))
