"""What a page's form post answers: after the change, a redirect; on a refusal, the page again with the
message beside its field and what was typed kept. A form in a section of a page that htmx swaps answers
htmx with that section alone."""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matcher.errors import DomainError, Invalid
from web.errors import status_of
from web.forms import form_date
from web.templating import is_htmx


def changed_or_refused(
    change: Callable[[], object],
    *,
    then: str,
    again: Callable[..., HTMLResponse],
    typed: Mapping[str, Any],
    refusals: tuple[type[DomainError], ...] = (Invalid,),
    fields: Mapping[str, str] | None = None,
) -> Response:
    """Makes the change and goes to `then`; a refusal is shown by `again(typed=, errors=, status=)` beside
    its field (the domain's field name, or its form name in `fields`; "form" when it names none)."""
    try:
        change()
    except refusals as exc:
        field = exc.field or "form"
        errors = {(fields or {}).get(field, field): exc.message}
        return again(typed=typed, errors=errors, status=status_of(exc))
    return RedirectResponse(then, status_code=303)


def section_changed_or_refused(
    request: Request,
    change: Callable[[], object],
    *,
    typed: Mapping[str, str],
    field: str,
    flash: str,
    then: str,
    page: Callable[[dict[str, Any]], Response],
    section: Callable[[dict[str, Any]], Response],
) -> Response:
    """Makes the change a form in one section of a page asks for. htmx gets `section(feedback)`: `flash`
    saying it was done, or an Invalid's message beside its field (`field` when it names none) with what
    was typed. Without htmx: a redirect to `then`, or the whole page again, `page(feedback)` (a 422)."""
    try:
        change()
    except Invalid as exc:
        feedback: dict[str, Any] = {"typed": typed, "errors": {exc.field or field: exc.message}}
        if not is_htmx(request):
            return page(feedback)
    else:
        if not is_htmx(request):
            return RedirectResponse(then, status_code=303)
        feedback = {"flash": flash}
    return section(feedback)


def note_added(
    request: Request,
    add: Callable[[date], object],
    *,
    written_on: str,
    body: str,
    then: str,
    page: Callable[[dict[str, Any]], Response],
    section: Callable[[dict[str, Any]], Response],
) -> Response:
    """A dated note (支援経過記録, a 開拓候補's note) written from its section: dated today when the form
    gives no date; a refusal is shown beside the text, with what was typed kept."""
    return section_changed_or_refused(
        request,
        lambda: add(form_date(written_on, "written_on") or date.today()),
        typed={"written_on": written_on, "body": body},
        field="body",
        flash="記録しました",
        then=then,
        page=page,
        section=section,
    )
