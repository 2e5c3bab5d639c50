"""The 開拓 pipeline in the domain: which moves are allowed, what is refused (and then nothing is saved),
and registration as one transaction that links the candidate and the new listing both ways."""

from datetime import date, datetime, timedelta

import psycopg
import pytest

from matcher import embedding
from matcher.config import Settings
from matcher.development import host_support, pipeline, registration
from matcher.development.model import Stage
from matcher.errors import Conflict, Invalid, NotAllowed
from matcher.registry.model import Resource
from matcher.reports import kpi
from tests.development.conftest import ADMIN, COORDINATOR, HOST, count


def open_farm(conn: psycopg.Connection, need: str = "朝の短時間、人の少ない屋外作業") -> int:
    candidate = pipeline.open_candidate(
        conn, name="八雲の里山農園", kind="farm", area="北部圏域", need=need, gap=None, by=COORDINATOR
    )
    conn.commit()
    return candidate.id


def stage_of(conn: psycopg.Connection, candidate_id: int) -> tuple[str, str | None, str | None]:
    row = conn.execute(
        "select stage, drop_reason, resource_id from development_candidate where id = %s", [candidate_id]
    ).fetchone()
    conn.commit()
    assert row is not None
    return row[0], row[1], row[2]


def actions(conn: psycopg.Connection, candidate_id: int) -> list[str]:
    rows = conn.execute(
        "select action from audit_log where entity = 'development' and entity_id = %s order by id",
        [str(candidate_id)],
    ).fetchall()
    conn.commit()
    return [r[0] for r in rows]


def test_a_candidate_moves_forward_any_steps_is_dropped_with_a_reason_and_reopened(
    seeded_conn: psycopg.Connection,
) -> None:
    cid = open_farm(seeded_conn)
    assert stage_of(seeded_conn, cid) == ("candidate", None, None)
    assert pipeline.moves_from("candidate") == [Stage.approached, Stage.preparing, Stage.dropped]

    pipeline.move(seeded_conn, candidate_id=cid, to="preparing", by=COORDINATOR)  # skipping 打診中 is fine
    with pytest.raises(Conflict, match="「受入準備」から「打診中」へは戻せません"):
        pipeline.move(seeded_conn, candidate_id=cid, to="approached", by=COORDINATOR)
    with pytest.raises(Conflict, match="社会資源として登録してください"):
        pipeline.move(seeded_conn, candidate_id=cid, to="registered", by=ADMIN)
    with pytest.raises(Invalid, match="見送る理由を書いてください") as refused:
        pipeline.move(seeded_conn, candidate_id=cid, to="dropped", reason="  ", by=COORDINATOR)
    assert refused.value.field == "reason"
    assert stage_of(seeded_conn, cid) == ("preparing", None, None)

    pipeline.move(seeded_conn, candidate_id=cid, to="dropped", reason="繁忙期で余裕がない", by=ADMIN)
    assert stage_of(seeded_conn, cid) == ("dropped", "繁忙期で余裕がない", None)
    with pytest.raises(Conflict, match="「候補」に戻すことだけ"):
        pipeline.move(seeded_conn, candidate_id=cid, to="approached", by=COORDINATOR)
    pipeline.move(seeded_conn, candidate_id=cid, to="candidate", by=COORDINATOR)
    seeded_conn.commit()
    assert stage_of(seeded_conn, cid) == ("candidate", None, None)  # reopened: the reason is cleared
    assert actions(seeded_conn, cid) == ["development_opened"] + ["development_stage"] * 3


def test_the_database_refuses_a_drop_without_a_reason(seeded_conn: psycopg.Connection) -> None:
    cid = open_farm(seeded_conn)
    with pytest.raises(psycopg.errors.CheckViolation):
        seeded_conn.execute("update development_candidate set stage = 'dropped' where id = %s", [cid])
    seeded_conn.rollback()


def test_hosts_and_members_may_not_work_on_the_pipeline(seeded_conn: psycopg.Connection) -> None:
    with pytest.raises(NotAllowed):
        pipeline.open_candidate(
            seeded_conn, name="店", kind="shop", area="北部圏域", need="接客", gap=None, by=HOST
        )
    cid = open_farm(seeded_conn)
    with pytest.raises(NotAllowed):
        pipeline.add_note(seeded_conn, candidate_id=cid, written_on=date.today(), text="電話した", by=HOST)


def test_notes_are_dated_never_in_the_future_and_refused_with_pii(seeded_conn: psycopg.Connection) -> None:
    cid = open_farm(seeded_conn)
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(Invalid, match="未来の日は選べません") as future:
        pipeline.add_note(seeded_conn, candidate_id=cid, written_on=tomorrow, text="見学予定", by=COORDINATOR)
    assert future.value.field == "written_on"
    with pytest.raises(Invalid, match="個人を特定できる情報は書けません: 電話番号「090-1234-5678」") as pii:
        pipeline.add_note(
            seeded_conn, candidate_id=cid, written_on=date.today(), text="代表 090-1234-5678", by=COORDINATOR
        )
    assert pii.value.field == "body"
    with pytest.raises(Invalid, match="個人を特定できる情報は書けません"):
        pipeline.add_note(
            seeded_conn, candidate_id=cid, written_on=date.today(), text="田中太郎さんに打診", by=COORDINATOR
        )
    seeded_conn.commit()
    assert count(seeded_conn, "select count(*) from development_note where candidate_id = %s", cid) == 0
    assert actions(seeded_conn, cid) == ["development_opened"]

    last_week = date.today() - timedelta(days=7)
    pipeline.add_note(
        seeded_conn, candidate_id=cid, written_on=last_week, text="代表の方に趣旨を説明", by=ADMIN
    )
    seeded_conn.commit()
    (note,) = pipeline.notes_of(seeded_conn, candidate_id=cid)
    assert (note.written_on, note.author, note.body) == (last_week, "admin", "代表の方に趣旨を説明")


