"""The Jinja2 environment (autoescaping on), the domain's Japanese labels as filters, and render()."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matcher.accounts.users import ROLE_LABELS
from matcher.core import vocabulary
from matcher.core.vocabulary import LABELS
from matcher.matching.scoring import PART_LABELS, fit_label
from matcher.placements.model import ACTION_LABELS, CHOSEN_END_REASONS, END_REASONS, STATUS_LABELS

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.autoescape = True


def _label(value: Any, enum: str) -> str:
    return vocabulary.label(value, getattr(vocabulary, enum))


def _when(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


# The menu of each role: href and text (an organiser's shared pages after each one's own).
ORGANISER_MENU = (
    ("/resources", "社会資源"),
    ("/meetings", "会議"),
    ("/development", "開拓"),
    ("/reports/kpi", "実績"),
)
MENUS = {
    "coordinator": (("/", "ダッシュボード"), ("/profiles", "ニーズプロファイル"), *ORGANISER_MENU),
    "admin": (
        ("/", "管理"),
        ("/admin/imports", "取り込み"),
        ("/admin/users", "アカウント"),
        ("/admin/audit", "監査ログ"),
        ("/admin/batch", "週次処理"),
        ("/admin/gaps", "不足の集計"),
        *ORGANISER_MENU,
    ),
    "provider": (("/", "受け入れ先のページ"),),
    "member": (("/", "会議"),),
}

templates.env.filters["label"] = _label
templates.env.filters["when"] = _when
templates.env.filters["fit_label"] = fit_label
templates.env.globals.update(
    LABELS={enum.__name__: labels for enum, labels in LABELS.items()},
    STAGES=vocabulary.STAGES,
    CONTACT_LEVELS=vocabulary.CONTACT_LEVELS,
    PHYSICAL_LOADS=vocabulary.PHYSICAL_LOADS,
    STATUS_LABELS=STATUS_LABELS,
    END_REASONS=END_REASONS,
    CHOSEN_END_REASONS=CHOSEN_END_REASONS,
    ACTION_LABELS=ACTION_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    PART_LABELS=PART_LABELS,
    MENUS=MENUS,
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A page or partial, with the signed-in session (for the menu and the CSRF token)."""
    values = {"session": getattr(request.state, "session", None)} | (context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def is_htmx(request: Request) -> bool:
    """True when htmx asked for a partial."""
    return request.headers.get("hx-request") == "true"
