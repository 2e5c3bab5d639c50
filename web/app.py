"""create_app(settings): the FastAPI application; the lifespan opens and closes the pool."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from matcher import db
from matcher.config import Settings, get_settings
from web.routes import home

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, bound to one settings object."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = db.open_pool(settings)
        try:
            yield
        finally:
            app.state.pool.close()

    app = FastAPI(title="参加支援マッチング", lifespan=lifespan)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(home.router)
    return app
