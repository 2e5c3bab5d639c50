"""FastAPI dependencies as Annotated aliases."""

from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request

from matcher.config import Settings


def _connection(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.pool.connection() as conn:
        yield conn


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


Conn = Annotated[psycopg.Connection, Depends(_connection)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
