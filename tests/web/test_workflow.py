"""The coordinator's workflow on the profile page (htmx partials) and through the JSON API."""

import re

import psycopg
import pytest

from matcher.placements.referrals import respond
from tests.web.conftest import WebUser, audited_actions, confirm_p02_at_r02


def capacity(conn: psycopg.Connection, resource_id: str) -> int | None:
    return conn.execute("select capacity_open from resource where id = %s", [resource_id]).fetchone()[0]


def tier1_ids(conn: psycopg.Connection, coordinator: WebUser, profile_id: str) -> list[str]:
    html = coordinator.get(f"/profiles/{profile_id}").text
    section = html[html.index("既存事業（優先）") : html.index('<h3 class="group">参加支援')]
    return re.findall(r'id="proposal-([^"]+)"', section)


def test_tier2_over_open_tier1_asks_for_the_gap_reason_and_records_it(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    assert tier1_ids(seeded_conn, coordinator, "p19")  # 既存事業 proposals are open
    before = capacity(seeded_conn, "r03")
    asked = coordinator.post("/profiles/p19/confirm", {"resource_id": "r03"}, htmx=True)
    assert asked.status_code == 200
    assert "狭間の理由" in asked.text and 'name="gap_reason"' in asked.text
    assert seeded_conn.execute("select count(*) from placement").fetchone()[0] == 0
    assert capacity(seeded_conn, "r03") == before
    done = coordinator.post(
        "/profiles/p19/confirm",
        {"resource_id": "r03", "gap_reason": "本人が障害福祉サービスの利用を望んでいない"},
        htmx=True,
    )
    assert "確定しました" in done.text and 'id="workspace"' in done.text and "<html" not in done.text
    gap, tier = seeded_conn.execute(
        "select gap_reason, tier from placement where resource_id = 'r03'"
    ).fetchone()
    assert gap == "本人が障害福祉サービスの利用を望んでいない" and tier == 2
    assert capacity(seeded_conn, "r03") == before - 1
    audited = seeded_conn.execute("select after from audit_log where action = 'confirm'").fetchone()[0]
    assert audited["gap_reason"] == gap


def test_a_rejection_needs_a_reason_and_removes_the_proposal(coordinator: WebUser) -> None:
    first = tier1_ids(None, coordinator, "p19")[0]  # type: ignore[arg-type]
    empty = coordinator.post("/profiles/p19/reject", {"resource_id": first, "reason": "  "}, htmx=True)
    assert "見送りの理由を入れてください" in empty.text
    done = coordinator.post(
        "/profiles/p19/reject",
        {"resource_id": first, "reason": "通所先は自宅から遠い方がよいと本人"},
        htmx=True,
    )
    assert "見送りを記録しました" in done.text
    assert first not in tier1_ids(None, coordinator, "p19")  # type: ignore[arg-type]
    assert "この方には見送り済みです（理由: 通所先は自宅から遠い方がよいと本人）" in done.text


def test_referral_needs_consent_in_the_page_and_on_the_server(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    assert seeded_conn.execute("select consent from needs_profile where id = 'p02'").fetchone()[0] == "none"
    page = coordinator.post("/profiles/p02/confirm", {"resource_id": "r02"}, htmx=True).text
    placement_id = int(seeded_conn.execute("select id from placement where profile_id = 'p02'").fetchone()[0])
    assert re.search(r'<button type="button" class="primary" disabled[^>]*>受け入れ先へ紹介</button>', page)
    assert "本人同意（受け入れ先への情報提供）が記録されていないため紹介できません" in page
    refused = coordinator.post(f"/placements/{placement_id}/refer", {"host_note": "x"}, htmx=True)
    assert "本人同意がないため受け入れ先へ紹介できません（現在: 未同意）" in refused.text
    assert (
        seeded_conn.execute("select status from placement where id = %s", [placement_id]).fetchone()[0]
        == "confirmed"
    )
    coordinator.post("/profiles/p02/consent", {"consent": "full", "consent_date": "2026-11-20"})
    referred = coordinator.post(
        f"/placements/{placement_id}/refer", {"host_note": "午後の短時間から"}, htmx=True
    )
    assert "紹介済み" in referred.text
    row = seeded_conn.execute(
        "select status, host_note from placement where id = %s", [placement_id]
    ).fetchone()
    assert row == ("referred", "午後の短時間から")
    consent_audit = seeded_conn.execute(
        "select before, after from audit_log where action = 'consent' and entity_id = 'p02'"
    ).fetchone()
    assert consent_audit == (
        {"consent": "none", "consent_date": None},
        {"consent": "full", "consent_date": "2026-11-20"},
    )


def test_the_lifecycle_runs_in_order_with_follow_ups_and_ending_frees_the_place(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    before = capacity(seeded_conn, "r02")
    pid = confirm_p02_at_r02(coordinator, seeded_conn)
    assert capacity(seeded_conn, "r02") == before - 1
    out_of_order = coordinator.post(f"/placements/{pid}/activate", htmx=True)
    assert "「確定」のつなぎ先は「利用開始」に進めません" in out_of_order.text
    assert coordinator.post(f"/placements/{pid}/refer", htmx=True).status_code == 200
    waiting = coordinator.post(f"/placements/{pid}/trial", htmx=True).text
    assert "受け入れ先からまだ「受け入れます」の返答がありません" in waiting
    respond(
        seeded_conn, placement_id=pid, resource_ids=frozenset({"r02"}), accept=True, reason="", actor="host"
    )
    seeded_conn.commit()
    for action in ("trial", "activate"):
        assert "を記録しました" in coordinator.post(f"/placements/{pid}/{action}", htmx=True).text
    assert seeded_conn.execute("select status from needs_profile where id = 'p02'").fetchone()[0] == "placed"
    followup = {
        "month": "1",
        "still_participating": "yes",
        "frequency": "週2回",
        "rating": "4",
        "note": "表情が明るい",
    }
    early = coordinator.post(f"/placements/{pid}/followups/new", followup, htmx=True).text
    assert "1か月目のフォローアップは" in early and "7日前から記録できます" in early  # not on the first day
    seeded_conn.execute("update placement set started_at = now() - interval '25 days' where id = %s", [pid])
    seeded_conn.commit()
    page = coordinator.post(f"/placements/{pid}/followups/new", followup, htmx=True).text
    assert "1か月目のフォローアップを記録しました" in page and "★★★★☆（4）" in page
    assert "3か月目を記録" not in page  # the later ones open near their own dates
    twice = coordinator.post(f"/placements/{pid}/followups/new", followup, htmx=True).text
    assert "1か月目のフォローアップはすでに記録されています" in twice
    no_reason = coordinator.post(f"/placements/{pid}/end", {"end_reason": ""}, htmx=True).text
    assert "終了の理由を選んでください" in no_reason
    coordinator.post(
        f"/placements/{pid}/end", {"end_reason": "stepped_up", "end_note": "週4日の就労体験へ"}, htmx=True
    )
    assert capacity(seeded_conn, "r02") == before
    assert seeded_conn.execute("select status from needs_profile where id = 'p02'").fetchone()[0] == "open"
    assert audited_actions(seeded_conn, "placement", str(pid)) == [
        "confirm",
        "refer",
        "host_accepted",
        "trial",
        "activate",
        "followup",
        "end",
    ]


def test_cancelling_frees_the_place(coordinator: WebUser, seeded_conn: psycopg.Connection) -> None:
    before = capacity(seeded_conn, "r02")
    coordinator.post("/profiles/p02/confirm", {"resource_id": "r02"}, htmx=True)
    (pid,) = seeded_conn.execute("select id from placement where profile_id = 'p02'").fetchone()
    coordinator.post(f"/placements/{pid}/cancel", htmx=True)
    assert capacity(seeded_conn, "r02") == before
    assert (
        seeded_conn.execute("select status from placement where id = %s", [pid]).fetchone()[0] == "cancelled"
    )


def test_dashboard_shows_follow_ups_that_are_due(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    pid = confirm_p02_at_r02(coordinator, seeded_conn)
    coordinator.post(f"/placements/{pid}/refer", htmx=True)
    coordinator.post(f"/placements/{pid}/activate", {"override_reason": "電話で調整済み"}, htmx=True)
    assert "フォローアップ期限" in coordinator.get("/").text
    assert f"placement-{pid}" not in coordinator.get("/").text
    seeded_conn.execute("update placement set started_at = now() - interval '40 days' where id = %s", [pid])
    seeded_conn.commit()
    board = coordinator.get("/").text
    assert f"/profiles/p02#placement-{pid}" in board and "1か月目" in board


@pytest.mark.parametrize("path", ["/profiles/nobody", "/profiles/nobody/edit"])
def test_unknown_profiles_are_a_404_page(coordinator: WebUser, path: str) -> None:
    response = coordinator.get(path)
    assert response.status_code == 404 and "ニーズプロファイル「nobody」はありません" in response.text
