"""Coordinator pages: the profile list, the profile form, and the profile page."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher import embedding
from matcher.config import Settings
from matcher.core.areas import all_areas
from matcher.core.schedule import DAY_ORDER
from matcher.core.vocabulary import Consent
from matcher.matching.propose import propose
from matcher.matching.relax import NearlySection, nearly_feasible
from matcher.placements.referrals import live_referrals, withdraw_from_hosts
from matcher.placements.workspace import Feedback, build_workspace
from matcher.profiles.model import NeedsProfile
from matcher.profiles.service import ProfileExists, create_profile, set_consent, update_profile
from matcher.profiles.store import (
    PROFILE_SORTS,
    coordinators,
    find_profiles,
    get_profile,
    iter_profiles,
    profile_areas,
)
from web.deps import Conn, CurrentSettings, FormFields
from web.forms import other_page_query, parse_profile, profile_search, profile_values
from web.security import CoordinatorSession
from web.templating import is_htmx, render

router = APIRouter()
AGE_BANDS = [f"{low}-{low + 4}" for low in range(15, 100, 5)]
NEW_PROFILE: dict[str, Any] = {
    "consent": "none",
    "status": "open",
    "reward_preference": "any",
    "stage": "1",
    "max_travel_km": "3",
    "contact_tolerance": "1",
    "physical_capacity": "1",
    "facts": [],
    "needs_accommodations": [],
}


class NotFoundPage(Exception):
    """A page for something that does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def profile_or_404(conn: Conn, profile_id: str) -> NeedsProfile:
    """The profile, or a 404 page."""
    profile = get_profile(conn, profile_id=profile_id)
    if profile is None:
        raise NotFoundPage(f"ニーズプロファイル「{profile_id}」はありません")
    return profile


def form_values(profile: NeedsProfile | None) -> dict[str, Any]:
    """The form's fields for an existing profile, or the defaults for a new one."""
    if profile is None:
        return NEW_PROFILE | {f"avail_{d}_{p}": "" for d in DAY_ORDER for p in ("start", "end")}
    values: dict[str, Any] = {
        k: ("" if v is None else str(v)) for k, v in profile.model_dump(mode="json").items()
    }
    values["facts"] = [str(f) for f in profile.facts]
    values["needs_accommodations"] = [str(a) for a in profile.needs_accommodations]
    for day in DAY_ORDER:
        slot = next((s for s in profile.availability if s.day == day), None)
        values[f"avail_{day}_start"] = slot.start if slot else ""
        values[f"avail_{day}_end"] = slot.end if slot else ""
    return values


def _form_page(
    request: Request,
    conn: Conn,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    editing: bool,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors,
        "editing": editing,
        "areas": all_areas(conn),
        "bands": AGE_BANDS,
        "days": DAY_ORDER,
    }
    return render(request, "profiles/form.html", context, status_code=status)


