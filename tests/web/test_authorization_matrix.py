"""Every page and API route, walked by every role and by an anonymous visitor, against one table of
who may. A host opening another host's listing or any profile gets 403 and sees nothing of it."""

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from matcher.accounts.users import create_user
from tests.web.conftest import WebUser, signed_in

ROLES = ("anonymous", "coordinator", "provider", "admin", "member")
C, P, A, M = {"coordinator"}, {"provider"}, {"admin"}, {"member"}
ANY = C | P | A  # a 支援会議 member sees nothing outside its meetings (domain.md §9)

# (method, route as FastAPI declares it, concrete path, roles allowed). The host owns r01 and r02.
MATRIX = [
    ("GET", "/login", "/login", ANY | M | {"anonymous"}),
    ("POST", "/login", "/login", ANY | M | {"anonymous"}),
    ("POST", "/logout", "/logout", ANY | M),
    ("GET", "/", "/", ANY | M),
    ("GET", "/resources", "/resources", ANY),
    ("GET", "/resources/{resource_id}", "/resources/r01", ANY),
    ("GET", "/admin/listings/new", "/admin/listings/new", A),
    ("POST", "/admin/listings", "/admin/listings", A),
    ("GET", "/admin/listings/{resource_id}/edit", "/admin/listings/r01/edit", A),
    ("POST", "/admin/listings/{resource_id}", "/admin/listings/r01", A),
    ("POST", "/admin/listings/{resource_id}/status", "/admin/listings/r01/status", A),
    ("GET", "/admin/users/{user_id}/listings", "/admin/users/999/listings", A),
    ("GET", "/profiles", "/profiles", C),
    ("GET", "/profiles/new", "/profiles/new", C),
    ("POST", "/profiles/new", "/profiles/new", C),
    ("GET", "/profiles/{profile_id}/edit", "/profiles/p02/edit", C),
    ("POST", "/profiles/{profile_id}/edit", "/profiles/p02/edit", C),
    ("GET", "/profiles/{profile_id}", "/profiles/p02", C),
    ("POST", "/profiles/{profile_id}/consent", "/profiles/p02/consent", C),
    ("POST", "/profiles/{profile_id}/confirm", "/profiles/p02/confirm", C),
    ("POST", "/profiles/{profile_id}/reject", "/profiles/p02/reject", C),
    ("POST", "/profiles/{profile_id}/restore", "/profiles/p02/restore", C),
    ("GET", "/profiles/{profile_id}/notes", "/profiles/p02/notes", C),
    ("POST", "/profiles/{profile_id}/notes", "/profiles/p02/notes", C),
    ("GET", "/profiles/{profile_id}/caseload", "/profiles/p02/caseload", C),
    ("POST", "/profiles/{profile_id}/caseload", "/profiles/p02/caseload", C),
    ("GET", "/api/profiles/{profile_id}/notes", "/api/profiles/p02/notes", C),
    ("POST", "/api/profiles/{profile_id}/notes", "/api/profiles/p02/notes", C),
    ("POST", "/placements/{placement_id}/{action}", "/placements/1/trial", C),
    ("POST", "/placements/{placement_id}/plan", "/placements/1/plan", C),
    ("POST", "/placements/{placement_id}/followups/new", "/placements/1/followups/new", C),
    ("GET", "/placements/{placement_id}/sheet", "/placements/1/sheet", C),
    ("GET", "/placements/{placement_id}/sheet.pdf", "/placements/1/sheet.pdf", C),
    ("GET", "/host/listings/{resource_id}", "/host/listings/r01", P),
    ("POST", "/host/listings/{resource_id}", "/host/listings/r01", P),
    ("POST", "/host/listings/{resource_id}/assure", "/host/listings/r01/assure", P),
    ("POST", "/host/referrals/{placement_id}/{answer}", "/host/referrals/1/accept", P),
    ("GET", "/admin/imports", "/admin/imports", A),
    ("POST", "/admin/imports", "/admin/imports", A),
    ("GET", "/admin/imports/{job_id}", "/admin/imports/none", A),
    ("GET", "/admin/users", "/admin/users", A),
    ("POST", "/admin/users", "/admin/users", A),
    ("POST", "/admin/users/{user_id}/{change}", "/admin/users/999/enable", A),
    ("GET", "/admin/audit", "/admin/audit", A),
    ("GET", "/admin/audit.csv", "/admin/audit.csv", A),
    ("GET", "/admin/batch", "/admin/batch", A),
    ("POST", "/admin/batch/run", "/admin/batch/run", A),
    ("GET", "/admin/batch/progress", "/admin/batch/progress", A),
    ("GET", "/admin/gaps", "/admin/gaps", A),
    ("GET", "/admin/gaps.csv", "/admin/gaps.csv", A),
    ("GET", "/api/profiles/{profile_id}/proposals", "/api/profiles/p02/proposals", C),
    ("POST", "/api/profiles/{profile_id}/rejections", "/api/profiles/p02/rejections", C),
    ("GET", "/api/resources/{resource_id}", "/api/resources/r01", ANY),
    ("PUT", "/api/resources/{resource_id}", "/api/resources/r01", ANY),
    ("POST", "/api/resources/{resource_id}/assure", "/api/resources/r01/assure", P),
    ("POST", "/api/profiles", "/api/profiles", C),
    ("GET", "/api/profiles/{profile_id}", "/api/profiles/p02", C),
    ("PUT", "/api/profiles/{profile_id}", "/api/profiles/p02", C),
    ("POST", "/api/placements", "/api/placements", C),
    ("GET", "/api/placements/{placement_id}", "/api/placements/1", C),
    ("POST", "/api/placements/{placement_id}/refer", "/api/placements/1/refer", C),
    ("POST", "/api/placements/{placement_id}/steps", "/api/placements/1/steps", C),
    ("POST", "/api/placements/{placement_id}/plan", "/api/placements/1/plan", C),
    ("POST", "/api/placements/{placement_id}/followups", "/api/placements/1/followups", C),
    ("GET", "/api/provider/referrals", "/api/provider/referrals", P),
    ("POST", "/api/provider/referrals/{placement_id}/answer", "/api/provider/referrals/1/answer", P),
    ("GET", "/api/hsds/services", "/api/hsds/services", C | A),
    ("GET", "/api/hsds/services/{service_id}", "/api/hsds/services/none", C | A),
    ("GET", "/api/hsds/", "/api/hsds/", C | A),
    ("GET", "/api/hsds/taxonomies", "/api/hsds/taxonomies", C | A),
    ("GET", "/api/hsds/taxonomies/{taxonomy_id}", "/api/hsds/taxonomies/none", C | A),
    ("GET", "/api/hsds/taxonomy_terms", "/api/hsds/taxonomy_terms", C | A),
    ("GET", "/api/hsds/taxonomy_terms/{term_id}", "/api/hsds/taxonomy_terms/none", C | A),
    # 支援会議・重層的支援会議: meeting 1 is held today; the member belongs to it and has acknowledged it
    ("GET", "/meetings", "/meetings", C | A),
    ("POST", "/meetings", "/meetings", C | A),
    ("GET", "/meetings/{meeting_id}", "/meetings/1", C | A | M),
    ("POST", "/meetings/{meeting_id}/members", "/meetings/1/members", C | A),
    ("POST", "/meetings/{meeting_id}/cases", "/meetings/1/cases", C | A),
    ("POST", "/meetings/{meeting_id}/cases/{profile_id}/minutes", "/meetings/1/cases/p02/minutes", C | A),
    ("POST", "/meetings/{meeting_id}/acknowledge", "/meetings/1/acknowledge", M),
    ("POST", "/api/meetings", "/api/meetings", C | A),
    ("POST", "/api/meetings/{meeting_id}/members", "/api/meetings/1/members", C | A),
    ("POST", "/api/meetings/{meeting_id}/cases", "/api/meetings/1/cases", C | A),
    ("POST", "/api/meetings/{meeting_id}/acknowledge", "/api/meetings/1/acknowledge", M),
    ("GET", "/api/meetings/{meeting_id}/cases", "/api/meetings/1/cases", C | A | M),
    ("GET", "/profiles/{profile_id}/plans", "/profiles/p02/plans", C),
    ("POST", "/profiles/{profile_id}/plans", "/profiles/p02/plans", C),
    ("GET", "/plans/{plan_id}", "/plans/1", C),
    ("POST", "/plans/{plan_id}/evaluation", "/plans/1/evaluation", C),
    ("POST", "/plans/{plan_id}/close", "/plans/1/close", C),
    # 実績 (domain.md §10)
    ("GET", "/api/reports/kpi", "/api/reports/kpi?fiscal_year=2025", C | A),
    ("GET", "/reports/kpi", "/reports/kpi", C | A),
    ("POST", "/reports/kpi/targets", "/reports/kpi/targets", A),
    ("GET", "/reports/kpi.csv", "/reports/kpi.csv", C | A),
    ("GET", "/reports/kpi.xlsx", "/reports/kpi.xlsx", C | A),
    # 社会資源の開拓 and support for hosts: candidate 1 exists
    ("GET", "/development", "/development", C | A),
    ("GET", "/development/new", "/development/new", C | A),
    ("POST", "/development", "/development", C | A),
    ("GET", "/development/{candidate_id}", "/development/1", C | A),
    ("POST", "/development/{candidate_id}/stage", "/development/1/stage", C | A),
    ("POST", "/development/{candidate_id}/notes", "/development/1/notes", C | A),
    ("GET", "/development/{candidate_id}/register", "/development/1/register", A),
    ("POST", "/development/{candidate_id}/register", "/development/1/register", A),
    ("POST", "/resources/{resource_id}/support", "/resources/r01/support", C | A),
]
UNLISTED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static", "/favicon.ico"}