def test_pii_in_the_need_or_a_drop_reason_is_refused_and_nothing_saved(
    seeded_conn: psycopg.Connection,
) -> None:
    before = count(seeded_conn, "select count(*) from development_candidate")
    with pytest.raises(Invalid, match="個人を特定できる情報は書けません") as refused:
        open_farm(seeded_conn, need="山田花子さんが通えるように")
    assert refused.value.field == "need"
    seeded_conn.rollback()
    assert count(seeded_conn, "select count(*) from development_candidate") == before
    cid = open_farm(seeded_conn)
    with pytest.raises(Invalid, match="個人を特定できる情報は書けません"):
        pipeline.move(seeded_conn, candidate_id=cid, to="dropped", reason="連絡は 0852-12-3456 へ", by=ADMIN)
    assert stage_of(seeded_conn, cid) == ("candidate", None, None)


def developed_listing(resource_id: str = "dev-farm") -> Resource:
    return Resource.model_validate(
        {
            "id": resource_id,
            "name": "八雲の里山農園",
            "kind": "farm",
            "programme": "shuro_b",  # the pipeline registers 参加支援 hosts only: this is dropped
            "description": "朝の畑で野菜の収穫と袋詰め。",
            "area": "北部圏域",
            "contact_level": 1,
            "physical_load": 2,
            "reward": "stipend",
            "status": "paused",  # and it takes people at once
        }
    )


def resources(conn: psycopg.Connection) -> int:
    return count(conn, "select count(*) from resource")


def test_registering_creates_one_listing_without_a_programme_linked_both_ways(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    cid = open_farm(seeded_conn)
    pipeline.move(seeded_conn, candidate_id=cid, to="preparing", by=COORDINATOR)
    seeded_conn.commit()
    spec = embedding.EmbeddingSpec.from_settings(seeded_settings)
    before = resources(seeded_conn)
    with pytest.raises(NotAllowed, match="管理者が行います"):
        registration.register(
            seeded_conn, candidate_id=cid, resource=developed_listing(), spec=spec, by=COORDINATOR
        )

    this_year = kpi.fiscal_year_of(datetime.now(kpi.JST))
    new_before = kpi.report(seeded_conn, fiscal_year=this_year).document()["new_resources"]
    registration.register(seeded_conn, candidate_id=cid, resource=developed_listing(), spec=spec, by=ADMIN)
    seeded_conn.commit()
    assert resources(seeded_conn) == before + 1
    # the year's 新たに開拓した社会資源 counts it
    assert kpi.report(seeded_conn, fiscal_year=this_year).document()["new_resources"] == new_before + 1
    row = seeded_conn.execute(
        "select programme, hosts_participation, status, source, created_at from resource where id = 'dev-farm'"
    ).fetchone()
    assert row is not None
    programme, hosts_participation, status, source, created_at = row
    assert (programme, hosts_participation, status, source) == (None, False, "active", "admin")
    assert abs((datetime.now(created_at.tzinfo) - created_at).total_seconds()) < 60
    assert stage_of(seeded_conn, cid) == ("registered", None, "dev-farm")
    assert host_support.developed_from(seeded_conn, resource_id="dev-farm") == (cid, "八雲の里山農園")
    assert actions(seeded_conn, cid)[-1] == "development_registered"

    with pytest.raises(Conflict, match="「登録済」の候補は登録できません"):
        registration.register(
            seeded_conn, candidate_id=cid, resource=developed_listing("dev-farm-2"), spec=spec, by=ADMIN
        )
    seeded_conn.rollback()
    assert resources(seeded_conn) == before + 1


def test_a_failure_midway_through_registering_leaves_nothing(
    seeded_conn: psycopg.Connection, seeded_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = open_farm(seeded_conn)
    spec = embedding.EmbeddingSpec.from_settings(seeded_settings)
    before = resources(seeded_conn)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the embedding model is gone")

    monkeypatch.setattr(embedding, "sync_one", broken)  # fails after the listing's row is written
    with pytest.raises(RuntimeError):
        registration.register(
            seeded_conn, candidate_id=cid, resource=developed_listing(), spec=spec, by=ADMIN
        )
    seeded_conn.commit()
    assert resources(seeded_conn) == before
    assert stage_of(seeded_conn, cid) == ("candidate", None, None)
    assert count(seeded_conn, "select count(*) from audit_log where entity_id = 'dev-farm'") == 0
    assert actions(seeded_conn, cid) == ["development_opened"]
    monkeypatch.undo()

    with pytest.raises(Conflict, match="すでに使われています") as taken:  # a code in use: nothing either
        registration.register(
            seeded_conn, candidate_id=cid, resource=developed_listing("r01"), spec=spec, by=ADMIN
        )
    assert taken.value.field == "id"
    seeded_conn.commit()
    assert resources(seeded_conn) == before and stage_of(seeded_conn, cid) == ("candidate", None, None)
    assert count(seeded_conn, "select count(*) from resource where id = 'r01' and kind = 'cafe'") == 1