@router.get("/profiles", response_class=HTMLResponse)
def profile_list(request: Request, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """ニーズプロファイルの一覧: 検索・絞り込み（圏域・状態・担当）・並べ替え・ページ.

    The search form is a GET form, so every search is a URL; htmx asks for the results table only."""
    search = profile_search(request.query_params, me=session.user.id)
    rows, total = find_profiles(conn, search)
    context = {
        "search": search,
        "coordinator": request.query_params.get("coordinator", ""),
        "profiles": rows,
        "total": total,
        "pages": max(1, -(-total // search.size)),
        "page_query": other_page_query(request.query_params),
        "areas": profile_areas(conn),
        "coordinators": coordinators(conn),
        "sorts": PROFILE_SORTS,
    }
    results_only = is_htmx(request) and not request.headers.get("hx-history-restore-request")
    return render(request, "profiles/_rows.html" if results_only else "profiles/list.html", context)


@router.get("/profiles/new", response_class=HTMLResponse)
def new_profile(request: Request, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """新しいニーズプロファイルの入力画面."""
    values = form_values(None) | {"id": f"P{date.today():%Y%m%d}-{len(list(iter_profiles(conn))) + 1:03d}"}
    return _form_page(request, conn, values, {}, editing=False)


@router.post("/profiles/new", response_class=HTMLResponse)
def create(
    request: Request, conn: Conn, settings: CurrentSettings, session: CoordinatorSession, form: FormFields
) -> Response:
    """入力を検証して登録します。誤りは欄の横に表示し、入力は残します。"""
    values = profile_values(form)
    profile, errors = parse_profile(values, all_areas(conn))
    if profile is None:
        return _form_page(request, conn, values, errors, editing=False, status=422)
    try:
        create_profile(conn, profile, actor=session.user.name)
    except ProfileExists as exc:
        return _form_page(request, conn, values, {"id": [str(exc)]}, editing=False, status=409)
    _embed(conn, settings, profile.id)
    return RedirectResponse(f"/profiles/{profile.id}", status_code=303)


@router.get("/profiles/{profile_id}/edit", response_class=HTMLResponse)
def edit_profile(request: Request, profile_id: str, conn: Conn, session: CoordinatorSession) -> HTMLResponse:
    """ニーズプロファイルの編集画面."""
    return _form_page(request, conn, form_values(profile_or_404(conn, profile_id)), {}, editing=True)


@router.post("/profiles/{profile_id}/edit", response_class=HTMLResponse)
def update(
    request: Request,
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    form: FormFields,
) -> Response:
    """変更を検証して保存します。"""
    profile_or_404(conn, profile_id)
    values = profile_values(form) | {"id": profile_id}
    profile, errors = parse_profile(values, all_areas(conn))
    if profile is None:
        return _form_page(request, conn, values, errors, editing=True, status=422)
    update_profile(conn, profile, actor=session.user.name)
    _embed(conn, settings, profile.id)
    return RedirectResponse(f"/profiles/{profile.id}", status_code=303)


def _embed(conn: Conn, settings: Settings, profile_id: str) -> None:
    embedding.sync_one(conn, embedding.EmbeddingSpec.from_settings(settings), "profile", profile_id)


def workspace_context(
    conn: Conn, settings: Settings, profile: NeedsProfile, feedback: Feedback | None = None, **kwargs: bool
) -> dict[str, Any]:
    """The template context of the profile workspace (placements.workspace builds it)."""
    return build_workspace(conn, settings, profile, feedback=feedback, **kwargs).context()


@router.get("/profiles/{profile_id}", response_class=HTMLResponse)
def profile_page(
    request: Request,
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    every_proposal: Annotated[bool, Query(alias="all")] = False,
    excluded: bool = False,
    nearly: bool = False,
    withdraw: Consent | None = None,
    on: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """ニーズプロファイル: 提案（既存事業・参加支援）、除外、つなぎ先とフォローアップ.

    ?all=1: every proposal, not only the best of each tier. ?excluded=1: every listing that is not
    proposed, with every reason (the page's disclosure loads it when opened).
    """
    profile = profile_or_404(conn, profile_id)
    if excluded:
        result = propose(conn, settings, profile_id=profile.id, top=0, profile=profile)
        template = "profiles/_excluded.html" if is_htmx(request) else "profiles/excluded.html"
        return render(request, template, {"profile": profile, "excluded": result.excluded})
    if nearly:
        section = NearlySection(nearly_feasible(conn, settings, profile), True)
        template = "profiles/_nearly_list.html" if is_htmx(request) else "profiles/nearly.html"
        return render(request, template, {"profile": profile, "nearly": section})
    template = "profiles/_workspace.html" if is_htmx(request) else "profiles/page.html"
    context = workspace_context(conn, settings, profile, every_proposal=every_proposal)
    if withdraw is not None:  # asked to confirm withdrawing consent while referrals are live
        context |= {
            "withdraw": withdraw,
            "withdraw_on": on,
            "live_referrals": live_referrals(conn, profile.id),
        }
    return render(request, template, context)


@router.post("/profiles/{profile_id}/consent")
def change_consent(
    profile_id: str,
    conn: Conn,
    settings: CurrentSettings,
    session: CoordinatorSession,
    consent: Annotated[Consent, Form()],
    consent_date: Annotated[date | None, Form()] = None,
    confirm_withdraw: Annotated[bool, Form()] = False,
) -> Response:
    """本人同意の範囲と日付を記録します。紹介中の方の同意を撤回するときは、先に確認を求めます（撤回すると
    受け入れ先には「同意が撤回されました」とだけ表示され、メールで知らされます）。"""
    profile = profile_or_404(conn, profile_id)
    withdrawing = profile.consent == Consent.full and consent != Consent.full
    if withdrawing and live_referrals(conn, profile_id) and not confirm_withdraw:
        when_text = consent_date.isoformat() if consent_date else ""
        return RedirectResponse(
            f"/profiles/{profile_id}?withdraw={consent}&on={when_text}#consent", status_code=303
        )
    when = consent_date or date.today()
    set_consent(conn, profile_id=profile_id, consent=consent, consent_date=when, actor=session.user.name)
    if withdrawing:
        withdraw_from_hosts(conn, settings, profile_id=profile_id, actor=session.user.name)
    return RedirectResponse(f"/profiles/{profile_id}#consent", status_code=303)
