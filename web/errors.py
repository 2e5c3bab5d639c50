"""The one mapping of the domain's refusals (matcher/errors.py) to HTTP statuses and page titles."""

from matcher.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound

DOMAIN_STATUSES: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "見つかりません"),
    Conflict: (409, "操作できません"),
    NotAllowed: (403, "権限がありません"),
    Invalid: (422, "入力が正しくありません"),
    DomainError: (422, "操作できません"),
}


def status_and_title(exc: DomainError) -> tuple[int, str]:
    """The HTTP status and page title for a refusal (the most specific class wins: the table's order)."""
    return next(found for kind, found in DOMAIN_STATUSES.items() if isinstance(exc, kind))


def status_of(exc: DomainError) -> int:
    """The HTTP status for a refusal shown in place on a page (a form answered with its message)."""
    return status_and_title(exc)[0]
