"""Every "since" choice of a story page, clicked in a real browser, with JavaScript and
without: the date picker, "since the previous story in this thread", "since your last
visit" (a reader who came back after an article published a minute later sees it) and
"the last 3 days" each show dated developments, or "Nothing new since ..." when that is
true, within 2 seconds; nothing is left "preparing"."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from servers import LiveServer
from test_browser import CHROMEDRIVER, CHROMIUM, SHOTS
from test_community_support import PASSWORD
from test_web_fixtures import _row, build_site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                       reason=f"browser tests need {CHROMIUM} and {CHROMEDRIVER} "
                              "(apt-get install chromium chromium-driver)"),
]
NEW_FACT = "Monitors reported that the ceasefire held through the night in every district."


@pytest.fixture(scope="module")
def site():

    from newsdesk.web import create_app
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-since-"))
    site = build_site(folder, articles_per_outlet=2)
    db, sid = site["db"], site["story_id"]
    with db.write() as conn:      # an earlier story of the same thread
        conn.execute(text("INSERT INTO story_tags (story_id, slug, display, score) "
                          "VALUES (:s, 'phone-call', 'Phone call', 1.0)"), {"s": sid})
        first = datetime.now(timezone.utc) - timedelta(days=9)
        thread = thread_id = conn.execute(text(   # the fixture writes stories without the stage: a thread
            "INSERT INTO threads (title, story_count, article_count) VALUES ('Ceasefire talks', 2, 0) "
            "RETURNING id")).scalar()
        conn.execute(text("UPDATE stories SET thread_id = :th WHERE id = :s"), {"th": thread, "s": sid})
        earlier = conn.execute(text(
            "INSERT INTO stories (title, lead_article_id, first_seen, last_seen, article_count, outlet_count, "
            "updated_at, thread_id) VALUES ('Earlier call', NULL, :f, :l, 0, 0, :l, :th) RETURNING id"),
            {"f": first.replace(tzinfo=None), "l": (first + timedelta(days=1)).replace(tzinfo=None),
             "th": thread}).scalar()
        for slug in ("ceasefire", "phone-call"):
            conn.execute(text("INSERT INTO story_tags (story_id, slug, display, score) VALUES (:s, :t, :t, 1)"),
                         {"s": earlier, "t": slug})
    app = create_app(site["settings"].with_(page_cache_seconds=0), db, remote_images=False)
    with LiveServer(app) as live:
        base = live.url
        yield dict(site, base=base, thread_id=thread_id)
    db.close()
    shutil.rmtree(folder, ignore_errors=True)


def _driver(javascript: bool):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="newsdesk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--window-size=1100,1600"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    return driver, profile


def _css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def _what_changed(driver, click=None, limit: float = 2.0) -> tuple[str, float]:
    """The timeline part of the panel once it is shown (dated developments or a note),
    and how long that took from the ``click`` (which loads a new page) or from now."""
    # Stale, or (Chromium, mid-navigation) "unhandled inspector error": the page moved on
    from selenium.common.exceptions import WebDriverException as Moved
    started = time.monotonic()
    if click is not None:
        old = _css(driver, "section#ai")[0]
        click.click()
        while time.monotonic() - started < limit + 3:   # the next page has replaced this one
            try:
                old.is_enabled()
            except Moved:
                break
            time.sleep(0.02)
    while time.monotonic() - started < limit + 3:
        try:
            panel = _css(driver, "section#ai")
            if panel and "Preparing" not in panel[0].text:
                entries = _css(driver, "section#ai ol.timeline > li")
                if entries:
                    return "\n".join(e.text for e in entries), time.monotonic() - started
                empty = [p.text for p in _css(driver, "section#ai p.empty")
                         if p.text.startswith("Nothing new since")]
                if empty:
                    return empty[0], time.monotonic() - started
        except Moved:
            pass   # the panel was just filled in (swapped) or the page moved on: look again
        time.sleep(0.05)
    raise AssertionError("the timeline never showed")


def _add_article(site, minutes_after: float, body: str = NEW_FACT + " Observers said the calm phone call "
                 "had helped.") -> None:
    """An article joins the story a little after the reader's visit."""
    from newsdesk.storage.articles import insert_articles
    when = datetime.now(timezone.utc) + timedelta(minutes=minutes_after)
    row = _row(site["sources"][1].id, int(time.time() * 1000) % 10**9, "Ceasefire holds overnight", body, when)
    with site["db"].write() as conn:
        [aid] = insert_articles(conn, [row], site["db"].dialect)
        conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) VALUES (:a, :s, 0.9)"),
                     {"a": aid, "s": site["story_id"]})


