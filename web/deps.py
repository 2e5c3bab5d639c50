"""FastAPI dependencies as Annotated aliases."""

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import psycopg
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

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


async def _form(request: Request) -> FormData:
    return await request.form()


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


# scope="function": committed (or rolled back) before the response is sent, so a client never sees
# success for a change that did not commit, and row locks are not held while the response goes out.
Conn = Annotated[psycopg.Connection, Depends(_connection, scope="function")]
# A submitted form, read before a sync handler runs in a worker thread: no handler touches the
# database from the event loop.
FormFields = Annotated[FormData, Depends(_form)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
