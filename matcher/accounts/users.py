"""Accounts and API tokens: coordinators, hosts (tied to their listings) and admins."""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg.rows import dict_row

from matcher.accounts import audit
from matcher.core import rows
from matcher.core.vocabulary import LABELS, Role
from matcher.errors import Invalid
from matcher.sql import queries

SQL = queries("accounts")
_hasher = PasswordHasher()
MIN_PASSWORD = 10
ROLES = tuple(Role)
ROLE_LABELS = LABELS[Role]
_ONLY_HOSTS_LINK = "社会資源に結びつけられるのは受け入れ先（provider）のアカウントだけです"


class AccountError(Invalid, ValueError):
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


MAX_NAME = 100
FORMULA_STARTS = ("=", "+", "-", "@")
# Characters that show as nothing or as blank although they are not a space (Unicode's Default_Ignorable
# code points outside the Cf category, and blank letters).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5\u180b\u180c\u180d\u2800")


def name_key(name: str) -> str:
    """What two names that look alike share: NFKC, then case-folded (「ＡＤＭＩＮ」 and 「admin」 alike)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def clean_name(name: str) -> str:
    """An account name in NFKC, or AccountError saying why it cannot be one.

    Refused: empty, longer than MAX_NAME, control, format (zero-width, direction) or other invisible
    characters, line or paragraph separators, a blank other than a single space between words, and a
    first character a spreadsheet reads as a formula (= + - @)."""
    name = unicodedata.normalize("NFKC", name).strip()
    if not name:
        raise AccountError("名前を入れてください")
    if len(name) > MAX_NAME:
        raise AccountError(f"名前は{MAX_NAME}文字までにしてください")
    for char in name:
        category = unicodedata.category(char)
        if (
            category[0] in "C"
            or category in ("Zl", "Zp")
            or char in _INVISIBLE
            or (category == "Zs" and char != " ")
        ):
            raise AccountError(
                f"名前に使えない文字（制御文字や見えない文字 U+{ord(char):04X}）が入っています"
            )
    if "  " in name:
        raise AccountError("名前の中の空白は1つずつにしてください")
    if name.startswith(FORMULA_STARTS):
        raise AccountError("名前の先頭に = + - @ は使えません（表計算ソフトで数式と読まれるため）")
    return name


def check_new_name(conn: psycopg.Connection, name: str) -> str:
    """The cleaned name, refused when it or a look-alike of it (same NFKC case-folded form) exists.

    Call inside the creating transaction: it takes a lock so that look-alikes cannot be made at once."""
    name = clean_name(name)
    conn.execute(SQL.lock_names)
    key = name_key(name)
    for (existing,) in conn.execute(SQL.all_names):
        if existing == name:
            raise AccountError(f"アカウント「{name}」はすでにあります")
        if name_key(existing) == key:
            raise AccountError(f"アカウント「{existing}」と紛らわしい名前です。別の名前にしてください")
    return name


def _refuse_missing_listings(conn: psycopg.Connection, resource_ids: list[str]) -> None:
    """AccountError naming every listing id that does not exist."""
    missing = [rid for rid in resource_ids if not conn.execute(SQL.resource_exists, {"id": rid}).fetchone()]
    if missing:
        raise AccountError(f"社会資源がありません: {', '.join(missing)}")


def create_user(
    conn: psycopg.Connection,
    *,
    name: str,
    role: str,
    resource_ids: list[str] | None = None,
    password: str | None = None,
    actor: str | None = None,
    email: str | None = None,
    mail_digest: bool = False,
) -> tuple[User, str]:
    """Creates an account (a host tied to its listings) and returns it with a new API token.

    The name is stored in NFKC; see clean_name and check_new_name for what is refused. The e-mail
    address (optional) is where notifications go; a host may take them as one daily digest."""
    email = clean_email(email)
    password_hash = hash_password(password) if password is not None else None
    if role not in ROLES:
        raise AccountError(f"役割「{role}」はありません（{', '.join(ROLES)} のいずれか）")
    name = clean_name(name)
    resource_ids = resource_ids or []
    if resource_ids and role != "provider":
        raise AccountError(_ONLY_HOSTS_LINK)
    token = secrets.token_urlsafe(32)
    with conn.transaction():
        name = check_new_name(conn, name)
        _refuse_missing_listings(conn, resource_ids)
        row = conn.execute(
            SQL.insert_user,
            {
                "name": name,
                "role": role,
                "password_hash": password_hash,
                "email": email,
                "mail_digest": mail_digest,
            },
        ).fetchone()
        user_id = int(row[0]) if row else 0
        for rid in resource_ids:
            conn.execute(SQL.link_resource, {"user_id": user_id, "resource_id": rid})
        conn.execute(SQL.insert_token, {"token_hash": token_hash(token), "user_id": user_id})
        audit.log(
            conn,
            audit.account(name),
            "create",
            actor=actor or "cli",
            after={"role": role, "resource_ids": resource_ids, "email": email},
        )
    return User(user_id, name, role, frozenset(resource_ids)), token


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(email: str | None) -> str | None:
    """An e-mail address as stored (trimmed, NFKC), None for none; AccountError when it is not one."""
    text = unicodedata.normalize("NFKC", email or "").strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text):
        raise AccountError(f"メールアドレスの形が正しくありません: {text[:60]}", field="email")
    return text


def set_email(
    conn: psycopg.Connection, *, name: str, email: str | None, mail_digest: bool = False, actor: str
) -> None:
    """Sets where an account's notifications go (None: no mail) and whether a host takes a daily digest."""
    email = clean_email(email)
    with conn.transaction():
        params = {"name": name, "email": email, "mail_digest": mail_digest}
        row = rows.one(conn, SQL.set_email, params, missing=AccountError(f"アカウント「{name}」はありません"))
        audit.log(
            conn,
            audit.account(name),
            "email",
            actor=actor,
            before={"email": row[0]},
            after={"email": email, "mail_digest": mail_digest},
        )


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
    """Replaces an account's password and ends every session and API token it had."""
    with conn.transaction():
        if conn.execute(SQL.set_password, {"name": name, "hash": hash_password(password)}).rowcount != 1:
            raise AccountError(f"アカウント「{name}」はありません")
        row = conn.execute(SQL.user_id_by_name, {"name": name}).fetchone()
        assert row is not None
        end_access(conn, user_id=int(row[0]))


