"""Security headers, hostile stored content, the error envelope and bad input."""

from __future__ import annotations

import pytest
from lxml import html

from test_web_fixtures import client, css, site  # noqa: F401  (fixtures)


def test_security_headers_on_pages_api_static_and_errors(client):
    for url in ("/", "/index.json", "/static/style.css", "/articles/0"):
        headers = client.get(url).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "object-src 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"


def test_pages_load_nothing_from_other_sites_and_no_inline_script(client, site):
    for url in ("/", f"/articles/{site['plain_id']}", f"/stories/{site['story_id']}", "/search?q=grain"):
        doc = html.fromstring(client.get(url).text)
        for script in doc.iter("script"):
            assert script.get("src", "").startswith("/static/") and not (script.text or "").strip()
        for link in css(doc, "link[rel=stylesheet]"):
            assert link.get("href").startswith("/static/")
        assert not doc.xpath("//*[@style]")                    # CSP forbids inline styles


def test_hostile_article_is_inert(client, site):
    doc = html.fromstring(client.get(f"/articles/{site['hostile_id']}").text)
    main = css(doc, "main")[0]
    assert not main.xpath(".//svg | .//iframe")
    for script in main.xpath(".//script"):                     # only our own static files
        assert script.get("src", "").startswith("/static/") and not (script.text or "").strip()
    assert "<script>" in css(main, "h1")[0].text_content()      # shown as text
    for el in main.iter():
        for name, value in el.attrib.items():
            assert not name.startswith("on"), (el.tag, name)
            if name in ("href", "src", "action", "formaction", "srcset", "data"):
                assert "javascript:" not in value.lower(), (el.tag, name, value)
    body = css(main, ".body")[0].text_content()
    assert "Hostile text <script>window.__pwned=8</script>" in body   # shown as text, inert
    assert not css(main, "a.source-link")          # javascript: source URL is not linked
    assert not css(main, "figure.lead")            # javascript: lead image dropped


def test_error_envelope_json_and_html(client):
    response = client.get("/articles/999999.json")
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "code": "not_found",
                                         "message": "no article 999999"}}
    api = client.get("/articles/999999", headers={"Accept": "application/json"})
    assert api.json()["error"]["code"] == "not_found"
    page = client.get("/articles/999999")
    assert page.headers["content-type"].startswith("text/html")
    doc = html.fromstring(page.text)
    assert css(doc, "p.error-message")[0].text_content() == "no article 999999"
    assert client.post("/articles/1.json").json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("url, status", [
    ("/articles/abc", 404),
    ("/articles/-1", 404),
    ("/articles/99999999999999999999999999999", 404),
    ("/articles/1.xml", 404),
    ("/stories/1.pdf", 404),
    ("/stories/9999", 404),
    ("/tags/no-such-tag", 404),
    ("/tags/" + "x" * 500, 404),
    ("/outlets/0", 404),
    ("/feed.xml", 404),
    ("/search.csv?q=a", 404),
    ("/?cursor=not-a-cursor", 400),
    ("/?cursor=" + "A" * 5000, 400),
    ("/?limit=100000", 400),
    ("/?limit=-5", 400),
    ("/?outlet=abc", 400),
    ("/?outlet=" + "9" * 40, 400),
    ("/tags/ceasefire?cursor=WyJ4Il0", 400),
    ("/search?q=" + "a" * 400, 400),
    ("/search?q=" + "a" * 5000, 400),
    ("/search?q=x&sort=sideways", 400),
    ("/search?q=x&cursor=WzEwMDAwMDAwXQ", 400),
    ("/search.rss", 400),
    ("/search?q=%22unbalanced", 200),
    ("/search?q=%00%ff%fe", 200),
    ("/search?q=NEAR(a+b)+OR+*+%5E", 200),
    ("/?category=%00", 200),
])
def test_bad_input_is_a_clear_4xx_never_a_500(client, url, status):
    for accept in ("text/html", "application/json"):
        response = client.get(url, headers={"Accept": accept})
        assert response.status_code == status, (url, response.text[:300])
        if status >= 400:
            assert "Traceback" not in response.text
            if accept == "application/json":
                error = response.json()["error"]
                assert error["status"] == status and error["message"]


def test_unexpected_errors_are_a_500_envelope_without_traceback(client, site, monkeypatch):
    from newsdesk.storage import reading

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(reading, "article_context", broken)
    response = client.get(f"/articles/{site['plain_id']}.json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internal detail" not in response.text
    page = client.get(f"/articles/{site['plain_id']}")
    assert page.status_code == 500 and "secret internal detail" not in page.text


def test_a_failing_ai_panel_does_not_break_the_page(site):
    from starlette.testclient import TestClient

    from newsdesk.web import create_app

    def panel(item, **options):
        raise ValueError("model offline")
    with TestClient(create_app(site["settings"], site["db"], ai_panel=panel)) as c:
        response = c.get(f"/articles/{site['plain_id']}")
        assert response.status_code == 200 and "AI features are not available" in response.text
