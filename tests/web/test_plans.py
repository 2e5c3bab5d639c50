"""プラン (domain.md §9): agreed at a 重層的支援会議 that had the person on its agenda, with full consent;
its review date puts it on the dashboard when due; 評価 moves the review on; 終結 closes it for good.
Texts are PII-guarded and what was typed is kept when refused."""

import re
from datetime import date, timedelta

import httpx
import psycopg
from fastapi import FastAPI

from matcher.matching.propose import propose
from matcher.placements.service import confirm
from tests.web.conftest import WebUser


def jusoteki_meeting_with(coordinator: WebUser, profile_id: str) -> str:
    created = coordinator.post(
        "/meetings",
        {"kind": "jusoteki_kaigi", "held_on": date.today().isoformat(), "title": "重層的支援会議 12月"},
    )
    assert created.status_code == 303, created.text
    assert (
        coordinator.post(created.headers["location"] + "/cases", {"profile_id": profile_id}).status_code
        == 303
    )
    return created.headers["location"].rsplit("/", 1)[1]


def evaluate(coordinator: WebUser, plan_page: str, evaluation: str) -> httpx.Response:
    """Records an evaluation today, with the next review in 60 days."""
    later = date.today() + timedelta(days=60)
    form = {
        "evaluation": evaluation,
        "evaluated_on": date.today().isoformat(),
        "next_review_on": later.isoformat(),
    }
    return coordinator.post(plan_page + "/evaluation", form)


def test_a_plan_needs_full_consent_and_a_jusoteki_meeting(coordinator: WebUser) -> None:
    without_consent = coordinator.get("/profiles/p02/plans")  # consent none
    assert without_consent.status_code == 200 and "本人同意" in without_consent.text
    assert 'action="/profiles/p02/plans"' not in without_consent.text
    no_meeting = coordinator.get("/profiles/p01/plans")
    assert "重層的支援会議がまだありません" in no_meeting.text
    refused = coordinator.post(
        "/profiles/p01/plans", {"goals": "週1回外出する", "review_on": date.today().isoformat()}
    )
    assert refused.status_code == 422 and "重層的支援会議を選んでください" in refused.text


def test_a_plan_from_agreement_to_review_evaluation_and_closing(
    app: FastAPI, coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    settings = app.state.settings
    resource_id = propose(seeded_conn, settings, profile_id="p01", top=1).document(1).proposals[0].resource_id
    placement = confirm(seeded_conn, settings, profile_id="p01", resource_id=resource_id, actor="coordinator")
    seeded_conn.commit()
    meeting_id = jusoteki_meeting_with(coordinator, "p01")
    meeting_page = coordinator.get(f"/meetings/{meeting_id}").text
    assert "<title>重層的支援会議 12月｜会議</title>" in meeting_page  # the title is the meeting's name only
    assert meeting_page.count('id="resources-review"') == 1  # where to review 社会資源の充足状況
    review_on = date.today() + timedelta(days=3)

    pii = coordinator.post(
        "/profiles/p01/plans",
        {
            "meeting_id": meeting_id,
            "goals": "山田太郎さんと週1回外出する",
            "review_on": review_on.isoformat(),
        },
    )
    assert pii.status_code == 422 and "山田太郎さんと週1回外出する" in pii.text
    assert seeded_conn.execute("select count(*) from support_plan").fetchone() == (0,)

    created = coordinator.post(
        "/profiles/p01/plans",
        {
            "meeting_id": meeting_id,
            "goals": "週1回、決まった場所に外出する",
            "support": "社協が初回に同行する",
            "placement_ids": str(placement.id),
            "review_on": review_on.isoformat(),
        },
    )
    assert created.status_code == 303, created.text
    plan_page = created.headers["location"]
    page = coordinator.get(plan_page).text
    assert "週1回、決まった場所に外出する" in page and "社協が初回に同行する" in page
    assert "重層的支援会議 12月" in page and review_on.isoformat() in page
    assert seeded_conn.execute("select placement_id from support_plan_placement").fetchall() == [
        (placement.id,)
    ]

    dashboard = coordinator.get("/").text
    assert "見直しの近いプラン" in dashboard and plan_page in dashboard

    evaluated = evaluate(coordinator, plan_page, "毎週通えている")
    assert evaluated.status_code == 303
    assert "毎週通えている" in coordinator.get(plan_page).text
    assert plan_page not in coordinator.get("/").text  # the review is no longer due

    no_reason = coordinator.post(plan_page + "/close", {"reason": "", "closed_on": date.today().isoformat()})
    assert no_reason.status_code == 422 and "終結の理由" in no_reason.text
    closed = coordinator.post(
        plan_page + "/close", {"reason": "目標を達成した", "closed_on": date.today().isoformat()}
    )
    assert closed.status_code == 303
    page = coordinator.get(plan_page).text
    assert "終結" in page and "目標を達成した" in page and 'action="' + plan_page + '/evaluation"' not in page
    again = evaluate(coordinator, plan_page, "再評価")
    assert again.status_code == 409
    assert re.search(r"終結", again.text)
