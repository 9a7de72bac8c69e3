"""Comments in a real browser (headless Chromium, real uvicorn on 127.0.0.1, the real app
with the community pages installed):

* the whole flow: sign up -> comment (posted by comments.js, no reload) -> another reader
  reports it -> a moderator hides it from the queue with a reason -> it is gone;
* every payload of tests/fixtures/xss_payloads.txt (OWASP filter-evasion list and
  markdown tricks), posted as a comment, stays inert: the browser runs the page with an
  alert() hook and we ask *it* whether anything ran (window.__xss, document.title, alert),
  on the real site and on a bare page without the Content-Security-Policy, so the
  sanitizer alone is tested; a control page proves the detector sees a real injection.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse

from newsdesk.community.comments import Comments
from test_community_support import PASSWORD, LiveServer, make_app, make_site

pytestmark = pytest.mark.browser
CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"
PAYLOADS = [line for line in (Path(__file__).parent / "fixtures" / "xss_payloads.txt")
            .read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
HOOK = ("window.__alerts = []; window.alert = window.confirm = window.prompt = "
        "function (m) { window.__alerts.push(String(m)); window.__xss = window.__xss || 'alert'; };")
PROBE = """
var bad = [], allowed = ["http:", "https:", "mailto:"];
document.querySelectorAll(".comment-body *").forEach(function (el) {
  Array.prototype.forEach.call(el.attributes, function (a) {
    if (/^on/i.test(a.name) || a.name === "style" || a.name === "srcdoc") bad.push(el.tagName + "@" + a.name);
  });
  if (["SCRIPT","IFRAME","OBJECT","EMBED","SVG","IMG","STYLE","META","BASE","LINK","FORM","INPUT",
       "VIDEO","MATH","DETAILS","FRAMESET","TABLE","BODY"].indexOf(el.tagName.toUpperCase()) >= 0) bad.push(el.tagName);
  if (el.tagName === "A" && allowed.indexOf(el.protocol) < 0) bad.push("A:" + el.protocol);
  if (el.tagName === "A" && !/\\bugc\\b/.test(el.rel)) bad.push("A without rel=ugc");
});
return {xss: window.__xss || null, alerts: window.__alerts || [], title: document.title, bad: bad,
        bodies: document.querySelectorAll(".comment-body").length};
