"""JSON API: listings and needs profiles (read and replace), as interfaces.md documents them."""

from fastapi import APIRouter, HTTPException, status

from matcher import embedding
from matcher.accounts import User
from matcher.profiles.model import NeedsProfile
from matcher.profiles.service import ProfileExists, create_profile, update_profile
from matcher.profiles.store import get_profile
from matcher.registry.host import HOST_FIELDS, assure_listing, edit_listing, own_listing
from matcher.registry.model import Resource
from matcher.registry.service import replace_resource
from matcher.registry.store import get_resource
from web.auth import API_REFUSALS, Coordinator, ListingUser, OwnListingUser, refusals
from web.deps import Conn, CurrentSettings

router = APIRouter(prefix="/api", tags=["records"], responses=API_REFUSALS)


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


@router.get("/resources/{resource_id}", response_model=Resource, responses=refusals(404))
def read_resource(resource_id: str, conn: Conn, user: ListingUser) -> Resource:
    """社会資源を1件読みます（受け入れ先は自分の掲載だけ）。"""
    resource = get_resource(conn, resource_id=resource_id)
    if resource is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"社会資源「{resource_id}」はありません")
    return resource


@router.put("/resources/{resource_id}", response_model=Resource, responses=refusals(404))
def put_resource(
    resource_id: str, body: Resource, conn: Conn, settings: CurrentSettings, user: ListingUser
) -> Resource:
    """社会資源を置き換えます（受け入れ先は自分の掲載だけ）。変わった文章は埋め込み直します。"""
    _same_id(resource_id, body.id)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    if user.role == "provider":
        return _host_put(conn, user, resource_id, body, spec)
    if replace_resource(conn, body, actor=user.name) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"社会資源「{resource_id}」はありません")
    embedding.sync_one(conn, spec, "resource", resource_id)
    return body


def _host_put(
    conn: Conn, user: User, resource_id: str, body: Resource, spec: embedding.EmbeddingSpec
) -> Resource:
    """A host replaces its listing, changing only what hosts keep (capacity, schedule, text, trial, pause)."""
    current = own_listing(conn, user, resource_id)
    wanted, now = body.model_dump(), current.model_dump()
    locked = [name for name in wanted if name not in HOST_FIELDS and wanted[name] != now[name]]
    if body.status == "closed" and current.status != "closed":
        locked.append("status")
    if locked:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {"loc": ["body", name], "msg": "受け入れ先は変更できない項目です", "type": "value_error"}
                for name in locked
            ],
        )
    return edit_listing(conn, user, resource_id, {k: wanted[k] for k in HOST_FIELDS}, spec)


@router.post("/resources/{resource_id}/assure", response_model=Resource)
def assure(resource_id: str, conn: Conn, user: OwnListingUser) -> Resource:
    """「内容を確認しました」: 確認日を今日にします（受け入れ先が自分の掲載に）。"""
    return assure_listing(conn, user, resource_id)


@router.post("/profiles", response_model=NeedsProfile, status_code=201, responses=refusals(409))
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


@router.get("/profiles/{profile_id}", response_model=NeedsProfile, responses=refusals(404))
def read_profile(profile_id: str, conn: Conn, user: Coordinator) -> NeedsProfile:
    """ニーズプロファイルを1件読みます。"""
    profile = get_profile(conn, profile_id=profile_id)
    if profile is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"ニーズプロファイル「{profile_id}」はありません")
    return profile


@router.put("/profiles/{profile_id}", response_model=NeedsProfile, responses=refusals(404))
def put_profile(
    profile_id: str, body: NeedsProfile, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> NeedsProfile:
    """ニーズプロファイルを置き換えます（個人情報チェックあり）。"""
    _same_id(profile_id, body.id)
    if update_profile(conn, body, actor=user.name) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"ニーズプロファイル「{profile_id}」はありません")
    embedding.sync_one(conn, embedding.EmbeddingSpec.from_settings(settings), "profile", profile_id)
    return body
