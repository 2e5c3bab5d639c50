"""FastAPI dependencies as Annotated aliases."""

from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(_connection)]
