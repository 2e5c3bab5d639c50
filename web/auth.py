"""Who is asking: Bearer tokens for the API; roles enforced on the server for every route."""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from matcher.accounts import User, user_for_token
from web.deps import Conn

_bearer = HTTPBearer(auto_error=False, description="`matcher user create` が出力したトークン")


def api_user(
    conn: Conn, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    """The account behind the Bearer token, or 401."""
    user = user_for_token(conn, credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "有効なトークンが必要です（Authorization: Bearer TOKEN）",
            headers={"WWW-Authenticate": "Bearer"},
        )
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
