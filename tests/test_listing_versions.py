"""A host's stale save never undoes a reservation: every listing write carries a version (ETag / If-Match
on the API, a hidden field in the host form), a stale one is refused with nothing changed, and a write
without one cannot give back a place a confirmation took. A listing the municipality closed stays closed."""

import re

import psycopg
from fastapi.testclient import TestClient

from matcher.config import Settings
from matcher.placements.service import confirm
from tests.web import conftest as web
from tests.web.conftest import WebUser, api_token
from tests.web.test_host_portal import LISTING_FORM

app, host, api_client = web.app, web.host, web.api_client  # the web tests' fixtures, used here too

STALE = "読み込んだ後に変更されています"


def places(conn: psycopg.Connection, resource_id: str = "r02") -> tuple:
    return conn.execute(
        "select capacity_total, capacity_open, status, description from resource where id = %s", [resource_id]
    ).fetchone()


def take_a_place(conn: psycopg.Connection, settings: Settings) -> None:
    """A coordinator confirms p02 at r02, which takes one of its open places."""
    conn.execute("update needs_profile set consent = 'full' where id = 'p02'")
    confirm(conn, settings, profile_id="p02", resource_id="r02", actor="c")
    conn.commit()


def set_places(
    conn: psycopg.Connection, total: int | None, open_: int | None, resource_id: str = "r02"
) -> None:
    conn.execute(
        "update resource set capacity_total = %s, capacity_open = %s where id = %s",
        [total, open_, resource_id],
    )
    conn.commit()


def form_of(page: str) -> dict[str, str]:
    """The hidden fields of the listing form as the browser would send them back."""
    return {
        name: value
        for name, value in re.findall(r'name="(version|capacity_open_seen)" value="([^"]*)"', page)
    }


# --- the API --------------------------------------------------------------------------------------


