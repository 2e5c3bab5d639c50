"""The profile form and page: inline validation that keeps what was typed, and the page's sections."""

import re

import psycopg

from tests.web.conftest import WebUser

FORM = {
    "id": "W-1",
    "age_band": "40-44",
    "area": "中央圏域",
    "max_travel_km": "3",
    "stage": "1",
    "avail_mon_start": "13:00",
    "avail_mon_end": "17:00",
    "avail_wed_start": "13:00",
    "avail_wed_end": "17:00",
    "contact_tolerance": "1",
    "physical_capacity": "1",
    "reward_preference": "any",
    "interests": "古い映画と時代小説",
    "narrative": "人と話すのが苦手。週2回、午後なら外出できる。",
    "consent": "none",
}


def test_a_new_profile_is_stored_at_its_area_centroid_and_shows_proposals(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    response = coordinator.post("/profiles/new", FORM | {"needs_accommodations": ["quiet_space"]})
    assert response.status_code == 303 and response.headers["location"] == "/profiles/W-1"
    lat, lon, availability = seeded_conn.execute(
        "select lat, lon, availability from needs_profile where id = 'W-1'"
    ).fetchone()
    assert (lat, lon) == (35.466, 133.06)  # 中央圏域's centroid, never a home
    assert {"day": "mon", "start": "13:00", "end": "17:00"} in availability
    page = coordinator.get("/profiles/W-1").text
    assert "既存事業（優先）" in page and "参加支援" in page and "対象外の社会資源" in page
    assert "参加できる日時と重なります" in page


def test_pii_is_shown_beside_its_field_and_nothing_typed_is_lost(coordinator: WebUser) -> None:
    typed = FORM | {
        "narrative": "近所の田中さんが見守っている。連絡は090-1234-5678へ。",
        "interests": "将棋と園芸",
    }
    response = coordinator.post("/profiles/new", typed)
    assert response.status_code == 422
    html = response.text
    narrative_field = html[html.index('name="narrative"') :]
    assert narrative_field.index(
        "近所の田中さんが見守っている。連絡は090-1234-5678へ。"
    ) < narrative_field.index("敬称付きの氏名「田中さん」")
    assert "電話番号「090-1234-5678」" in html
    assert 'value="W-1"' in html and "将棋と園芸" in html and 'value="13:00"' in html


def test_bad_values_are_reported_beside_their_fields(coordinator: WebUser) -> None:
    bad = FORM | {
        "age_band": "",
        "area": "どこか",
        "avail_mon_start": "17:00",
        "avail_mon_end": "13:00",
        "avail_wed_start": "",
        "avail_wed_end": "",
        "max_travel_km": "-2",
    }
    response = coordinator.post("/profiles/new", bad)
    assert response.status_code == 422
    for message in (
        "年齢帯",
        "一覧にある圏域を選んでください",
        "月曜: 開始（17:00）は終了（13:00）より前に",
        "0 より大きく",
    ):
        assert message in response.text, message


def test_a_taken_code_is_refused_beside_the_code(coordinator: WebUser) -> None:
    response = coordinator.post("/profiles/new", FORM | {"id": "p01"})
    assert response.status_code == 409
    assert "コード「p01」のニーズプロファイルはすでにあります" in response.text


def test_oversized_and_malformed_form_values_never_cause_a_500(coordinator: WebUser) -> None:
    cases = [
        FORM | {"narrative": "あ" * 50_000},
        FORM | {"stage": "七", "contact_tolerance": "99", "max_travel_km": "遠い"},
        FORM | {"avail_mon_start": "25:99", "consent_date": "昨日"},
        FORM | {"facts": ["nonsense"], "needs_accommodations": ["x"] * 50},
        {"id": "<script>"},
    ]
    for data in cases:
        response = coordinator.post("/profiles/new", data)
        assert response.status_code in (409, 422), response.text[:300]
    for path, data in [
        ("/profiles/p14/consent", {"consent": "maybe"}),
        ("/profiles/p14/confirm", {}),
        ("/placements/abc/refer", {}),
        ("/placements/999999/refer", {}),
        ("/placements/1/followups/new", {"month": "x", "still_participating": "yes"}),
    ]:
        assert coordinator.post(path, data).status_code in (303, 404, 409, 422), path


def test_editing_changes_the_profile_and_is_audited(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    page = coordinator.get("/profiles/p02/edit").text
    values = dict(re.findall(r'name="(id|max_travel_km)"[^>]*value="([^"]*)"', page))
    assert values["id"] == "p02"
    form = FORM | {"id": "p02", "max_travel_km": "5", "status": "open"}
    assert coordinator.post("/profiles/p02/edit", form).status_code == 303
    assert seeded_conn.execute("select max_travel_km from needs_profile where id = 'p02'").fetchone()[0] == 5
    before, after = seeded_conn.execute(
        "select before, after from audit_log where entity = 'profile' and entity_id = 'p02' and action = 'update'"
    ).fetchone()
    assert before["max_travel_km"] == 3.0 and after["max_travel_km"] == 5.0


def test_each_proposal_shows_a_fit_label_and_the_parts_behind_it(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    from matcher.config import Settings
    from matcher.matching.propose import propose
    from matcher.matching.scoring import fit_label

    page = coordinator.get("/profiles/p19").text
    result = propose(seeded_conn, Settings(), profile_id="p19", top=3)
    for proposal in result.proposals[:3]:
        card = page[page.index(f'id="proposal-{proposal.candidate.id}"') :][:4000]
        assert fit_label(proposal.score) in card  # ◎ とても合う / ○ 合う / △ 条件は満たす
        assert "合う度合いの内訳" in card and "共通する言葉" in card and "意味の近さ" in card
    assert not re.search(r"適合度 0\.\d\d", page)  # the raw number is behind the disclosure only
    assert (
        fit_label(0.9).startswith("◎") and fit_label(0.45).startswith("○") and fit_label(0.1).startswith("△")
    )


def test_exclusions_name_their_constraint_in_japanese_not_by_code(coordinator: WebUser) -> None:
    listing = coordinator.get("/profiles/p07?excluded=1", headers={"HX-Request": "true"}).text
    shown = re.findall(r'<span class="code" data-code="(\w+)">([^<]+)</span>', listing)
    assert shown
    for code, label in shown:
        assert label != code and not label.isascii(), (code, label)


def test_a_missing_area_is_said_once_beside_the_field(coordinator: WebUser) -> None:
    response = coordinator.post("/profiles/new", FORM | {"area": ""})
    assert response.status_code == 422
    errors = re.findall(r'<p class="field-error"[^>]*>([^<]*)</p>', response.text)
    assert errors and len(errors) == len(set(errors)), errors
