"""The start page a coordinator sees after `make demo`."""

import httpx


def test_start_page_lists_the_demo_registry_and_profiles_in_japanese(live_server: str) -> None:
    page = httpx.get(live_server + "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="ja">' in html
    assert "社会資源" in html and "ニーズプロファイル" in html
    assert "まちなか縁側カフェ ほりかわ" in html  # a demo listing
    assert "就労継続支援A型" in html  # a WAM NET row's kind, in Japanese
    assert "p01" in html and "本人同意" in html


def test_htmx_and_styles_are_served_locally(live_server: str) -> None:
    html = httpx.get(live_server + "/").text
    assert "/static/htmx.min.js" in html and "https://" not in html
    script = httpx.get(live_server + "/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text
    assert httpx.get(live_server + "/static/style.css").status_code == 200
