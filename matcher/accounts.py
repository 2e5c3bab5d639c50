"""Accounts and API tokens: coordinators, hosts (tied to their listings) and admins."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg.rows import dict_row

from matcher import audit
from matcher.sql import queries

SQL = queries("accounts")
_hasher = PasswordHasher()
MIN_PASSWORD = 10
ROLES = ("coordinator", "provider", "admin")
ROLE_LABELS = {"coordinator": "コーディネーター", "provider": "受け入れ先", "admin": "管理者"}


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why in Japanese."""


@dataclass(frozen=True)
class User:
    """A signed-in person: their role, and for a host the listings they may edit."""

    id: int
    name: str
    role: str
    resource_ids: frozenset[str] = field(default_factory=frozenset)

    def owns(self, resource_id: str) -> bool:
        """True when this host may edit the listing."""
        return self.role == "provider" and resource_id in self.resource_ids


def token_hash(token: str) -> str:
    """Only a hash of each API token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash of a password at least MIN_PASSWORD characters long."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは{MIN_PASSWORD}文字以上にしてください")
    return _hasher.hash(password)


def create_user(
    conn: psycopg.Connection,
    *,
    name: str,
    role: str,
    resource_ids: list[str] | None = None,
    password: str | None = None,
    actor: str | None = None,
) -> tuple[User, str]:
    """Creates an account (a host tied to its listings) and returns it with a new API token."""
    password_hash = hash_password(password) if password is not None else None
    if role not in ROLES:
        raise AccountError(f"役割「{role}」はありません（{', '.join(ROLES)} のいずれか）")
    if not name.strip():
        raise AccountError("名前を入れてください")
    resource_ids = resource_ids or []
    if resource_ids and role != "provider":
        raise AccountError("社会資源に結びつけられるのは受け入れ先（provider）の利用者だけです")
    token = secrets.token_urlsafe(32)
    with conn.transaction():
        if conn.execute(SQL.user_by_name, {"name": name}).fetchone():
            raise AccountError(f"利用者「{name}」はすでにあります")
        missing = [
            rid for rid in resource_ids if not conn.execute(SQL.resource_exists, {"id": rid}).fetchone()
        ]
        if missing:
            raise AccountError(f"社会資源がありません: {', '.join(missing)}")
        row = conn.execute(
            SQL.insert_user, {"name": name, "role": role, "password_hash": password_hash}
        ).fetchone()
        user_id = int(row[0]) if row else 0
        for rid in resource_ids:
            conn.execute(SQL.link_resource, {"user_id": user_id, "resource_id": rid})
        conn.execute(SQL.insert_token, {"token_hash": token_hash(token), "user_id": user_id})
        audit.record(
            conn,
            actor=actor or "cli",
            action="create",
            entity="account",
            entity_id=name,
            after={"role": role, "resource_ids": resource_ids},
        )
    return User(user_id, name, role, frozenset(resource_ids)), token


def user_for_token(conn: psycopg.Connection, token: str) -> User | None:
    """The active account an API token belongs to, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.user_by_token, {"token_hash": token_hash(token)}).fetchone()
    return _user(row) if row else None


def _user(row: dict[str, Any]) -> User:
    return User(row["id"], row["name"], row["role"], frozenset(row["resource_ids"] or []))


def authenticate(conn: psycopg.Connection, *, name: str, password: str) -> User | None:
    """The enabled account with this name and password, or None (same answer for either mistake)."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.user_for_login, {"name": name}).fetchone()
    if row is None or not row["password_hash"]:
        _hasher.hash("timing-equaliser")
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row)


def set_password(conn: psycopg.Connection, *, name: str, password: str) -> None:
    """Replaces an account's password."""
    with conn.transaction():
        if conn.execute(SQL.set_password, {"name": name, "hash": hash_password(password)}).rowcount != 1:
            raise AccountError(f"利用者「{name}」はありません")


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its user and the token forms must echo (CSRF)."""

    user: User
    csrf_token: str
    expires_at: datetime


def start_session(conn: psycopg.Connection, user: User, *, hours: float) -> tuple[str, Session]:
    """A new session; returns the cookie value (only its hash is stored) and the session."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with conn.transaction():
        row = conn.execute(
            SQL.insert_session,
            {
                "token_hash": token_hash(token),
                "user_id": user.id,
                "csrf": csrf,
                "ttl": timedelta(hours=hours),
            },
        ).fetchone()
    assert row is not None
    return token, Session(user, csrf, row[0])


