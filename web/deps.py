"""FastAPI dependencies as Annotated aliases."""

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import psycopg
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from matcher.config import Settings


async def _connection(request: Request) -> AsyncIterator[psycopg.Connection]:
    """A pooled connection for one request: committed when it succeeds, rolled back when it fails.

    A request first takes one of `pool_max_size` slots without holding a thread, and only then waits
    for a connection in a worker thread. Taking the connection straight in a sync dependency let more
    requests than the pool has connections park every worker thread in the pool's queue, while the
    requests holding connections waited for a thread to finish in: a deadlock under load that ended
    in PoolTimeout after 30 s (found by benchmarks/load.py).
    """
    state = request.app.state
    async with state.connection_slots:
        borrowed = state.pool.connection()
        conn = await run_in_threadpool(borrowed.__enter__)
        try:
            yield conn
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(borrowed.__exit__, type(exc), exc, exc.__traceback__)
            raise
        else:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(borrowed.__exit__, None, None, None)


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


Conn = Annotated[psycopg.Connection, Depends(_connection)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
