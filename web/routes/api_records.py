"""JSON API: listings and needs profiles (read and replace), as interfaces.md documents them."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response, status

from matcher import embedding
from matcher.accounts.users import User
from matcher.profiles.model import NeedsProfile
from matcher.profiles.service import create_profile, update_profile
from matcher.profiles.store import get_profile
from matcher.registry.host import HOST_FIELDS, assure_listing, edit_listing, own_listing
from matcher.registry.model import Resource
from matcher.registry.service import ListingRefused, StaleListing, update_resource
from matcher.registry.store import get_versioned
from web.auth import API_REFUSALS, Coordinator, ErrorOut, ListingUser, OwnListingUser, refusals
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


def etag(version: int) -> str:
    """The ETag of a listing at a version."""
    return f'"{version}"'


def if_match_versions(if_match: str | None) -> set[int] | None:
    """The versions an If-Match header names; None when there is none or it is `*` (any version).

    A tag that is not one of ours matches nothing (the write is refused as stale)."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return None
    versions = set()
    for tag in if_match.split(","):
        value = tag.strip().removeprefix("W/").strip('"')
        if value.isascii() and value.isdigit() and len(value) < 19:
            versions.add(int(value))
    return versions


IF_MATCH = Header(
    alias="If-Match",
    max_length=1000,
    description=(
        "GET が返した ETag。付けると、その後に掲載が変わっていたら 409 で何も変えません（推奨）。"
        "付けなくても動きますが、そのときは受け入れ可能数が「定員 − 確定済み」を超えないよう抑えられ、"
        "定員が未設定の掲載で受け入れ可能数を増やすことはできません（428）"
    ),
)
PUT_REFUSALS = refusals(404, 409) | {
    428: {
        "model": ErrorOut,
        "description": "If-Match が必要な変更（定員が未設定の掲載で受け入れ可能数を増やす）",
    }
}


@router.get("/resources/{resource_id}", response_model=Resource, responses=refusals(404))
def read_resource(resource_id: str, response: Response, conn: Conn, user: ListingUser) -> Resource:
    """社会資源を1件読みます（受け入れ先は自分の掲載だけ）。ETag ヘッダーが版を示します。"""
    found = get_versioned(conn, resource_id=resource_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"社会資源「{resource_id}」はありません")
    response.headers["ETag"] = etag(found[1])
    return found[0]


@router.put("/resources/{resource_id}", response_model=Resource, responses=PUT_REFUSALS)
def put_resource(
    resource_id: str,
    body: Resource,
    response: Response,
    conn: Conn,
    settings: CurrentSettings,
    user: ListingUser,
    if_match: Annotated[str | None, IF_MATCH] = None,
) -> Resource:
    """社会資源を置き換えます（受け入れ先は自分の掲載だけ）。変わった文章は埋め込み直します。

    If-Match（GET の ETag）を付けると、読んだ後に変わった掲載（確定で空きが減ったなど）は 409 で
    何も変えません。付けない場合も、確定済みの人数分の空きが戻ることはありません。"""
    _same_id(resource_id, body.id)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    versions = if_match_versions(if_match)
    try:
        if user.role == "provider":
            stored, version = _host_put(conn, user, resource_id, body, spec, versions)
        else:
            done = update_resource(conn, resource_id, lambda _: body, actor=user.name, versions=versions)
            if done is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"社会資源「{resource_id}」はありません")
            stored, version = done
            embedding.sync_one(conn, spec, "resource", resource_id)
    except StaleListing as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc), {"ETag": etag(exc.version)}) from exc
    except ListingRefused as exc:
        if exc.status != 422:
            raise HTTPException(exc.status, exc.message) from exc
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}],
        ) from exc
    response.headers["ETag"] = etag(version)
    return stored


def _host_put(
    conn: Conn,
    user: User,
    resource_id: str,
    body: Resource,
    spec: embedding.EmbeddingSpec,
    versions: set[int] | None,
) -> tuple[Resource, int]:
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
    return edit_listing(conn, user, resource_id, {k: wanted[k] for k in HOST_FIELDS}, spec, versions=versions)


@router.post("/resources/{resource_id}/assure", response_model=Resource)
def assure(resource_id: str, conn: Conn, user: OwnListingUser) -> Resource:
    """「内容を確認しました」: 確認日を今日にします（受け入れ先が自分の掲載に）。"""
    return assure_listing(conn, user, resource_id)


@router.post("/profiles", response_model=NeedsProfile, status_code=201, responses=refusals(409))
def post_profile(
    body: NeedsProfile, conn: Conn, settings: CurrentSettings, user: Coordinator
) -> NeedsProfile:
    """ニーズプロファイルを登録します（個人情報チェックあり）。"""
    create_profile(conn, body, actor=user.name)
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
