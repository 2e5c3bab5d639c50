"""The listing page: what a place is, how to reach it, and how its placements went (counts only).

Also the contact fields as a form shows and reads them, shared by the admin's and the host's forms.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from matcher.accounts.users import Session
from matcher.core.schedule import sort_slots
from matcher.development import host_support
from matcher.development.model import SUPPORT_LABELS
from matcher.registry.contact import CONTACT_FIELDS, CONTACT_LABELS, phone_link
from matcher.registry.model import Resource
from matcher.registry.page import listing_page
from web.deps import Conn
from web.security import page_session
from web.templating import render

router = APIRouter()
ListingReader = Annotated[Session, Depends(page_session("coordinator", "admin", "provider"))]
MAX_CONTACT = 1000  # longer than any contact field allows, so an overlong value is refused, not cut


def contact_values(resource: Resource | None) -> dict[str, str]:
    """The contact fields of a listing as a form shows them ('' for none)."""
    return {name: str(getattr(resource, name, None) or "") for name in CONTACT_FIELDS}


def contact_from_form(form: Any) -> dict[str, str]:
    """The contact fields as typed (kept for showing again; empty means none)."""
    return {name: str(form.get(name, ""))[:MAX_CONTACT] for name in CONTACT_FIELDS}


def contact_changes(values: dict[str, Any]) -> dict[str, str | None]:
    """The contact fields of a form's values as a listing's fields (empty → None)."""
    return {name: values.get(name) or None for name in CONTACT_FIELDS}


def support_context(conn: Conn, session: Session, resource_id: str, **feedback: Any) -> dict[str, Any]:
    """受け入れ先への支援 for coordinators and admins (nothing for anyone else: hosts never see it)."""
    reader = session.user
    if reader.role not in ("coordinator", "admin"):
        return {}
    typed = {"kind": "visit", "given_on": date.today().isoformat(), "amount_yen": "", "note": ""}
    return {
        "support": {
            "summary": host_support.support_summary(conn, resource_id=resource_id, reader=reader),
            "log": host_support.support_log(conn, resource_id=resource_id, reader=reader),
            "developed_from": host_support.developed_from(conn, resource_id=resource_id),
            "typed": typed | feedback.get("typed", {}),
            "errors": feedback.get("errors", {}),
            "flash": feedback.get("flash", ""),
            "kinds": SUPPORT_LABELS,
            "today": date.today().isoformat(),
            "max_note": host_support.MAX_NOTE,
        }
    }


def listing_response(
    request: Request,
    conn: Conn,
    session: Session,
    resource_id: str,
    *,
    support: dict[str, Any] | None = None,
    status: int = 200,
    partial: bool = False,
) -> HTMLResponse:
    """The listing page (or only its support section, for htmx), with the support form's feedback."""
    page = listing_page(conn, session.user, resource_id)
    context = {
        "page": page,
        "resource": page.resource,
        "slots": sort_slots(page.resource.schedule),
        "contact_labels": CONTACT_LABELS,
        "phone_link": phone_link,
        "role": session.user.role,
    } | support_context(conn, session, page.resource.id, **(support or {}))
    name = "development/_host_support.html" if partial else "resources/page.html"
    return render(request, name, context, status_code=status)


@router.get("/resources/{resource_id}", response_class=HTMLResponse)
def resource_page(request: Request, resource_id: str, conn: Conn, session: ListingReader) -> HTMLResponse:
    """社会資源のページ: 内容・連絡先・地図へのリンク・紹介と利用の件数（受け入れ先は自分の掲載だけ）、
    コーディネーターと管理者には受け入れ先への支援の記録."""
    return listing_response(request, conn, session, resource_id)
