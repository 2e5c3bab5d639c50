"""JSON API: listings and needs profiles (read and replace), as interfaces.md documents them."""

from fastapi import APIRouter, HTTPException, status

from matcher import embedding
from matcher.profiles.model import NeedsProfile
from matcher.profiles.service import ProfileExists, create_profile, update_profile
from matcher.profiles.store import get_profile
from matcher.registry.model import Resource
from matcher.registry.service import replace_resource
from matcher.registry.store import get_resource
from web.auth import Coordinator, ListingReader, check_listing_access
from web.deps import Conn, CurrentSettings

router = APIRouter(prefix="/api", tags=["records"])


def _same_id(path_id: str, body_id: str) -> None:
    if path_id != body_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "id"],
                    "msg": f"本文の id「{body_id}」が URL の「{path_id}」と違います",
                    "type": "value_error",
                }
            ],
        )


@router.get("/resources/{resource_id}", response_model=Resource)
def read_resource(resource_id: str, conn: Conn, user: ListingReader) -> Resource:
    """社会資源を1件読みます（受け入れ先は自分の掲載だけ）。"""
    check_listing_access(user, resource_id)
    resource = get_resource(conn, resource_id=resource_id)
    if resource is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"社会資源「{resource_id}」はありません")
    return resource


@router.put("/resources/{resource_id}", response_model=Resource)
def put_resource(
    resource_id: str, body: Resource, conn: Conn, settings: CurrentSettings, user: ListingReader
) -> Resource:
    """社会資源を置き換えます（受け入れ先は自分の掲載だけ）。変わった文章は埋め込み直します。"""
    check_listing_access(user, resource_id)
    _same_id(resource_id, body.id)
    if replace_resource(conn, body, actor=user.name) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"社会資源「{resource_id}」はありません")
    embedding.sync_one(conn, embedding.EmbeddingSpec.from_settings(settings), "resource", resource_id)
    return body


@router.post("/profiles", response_model=NeedsProfile, status_code=201)
def post_profile(
    body: NeedsProfile, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> NeedsProfile:
    """ニーズプロファイルを登録します（個人情報チェックあり）。"""
    try:
        create_profile(conn, body, actor=user.name)
    except ProfileExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    embedding.sync_one(conn, embedding.EmbeddingSpec.from_settings(settings), "profile", body.id)
    return body


@router.get("/profiles/{profile_id}", response_model=NeedsProfile)
def read_profile(profile_id: str, conn: Conn, user: Coordinator) -> NeedsProfile:
    """ニーズプロファイルを1件読みます。"""
    profile = get_profile(conn, profile_id=profile_id)
    if profile is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"ニーズプロファイル「{profile_id}」はありません")
    return profile


@router.put("/profiles/{profile_id}", response_model=NeedsProfile)
def put_profile(
    profile_id: str, body: NeedsProfile, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> NeedsProfile:
    """ニーズプロファイルを置き換えます（個人情報チェックあり）。"""
    _same_id(profile_id, body.id)
    if update_profile(conn, body, actor=user.name) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"ニーズプロファイル「{profile_id}」はありません")
    embedding.sync_one(conn, embedding.EmbeddingSpec.from_settings(settings), "profile", profile_id)
    return body
