"""The admin console: imports with progress, accounts, and the audit log."""

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from matcher.accounts import audit
from matcher.accounts.users import (
    ROLES,
    AccountError,
    Session,
    create_user,
    issue_token,
    link_listings,
    list_accounts,
    list_tokens,
    reset_password,
    revoke_tokens,
    set_disabled,
)
from matcher.batch.jobs import KINDS, ImportJobs
from matcher.config import Settings
from matcher.registry.store import count_resources, listing_choices
from matcher.sql import queries
from web.deps import Conn, CurrentSettings
from web.routes.profiles import NotFoundPage
from web.security import page_session
from web.templating import is_htmx, render

router = APIRouter()
AdminSession = Annotated[Session, Depends(page_session("admin"))]
DASHBOARD = queries("dashboard")
JOBS = ImportJobs()


def admin_home(request: Request, conn: Conn, settings: Settings, session: Session) -> HTMLResponse:
    """管理者のはじめの画面."""
    stale = conn.execute(DASHBOARD.stale_listings, {"days": settings.fresh_days, "limit": 20}).fetchall()
    context = {
        "resource_count": count_resources(conn),
        "accounts": list_accounts(conn),
        "jobs": JOBS.recent(conn, 5),
        "stale": stale,
    }
    return render(request, "admin/home.html", context)


