"""Accounts and API tokens: coordinators, hosts (tied to their listings) and admins."""

import hashlib
import secrets
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from matcher.sql import queries

SQL = queries("accounts")
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


def create_user(
    conn: psycopg.Connection,
    *,
    name: str,
    role: str,
    resource_ids: list[str] | None = None,
    password_hash: str | None = None,
) -> tuple[User, str]:
    """Creates an account (a host tied to its listings) and returns it with a new API token."""
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
    return User(user_id, name, role, frozenset(resource_ids)), token


def user_for_token(conn: psycopg.Connection, token: str) -> User | None:
    """The active account an API token belongs to, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.user_by_token, {"token_hash": token_hash(token)}).fetchone()
    return _user(row) if row else None


def _user(row: dict) -> User:
    return User(row["id"], row["name"], row["role"], frozenset(row["resource_ids"] or []))