def end_access(conn: psycopg.Connection, *, user_id: int) -> int:
    """Ends every browser session and revokes every API token of an account; returns how many tokens.

    Nothing brings them back: a re-enabled account signs in again and is given new tokens."""
    with conn.transaction():
        conn.execute(SQL.end_sessions, {"user_id": user_id})
        return len(conn.execute(SQL.delete_tokens, {"user_id": user_id}).fetchall())


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
    ("kaigi", "member", "demo-member-pass", ()),
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
    email: str | None = None
    mail_digest: bool = False


def list_accounts(conn: psycopg.Connection) -> list[Account]:
    """Every account, by role and name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [Account(**row) for row in cur.execute(SQL.list_users)]


def _account_name(conn: psycopg.Connection, user_id: int) -> tuple[str, str]:
    row = rows.one(
        conn, SQL.user_by_id, {"id": user_id}, missing=AccountError(f"アカウント {user_id} はありません")
    )
    return row[1], row[2]


def set_disabled(conn: psycopg.Connection, *, user_id: int, disabled: bool, actor: str) -> None:
    """Disables or enables an account, audited."""
    with conn.transaction():
        name, _role = _account_name(conn, user_id)
        conn.execute(SQL.set_disabled, {"id": user_id, "disabled": disabled})
        if disabled:
            end_access(conn, user_id=user_id)
        audit.log(
            conn,
            audit.account(name),
            "disable" if disabled else "enable",
            actor=actor,
            after={"disabled": disabled},
        )


def link_listings(conn: psycopg.Connection, *, user_id: int, resource_ids: list[str], actor: str) -> None:
    """Ties a host account to exactly these listings, audited."""
    with conn.transaction():
        name, role = _account_name(conn, user_id)
        if role != "provider":
            raise AccountError(_ONLY_HOSTS_LINK)
        _refuse_missing_listings(conn, resource_ids)
        conn.execute(SQL.unlink_resources, {"user_id": user_id})
        for rid in resource_ids:
            conn.execute(SQL.link_resource, {"user_id": user_id, "resource_id": rid})
        audit.log(conn, audit.account(name), "listings", actor=actor, after={"resource_ids": resource_ids})


def reset_password(conn: psycopg.Connection, *, user_id: int, password: str, actor: str) -> None:
    """Sets a new password for an account, audited (the password itself is never logged); every session
    and API token of the account ends."""
    with conn.transaction():
        name, _role = _account_name(conn, user_id)
        set_password(conn, name=name, password=password)
        audit.log(conn, audit.account(name), "password", actor=actor)


@dataclass(frozen=True)
class LoginLimits:
    """How many tries a window allows: per account name, and per client address (failed checks only)."""

    per_account: int
    per_address: int
    window: timedelta


def _attempt_key(name: str) -> str:
    # look-alike spellings of one name (ＡＤＭＩＮ, Admin) share one counter
    return unicodedata.normalize("NFKC", name).casefold()


def begin_login(conn: psycopg.Connection, *, name: str, address: str, limits: LoginLimits) -> bool:
    """Counts this try BEFORE its password is checked; False (check nothing) when a limit is used up.

    Each count is one statement whose row lock orders concurrent tries, committed at once, so N
    simultaneous tries against a limit of L check at most L passwords. A try refused because of the
    address is given back to both counters (no password was checked).
    """
    with conn.transaction():
        window = {"window": limits.window}
        account = {"kind": "account", "key": _attempt_key(name)}
        row = conn.execute(SQL.count_login_attempt, account | window).fetchone()
        if row is None or row[0] > limits.per_account:
            return False
        by_address = {"kind": "address", "key": address}
        row = conn.execute(SQL.count_login_attempt, by_address | window).fetchone()
        if row is None or row[0] > limits.per_address:
            conn.execute(SQL.release_login_attempt, by_address)
            conn.execute(SQL.release_login_attempt, account)
            return False
    return True


def end_login(conn: psycopg.Connection, *, name: str, address: str, succeeded: bool) -> None:
    """After the check: a success clears the account's tries and gives its address try back; a failure
    stays counted on both."""
    if not succeeded:
        return
    with conn.transaction():
        conn.execute(SQL.clear_login_attempts, {"name": _attempt_key(name)})
        conn.execute(SQL.release_login_attempt, {"kind": "address", "key": address})


# --- API tokens: listed (never shown again), revoked, issued, and when each was last used -------------


@dataclass(frozen=True)
class TokenInfo:
    """An API token as it is listed: never the token itself, only its id and when it was used."""

    id: int
    user_id: int
    user_name: str
    created_at: datetime
    last_used_at: datetime | None


def list_tokens(conn: psycopg.Connection, *, user_id: int | None = None) -> list[TokenInfo]:
    """The API tokens of one account (or of all), by account name and id."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [TokenInfo(**row) for row in cur.execute(SQL.list_tokens, {"user_id": user_id})]