def test_a_stale_put_without_if_match_does_not_give_back_a_reserved_place(
    api_client: TestClient, seeded_cli, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    host = api_token(seeded_cli, "provider", "h1", "r02")
    set_places(seeded_conn, 4, 4)
    listing = api_client.get("/api/resources/r02", headers=host).json()
    take_a_place(seeded_conn, seeded_settings)
    assert places(seeded_conn)[:2] == (4, 3)
    response = api_client.put(
        "/api/resources/r02", headers=host, json=listing | {"description": "午後は静かに本の整理をします。"}
    )
    assert response.status_code == 200, response.text
    assert places(seeded_conn)[:2] == (4, 3)  # the place the confirmation took stays taken
    assert response.json()["capacity_open"] == 3
    # a host that lowers its 定員 without a version: the open count follows, the reserved place stays
    lowered = api_client.put(
        "/api/resources/r02", headers=host, json=listing | {"capacity_total": 3, "capacity_open": 3}
    )
    assert lowered.status_code == 200 and places(seeded_conn)[:2] == (3, 2)


def test_a_stale_if_match_gets_409_in_japanese_and_nothing_changes(
    api_client: TestClient, seeded_cli, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    host = api_token(seeded_cli, "provider", "h1", "r02")
    coordinator = api_token(seeded_cli, "coordinator", "c1")
    set_places(seeded_conn, 4, 4)
    read = api_client.get("/api/resources/r02", headers=host)
    etag = read.headers["ETag"]
    assert re.fullmatch(r'"\d+"', etag)
    take_a_place(seeded_conn, seeded_settings)
    before = places(seeded_conn)
    stale = api_client.put(
        "/api/resources/r02",
        headers=host | {"If-Match": etag},
        json=read.json() | {"description": "書き換え"},
    )
    assert stale.status_code == 409 and STALE in stale.json()["detail"]
    assert stale.headers["ETag"] != etag
    assert places(seeded_conn) == before
    for who in (coordinator,):  # the municipality's own writes are versioned the same way
        refused = api_client.put("/api/resources/r02", headers=who | {"If-Match": etag}, json=read.json())
        assert refused.status_code == 409 and places(seeded_conn) == before
    fresh = api_client.get("/api/resources/r02", headers=host)
    assert fresh.headers["ETag"] != etag and fresh.json()["capacity_open"] == 3
    saved = api_client.put(
        "/api/resources/r02",
        headers=host | {"If-Match": fresh.headers["ETag"]},
        json=fresh.json() | {"description": "書き換え"},
    )
    assert saved.status_code == 200 and saved.headers["ETag"] != fresh.headers["ETag"]
    assert places(seeded_conn) == (4, 3, "active", "書き換え")
    # with a current version, more open places than 定員 − 確定済み is refused beside the field
    over = api_client.put(
        "/api/resources/r02",
        headers=host | {"If-Match": saved.headers["ETag"]},
        json=saved.json() | {"capacity_open": 4},
    )
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"] == ["body", "capacity_open"]
    assert "確定済みの 1名" in over.json()["detail"][0]["msg"]
    assert places(seeded_conn)[:2] == (4, 3)


def test_without_a_capacity_total_raising_the_open_count_needs_if_match(
    api_client: TestClient, seeded_cli, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    host = api_token(seeded_cli, "provider", "h1", "r02")
    set_places(seeded_conn, None, 3)
    read = api_client.get("/api/resources/r02", headers=host)
    take_a_place(seeded_conn, seeded_settings)
    stale = api_client.put("/api/resources/r02", headers=host, json=read.json())
    assert stale.status_code == 428 and "If-Match" in stale.json()["detail"]
    assert places(seeded_conn)[:2] == (None, 2)
    fresh = api_client.get("/api/resources/r02", headers=host)
    more = api_client.put(
        "/api/resources/r02",
        headers=host | {"If-Match": fresh.headers["ETag"]},
        json=fresh.json() | {"capacity_open": 5},
    )
    assert more.status_code == 200 and places(seeded_conn)[:2] == (None, 5)


def test_a_host_cannot_reopen_or_pause_a_listing_the_municipality_closed_over_the_api(
    api_client: TestClient, seeded_cli, seeded_conn: psycopg.Connection
) -> None:
    host = api_token(seeded_cli, "provider", "h1", "r02")
    seeded_conn.execute("update resource set status = 'closed' where id = 'r02'")
    seeded_conn.commit()
    listing = api_client.get("/api/resources/r02", headers=host).json()
    for status in ("active", "paused"):
        refused = api_client.put("/api/resources/r02", headers=host, json=listing | {"status": status})
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"][0]
        assert detail["loc"] == ["body", "status"] and "市町村" in detail["msg"]
        assert places(seeded_conn)[2] == "closed"
    kept = api_client.put("/api/resources/r02", headers=host, json=listing | {"description": "冬季休業中"})
    assert kept.status_code == 200 and places(seeded_conn)[2:] == ("closed", "冬季休業中")


# --- the host form --------------------------------------------------------------------------------


def test_a_confirmation_between_the_hosts_form_and_its_save_keeps_the_place_taken(
    host: WebUser, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    set_places(seeded_conn, 4, 4)
    page = host.get("/host/listings/r02")
    hidden = form_of(page.text)
    assert hidden["version"] and hidden["capacity_open_seen"] == "4"
    take_a_place(seeded_conn, seeded_settings)
    before = places(seeded_conn)
    typed = LISTING_FORM | hidden | {"capacity_total": "4", "capacity_open": "4", "description": "新しい説明"}
    stale = host.post("/host/listings/r02", typed)
    assert stale.status_code == 409
    assert STALE in stale.text and "新しい説明" in stale.text  # the message, and what was typed kept
    assert "4 から 3 に変わりました" in stale.text
    assert places(seeded_conn) == before == (4, 3, "active", before[3])
    again = form_of(stale.text)
    assert again["version"] != hidden["version"] and again["capacity_open_seen"] == "3"
    assert 'name="capacity_open" type="number" min="0" value="3"' in stale.text  # moved by the place taken
    saved = host.post("/host/listings/r02", typed | again | {"capacity_open": "3"})
    assert saved.status_code == 303
    assert places(seeded_conn) == (4, 3, "active", "新しい説明")


def test_a_form_without_a_version_cannot_overbook_either(
    host: WebUser, seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    set_places(seeded_conn, 4, 4)
    take_a_place(seeded_conn, seeded_settings)
    saved = host.post("/host/listings/r02", LISTING_FORM | {"capacity_total": "4", "capacity_open": "4"})
    assert saved.status_code == 303
    assert places(seeded_conn)[:2] == (4, 3)


def test_a_host_cannot_reopen_or_pause_a_closed_listing_in_the_form(
    host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    seeded_conn.execute("update resource set status = 'closed' where id = 'r02'")
    seeded_conn.commit()
    page = host.get("/host/listings/r02")
    assert "受け付け終了" in page.text and 'name="status"' not in page.text
    hidden = form_of(page.text)
    for status in ("active", "paused"):
        refused = host.post("/host/listings/r02", LISTING_FORM | hidden | {"status": status})
        assert refused.status_code == 422 and "市町村が受け付けを終了しています" in refused.text
        assert "干し柿づくり" in refused.text
        assert places(seeded_conn)[2] == "closed"
    form = {k: v for k, v in (LISTING_FORM | hidden).items() if k != "status"}
    assert host.post("/host/listings/r02", form).status_code == 303
    assert places(seeded_conn)[2:] == ("closed", LISTING_FORM["description"])
