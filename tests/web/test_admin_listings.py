"""The admin adds, edits, closes and reopens one listing through forms, and ties host accounts to
listings chosen by name."""

import re

import psycopg

from tests.web.conftest import WebUser, audited_actions

NEW_LISTING = {
    "id": "r90",
    "name": "みなと町の寺子屋食堂",
    "kind": "cafe",
    "programme": "",
    "area": "中央圏域",
    "status": "active",
    "assured_at": "2026-04-01",
    "description": "地域の子ども食堂の仕込みと配膳。野菜の皮むきや食器洗いから始められます。",
    "slot_day_0": "wed",
    "slot_start_0": "15:00",
    "slot_end_0": "19:00",
    "slot_day_1": "",
    "slot_start_1": "",
    "slot_end_1": "",
    "capacity_total": "3",
    "capacity_open": "2",
    "min_age": "",
    "max_age": "",
    "contact_level": "2",
    "physical_load": "1",
    "reward": "none",
    "trial": "on",
    "accommodations": ["short_hours", "flexible_absence"],
    "lat": "35.4681",
    "lon": "133.0484",
    "contact_role": "食堂の運営責任者",
    "phone": "０８５２－２１－０００１",  # full-width, as typed on a Japanese keyboard
    "fax": "",
    "email": "shokudo@example.jp",
    "url": "https://shokudo.example.jp/",
    "address": "松江市末次本町2番地",
}


def row(conn: psycopg.Connection, resource_id: str, *columns: str) -> tuple:
    found = conn.execute(f"select {', '.join(columns)} from resource where id = %s", [resource_id]).fetchone()
    conn.commit()
    return found


def form_of(html: str) -> dict[str, object]:
    """The values an edit form holds, as a browser would send them back."""
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name[1] == "csrf_token":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name[1], []).append(value[1] if value else "on")  # type: ignore[union-attr]
            continue
        data[name[1]] = value[1] if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen[1] if chosen else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = text
    return {k: (v[0] if isinstance(v, list) and k != "accommodations" else v) for k, v in data.items()}