"""


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("headless browser tests need chromium and chromedriver in /usr/bin")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="newsdesk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def site(settings, tmp_path):
    from newsdesk.storage.db import Database
    db = Database.from_url(f"sqlite:///{tmp_path / 'browser.db'}")
    data = make_site(db)
    app, community = make_app(settings, db)
    with LiveServer(app) as server:
        yield dict(data, db=db, server=server, community=community, app=app)
    db.close()


def _wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting in the browser")


def _fill(driver, form, **fields):
    from selenium.webdriver.common.by import By
    for name, value in fields.items():
        box = form.find_element(By.NAME, name)
        box.clear()
        box.send_keys(value)


def _signup(driver, base, name, next_path):
    from selenium.webdriver.common.by import By
    driver.delete_all_cookies()
    driver.get(f"{base}/signup?next={next_path}")
    form = driver.find_element(By.CSS_SELECTOR, "form[action='/signup']")
    _fill(driver, form, username=name, password=PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(lambda: "/signup" not in driver.current_url and driver.current_url.endswith(next_path))


def test_signup_comment_report_moderate_hide(browser, site):
    from selenium.webdriver.common.by import By
    base, page = site["server"].url, f"/discussion/article/{site['article']}"
    _signup(browser, base, "alice", page)
    browser.execute_script("window.__still_here = 'yes'")
    form = browser.find_element(By.CSS_SELECTOR, "[data-comments] > form[data-comment-form]")
    _fill(browser, form, body="Ceasefire *now*, say **both** sides.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    item = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "li.comment .comment-body em"))
    assert item[0].text == "now"
    assert browser.execute_script("return window.__still_here") == "yes"   # no full reload
    status = browser.find_element(By.CSS_SELECTOR, "[data-comments-status]").text
    assert status == "Posted."
    comment_id = browser.find_element(By.CSS_SELECTOR, "li.comment").get_attribute("data-comment-id")

    _signup(browser, base, "bob", page)
    browser.find_element(By.CSS_SELECTOR, f"#c{comment_id} details.report summary").click()
    report = browser.find_element(By.CSS_SELECTOR, f"#c{comment_id} form[data-report-form]")
    _fill(browser, report, reason="personal attack")
    report.find_element(By.CSS_SELECTOR, "button").click()
    _wait(lambda: "a moderator will look at it" in browser.page_source)

    site["community"].accounts.set_role(site["community"].accounts.signup("mod", PASSWORD).id, "moderator")
    browser.delete_all_cookies()
    browser.get(f"{base}/login?next=/moderation")
    login = browser.find_element(By.CSS_SELECTOR, "form[action='/login']")
    _fill(browser, login, username="mod", password=PASSWORD)
    login.find_element(By.CSS_SELECTOR, "button").click()
    queued = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, f"#q{comment_id}"))
    assert "Reported by bob: personal attack" in queued[0].text
    hide = queued[0].find_element(By.CSS_SELECTOR, "form[action$='/hide']")
    _fill(browser, hide, reason="no personal attacks")
    hide.find_element(By.CSS_SELECTOR, "button").click()
    _wait(lambda: "Done: hide." in browser.page_source)
    log = browser.find_element(By.CSS_SELECTOR, "table.log").text
    assert "hide" in log and "no personal attacks" in log and "mod" in log
    assert not browser.find_elements(By.CSS_SELECTOR, f"#q{comment_id}")

    browser.delete_all_cookies()
    browser.get(base + page)
    assert "Ceasefire" not in browser.find_element(By.CSS_SELECTOR, "[data-comments]").text
    assert browser.find_element(By.CSS_SELECTOR, "[data-comments-empty]").text == "No comments yet."


def _bare_app(site) -> FastAPI:
    """The comments block on a page without the Content-Security-Policy, so that only
    the sanitizer stands between a payload and the browser; plus a control page."""
    from newsdesk.web.community import comments_block, install
    from newsdesk.web.render import Renderer
    app = FastAPI()
    app.state.renderer = Renderer()
    install(app, site["community"].settings, site["db"], accounts=site["community"].accounts)

    @app.get("/bare/{article_id}")
    async def bare(request: Request, article_id: int):
        return HTMLResponse(f"<!doctype html><title>bare</title>{comments_block(request, 'article', article_id, limit=100)}")

    @app.get("/control")
    async def control():
        return HTMLResponse('<!doctype html><title>bare</title><div class="comment-body">'
                            '<img src="/nothing" onerror="window.__xss=\'control\'"></div>')
    return app


def test_xss_payloads_stay_inert(browser, site):
    assert len(PAYLOADS) >= 50
    alice = site["community"].accounts.signup("alice", PASSWORD)
    comments = Comments(site["db"], user_limits=((1000, 60),), dedupe_window=0)
    pages = {site["article"]: PAYLOADS[:42], site["other_article"]: PAYLOADS[42:]}   # < 50 a page
    for article, payloads in pages.items():
        for n, payload in enumerate(payloads):
            comments.post(alice, "article", article, payload, idempotency_key=f"xss-{article}-{n}")
    with LiveServer(_bare_app(site)) as bare:
        browser.get(f"{bare.url}/control")
        control = _wait(lambda: browser.execute_script(PROBE)["xss"])
        assert control == "control"     # the detector does see a script that runs
        for url, article in [(f"{root}/{a}", a) for a in pages for root in
                             (f"{bare.url}/bare", f"{site['server'].url}/discussion/article")]:
            browser.get(url if "/bare/" in url else url + "?limit=100")
            title = browser.title
            time.sleep(0.5)                 # let onerror/onload/ontoggle/timers fire
            result = browser.execute_script(PROBE)
            assert result["bodies"] == len(pages[article]), url
            assert result["xss"] is None and result["alerts"] == [], (url, result)
            assert result["title"] == title and "XSS" not in result["title"]
            assert result["bad"] == [], (url, result["bad"][:10])
            links = browser.execute_script(
                "return Array.prototype.map.call(document.querySelectorAll('.comment-body a'),"
                " function (a) { return a.href; })")
            for href in links:          # clicking any surviving link runs no script either
                assert href.startswith(("http://", "https://", "mailto:")), href
