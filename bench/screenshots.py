"""Screenshots of a running site for the README: the front page, the biggest thread on it,
the article and the story with the most outlets, in headless Chromium (Debian's chromium +
chromedriver).

    newsdesk demo &                     # serves http://127.0.0.1:8000/
    python bench/screenshots.py http://127.0.0.1:8000 docs/screenshots
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(width: int = 1100, height: int = 1400) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tempfile.mkdtemp()}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main(base: str, out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    front = httpx.get(base + "/index.json", timeout=30).json()["items"]
    front += httpx.get(base + "/index.json?limit=100", timeout=30).json()["items"]
    stories = [i for i in front if i["kind"] == "story" and 2 <= i["article_count"] <= 15] or \
        [i for i in front if i["kind"] == "story"]
    story = max(stories, key=lambda i: (i["outlet_count"], i["article_count"]))
    detail = httpx.get(f"{base}/stories/{story['id']}.json", timeout=30).json()
    article = detail["articles"][0]["id"]
    for url in (f"{base}/articles/{article}.json", f"{base}/stories/{story['id']}.json"):
        for _ in range(50):  # let the background AI jobs fill the panel first
            if not httpx.get(url, timeout=30).json()["ai"]["pending"]:
                break
            time.sleep(0.2)
    top = httpx.get(base + "/index.json", timeout=30).json()["top"]
    threads = [g["thread"] for g in top if g["thread"]]   # the longest-running of the top threads
    thread = max(threads, key=lambda t: t["story_count"] or 0)["id"] if threads else None
    pages = [("front", "/"), ("article", f"/articles/{article}"), ("story", f"/stories/{story['id']}")]
    if thread is not None:
        pages.insert(1, ("thread", f"/threads/{thread}"))
    driver = browser()
    try:
        for name, path in pages:
            driver.get(base + path)
            time.sleep(0.5)
            driver.save_screenshot(str(folder / f"{name}.png"))
            print(f"saved {folder / (name + '.png')} ({base + path})")
    finally:
        driver.quit()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