@router.get("/admin/imports", response_class=HTMLResponse)
def import_form(
    request: Request, conn: Conn, session: AdminSession, settings: CurrentSettings
) -> HTMLResponse:
    """取り込みの画面."""
    return render(
        request,
        "admin/imports.html",
        {"kinds": KINDS, "jobs": JOBS.recent(conn), "limit_mb": settings.max_upload_bytes // 2**20},
    )


async def read_upload(request: Request, limit: int) -> tuple[dict[str, str], str, bytes] | str:
    """The form fields and the one file, or a Japanese reason it was refused (missing, too large).

    The declared size was already checked before the body was read (web.security.refuse_oversized).
    """
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return "ファイルを選んでください"
        data = await upload.read(limit + 1)
        if len(data) > limit:
            return f"ファイルが大きすぎます（上限 {limit // 2**20} MB）。分けて取り込んでください"
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return fields, upload.filename, data


@router.post("/admin/imports", response_class=HTMLResponse)
async def start_import(
    request: Request, conn: Conn, session: AdminSession, settings: CurrentSettings
) -> Response:
    """ファイルを受け取り、検証・書き込み・ベクトル化を裏で進めます（進み具合は次の画面で）。"""
    received = await read_upload(request, settings.max_upload_bytes)
    kind = ""
    if not isinstance(received, str):
        fields, filename, data = received
        kind = fields.get("kind", "")
        if kind not in KINDS:
            received = "取り込む種類を選んでください"
    if isinstance(received, str):
        context = {
            "kinds": KINDS,
            "jobs": await run_in_threadpool(JOBS.recent, conn),
            "message": received,
            "limit_mb": settings.max_upload_bytes // 2**20,
        }
        return render(
            request, "admin/imports.html", context, status_code=413 if "大きすぎ" in received else 422
        )
    job = await run_in_threadpool(
        JOBS.start,
        request.app.state.pool,
        settings,
        kind=kind,
        data=data,
        filename=filename,
        actor=session.user.name,
        city=fields.get("city", "").strip() or None,
    )
    if is_htmx(request):
        return render(request, "admin/_job.html", {"job": job})
    return RedirectResponse(f"/admin/imports/{job.id}", status_code=303)


@router.get("/admin/imports/{job_id}", response_class=HTMLResponse)
def import_progress(request: Request, conn: Conn, job_id: str, session: AdminSession) -> HTMLResponse:
    """取り込みの進み具合（htmx が1秒ごとに読み直します）と、誤りの一覧."""
    job = JOBS.get(conn, job_id)
    if job is None:
        raise NotFoundPage("この取り込みはありません")
    template = "admin/_job.html" if is_htmx(request) else "admin/job.html"
    return render(request, template, {"job": job})


def split_ids(value: str) -> list[str]:
    """Listing ids typed as 'r01, r02' (or with Japanese commas or spaces)."""
    return [p for p in value.replace("、", ",").replace(" ", ",").split(",") if p.strip()]


def chosen_listings(typed: str, checked: list[str]) -> list[str]:
    """The listings chosen by name (checkboxes), and any typed as ids (scripts), each once."""
    return list(dict.fromkeys([*checked, *split_ids(typed)]))


# A host account's listings are chosen by name: checkboxes named resource_id, grouped by area.
ChosenListings = Annotated[list[str], Form()]


def _accounts(request: Request, conn: Conn, status: int = 200, **extra: Any) -> HTMLResponse:
    tokens: dict[int, list[Any]] = {}
    for token in list_tokens(conn):
        tokens.setdefault(token.user_id, []).append(token)
    choices = listing_choices(conn)
    context = {
        "accounts": list_accounts(conn),
        "tokens": tokens,
        "roles": ROLES,
        "values": {"resource_ids": []},
        "listings": choices,
        "listing_by_id": {row["id"]: row for row in choices},
    } | extra
    return render(request, "admin/users.html", context, status_code=status)


@router.get("/admin/users", response_class=HTMLResponse)
def accounts_page(request: Request, conn: Conn, session: AdminSession) -> HTMLResponse:
    """アカウントの一覧と作成."""
    return _accounts(request, conn)


@router.post("/admin/users", response_class=HTMLResponse)
def create_account(
    request: Request,
    conn: Conn,
    session: AdminSession,
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    resource_ids: Annotated[str, Form(max_length=2000)] = "",
    resource_id: ChosenListings = [],  # noqa: B006 (FastAPI copies the default)
) -> Response:
    """アカウントを作ります（受け入れ先は担当の社会資源を名称で選んで結びつけます）。"""
    chosen = chosen_listings(resource_ids, resource_id)
    values = {"name": name, "role": role, "resource_ids": chosen}
    try:
        user, _token = create_user(
            conn,
            name=name.strip(),
            role=role,
            password=password,
            resource_ids=chosen,
            actor=session.user.name,
        )
    except AccountError as exc:
        return _accounts(request, conn, 422, message=str(exc), values=values)
    return RedirectResponse(f"/admin/users?{urlencode({'created': user.name})}", status_code=303)


@router.get("/admin/users/{user_id}/listings", response_class=HTMLResponse)
def listings_of_account(
    request: Request, user_id: int, conn: Conn, session: AdminSession, q: str = ""
) -> HTMLResponse:
    """受け入れ先のアカウントに結びつける社会資源を、名称で選ぶ画面（名称・地区・コード・所在地で絞り込み）."""
    account = next((a for a in list_accounts(conn) if a.id == user_id and a.role == "provider"), None)
    if account is None:
        raise NotFoundPage("この受け入れ先のアカウントはありません")
    wanted = q.strip()[:100]
    linked = set(account.resource_ids)
    shown = [
        row
        for row in listing_choices(conn)
        if row["id"] in linked
        or not wanted
        or any(wanted in str(row[key] or "") for key in ("name", "area", "id", "address"))
    ]
    context = {"account": account, "listings": shown, "linked": linked, "q": wanted}
    return render(request, "admin/listing_picker.html", context)


@router.post("/admin/users/{user_id}/{change}", response_class=HTMLResponse)
def change_account(
    request: Request,
    user_id: int,
    change: str,
    conn: Conn,
    session: AdminSession,
    password: Annotated[str, Form(max_length=200)] = "",
    resource_ids: Annotated[str, Form(max_length=2000)] = "",
    resource_id: ChosenListings = [],  # noqa: B006 (FastAPI copies the default)
    token_id: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """無効化・有効化・パスワード再設定・担当の社会資源の結びつけ・API トークンの発行と取り消し.

    Disabling and a new password end every session and API token of the account."""
    try:
        if change in ("disable", "enable"):
            if user_id == session.user.id and change == "disable":
                raise AccountError("自分自身は無効にできません")
            set_disabled(conn, user_id=user_id, disabled=change == "disable", actor=session.user.name)
        elif change == "password":
            reset_password(conn, user_id=user_id, password=password, actor=session.user.name)
        elif change == "listings":
            link_listings(
                conn,
                user_id=user_id,
                resource_ids=chosen_listings(resource_ids, resource_id),
                actor=session.user.name,
            )
        elif change == "revoke-token":
            if token_id is None:
                raise AccountError("取り消すトークンを選んでください")
            revoke_tokens(conn, user_id=user_id, token_id=token_id, actor=session.user.name)
        elif change == "revoke-tokens":
            revoke_tokens(conn, user_id=user_id, actor=session.user.name)
        elif change == "token":
            token = issue_token(conn, user_id=user_id, actor=session.user.name)
            # Shown once, in this answer only (never in a URL); only its hash is stored.
            return _accounts(request, conn, new_token=token, new_token_user=user_id)
        else:
            raise NotFoundPage("この操作はありません")
    except AccountError as exc:
        return _accounts(request, conn, 422, message=str(exc))
    return RedirectResponse("/admin/users?changed=1", status_code=303)


def _filter(
    actor: str = "",
    profile_id: str = "",
    resource_id: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> audit.AuditFilter:
    """The audit log's filter from the query string (overlong or malformed values just match nothing)."""

    def day(value: str) -> date | None:
        try:
            return date.fromisoformat(value[:10]) if value else None
        except ValueError:
            return None

    return audit.AuditFilter(
        actor[:100] or None,
        profile_id[:64] or None,
        resource_id[:64] or None,
        action[:40] or None,
        day(since),
        day(until),
    )


AuditQuery = Annotated[audit.AuditFilter, Depends(_filter)]


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, conn: Conn, session: AdminSession, wanted: AuditQuery) -> HTMLResponse:
    """監査ログ: 人・プロファイル・社会資源・操作・日付で絞り込み."""
    role = session.user.role
    rows = [audit.view(row, role) for row in audit.search(conn, wanted, limit=500)]
    context = {
        "rows": rows,
        "wanted": wanted,
        "actions": audit.actions(conn),
        "action_labels": audit.ACTION_LABELS,
        "query": request.url.query,
    }
    return render(request, "admin/audit.html", context)


@router.get("/admin/audit.csv")
def audit_csv(conn: Conn, session: AdminSession, wanted: AuditQuery) -> Response:
    """監査ログを CSV で書き出します（絞り込み条件そのまま）。"""
    body = audit.to_csv(audit.search(conn, wanted, limit=100_000), role=session.user.role)
    headers = {"Content-Disposition": f'attachment; filename="audit-{date.today():%Y%m%d}.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