def session_for(conn: psycopg.Connection, token: str) -> Session | None:
    """The live session a cookie names, or None when unknown, expired or its account disabled."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.session_by_token, {"token_hash": token_hash(token)}).fetchone()
    return Session(_user(row), row["csrf_token"], row["expires_at"]) if row else None


def end_session(conn: psycopg.Connection, token: str) -> None:
    """Signs a browser out."""
    with conn.transaction():
        conn.execute(SQL.delete_session, {"token_hash": token_hash(token)})


DEMO_ACCOUNTS = (
    ("coordinator", "coordinator", "demo-coordinator-pass", ()),
    ("host", "provider", "demo-host-pass", ("r01", "r02")),
    ("admin", "admin", "demo-admin-pass", ()),
)


def ensure_demo_accounts(conn: psycopg.Connection) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Creates (or resets) one demo account per role; returns (name, role, password, listings)."""
    for name, role, password, resources in DEMO_ACCOUNTS:
        if conn.execute(SQL.user_by_name, {"name": name}).fetchone():
            set_password(conn, name=name, password=password)
        else:
            create_user(conn, name=name, role=role, password=password, resource_ids=list(resources))
    return [(name, role, password, resources) for name, role, password, resources in DEMO_ACCOUNTS]


@dataclass(frozen=True)
class Account:
    """An account as the admin console lists it."""

    id: int
    name: str
    role: str
    disabled: bool
    created_at: datetime
    has_password: bool
    resource_ids: list[str]


def list_accounts(conn: psycopg.Connection) -> list[Account]:
    """Every account, by role and name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [Account(**row) for row in cur.execute(SQL.list_users)]


def _account_name(conn: psycopg.Connection, user_id: int) -> tuple[str, str]:
    row = conn.execute(SQL.user_by_id, {"id": user_id}).fetchone()
    if row is None:
        raise AccountError(f"利用者 {user_id} はありません")
    return row[1], row[2]


def set_disabled(conn: psycopg.Connection, *, user_id: int, disabled: bool, actor: str) -> None:
    """Disables or enables an account, audited."""
    with conn.transaction():
        name, _role = _account_name(conn, user_id)
        conn.execute(SQL.set_disabled, {"id": user_id, "disabled": disabled})
        audit.record(
            conn,
            actor=actor,
            action="disable" if disabled else "enable",
            entity="account",
            entity_id=name,
            after={"disabled": disabled},
        )


def link_listings(conn: psycopg.Connection, *, user_id: int, resource_ids: list[str], actor: str) -> None:
    """Ties a host account to exactly these listings, audited."""
    with conn.transaction():
        name, role = _account_name(conn, user_id)
        if role != "provider":
            raise AccountError("社会資源に結びつけられるのは受け入れ先（provider）の利用者だけです")
        missing = [
            rid for rid in resource_ids if not conn.execute(SQL.resource_exists, {"id": rid}).fetchone()
        ]
        if missing:
            raise AccountError(f"社会資源がありません: {', '.join(missing)}")
        conn.execute(SQL.unlink_resources, {"user_id": user_id})
        for rid in resource_ids:
            conn.execute(SQL.link_resource, {"user_id": user_id, "resource_id": rid})
        audit.record(
            conn,
            actor=actor,
            action="listings",
            entity="account",
            entity_id=name,
            after={"resource_ids": resource_ids},
        )


def reset_password(conn: psycopg.Connection, *, user_id: int, password: str, actor: str) -> None:
    """Sets a new password for an account, audited (the password itself is never logged)."""
    with conn.transaction():
        name, _role = _account_name(conn, user_id)
        set_password(conn, name=name, password=password)
        audit.record(conn, actor=actor, action="password", entity="account", entity_id=name)


def login_blocked(
    conn: psycopg.Connection, *, name: str, address: str, limit: int, window: timedelta
) -> bool:
    """True when this name or this address has failed to log in `limit` times within the window."""
    row = conn.execute(SQL.recent_failures, {"name": name, "address": address, "window": window}).fetchone()
    by_name, by_address = row if row else (0, 0)
    return by_name >= limit or by_address >= limit * 4


def note_login(conn: psycopg.Connection, *, name: str, address: str, succeeded: bool) -> None:
    """Remembers a failed login, or clears the account's failures after a success."""
    with conn.transaction():
        conn.execute(
            SQL.clear_failures if succeeded else SQL.record_failure, {"name": name, "address": address}
        )
