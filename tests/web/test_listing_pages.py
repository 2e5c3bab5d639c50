"""The listing page: what a place is, its contact details and map link, and its placements counted;
coordinators and admins see every listing, a host only its own."""

import re

import psycopg
from fastapi.testclient import TestClient

from tests.web.conftest import WebUser


def set_contact(conn: psycopg.Connection, resource_id: str) -> None:
    conn.execute(
        "update resource set contact_role = 'サービス管理責任者', phone = '0852-12-3456', fax = '0852-12-3457',"
        " email = 'engawa@example.jp', url = 'https://engawa.example.jp/', address = '松江市末次本町1番地'"
        " where id = %s",
        [resource_id],
    )
    conn.commit()


def add_placements(conn: psycopg.Connection, resource_id: str) -> None:
    """Two referred, one in use, two ended (one stepped up), one cancelled (never counted)."""
    rows = [
        ("p01", "referred", None),
        ("p02", "referred", None),
        ("p03", "active", None),
        ("p04", "ended", "stepped_up"),
        ("p05", "ended", "dropped_out"),
        ("p06", "cancelled", None),
    ]
    for profile_id, status, reason in rows:
        conn.execute(
            "insert into placement (profile_id, resource_id, status, tier, end_reason, referred_at)"
            " values (%s, %s, %s, 2, %s, now())",
            [profile_id, resource_id, status, reason],
        )
    conn.commit()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_coordinator_sees_what_the_place_is_and_how_to_reach_it(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    set_contact(seeded_conn, "r01")
    page = coordinator.get("/resources/r01")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "まちなか縁側カフェ ほりかわ" in text and "堀川沿いの古民家" in text
    assert "火曜 10:00–15:00" in text  # the schedule in Japanese
    assert "サービス管理責任者" in text and "松江市末次本町1番地" in text
    assert 'href="tel:0852123456"' in page.text
    assert 'href="mailto:engawa@example.jp"' in page.text
    assert 'href="https://engawa.example.jp/"' in page.text
    lat, lon = seeded_conn.execute("select lat, lon from resource where id = 'r01'").fetchone()
    osm = re.search(r'href="(https://www\.openstreetmap\.org/[^"]+)"', page.text)[1].replace("&amp;", "&")
    assert f"mlat={lat:.6f}&mlon={lon:.6f}" in osm and osm.endswith(f"#map=16/{lat:.6f}/{lon:.6f}")
    assert "<iframe" not in page.text and "<img" not in page.text  # a plain link, no tiles
    assert "確認日" in text
    assert "内容を編集する" not in text  # only admins and the listing's host may change it


def test_placements_are_counted_without_anyone_in_them(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    add_placements(seeded_conn, "r03")
    page = coordinator.get("/resources/r03")
    text = text_of(page.text)
    assert "5 これまでの紹介" in text and "1 利用中" in text and "2 終了" in text
    assert "紹介中（返事待ちを含む） 2件" in text
    assert "終了: 次の段階へ 1件" in text
    for profile_id in ("p01", "p02", "p03", "p04", "p05", "p06"):
        assert profile_id not in page.text


def test_same_named_wamnet_places_are_told_apart(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    rows = seeded_conn.execute(
        "select id, phone, address from resource where name = '第1プロジェクトゆうあい' order by id"
    ).fetchall()
    assert len(rows) == 2  # the same name in the WAM NET data: one A型, one 就労移行
    pages = [text_of(coordinator.get(f"/resources/{rid}").text) for rid, _phone, _address in rows]
    for (rid, phone, address), text in zip(rows, pages, strict=True):
        assert f"WAM NET の番号 {rid.removeprefix('wam-')}" in text
        assert phone and phone in text and address and address in text
    assert "就労継続支援A型" in pages[0] + pages[1] and "就労移行支援" in pages[0] + pages[1]


def test_a_host_sees_its_own_listing_and_not_another_hosts(host: WebUser) -> None:
    own = host.get("/resources/r01")
    assert own.status_code == 200 and 'href="/host/listings/r01"' in own.text
    other = host.get("/resources/r03")
    missing = host.get("/resources/no-such-listing")
    assert other.status_code == missing.status_code == 404
    assert "r03" in other.text and "ありません" in other.text  # the same answer as for a missing one


def test_an_admin_sees_edit_and_close_and_the_tied_host_account(admin: WebUser) -> None:
    page = admin.get("/resources/r01")
    assert page.status_code == 200
    assert 'href="/admin/listings/r01/edit"' in page.text
    assert 'action="/admin/listings/r01/status"' in page.text
    assert "受け入れ先のアカウント host " in text_of(page.text)  # the demo host account, tied to r01


def test_signing_in_is_needed(anonymous: TestClient) -> None:
    response = anonymous.get("/resources/r01", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]
