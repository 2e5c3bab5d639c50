"""開拓 in the browser: the pipeline by stage and area, opening a candidate from a gap-report group or from
scratch, notes and stage forms that keep what was typed, registration by an admin, and 403 for anyone
else on every route."""

import re
from datetime import date, timedelta

import psycopg
import pytest

from tests.development.conftest import WEEK, count
from tests.web.conftest import WebUser
from tests.web.test_admin_listings import form_of
from tests.web.test_listing_pages import text_of

FARM = {
    "name": "八雲の里山農園",
    "kind": "farm",
    "area": "北部圏域",
    "need": "朝の短時間、人の少ない屋外作業",
}


def open_candidate(user: WebUser, **fields: str) -> int:
    created = user.post("/development", FARM | fields)
    assert created.status_code == 303, created.text
    found = re.match(r"/development/(\d+)\?opened=1$", created.headers["location"])
    assert found, created.headers["location"]
    return int(found[1])


def section(html: str, stage: str) -> str:
    """The text of one stage's section of the pipeline page."""
    found = re.search(rf'<section class="card" id="stage-{stage}".*?</section>', html, re.S)
    assert found, stage
    return text_of(found[0])


def test_the_pipeline_shows_each_stage_with_counts_and_filters_by_area(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    farm = open_candidate(coordinator)
    shop = open_candidate(
        coordinator, name="駅前の古書店", kind="shop", area="中央圏域", need="一人でできる棚の整理"
    )
    cafe = open_candidate(
        coordinator, name="湖畔のカフェ", kind="cafe", area="中央圏域", need="少人数の居場所"
    )
    assert coordinator.post(f"/development/{shop}/stage", {"stage": "approached"}).status_code == 303
    dropped = coordinator.post(f"/development/{cafe}/stage", {"stage": "dropped", "reason": "店主の体調"})
    assert dropped.status_code == 303

    page = coordinator.get("/development")
    assert page.status_code == 200
    assert (
        "1 候補" in text_of(page.text)
        and "1 打診中" in text_of(page.text)
        and "0 登録済" in text_of(page.text)
    )
    assert "八雲の里山農園" in section(page.text, "candidate") and "農園・農福連携" in section(
        page.text, "candidate"
    )
    assert "駅前の古書店" in section(page.text, "approached")
    assert "湖畔のカフェ" in section(page.text, "dropped") and "店主の体調" in section(page.text, "dropped")
    assert f'href="/development/{farm}"' in page.text

    central = coordinator.get("/development", params={"area": "中央圏域"})
    assert "駅前の古書店" in central.text and "八雲の里山農園" not in central.text
    assert '<option value="中央圏域" selected>' in central.text
    unknown = coordinator.get("/development", params={"area": "どこか"})  # not offered: ignored
    assert "八雲の里山農園" in unknown.text and "駅前の古書店" in unknown.text


def test_a_gap_group_becomes_a_candidate_with_its_area_and_need_filled_in(
    admin: WebUser, coordinator: WebUser, seeded_conn: psycopg.Connection, gap_report: None
) -> None:
    report = admin.get("/admin/gaps")
    assert f'<a href="/development/new?gap={WEEK}-1">開拓候補にする</a>' in report.text

    form = coordinator.get(f"/development/new?gap={WEEK}-1")
    assert form.status_code == 200
    values = form_of(form.text)
    assert values["area"] == "北部圏域" and values["gap"] == f"{WEEK}-1"
    assert values["need"].startswith("北部圏域で4人：朝・屋外・静か")
    assert "活動日時が合わない" in values["need"]

    chosen = {"name": "里山農園", "kind": "farm"}
    cid = open_candidate(coordinator, **{k: str(v) for k, v in values.items()} | chosen)
    row = seeded_conn.execute(
        "select area, need, gap_week, gap_cluster, gap_label from development_candidate where id = %s", [cid]
    ).fetchone()
    seeded_conn.commit()
    assert row == ("北部圏域", values["need"], WEEK, 1, "朝・屋外・静か")
    assert f"{WEEK} の集計：朝・屋外・静か" in text_of(coordinator.get(f"/development/{cid}").text)

    assert coordinator.get(f"/development/new?gap={WEEK}-2").status_code == 404  # 2 people: never shown
    assert coordinator.get(f"/development/new?gap={WEEK}-9").status_code == 404


def test_bad_input_is_shown_beside_the_field_and_what_was_typed_is_kept(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    need = "佐藤花子さんが通えるように"
    refused = coordinator.post("/development", FARM | {"need": need})
    assert refused.status_code == 422
    assert "個人を特定できる情報は書けません" in refused.text and f">{need}</textarea>" in refused.text
    assert 'value="八雲の里山農園"' in refused.text
    no_kind = coordinator.post("/development", FARM | {"kind": ""})
    assert no_kind.status_code == 422 and "場の種類を選んでください" in no_kind.text
    assert count(seeded_conn, "select count(*) from development_candidate") == 0


def test_notes_and_stage_forms_refuse_with_the_message_and_keep_the_input(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    cid = open_candidate(coordinator)
    text = "代表の田中一郎さんに電話"
    refused = coordinator.post(
        f"/development/{cid}/notes", {"written_on": date.today().isoformat(), "body": text}, htmx=True
    )
    assert refused.status_code == 200 and refused.text.lstrip().startswith(
        '<section class="card" id="notes">'
    )
    assert "個人を特定できる情報は書けません" in refused.text and f">{text}</textarea>" in refused.text
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = coordinator.post(f"/development/{cid}/notes", {"written_on": tomorrow, "body": "見学の予定"})
    assert future.status_code == 422 and "未来の日は選べません" in future.text
    assert ">見学の予定</textarea>" in future.text and f'value="{tomorrow}"' in future.text
    assert count(seeded_conn, "select count(*) from development_note") == 0

    written = coordinator.post(
        f"/development/{cid}/notes", {"written_on": "", "body": "代表の方に趣旨を説明した"}, htmx=True
    )
    assert "記録しました" in written.text and "代表の方に趣旨を説明した" in written.text

    no_reason = coordinator.post(f"/development/{cid}/stage", {"stage": "dropped", "reason": ""})
    assert no_reason.status_code == 422 and "見送る理由を書いてください" in no_reason.text
    backwards = coordinator.post(f"/development/{cid}/stage", {"stage": "registered"})
    assert backwards.status_code == 409 and "社会資源として登録してください" in backwards.text
    assert count(seeded_conn, "select count(*) from development_candidate where stage = 'candidate'") == 1


def test_an_admin_registers_the_listing_from_the_pre_filled_form(
    admin: WebUser, coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    cid = open_candidate(coordinator)
    detail = coordinator.get(f"/development/{cid}")
    assert "管理者が登録します" in detail.text and f"/development/{cid}/register" not in detail.text
    assert coordinator.get(f"/development/{cid}/register").status_code == 403
    assert f'href="/development/{cid}/register"' in admin.get(f"/development/{cid}").text

    form = admin.get(f"/development/{cid}/register")
    assert form.status_code == 200
    values = form_of(form.text)
    assert values["id"] == f"dev-{cid}" and values["name"] == "八雲の里山農園" and values["kind"] == "farm"
    assert values["area"] == "北部圏域" and values["description"] == FARM["need"]
    assert "programme" not in values and "status" not in values  # a 参加支援 host, taking people now

    before = count(seeded_conn, "select count(*) from resource")
    bad = admin.post(f"/development/{cid}/register", values | {"capacity_total": "1", "capacity_open": "3"})
    assert bad.status_code == 422 and "定員" in bad.text and 'value="八雲の里山農園"' in bad.text
    values |= {"slot_day_0": "tue", "slot_start_0": "08:00", "slot_end_0": "10:00", "capacity_total": "2"}
    saved = admin.post(f"/development/{cid}/register", values)
    assert saved.status_code == 303 and saved.headers["location"] == f"/resources/dev-{cid}?created=1"
    assert count(seeded_conn, "select count(*) from resource") == before + 1
    assert (
        count(
            seeded_conn,
            "select count(*) from resource where id = %s and programme is null and status = 'active'",
            f"dev-{cid}",
        )
        == 1
    )

    listing = admin.get(f"/resources/dev-{cid}")
    assert (
        f'開拓候補「<a href="/development/{cid}">八雲の里山農園</a>」から登録した社会資源です' in listing.text
    )
    assert "火曜 08:00–10:00" in text_of(listing.text)
    page = coordinator.get(f"/development/{cid}").text
    assert f'href="/resources/dev-{cid}"' in page and "登録済" in page
    assert "八雲の里山農園" in section(coordinator.get("/development").text, "registered")
    again = admin.post(f"/development/{cid}/register", values | {"id": f"dev-{cid}-2"})
    assert again.status_code == 409
    assert count(seeded_conn, "select count(*) from resource") == before + 1


@pytest.mark.parametrize("role", ["provider", "member"])
def test_hosts_and_members_get_403_on_every_development_route(
    role: str, coordinator: WebUser, host: WebUser, member: WebUser, seeded_conn: psycopg.Connection
) -> None:
    cid = open_candidate(coordinator)
    user = host if role == "provider" else member
    for path in ("/development", "/development/new", f"/development/{cid}", f"/development/{cid}/register"):
        assert user.get(path).status_code == 403, path
    posts = {
        "/development": FARM,
        f"/development/{cid}/stage": {"stage": "approached"},
        f"/development/{cid}/notes": {"body": "電話した"},
        f"/development/{cid}/register": {"id": "x1", "name": "x"},
        "/resources/r01/support": {"kind": "visit"},
    }
    for path, data in posts.items():
        assert user.post(path, data).status_code == 403, path
    assert count(seeded_conn, "select count(*) from development_candidate where stage <> 'candidate'") == 0
    assert count(seeded_conn, "select count(*) from host_support") == 0
