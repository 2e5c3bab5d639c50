"""Who is asking: Bearer tokens for the API; roles enforced on the server for every route."""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from matcher.accounts.users import User, note_token_use, user_for_token
from web.deps import Conn


class ErrorOut(BaseModel):
    """A refusal: what was wrong, in Japanese."""

    detail: str = Field(description="理由（日本語）")


class FieldError(BaseModel):
    """One wrong field of the request."""

    loc: list[str | int] = Field(description="場所: body・path・query と項目名")
    msg: str = Field(description="何が違うか")
    type: str = Field(description="誤りの種類")


class InvalidOut(BaseModel):
    """Bad input (422): each wrong field and where it is, or one message when no single field is at fault."""

    detail: list[FieldError] | str


_REFUSALS: dict[int, tuple[type[BaseModel], str]] = {
    401: (ErrorOut, "トークンがない・無効"),
    403: (ErrorOut, "この役割・この利用者には許されていない操作"),
    404: (ErrorOut, "指定したものがない"),
    409: (ErrorOut, "今の状態ではできない（空きがない・順序が違う・すでにある など）"),
    422: (InvalidOut, "入力が正しくない（項目ごとの理由つき）"),
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors a route answers, with their JSON bodies."""
    documented: dict[int | str, dict[str, Any]] = {}
    for code in statuses:
        model, description = _REFUSALS[code]
        documented[code] = {"model": model, "description": description}
    if 401 in statuses:
        documented[401]["headers"] = {
            "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
        }
    return documented


# Every API route may answer these; routers declare them once, routes add 404 and 409 where they apply.
API_REFUSALS = refusals(401, 403, 422)

_bearer = HTTPBearer(auto_error=False, description="`matcher user create` が出力したトークン")
# The Bearer token a request carries, if any (a route that may also be public checks it itself).
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def api_user(conn: Conn, credentials: Credentials) -> User:
    """The account behind the Bearer token, or 401."""
    user = user_for_token(conn, credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "有効なトークンが必要です（Authorization: Bearer TOKEN）",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if credentials:
        note_token_use(conn, credentials.credentials)  # when it was last used; at most one write a minute
    return user


def require_role(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency that admits only these roles (403 for the others)."""

    def check(user: Annotated[User, Depends(api_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "この操作をする権限がありません")
        return user

    return check


Coordinator = Annotated[User, Depends(require_role("coordinator"))]
Provider = Annotated[User, Depends(require_role("provider"))]
ListingReader = Annotated[User, Depends(require_role("coordinator", "admin", "provider"))]


def check_listing_access(user: User, resource_id: str) -> None:
    """A host may touch only its own listings (403, nothing of the listing in the answer)."""
    if user.role == "provider" and not user.owns(resource_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "この社会資源を扱う権限がありません")


def _listing_user(
    resource_id: str, user: Annotated[User, Depends(require_role("coordinator", "admin", "provider"))]
) -> User:
    check_listing_access(user, resource_id)
    return user


def _own_listing_user(resource_id: str, user: Annotated[User, Depends(require_role("provider"))]) -> User:
    check_listing_access(user, resource_id)
    return user


# Checked before the request body is read, so a host gets 403 for another host's listing whatever it sends.
ListingUser = Annotated[User, Depends(_listing_user)]
OwnListingUser = Annotated[User, Depends(_own_listing_user)]
