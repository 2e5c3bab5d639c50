"""The audit views show each role only what it may see (issue 12, items 3 and 8).

An admin may not open a profile, so the audit page and its CSV must not hand over the narrative, the
interests, the facts or any other field domain.md §7 keeps from everyone but the coordinator; they
show only that such a field changed. The rows in the database stay whole. The page reads as per-field
before → after with Japanese labels, and every CSV cell a spreadsheet would run as a formula is
neutralised.
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient

from matcher.accounts import audit
from matcher.accounts.users import ensure_demo_accounts
from matcher.config import Settings
from matcher.core.csvsafe import safe_cell, write_csv
from matcher.core.vocabulary import Accommodation
from matcher.matching.rejections import reject
from matcher.profiles.model import NeedsProfile
from matcher.profiles.service import create_profile, update_profile
from matcher.profiles.store import get_profile
from matcher.registry.store import get_resource
from matcher.reports import gaps
from tests.web.conftest import WebUser
from web.app import create_app

NARRATIVE = "朝は起きにくいが午後なら人と話せる。静かな作業場を望んでいる"
INTERESTS = "盆栽と古い切手の整理が得意"


@pytest.fixture
def admin(seeded_settings: Settings, seeded_conn: psycopg.Connection) -> Iterator[WebUser]:
    """The demo admin, signed in through the real login form."""
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    with TestClient(create_app(seeded_settings)) as client:
        yield WebUser(client, "admin", "demo-admin-pass")


def _edit_p02(conn: psycopg.Connection) -> None:
    before = get_profile(conn, profile_id="p02")
    assert before is not None
    changed = before.model_copy(update={"narrative": NARRATIVE, "interests": INTERESTS, "stage": 6})
    update_profile(conn, changed, actor="coordinator")
    conn.commit()


def _csv(response_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response_text.lstrip("\ufeff"))))


def test_an_admin_sees_that_the_narrative_changed_but_not_what_it_says(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    _edit_p02(seeded_conn)
    page = admin.get("/admin/audit", params={"profile_id": "p02", "action": "update"}).text
    assert NARRATIVE not in page and INTERESTS not in page
    assert "ニーズ・希望（変更あり・非表示）" in page
    assert "興味・得意なこと（変更あり・非表示）" in page
    # what domain.md §7 lets a host see is shown, as before → after with its Japanese label
    assert "段階</span>: " in page and "→ 一般就労" in page
    exported = admin.get("/admin/audit.csv", params={"profile_id": "p02"}).text
    assert NARRATIVE not in exported and INTERESTS not in exported
    assert "変更あり・非表示" in exported
    # the row itself is untouched
    after = seeded_conn.execute(
        "select after from audit_log where entity = 'profile' and entity_id = 'p02' and action = 'update'"
    ).fetchone()[0]
    assert after["narrative"] == NARRATIVE and after["interests"] == INTERESTS


def test_facts_consent_and_reasons_are_hidden_from_the_admin(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    template = get_profile(seeded_conn, profile_id="p02")
    assert template is not None
    new = NeedsProfile.model_validate(
        template.model_dump()
        | {
            "id": "p-audit",
            "facts": ["welfare", "hikikomori"],
            "narrative": NARRATIVE,
            "interests": INTERESTS,
        }
    )
    create_profile(seeded_conn, new, actor="coordinator")
    reject(
        seeded_conn,
        profile_id="p14",
        resource_id="r07",
        reason="父親との関係で今は外出が難しい",
        by="coordinator",
    )
    seeded_conn.commit()
    page = admin.get("/admin/audit", params={"profile_id": "p-audit"}).text
    page += admin.get("/admin/audit", params={"profile_id": "p14", "action": "reject"}).text
    secrets = (
        NARRATIVE,
        INTERESTS,
        "生活保護受給",
        "ひきこもり状態",
        "welfare",
        "hikikomori",
        "父親との関係",
    )
    for secret in secrets:
        assert secret not in page, secret
    assert "制度の要件にかかわる事実（変更あり・非表示）" in page
    assert "理由（変更あり・非表示）" in page
    assert "年齢帯</span>: 40-44" in page  # what §7 lets a host see is shown
    exported = admin.get("/admin/audit.csv", params={"profile_id": "p-audit"}).text
    exported += admin.get("/admin/audit.csv", params={"profile_id": "p14"}).text
    for secret in secrets:
        assert secret not in exported, secret


def test_the_page_reads_as_japanese_before_and_after_not_json(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    listing = get_resource(seeded_conn, resource_id="r01")
    assert listing is not None
    audit.record(
        seeded_conn,
        actor="host",
        action="update",
        entity="resource",
        entity_id="r01",
        before=listing.model_copy(update={"capacity_open": 3, "accommodations": []}),
        after=listing.model_copy(
            update={"capacity_open": 7, "accommodations": [Accommodation.quiet_space, Accommodation.pickup]}
        ),
    )
    seeded_conn.commit()
    page = admin.get("/admin/audit", params={"resource_id": "r01", "action": "update"}).text
    assert "受け入れ可能数</span>: 3 → 7" in page
    assert "静かな環境" in page and "送迎あり" in page
    assert "&#34;" not in page and "{&#" not in page  # no escaped JSON
    assert "変更" in page and "社会資源" in page
    # unchanged fields are not repeated
    assert "名称</span>" not in page


def test_action_codes_have_japanese_labels() -> None:
    for code, label in {
        "activate": "利用開始",
        "shown_to_host": "受け入れ先に表示",
        "consent": "本人同意の記録",
        "reject": "提案の見送り",
        "revoke_token": "API トークンの取り消し",
    }.items():
        assert audit.ACTION_LABELS[code] == label


def _row(entity: str, before: dict | None, after: dict | None, action: str = "update") -> audit.AuditRow:  # type: ignore[type-arg]
    return audit.AuditRow(1, datetime.now(UTC), "c", action, entity, "x1", before, after)


def test_the_coordinator_reads_everything_and_others_only_what_changed() -> None:
    row = _row(
        "profile",
        {"narrative": "前の文", "stage": 1, "facts": []},
        {"narrative": "後の文", "stage": 1, "facts": ["certificate"]},
    )
    coordinator = {c.key: c.text for c in audit.view(row, "coordinator").changes}
    assert coordinator == {
        "narrative": "ニーズ・希望: 前の文 → 後の文",
        "facts": "制度の要件にかかわる事実: （なし） → 障害福祉サービス受給者証",
    }
    admin = [c.text for c in audit.view(row, "admin").changes]
    assert admin == ["ニーズ・希望（変更あり・非表示）", "制度の要件にかかわる事実（変更あり・非表示）"]
    before, after = audit.redacted(row, "admin")
    assert before == {"narrative": "（変更あり・非表示）", "stage": 1, "facts": "（変更あり・非表示）"}
    assert after == {"narrative": "（変更あり・非表示）", "stage": 1, "facts": "（変更あり・非表示）"}


def test_placement_free_text_is_hidden_but_the_steps_are_not() -> None:
    row = _row(
        "placement",
        {"status": "referred", "host_note": "", "gap_reason": None},
        {
            "status": "active",
            "host_note": "耳が少し遠いので正面から話してください",
            "gap_reason": "B型は本人が拒否",
        },
        action="activate",
    )
    texts = [c.text for c in audit.view(row, "admin").changes]
    assert texts == [
        "つなぎ先の状態: 紹介済み → 利用中",
        "受け入れ先へのメモ（変更あり・非表示）",
        "狭間の理由（変更あり・非表示）",
    ]
    followup = _row(
        "placement", None, {"month": 1, "note": "休みがち", "rating": 2, "frequency": "週1"}, "followup"
    )
    assert "休みがち" not in " ".join(c.text for c in audit.view(followup, "admin").changes)
    assert audit.view(followup, "admin").action_label == "フォローアップの記録"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    (row,) = list(csv.reader(io.StringIO(write_csv(["a"], [[cell]]).lstrip("\ufeff"))))[1:]
    assert row == ["'" + cell]


def test_plain_cells_and_numbers_are_left_alone() -> None:
    assert [safe_cell(v) for v in ["田中町", "a=b", -3, 2.5, ""]] == ["田中町", "a=b", -3, 2.5, ""]


def test_the_gap_csv_neutralises_an_area_that_is_a_formula() -> None:
    cluster = gaps.GapCluster(0, '=HYPERLINK("http://evil","x")', 4, "@畑仕事", "schedule", 0.5, ["p1"])
    rows = _csv(gaps.to_csv([cluster]))
    assert rows[1][0] == '\'=HYPERLINK("http://evil","x")' and rows[1][2] == "'@畑仕事"


def test_the_audit_csv_neutralises_formula_actors_and_ids(
    admin: WebUser, seeded_conn: psycopg.Connection
) -> None:
    formula = '=HYPERLINK("http://evil","x")'
    audit.log(seeded_conn, audit.account("-2+3"), "create", actor=formula, after={"role": "admin"})
    seeded_conn.commit()
    rows = _csv(admin.get("/admin/audit.csv").text)
    (row,) = [r for r in rows if r[5].endswith("-2+3")]
    assert row[2] == '\'=HYPERLINK("http://evil","x")' and row[5] == "'-2+3"
    for line in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line), line
