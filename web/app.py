"""create_app(settings): the FastAPI application; the lifespan opens and closes the pool."""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from matcher import db, embedding
from matcher.config import Settings, get_settings
from web.routes import api_matching, home

STATIC_DIR = Path(__file__).parent / "static"


def warm_up(settings: Settings) -> None:
    """Loads the embedding model in the background so the first proposal does not wait for it."""
    spec = embedding.EmbeddingSpec.from_settings(settings)
    threading.Thread(target=embedding.load_model, args=(spec.model, spec.device), daemon=True).start()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, bound to one settings object."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = db.open_pool(settings)
        warm_up(settings)
        try:
            yield
        finally:
            app.state.pool.close()

    app = FastAPI(title="参加支援マッチング", lifespan=lifespan)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(home.router)
    app.include_router(api_matching.router)
    return app
