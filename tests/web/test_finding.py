"""Finding things: the registry and profile lists search, filter, sort and page on the server, every
search is a URL (a GET form that shows what was asked), and htmx gets the results table only."""

import re

import psycopg
import pytest
from playwright.sync_api import expect

from matcher.accounts.users import create_user, ensure_demo_accounts
from matcher.profiles.service import assign_coordinator
from tests.web.browser import browser_page, shot, sign_in
from tests.web.conftest import WebUser

ROW = re.compile(r"<tr>\s*<td><a href=\"/(?:resources|profiles)/([^\"]+)\">(.*?)</tr>", re.S)


def listed(html: str) -> list[str]:
    """The ids of the result rows, in the order shown."""
    return [found[1] for found in ROW.finditer(html)]


def cells(html: str) -> dict[str, list[str]]:
    """Each result row's cells as text, by id."""
    return {
        found[1]: [
            re.sub(r"<[^>]+>|\s+", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", found[0], re.S)
        ]
        for found in ROW.finditer(html)
    }


def shown_count(html: str) -> str:
    found = re.search(r'<p class="muted small" aria-live="polite">([^<]*)</p>', html)
    assert found, html
    return found[1]


# --- The registry -------------------------------------------------------------------------------------


def test_every_word_must_match_in_any_width(coordinator: WebUser) -> None:
    assert listed(coordinator.get("/resources?q=古江 茶の間").text) == ["r41"]
    assert listed(coordinator.get("/resources?q=古江　茶の間").text) == ["r41"]  # a full-width space
    furue = set(listed(coordinator.get("/resources?q=古江").text))
    assert {"r40", "r41", "r42", "r45"} <= furue and "r01" not in furue
    nothing = coordinator.get("/resources?q=古江 存在しない言葉")
    assert listed(nothing.text) == [] and "条件に合う社会資源はありません" in nothing.text


def test_filters_combine(coordinator: WebUser) -> None:
    assert sorted(listed(coordinator.get("/resources?kind=farm&area=西部圏域").text)) == ["r39", "r45"]
    assert listed(coordinator.get("/resources?kind=farm&area=西部圏域&status=closed").text) == ["r45"]
    care = set(listed(coordinator.get("/resources?programme=kaigo_yobo").text))
    assert {"r12", "r22", "r29", "r42"} <= care
    not_programmes = cells(coordinator.get("/resources?programme=none&size=100").text)
    assert not_programmes and "r12" not in not_programmes and "r01" in not_programmes
    assert all(row[2] == "—" for row in not_programmes.values())


def test_sorting_orders_the_rows(coordinator: WebUser) -> None:
    rows = cells(coordinator.get("/resources?sort=open&size=100").text)
    open_places = [int(row[4].split("/")[0]) for row in rows.values() if "/" in row[4]]
    assert len(open_places) > 30 and open_places == sorted(open_places, reverse=True)
    assert list(rows)[: len(open_places)] == [rid for rid, row in rows.items() if "/" in row[4]]
    by_date = [row[6] for row in cells(coordinator.get("/resources?sort=assured&size=100").text).values()]
    dated = [d for d in by_date if d != "—"]
    assert dated == sorted(dated) and by_date.index(dated[0]) == len(by_date) - len(dated)
    areas = [row[3] for row in cells(coordinator.get("/resources?sort=area&size=100").text).values()]
    runs = [area for i, area in enumerate(areas) if i == 0 or areas[i - 1] != area]
    assert len(runs) == len(set(areas)) > 3  # each area in one run


def test_pages_split_the_results_without_overlap(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    total = seeded_conn.execute("select count(*) from resource").fetchone()[0]
    assert total > 40
    pages = [coordinator.get(f"/resources?size=20&page={n}") for n in range(1, -(-total // 20) + 1)]
    ids = [rid for page in pages for rid in listed(page.text)]
    assert len(ids) == total and len(set(ids)) == total
    assert shown_count(pages[1].text) == f"{total}件中 21〜40件"
    assert 'href="/resources?size=20&amp;page=3"' in pages[1].text and 'rel="prev"' in pages[1].text
    beyond = coordinator.get("/resources?size=20&page=99")
    assert listed(beyond.text) == [] and "このページには社会資源がありません" in beyond.text


def test_a_search_is_a_bookmarkable_url_that_shows_what_was_asked(coordinator: WebUser) -> None:
    page = coordinator.get("/resources?q=カフェ&kind=cafe&area=中央圏域&sort=name&size=20").text
    assert 'method="get" action="/resources"' in page
    assert 'name="q" value="カフェ"' in page
    for selected in (
        'value="cafe" selected',
        'value="中央圏域" selected',
        'value="name" selected',
        'value="20" selected',
    ):
        assert selected in page
    assert 'hx-get="/resources" hx-target="#results"' in page and 'hx-push-url="true"' in page


def test_htmx_gets_the_results_table_only(coordinator: WebUser) -> None:
    partial = coordinator.get("/resources?kind=farm", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="results">')
    assert "<html" not in partial.text and "search-form" not in partial.text
    assert set(listed(partial.text)) >= {"r14", "r24", "r32"}
    restored = coordinator.get(
        "/resources?kind=farm", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restored.text and "search-form" in restored.text


def test_names_link_to_their_listing(coordinator: WebUser) -> None:
    assert '<a href="/resources/r41">古江 湖北の茶の間</a>' in coordinator.get("/resources?q=湖北").text


def test_values_the_form_does_not_offer_are_ignored(coordinator: WebUser) -> None:
    plain = coordinator.get("/resources")
    odd = coordinator.get(
        "/resources?sort=name;drop%20table&kind=castle&status=x&page=abc&size=7&programme=%00"
    )
    assert odd.status_code == 200
    assert listed(odd.text) == listed(plain.text) and len(listed(plain.text)) == 50


def test_a_host_finds_only_its_own_listings(host: WebUser) -> None:
    assert sorted(listed(host.get("/resources").text)) == ["r01", "r02"]
    assert listed(host.get("/resources?q=古江").text) == []
    assert listed(host.get("/resources?kind=shop").text) == ["r02"]
    page = host.get("/resources").text
    assert "西部圏域" not in page  # the area filter offers only its own listings' areas


def test_an_admin_searches_the_whole_registry(admin: WebUser) -> None:
    assert listed(admin.get("/resources?q=古江 茶の間").text) == ["r41"]


# --- The profile list ---------------------------------------------------------------------------------


def test_profiles_are_found_by_words_area_and_status(coordinator: WebUser) -> None:
    cooking = set(listed(coordinator.get("/profiles?q=料理").text))
    assert {"p11", "p33", "p38"} <= cooking and "p01" not in cooking
    assert set(listed(coordinator.get("/profiles?q=料理&area=南部圏域").text)) >= {"p33", "p38"}
    assert "p11" not in listed(coordinator.get("/profiles?q=料理&area=南部圏域").text)
    placed = listed(coordinator.get("/profiles?status=placed").text)
    assert sorted(placed) == ["p05", "p24", "p28"]
    assert listed(coordinator.get("/profiles?q=P0 ＜ない言葉＞").text) == []


def test_profiles_are_found_by_their_coordinator(
    coordinator: WebUser, seeded_conn: psycopg.Connection
) -> None:
    me = seeded_conn.execute("select id from app_user where name = 'coordinator'").fetchone()[0]
    other = create_user(seeded_conn, name="second-coordinator", role="coordinator")[0]
    assign_coordinator(seeded_conn, profile_id="p03", coordinator_id=me, actor="t")
    assign_coordinator(seeded_conn, profile_id="p07", coordinator_id=other.id, actor="t")
    seeded_conn.commit()

    assert listed(coordinator.get("/profiles?coordinator=me").text) == ["p03"]
    assert listed(coordinator.get(f"/profiles?coordinator={other.id}").text) == ["p07"]
    nobody = listed(coordinator.get("/profiles?coordinator=none&size=100").text)
    assert len(nobody) == 36 and "p03" not in nobody and "p07" not in nobody
    rows = cells(coordinator.get("/profiles?size=100").text)
    assert (
        rows["p03"][-1] == "coordinator"
        and rows["p07"][-1] == "second-coordinator"
        and rows["p01"][-1] == "なし"
    )
    by_coordinator = listed(coordinator.get("/profiles?sort=coordinator&size=100").text)
    assert by_coordinator[:2] == ["p03", "p07"]
    page = coordinator.get("/profiles?coordinator=me").text
    assert 'value="me" selected' in page


def test_profiles_sort_and_page(coordinator: WebUser, seeded_conn: psycopg.Connection) -> None:
    seeded_conn.execute("update needs_profile set updated_at = now() + interval '1 minute' where id = 'p30'")
    seeded_conn.commit()
    assert listed(coordinator.get("/profiles?sort=updated").text)[0] == "p30"
    stages = [
        int(row[3].split(".")[0])
        for row in cells(coordinator.get("/profiles?sort=stage&size=100").text).values()
    ]
    assert stages == sorted(stages) and len(stages) == 38
    first, second = (coordinator.get(f"/profiles?size=20&page={n}") for n in (1, 2))
    assert shown_count(first.text) == "38件中 1〜20件" and shown_count(second.text) == "38件中 21〜38件"
    both = listed(first.text) + listed(second.text)
    assert len(set(both)) == 38 and listed(first.text)[:3] == ["p01", "p02", "p03"]


def test_the_profile_list_answers_htmx_with_the_results_only(coordinator: WebUser) -> None:
    partial = coordinator.get("/profiles?status=placed", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="results">') and "<html" not in partial.text
    assert sorted(listed(partial.text)) == ["p05", "p24", "p28"]


@pytest.mark.parametrize("role", ["host", "admin"])
def test_only_coordinators_see_the_profile_list(role: str, request: pytest.FixtureRequest) -> None:
    visitor: WebUser = request.getfixturevalue(role)
    answer = visitor.get("/profiles?q=料理")
    assert answer.status_code == 403 and "p11" not in answer.text


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::DeprecationWarning")
def test_in_the_browser_a_filter_swaps_the_results_and_the_address_follows(
    live_server: str, seeded_conn: psycopg.Connection
) -> None:
    ensure_demo_accounts(seeded_conn)
    seeded_conn.commit()
    with browser_page(live_server) as page:
        sign_in(page, "coordinator", "demo-coordinator-pass")
        page.goto("/resources")
        page.evaluate("window.notReloaded = true")
        page.select_option("select[name=kind]", "farm")
        expect(page).to_have_url(re.compile(r"/resources\?.*kind=farm"))
        expect(page.locator("#results tbody tr").first).to_contain_text("農園")
        page.fill("input[name=q]", "西部")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"q=%E8%A5%BF%E9%83%A8"))
        expect(page.locator("#results tbody tr")).to_have_count(2)
        assert page.evaluate("window.notReloaded") is True  # htmx swapped the table, the page stayed
        shot(page, "coordinator-11-registry-search")
        page.goto("/profiles?size=20")
        page.locator(".pager a", has_text="次へ").click()
        expect(page).to_have_url(re.compile(r"page=2"))
        expect(page.locator("#results")).to_contain_text("38件中 21〜38件")