def account_id(conn: psycopg.Connection, name: str) -> int:
    """The id of the account with this name, or AccountError."""
    missing = AccountError(f"アカウント「{name}」はありません")
    return int(rows.one(conn, SQL.user_id_by_name, {"name": name}, missing=missing)[0])


def revoke_tokens(
    conn: psycopg.Connection, *, user_id: int, token_id: int | None = None, actor: str
) -> list[int]:
    """Revokes one API token of an account (token_id) or all of them (None), audited; returns the ids."""
    with conn.transaction():
        name, _role = _account_name(conn, user_id)
        if token_id is None:
            revoked = [row[0] for row in conn.execute(SQL.delete_tokens, {"user_id": user_id})]
        else:
            params = {"user_id": user_id, "token_id": token_id}
            revoked = [row[0] for row in conn.execute(SQL.delete_token, params)]
            if not revoked:
                raise AccountError(f"アカウント「{name}」にトークン {token_id} はありません")
        if revoked:
            audit.log(conn, audit.account(name), "revoke_token", actor=actor, after={"token_id": revoked})
    return revoked


def issue_token(conn: psycopg.Connection, *, user_id: int, actor: str) -> str:
    """A new API token for an enabled account (shown once; only its hash is stored), audited."""
    token = secrets.token_urlsafe(32)
    with conn.transaction():
        name, _role = _account_name(conn, user_id)
        if conn.execute(SQL.is_disabled, {"id": user_id}).fetchone() == (True,):
            raise AccountError("無効なアカウントにはトークンを発行できません")
        conn.execute(SQL.insert_token, {"token_hash": token_hash(token), "user_id": user_id})
        audit.log(conn, audit.account(name), "issue_token", actor=actor)
    return token


def note_token_use(conn: psycopg.Connection, token: str) -> None:
    """Records that an API token was just used (written at most once a minute per token)."""
    conn.execute(SQL.note_token_use, {"token_hash": token_hash(token)})
