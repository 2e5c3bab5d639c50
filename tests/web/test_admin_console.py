"""The admin console: imports with progress and a row-level error report, accounts, the audit log."""

import csv
import io
import re
import time

import psycopg
import pytest

from tests.conftest import TEST_DATA
from tests.web.conftest import WebUser, audited_actions

HAKODATE_A = TEST_DATA / "wamnet-a-hakodate.csv"  # the WAM NET A型 rows of one city (函館市)


def upload(admin: WebUser, kind: str, name: str, content: bytes, city: str = "") -> tuple[int, str]:
    response = admin.client.post(
        "/admin/imports",
        data={"kind": kind, "city": city, "csrf_token": admin.csrf},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )
    if response.status_code != 303:
        return response.status_code, response.text
    location = response.headers["location"]
    for _ in range(600):
        page = admin.get(location, headers={"HX-Request": "true"}).text
        if "hx-trigger" not in page:
            return 200, page
        time.sleep(0.2)
    raise AssertionError("import did not finish")


def test_a_wamnet_file_of_one_city_imports_with_its_summary(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    status, page = upload(admin, "wamnet", HAKODATE_A.name, HAKODATE_A.read_bytes())
    assert status == 200 and "完了しました" in page
    rows = len(HAKODATE_A.read_text(encoding="utf-8-sig").splitlines()) - 1
    assert f"行数 {rows}: 取り込み {rows}件、対象外 0件" in page
    stored = seeded_conn.execute("select count(*) from resource where area like '函館市%'").fetchone()[0]
    assert stored == rows
    embedded = seeded_conn.execute(
        "select count(*) from resource_embedding e join resource r on r.id = e.resource_id where r.area like '函館市%'"
    ).fetchone()[0]
    assert embedded == rows
    actors = {row[0] for row in seeded_conn.execute("select actor from audit_log where action = 'import'")}
    assert "admin" in actors


def test_a_broken_file_is_reported_row_by_row_and_nothing_is_written(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    before = seeded_conn.execute("select count(*), max(updated_at) from resource").fetchone()
    good = '{"id": "n1", "name": "新しい畑", "kind": "farm", "description": "x", "area": "西部", "contact_level": 1, "physical_load": 1, "reward": "none"}'
    broken = "\n".join(
        [
            good,
            good.replace('"n1"', '"n2"').replace("farm", "farmm"),
            "{oops",
            good.replace('"none"', '"cash"').replace('"n1"', '"n3"'),
        ]
    )
    status, page = upload(admin, "resources", "broken.jsonl", broken.encode())
    assert status == 200 and "誤りがあるため取り込みませんでした" in page
    for where in ("broken.jsonl:2: kind:", "broken.jsonl:3:", "broken.jsonl:4: reward:"):
        assert where in page
    assert seeded_conn.execute("select count(*), max(updated_at) from resource").fetchone() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("sjis.csv", "id,name\nr1,畑\n".encode("cp932"), "UTF-8 ではありません"),
        ("wrong.csv", b"id,name,colour\nr1,x,red\n", "知らない列名です"),
        ("empty.csv", b"", "ファイルが空です"),
    ],
)
def test_bad_files_get_a_clear_message(admin: WebUser, name: str, content: bytes, message: str) -> None:
    status, page = upload(admin, "resources", name, content)
    assert message in page


def test_a_wrong_header_for_wamnet_is_named(admin: WebUser) -> None:
    _status, page = upload(admin, "wamnet", "not-wamnet.csv", b"id,name\nr1,x\n")
    assert "WAM NET の列がありません" in page


def test_an_oversized_upload_is_refused_before_it_is_read(admin: WebUser, app) -> None:  # type: ignore[no-untyped-def]
    limit = app.state.settings.max_upload_bytes
    status, page = upload(admin, "resources", "huge.csv", b"x" * (limit + 200_000))
    assert status == 413 and "ファイルが大きすぎます" in page


def test_missing_kind_or_file_is_a_message_not_an_error(admin: WebUser) -> None:
    status, page = upload(admin, "", "a.csv", b"id\n")
    assert status == 422 and "取り込む種類を選んでください" in page
    response = admin.post("/admin/imports", {"kind": "resources"})
    assert response.status_code == 422 and "ファイルを選んでください" in response.text


def test_accounts_are_created_disabled_reset_and_tied_to_listings(
    admin: WebUser,
    app,
    seeded_conn: psycopg.Connection,  # type: ignore[no-untyped-def]
) -> None:
    created = admin.post(
        "/admin/users",
        {
            "name": "新しい受け入れ先",
            "role": "provider",
            "password": "a-long-password",
            "resource_ids": "r05, r06",
        },
    )
    assert created.status_code == 303
    user_id = seeded_conn.execute("select id from app_user where name = '新しい受け入れ先'").fetchone()[0]
    links = {
        r[0]
        for r in seeded_conn.execute("select resource_id from user_resource where user_id = %s", [user_id])
    }
    assert links == {"r05", "r06"}
    assert (
        "パスワードは10文字以上"
        in admin.post("/admin/users", {"name": "x", "role": "admin", "password": "short"}).text
    )
    assert (
        "社会資源がありません: zz"
        in admin.post(
            "/admin/users",
            {"name": "y", "role": "provider", "password": "a-long-password", "resource_ids": "zz"},
        ).text
    )
    admin.post(f"/admin/users/{user_id}/listings", {"resource_ids": "r07"})
    links = {
        r[0]
        for r in seeded_conn.execute("select resource_id from user_resource where user_id = %s", [user_id])
    }
    assert links == {"r07"}
    admin.post(f"/admin/users/{user_id}/password", {"password": "another-long-password"})
    from fastapi.testclient import TestClient

    from tests.web.conftest import WebUser as Browser
    from web.app import create_app

    with TestClient(create_app(app.state.settings)) as client:
        Browser(client, "新しい受け入れ先", "another-long-password")
    admin.post(f"/admin/users/{user_id}/disable")
    with TestClient(create_app(app.state.settings)) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        refused = client.post(
            "/login",
            data={"name": "新しい受け入れ先", "password": "another-long-password", "csrf_token": token},
        )
        assert refused.status_code == 401
    assert audited_actions(seeded_conn, "account", "新しい受け入れ先") == [
        "create",
        "listings",
        "password",
        "disable",
    ]


def test_the_audit_log_finds_a_coordinators_actions_and_exports_csv(
    admin: WebUser, coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    coordinator.post("/profiles/p14/reject", {"resource_id": "r07", "reason": "本人が希望しない"}, htmx=True)
    coordinator.post("/profiles/p02/consent", {"consent": "full", "consent_date": "2026-11-20"})
    page = admin.get("/admin/audit", params={"actor": "coordinator"}).text
    assert "consent" in page and "p02" in page
    by_profile = admin.get("/admin/audit", params={"profile_id": "p02", "action": "consent"}).text
    assert "p02" in by_profile and "p14" not in by_profile
    exported = admin.get("/admin/audit.csv", params={"actor": "coordinator"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]
    assert {row[2] for row in rows[1:]} == {"coordinator"}
    assert "consent" in {row[3] for row in rows[1:]}
    nothing = admin.get("/admin/audit", params={"since": "2099-01-01"}).text
    assert "該当する記録はありません" in nothing
    odd = admin.get("/admin/audit", params={"since": "yesterday", "until": "2026-13-45"})
    assert odd.status_code == 200
