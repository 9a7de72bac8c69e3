"""The site in a real browser: headless Chromium against a real uvicorn server on
127.0.0.1. Every block of the article page renders, keyboard navigation works, a hostile
article runs no script, nothing scrolls sideways on a 375 px phone, dark mode applies.
Saves screenshots of the front, article and story pages (see SHOTS)."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time
import zlib
from pathlib import Path

import pytest
from sqlalchemy import text

from servers import LiveServer, free_port
from test_web_fixtures import HOSTILE_TITLE, build_site

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Screenshots of the test site go to a temporary folder; the README's come from the real
# demo (bench/screenshots.py). Set NEWSDESK_SCREENSHOTS to keep these somewhere else.
SHOTS = Path(os.environ.get("NEWSDESK_SCREENSHOTS", Path(tempfile.gettempdir()) / "newsdesk-screenshots"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason=f"browser tests need {CHROMIUM} and {CHROMEDRIVER} "
                              "(apt-get install chromium chromium-driver)"),
]


def _png(width: int = 640, height: int = 300) -> bytes:
    """A small gradient PNG, made here so the page loads no third-party image."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw += bytes((40 + x * 150 // width, 90 + y * 100 // height, 160))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def server():
    from starlette.responses import Response

    from newsdesk.web import create_app

    folder = Path(tempfile.mkdtemp(prefix="newsdesk-browser-"))
    site = build_site(folder, articles_per_outlet=12)
    app = create_app(site["settings"], site["db"], remote_images=False)
    image = _png()
    app.add_route("/test-lead.png", lambda request: Response(image, media_type="image/png"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with site["db"].write() as conn:   # the lead image, served by this same server
        conn.execute(text("UPDATE articles SET lead_image = :u WHERE lead_image IS NOT NULL "
                          "AND lead_image LIKE 'https:%'"), {"u": f"{base}/test-lead.png"})
    with LiveServer(app, port):
        yield base, site
    site["db"].close()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="newsdesk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--window-size=1100,1400",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def _key(driver, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(keys).perform()


def test_article_page_renders_every_block(server, browser):
    base, site = server
    browser.get(f"{base}/articles/{site['story_articles'][0]}")
    assert _css(browser, "h1")[0].text == "Phone call on the ceasefire"
    assert "government source (Russia)" in _css(browser, "p.byline")[0].text
    image = _css(browser, "figure.lead img")[0]
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 640
    assert "ceasefire" in _css(browser, ".body")[0].text
    assert _css(browser, "a.source-link")[0].text == "Read at the source"
    headings = [h.text for h in _css(browser, "section.panel > h2")]
    assert headings == ["Hashtags", "AI features", "Comments", "Related articles"]
    for selector in ("section.tags a", "section.related li.item", "p.credit"):
        assert _css(browser, selector)[0].is_displayed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "article.png"))
    browser.get(f"{base}/")
    browser.save_screenshot(str(SHOTS / "front.png"))
    browser.get(f"{base}/stories/{site['story_id']}")
    assert _css(browser, "section.timeline svg circle")
    browser.save_screenshot(str(SHOTS / "story.png"))


def test_keyboard_navigation(server, browser):
    base, _ = server
    browser.get(f"{base}/")
    items = _css(browser, "[data-item]")
    assert len(items) > 3
    current = "return Array.from(document.querySelectorAll('[data-item]')).findIndex(e => e.classList.contains('is-current'))"
    focused = "return document.activeElement.closest('[data-item]') === document.querySelectorAll('[data-item]')[arguments[0]]"
    _key(browser, "j")
    assert browser.execute_script(current) == 0 and browser.execute_script(focused, 0)
    _key(browser, "jj")
    assert browser.execute_script(current) == 2 and browser.execute_script(focused, 2)
    _key(browser, "k")
    assert browser.execute_script(current) == 1
    target = _css(browser, "[data-item]")[1].find_element("css selector", ".item-link").get_attribute("href")
    _key(browser, "?")
    assert browser.execute_script("return document.getElementById('help').open") is True
    _key(browser, "?")
    assert browser.execute_script("return document.getElementById('help').open") is False
    _key(browser, "/")
    assert browser.execute_script("return document.activeElement.id") == "site-q"
    browser.execute_script("document.activeElement.blur()")
    _key(browser, "o")
    deadline = time.monotonic() + 5
    while browser.current_url != target and time.monotonic() < deadline:
        time.sleep(0.05)
    assert browser.current_url == target


def test_hostile_article_runs_no_script(server, browser):
    base, site = server
    browser.get_log("browser")                                 # drop older entries
    browser.get(f"{base}/articles/{site['hostile_id']}")
    time.sleep(0.3)
    for link in _css(browser, "main a"):
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.title == HOSTILE_TITLE + " · Global Voices"     # the text, not "PWNED"
    assert "<script>window.__pwned=8</script>" in _css(browser, ".body")[0].text  # inert text
    logs = browser.get_log("browser")
    assert not [entry for entry in logs if "PWNED" in entry["message"] or "__pwned" in entry["message"]]
    assert not [entry for entry in logs if entry["level"] == "SEVERE"
                and "Content Security Policy" in entry["message"]], logs


def test_no_horizontal_scroll_on_a_phone_and_dark_mode(server, browser):
    base, site = server
    browser.set_window_size(375, 812)
    try:
        width = browser.execute_script("return window.innerWidth")
        assert width <= 400
        for path in ("/", f"/articles/{site['story_articles'][0]}", f"/stories/{site['story_id']}",
                     "/search?q=ceasefire", "/about", f"/articles/{site['hostile_id']}"):
            browser.get(base + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
        light = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        dark = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert light != dark and dark == "rgb(18, 19, 20)"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.set_window_size(1100, 1400)
