"""The host portal: only its own listings, editing does not confirm, 「内容を確認しました」 does,
and a referral inbox that shows only what domain.md §7 allows."""

from datetime import date

import psycopg

from tests.web.conftest import WebUser, audited_actions, confirm_p02_at_r02

LISTING_FORM = {
    "capacity_total": "4",
    "capacity_open": "3",
    "status": "active",
    "trial": "on",
    "description": "堀川沿いの古民家カフェ。冬は室内で干し柿づくりもします。",
    "slot_day_0": "tue",
    "slot_start_0": "10:00",
    "slot_end_0": "15:00",
    "slot_day_1": "fri",
    "slot_start_1": "13:00",
    "slot_end_1": "16:00",
    "slot_day_2": "",
    "slot_start_2": "",
    "slot_end_2": "",
}


def listing(conn: psycopg.Connection, resource_id: str) -> tuple:
    return conn.execute(
        "select capacity_open, assured_at, status, schedule, description from resource where id = %s",
        [resource_id],
    ).fetchone()


def test_editing_saves_and_re_embeds_but_only_confirming_sets_the_date(
    host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    before = listing(seeded_conn, "r01")
    hash_before = seeded_conn.execute(
        "select text_hash from resource_embedding where resource_id = 'r01'"
    ).fetchone()
    saved = host.post("/host/listings/r01", LISTING_FORM)
    assert saved.status_code == 303
    after = listing(seeded_conn, "r01")
    assert after[0] == 3 and after[1] == before[1]  # capacity changed, 確認日 did not
    assert {"day": "fri", "start": "13:00", "end": "16:00"} in after[3]
    hash_after = seeded_conn.execute(
        "select text_hash from resource_embedding where resource_id = 'r01'"
    ).fetchone()
    assert hash_after != hash_before  # the changed description was embedded again
    assert host.post("/host/listings/r01/assure").status_code == 303
    assert listing(seeded_conn, "r01")[1] == date.today()
    assert audited_actions(seeded_conn, "resource", "r01", actor="host") == ["update", "assure"]


def test_a_host_pauses_and_resumes_but_cannot_close_or_change_other_fields(
    host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    host.post("/host/listings/r01", LISTING_FORM | {"status": "paused"})
    assert listing(seeded_conn, "r01")[2] == "paused"
    host.post("/host/listings/r01", LISTING_FORM | {"status": "closed"})
    assert listing(seeded_conn, "r01")[2] == "paused"
    host.post(
        "/host/listings/r01", LISTING_FORM | {"status": "active", "kind": "farm", "programme": "shuro_b"}
    )
    assert seeded_conn.execute(
        "select status, kind, programme from resource where id = 'r01'"
    ).fetchone() == (
        "active",
        "cafe",
        None,
    )


def test_bad_values_are_shown_beside_their_fields_and_kept(
    host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    before = listing(seeded_conn, "r01")
    response = host.post("/host/listings/r01", LISTING_FORM | {"capacity_open": "9"})
    assert response.status_code == 422
    assert "受け入れ可能数（capacity_open=9）が定員（capacity_total=4）を超えています" in response.text
    assert "干し柿づくり" in response.text and 'value="9"' in response.text
    response = host.post("/host/listings/r01", LISTING_FORM | {"slot_end_1": "12:00"})
    assert "金曜: 開始（13:00）は終了（12:00）より前にしてください" in response.text
    assert 'value="12:00"' in response.text
    assert listing(seeded_conn, "r01") == before


def test_another_hosts_listing_is_forbidden_and_reveals_nothing(
    host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    name = seeded_conn.execute("select name from resource where id = 'r03'").fetchone()[0]
    for response in (
        host.get("/host/listings/r03"),
        host.post("/host/listings/r03", LISTING_FORM),
        host.post("/host/listings/r03/assure"),
        host.get("/host/listings/no-such-listing"),
    ):
        assert response.status_code == 403
        assert name not in response.text
    assert listing(seeded_conn, "r03")[1] != date.today()


def refer_p02_to_r02(coordinator: WebUser, seeded_conn: psycopg.Connection) -> int:
    placement_id = confirm_p02_at_r02(coordinator, seeded_conn)
    coordinator.post(f"/placements/{placement_id}/refer", {"host_note": "午後に30分の見学から"}, htmx=True)
    return placement_id


def test_the_inbox_shows_only_what_consent_allows_and_the_answer_reaches_the_coordinator(
    host: WebUser, coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    placement_id = refer_p02_to_r02(coordinator, seeded_conn)
    narrative, interests = seeded_conn.execute(
        "select narrative, interests from needs_profile where id = 'p02'"
    ).fetchone()
    inbox = host.get("/").text
    assert "40-44歳" in inbox and "午後に30分の見学から" in inbox and "静かな環境" in inbox
    assert "p02" not in inbox and narrative[:20] not in inbox and interests[:10] not in inbox
    assert "ひきこもり" not in inbox and "無業" not in inbox
    assert (
        seeded_conn.execute("select count(*) from audit_log where action = 'shown_to_host'").fetchone()[0]
        >= 1
    )
    refused = host.post(f"/host/referrals/{placement_id}/decline", {"reason": " "})
    assert "辞退の理由を入れてください" in refused.text
    assert host.post(f"/host/referrals/{placement_id}/accept").status_code == 303
    assert "受け入れます" in coordinator.get("/profiles/p02").text
    board = coordinator.get("/").text
    assert "受け入れ先からの返答" in board and "受け入れます" in board


def test_a_host_cannot_answer_a_referral_to_someone_elses_listing(
    coordinator: WebUser, host: WebUser, seeded_conn: psycopg.Connection
) -> None:
    placement_id = refer_p02_to_r02(coordinator, seeded_conn)
    seeded_conn.execute("delete from user_resource where resource_id = 'r02'")  # r02 is no longer this host's
    seeded_conn.commit()
    response = host.post(f"/host/referrals/{placement_id}/decline", {"reason": "他の人の紹介"})
    assert response.status_code == 404 and "この紹介はありません" in response.text  # as if it did not exist
    host_response = seeded_conn.execute("select host_response from placement where id = %s", [placement_id])
    assert host_response.fetchone()[0] is None