def test_an_admin_adds_a_listing_that_is_audited_embedded_and_shown(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    response = admin.post("/admin/listings", NEW_LISTING)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/resources/r90?created=1"
    stored = row(seeded_conn, "r90", "name", "phone", "email", "source", "capacity_open", "accommodations")
    assert stored == (
        "みなと町の寺子屋食堂",
        "0852-21-0001",
        "shokudo@example.jp",
        "admin",
        2,
        ["short_hours", "flexible_absence"],
    )
    assert audited_actions(seeded_conn, "resource", "r90", "admin") == ["create"]
    embedded = seeded_conn.execute("select count(*) from resource_embedding where resource_id = 'r90'")
    assert embedded.fetchone()[0] == 1  # proposals can find it at once
    page = admin.get("/resources/r90?created=1").text
    assert "社会資源を登録しました" in page and "食堂の運営責任者" in page and "0852-21-0001" in page


def test_bad_input_is_shown_beside_the_fields_and_what_was_typed_is_kept(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    bad = NEW_LISTING | {"name": "", "phone": "でんわ", "email": "shokudo@", "capacity_open": "5"}
    response = admin.post("/admin/listings", bad)
    assert response.status_code == 422
    page = response.text
    assert "入力に誤りがあります" in page
    assert "電話番号は数字とハイフン" in page and "メールアドレスの形になっていません" in page
    assert re.search(
        r'name="name"[^>]*class="invalid"[^>]*><p class="field-error" role="alert">必須項目がありません', page
    )
    assert NEW_LISTING["description"] in page and 'value="でんわ"' in page and 'value="shokudo@"' in page
    assert row(seeded_conn, "r90", "id") is None
    over = admin.post("/admin/listings", NEW_LISTING | {"capacity_open": "5"})
    assert (
        over.status_code == 422
        and "受け入れ可能数（capacity_open=5）が定員（capacity_total=3）を超えています" in over.text
    )


def test_an_id_already_taken_is_refused_with_the_form_kept(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    before = row(seeded_conn, "r01", "name", "description")
    response = admin.post("/admin/listings", NEW_LISTING | {"id": "r01"})
    assert response.status_code == 409
    assert "社会資源コード「r01」はすでに使われています" in response.text
    assert NEW_LISTING["name"] in response.text
    assert row(seeded_conn, "r01", "name", "description") == before


def test_an_admin_edits_a_listing_from_its_form(admin: WebUser, seeded_conn: psycopg.Connection) -> None:
    form = admin.get("/admin/listings/r02/edit")
    assert form.status_code == 200
    data = form_of(form.text)
    assert data["name"] == row(seeded_conn, "r02", "name")[0] and data["version"]
    data |= {"phone": "0852-22-9999", "contact_role": "店主", "description": "古書の整理と棚出し。"}
    saved = admin.post("/admin/listings/r02", data)
    assert saved.status_code == 303 and saved.headers["location"] == "/resources/r02?saved=1"
    assert row(seeded_conn, "r02", "phone", "contact_role", "description") == (
        "0852-22-9999",
        "店主",
        "古書の整理と棚出し。",
    )
    assert audited_actions(seeded_conn, "resource", "r02", "admin") == ["update"]


def test_a_save_from_an_older_read_is_refused_and_keeps_what_was_typed(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    data = form_of(admin.get("/admin/listings/r02/edit").text)
    seeded_conn.execute("update resource set capacity_open = 0 where id = 'r02'")  # a confirmation took it
    seeded_conn.commit()
    data["description"] = "古いページから書いた説明"
    stale = admin.post("/admin/listings/r02", data)
    assert stale.status_code == 409
    assert "読み込んだ後に変更されています" in stale.text and "古いページから書いた説明" in stale.text
    assert row(seeded_conn, "r02", "description", "capacity_open")[1] == 0
    assert row(seeded_conn, "r02", "description")[0] != "古いページから書いた説明"


def test_an_admin_closes_and_reopens_a_listing(
    admin: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    description = row(seeded_conn, "r01", "description")
    closed = admin.post("/admin/listings/r01/status", {"status": "closed"})
    assert closed.status_code == 303
    assert row(seeded_conn, "r01", "status") == ("closed",)
    page = admin.get("/resources/r01?status=1").text
    assert "受け付けを再開する" in page and '<span class="status status-closed">終了</span>' in page
    assert "市町村が終了にしました" in host.get("/host/listings/r01").text  # the host cannot reopen it
    assert admin.post("/admin/listings/r01/status", {"status": "active"}).status_code == 303
    assert row(seeded_conn, "r01", "status") == ("active",)
    assert row(seeded_conn, "r01", "description") == description  # nothing else changed
    assert audited_actions(seeded_conn, "resource", "r01", "admin") == ["update", "update"]
    assert admin.post("/admin/listings/r01/status", {"status": "gone"}).status_code == 422


def test_only_admins_add_edit_or_close(
    coordinator: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    for user in (coordinator, host):
        assert user.get("/admin/listings/new").status_code == 403
        assert user.get("/admin/listings/r01/edit").status_code == 403
        assert user.post("/admin/listings/r01/status", {"status": "closed"}).status_code == 403
        assert user.post("/admin/listings", NEW_LISTING).status_code == 403
    assert row(seeded_conn, "r01", "status") == ("active",)
    assert row(seeded_conn, "r90", "id") is None


def test_hosts_are_tied_to_listings_chosen_by_name(admin: WebUser, seeded_conn: psycopg.Connection) -> None:
    users = admin.get("/admin/users").text
    choice = re.search(
        r'<label class="inline listing-choice">\s*<input type="checkbox" name="resource_id" value="r14"[^>]*>(.*?)</label>',
        users,
        re.S,
    )
    name, area = seeded_conn.execute("select name, area from resource where id = 'r14'").fetchone()
    assert choice and name in choice[1] and "r14" in choice[1]
    assert 'name="resource_ids"' not in users  # no id to type
    created = admin.post(
        "/admin/users",
        {
            "name": "のうえん担当",
            "role": "provider",
            "password": "a-long-password",
            "resource_id": ["r14", "r15"],
        },
    )
    assert created.status_code == 303
    (user_id,) = seeded_conn.execute("select id from app_user where name = 'のうえん担当'").fetchone()
    linked = {
        r[0]
        for r in seeded_conn.execute("select resource_id from user_resource where user_id = %s", [user_id])
    }
    assert linked == {"r14", "r15"}
    listed = admin.get("/admin/users").text
    assert f'<a href="/resources/r14">{name}</a>' in listed  # shown by name, with its area and code
    picker = admin.get(f"/admin/users/{user_id}/listings?q=ほりかわ").text
    assert re.search(r'value="r14" checked', picker) and re.search(r'value="r01"(?! checked)', picker)
    assert 'value="r03"' not in picker  # filtered out, and not tied
    saved = admin.post(f"/admin/users/{user_id}/listings", {"resource_id": ["r01", "r14"]})
    assert saved.status_code == 303
    linked = {
        r[0]
        for r in seeded_conn.execute("select resource_id from user_resource where user_id = %s", [user_id])
    }
    assert linked == {"r01", "r14"}
    assert area in picker