def declared_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    def flat(routes):  # type: ignore[no-untyped-def]
        for route in routes:
            inner = getattr(route, "original_router", None)
            yield from flat(inner.routes) if inner else [route]

    return {
        (method, route.path)
        for route in flat(app.routes)
        if route.path not in UNLISTED
        for method in (getattr(route, "methods", None) or set()) - {"HEAD"}
    }


def test_the_table_covers_every_route(app) -> None:  # type: ignore[no-untyped-def]
    assert declared_routes(app) == {(method, route) for method, route, _path, _who in MATRIX}


class Visitor:
    """One role, with a browser session for pages and a Bearer token for the API."""

    def __init__(self, role: str, page: WebUser | TestClient, token: str | None) -> None:
        self.role, self.page, self.token = role, page, token

    def call(self, method: str, path: str) -> tuple[int, str, str]:
        if path.startswith("/api/"):
            client = self.page.client if isinstance(self.page, WebUser) else self.page
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            response = client.request(method, path, headers=headers, json={})
        elif isinstance(self.page, WebUser):
            response = (
                self.page.post(path, {}) if method == "POST" else self.page.get(path, follow_redirects=False)
            )
        else:
            response = self.page.request(method, path, follow_redirects=False)
        return response.status_code, response.headers.get("location", ""), response.text