def _sign_up(driver, base: str, name: str, page: str) -> None:
    from selenium.webdriver.common.by import By
    driver.get(f"{base}/signup?next={page}")
    form = driver.find_element(By.CSS_SELECTOR, "form[action='/signup']")
    for field, value in (("username", name), ("password", PASSWORD)):
        form.find_element(By.NAME, field).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    deadline = time.monotonic() + 10
    while not driver.current_url.endswith(page) and time.monotonic() < deadline:
        time.sleep(0.05)


def _visit_then_come_back(driver, site, name: str, path: str, body: str | None = None) -> None:
    """A reader signs up on ``path`` and sees its whole timeline; an article is published a
    moment after that visit; the reader comes back to ``path``."""
    _sign_up(driver, site["base"], name, path)
    _what_changed(driver)
    time.sleep(1.1)
    _add_article(site, minutes_after=0, **({"body": body} if body else {}))
    driver.get(site["base"] + path)


def _every_choice(driver, labels: list[str], shots: str | None = None) -> dict[str, str]:
    """Click each "since" choice (they must be ``labels``, in order) and the date picker
    set two days back; each must show its timeline within 2 s. What each showed, by label."""
    from selenium.webdriver.common.by import By
    seen = {}
    assert [a.text for a in _css(driver, "[data-since-choices] a")] == labels
    for label in labels:
        link = next(a for a in _css(driver, "[data-since-choices] a") if a.text == label)
        seen[label], took = _what_changed(driver, click=link)
        assert took <= 2.0, (label, took)
        assert "Preparing" not in _css(driver, "section#ai")[0].text
        if shots:
            SHOTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SHOTS / f"{shots}{label.replace(' ', '-')}.png"))
    picker = _css(driver, "input#since")[0]
    driver.execute_script("arguments[0].value = arguments[1]", picker,
                          (datetime.now(timezone.utc) - timedelta(days=2)).date().isoformat())
    seen["date picker"], took = _what_changed(driver, click=picker.find_element(
        By.XPATH, "./following-sibling::button"))
    assert took <= 2.0
    return seen


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_every_since_choice_shows_what_changed_within_2s(site, javascript):
    sid = site["story_id"]
    driver, profile = _driver(javascript)
    try:
        _visit_then_come_back(driver, site, "reader" + ("js" if javascript else "nojs"),
                              f"/stories/{sid}")
        seen = _every_choice(driver, ["since the previous story in this thread",
                                      "since your last visit", "since the story began",
                                      "the last 3 days"])
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"since-{'js' if javascript else 'nojs'}.png"))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    assert NEW_FACT in seen["since your last visit"]                         # by instant, not by day
    assert "Putin and Trump discussed a ceasefire" not in seen["since your last visit"]
    for label in ("since the previous story in this thread", "since the story began", "the last 3 days",
                  "date picker"):
        assert seen[label].startswith(datetime.now(timezone.utc).date().isoformat()[:4]), (label, seen[label])


THREAD_FACT = "Negotiators agreed to meet again in Geneva on Thursday to extend the truce by a month."


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_every_since_choice_of_a_thread_page_shows_what_changed_within_2s(site, javascript):
    """The thread page has the same choices across its stories; "since your last visit" is
    the instant of the reader's previous visit to the thread."""
    tid = site["thread_id"]
    driver, profile = _driver(javascript)
    try:
        _visit_then_come_back(driver, site, "threads" + ("js" if javascript else "nojs"),
                              f"/threads/{tid}", THREAD_FACT + f" ({'js' if javascript else 'nojs'})")
        shots = f"thread-since-{'js' if javascript else 'nojs'}-"
        seen = _every_choice(driver, ["since the previous story", "since your last visit",
                                      "since the thread began", "the last 3 days"], shots=shots)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    assert THREAD_FACT in seen["since your last visit"]                      # by instant, not by day
    assert "Putin and Trump discussed a ceasefire" not in seen["since your last visit"]
    for label in ("since the previous story", "since the thread began", "the last 3 days", "date picker"):
        assert seen[label].startswith(datetime.now(timezone.utc).date().isoformat()[:4]), (label, seen[label])
