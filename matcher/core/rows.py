"""The one row a named query returns, read into a dataclass or as a tuple, or the domain's refusal."""

from collections.abc import Mapping
from typing import Any, LiteralString, TypeVar

import psycopg
from psycopg.rows import class_row

from matcher.errors import DomainError, NotFound

T = TypeVar("T")


def first(
    conn: psycopg.Connection, row: type[T], query: LiteralString, params: Mapping[str, Any]
) -> T | None:
    """The query's first row as a `row`, or None."""
    with conn.cursor(row_factory=class_row(row)) as cur:
        return cur.execute(query, params).fetchone()


def existing(
    conn: psycopg.Connection, row: type[T], query: LiteralString, params: Mapping[str, Any], *, missing: str
) -> T:
    """The query's first row as a `row`; NotFound saying `missing` when there is none."""
    found = first(conn, row, query, params)
    if found is None:
        raise NotFound(missing)
    return found


def one(
    conn: psycopg.Connection, query: LiteralString, params: Mapping[str, Any], *, missing: DomainError
) -> tuple[Any, ...]:
    """The query's first row as a tuple; raises `missing` (NotFound, NotAllowed, …) when there is none."""
    found = conn.execute(query, params).fetchone()
    if found is None:
        raise missing
    return found


def inserted(conn: psycopg.Connection, row: type[T], query: LiteralString, params: Mapping[str, Any]) -> T:
    """The row an `insert … returning` gives back, as a `row`."""
    found = first(conn, row, query, params)
    assert found is not None
    return found


def count(conn: psycopg.Connection, query: LiteralString, params: Mapping[str, Any] | None = None) -> int:
    """A counting query's number (0 when it returns no row)."""
    found = conn.execute(query, params).fetchone()
    return int(found[0]) if found else 0