@pytest.fixture
def visitors(app, seeded_conn: psycopg.Connection) -> Iterator[dict[str, Visitor]]:  # type: ignore[no-untyped-def]
    signed = ("coordinator", "provider", "admin", "member")
    tokens = {
        role: create_user(seeded_conn, name=f"matrix-{role}", role=role, resource_ids=owned)[1]
        for role, owned in (("coordinator", []), ("provider", ["r01", "r02"]), ("admin", []), ("member", []))
    }
    seeded_conn.execute(
        "insert into meeting (id, kind, held_on, title, created_by) overriding system value "
        "values (1, 'shien_kaigi', current_date, '行列の会議', 'matrix')"
    )
    seeded_conn.execute(
        "insert into meeting_member (meeting_id, user_id, added_by, acknowledged_at) "
        "select 1, id, 'matrix', now() from app_user where name in ('matrix-member', 'kaigi')"
    )
    seeded_conn.execute(
        "insert into development_candidate (id, name, kind, area, need, created_by, stage_by) "
        "overriding system value values (1, '北の農園', 'farm', '中央圏域', '屋外の軽作業', 'matrix', 'matrix')"
    )
    seeded_conn.commit()
    sessions = [signed_in(app, role) for role in signed]
    pages = [next(s) for s in sessions]
    with TestClient(app) as anonymous:
        yield {"anonymous": Visitor("anonymous", anonymous, None)} | {
            page_role: Visitor(page_role, page, tokens[page_role])
            for page_role, page in zip(signed, pages, strict=True)
        }
    for session in sessions:
        session.close()


def forbidden(role: str, path: str, status: int, location: str) -> bool:
    if role == "anonymous":
        return status == 401 if path.startswith("/api/") else status == 303 and location.startswith("/login")
    return status == 403


@pytest.mark.parametrize(
    ("method", "route", "path", "allowed"), MATRIX, ids=[f"{m} {r}" for m, r, _p, _a in MATRIX]
)
def test_who_may_use_each_route(
    visitors: dict[str, Visitor], method: str, route: str, path: str, allowed: set[str]
) -> None:
    for role in ROLES:
        status, location, _body = visitors[role].call(method, path)
        assert status < 500, (role, method, path, status)
        if role in allowed:
            assert not forbidden(role, path, status, location), (role, method, path, status)
        else:
            assert forbidden(role, path, status, location), (role, method, path, status, location)


def test_a_host_sees_nothing_of_other_listings_or_of_profiles(
    visitors: dict[str, Visitor], seeded_conn: psycopg.Connection
) -> None:
    other_name = seeded_conn.execute("select name, description from resource where id = 'r03'").fetchone()
    narrative = seeded_conn.execute("select narrative from needs_profile where id = 'p02'").fetchone()[0]
    host = visitors["provider"]
    for method, path in [
        ("GET", "/host/listings/r03"),
        ("POST", "/host/listings/r03"),
        ("POST", "/host/listings/r03/assure"),
        ("GET", "/api/resources/r03"),
        ("PUT", "/api/resources/r03"),
        ("POST", "/api/resources/r03/assure"),
        ("GET", "/profiles/p02"),
        ("GET", "/api/profiles/p02"),
        ("GET", "/api/profiles/p02/proposals"),
        ("GET", "/api/hsds/services"),
    ]:
        status, _location, body = host.call(method, path)
        assert status == 403, (method, path, status)
        assert other_name[0] not in body and other_name[1][:20] not in body and narrative[:20] not in body
