"""The pages and their JSON twins and feeds, on a real SQLite site (see test_web_fixtures)."""

from __future__ import annotations

import json

from lxml import etree, html

from test_web_fixtures import client, css, site  # noqa: F401  (fixtures)


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    return html.fromstring(response.text)


def test_front_page_lists_stories_with_labelled_outlets_and_times(client, site):
    doc = page(client, "/")
    items = css(doc, "ol.stories > li.item")
    assert len(items) == 30                                      # a full first page
    titles = [css(i, "h2 a")[0].text_content() for i in items]
    story = items[titles.index("Ceasefire phone call")]
    assert css(story, "h2 a")[0].get("href") == f"/stories/{site['story_id']}"
    outlets = [li.text_content() for li in css(story, "ul.outlets li")]
    assert any("President of Russia" in o and "government source (Russia)" in o for o in outlets)
    assert any("Global Voices" in o and "citizen media" in o for o in outlets)
    assert "3 articles from 3 outlets" in story.text_content()
    when = css(story, "time")[0]
    assert when.get("datetime") and "UTC" in when.get("title")
    assert when.text_content() == "30 minutes ago"
    assert css(story, "p.summary")[0].text_content().startswith("Putin and Trump")
    # articles not in any story stand alone, linking to the article page
    # (the undated one sorts by its fetch time: now)
    assert titles[:2] == ["An undated dispatch", site_title(client, site["hostile_id"])]
    assert css(items[1], "h2 a")[0].get("href") == f"/articles/{site['hostile_id']}"
    # the three story articles are not repeated as lone items
    assert "Phone call on the ceasefire" not in titles


def site_title(client, article_id):
    return client.get(f"/articles/{article_id}.json").json()["article"]["title"]


def test_front_page_cursor_walks_every_item_once(client, site):
    seen, url = [], "/index.json?limit=25"
    while url:
        data = client.get(url).json()
        seen += [(i["kind"], i["id"]) for i in data["items"]]
        url = data["next"]
    assert len(seen) == len(set(seen))
    # 120 plain + hostile + undated articles alone, plus one story of three
    assert len(seen) == 3 * 40 + 2 + 1
    assert ("article", site["undated_id"]) in seen


def test_front_page_filters(client, site):
    data = client.get("/index.json?category=world&limit=100").json()
    lone = {o["name"] for i in data["items"] if i["kind"] == "article" for o in i["outlets"]}
    assert lone == {"Global Voices"}
    # a story is shown when any of its articles matches, with all its outlets
    stories = [i for i in data["items"] if i["kind"] == "story"]
    assert [s["id"] for s in stories] == [site["story_id"]]
    assert len(stories[0]["outlets"]) == 3
    one = client.get(f"/?outlet={site['sources'][1].id}", headers={"Accept": "application/json"}).json()
    assert one["items"] and all(any(o["id"] == site["sources"][1].id for o in i["outlets"])
                                for i in one["items"])
    doc = page(client, "/?category=nothing-like-this")
    assert "No stories match these filters" in css(doc, "p.empty")[0].text_content()


def test_article_page_blocks_in_order(client, site):
    doc = page(client, f"/articles/{site['story_articles'][0]}")
    main = css(doc, "main")[0]
    assert css(main, "h1")[0].text_content() == "Phone call on the ceasefire"
    byline = css(main, "p.byline")[0].text_content()
    assert "President of Russia" in byline and "government source (Russia)" in byline
    assert "by Press Office" in byline
    assert "Published" in css(main, "p.dates")[0].text_content()
    assert "Updated" in css(main, "p.dates")[0].text_content()
    assert css(main, "figure.lead img")[0].get("src") == "https://example.org/lead.jpg"
    sentences = css(main, ".body span.s")                  # each sentence is a citation target
    assert [(x.get("id"), x.text) for x in sentences] == [
        ("s0", "Putin and Trump discussed a ceasefire."), ("s1", "The call lasted two hours.")]
    assert "CC BY 4.0" in css(main, "p.credit")[0].text_content()
    assert css(main, "a.source-link")[0].get("href") == "https://example.org/1/1000"
    headings = [h.text_content() for h in css(main, "section.panel > h2")]
    assert headings == ["Hashtags", "AI features", "Comments", "Related articles"]
    assert css(main, "ul.taglist a")[0].get("href") == "/tags/ceasefire"
    related = css(main, "section.related li.item")
    assert len(related) == 1 and "Zelensky comments" in related[0].text_content()
    assert css(related[0], "time")                         # time-ago on related items
    assert "to comment" in css(main, "section.comments")[0].text_content()   # log in or sign up
    ai = css(main, "section.ai")[0].text_content()
    assert "Summary of this article" in ai and "Ask about this article" in ai


def test_article_without_tags_or_related_shows_honest_states(client, site):
    doc = page(client, f"/articles/{site['plain_id']}")
    headings = [h.text_content() for h in css(doc, "section.panel > h2")]
    assert "Hashtags" not in headings                           # no empty heading
    assert css(doc, "section.related p.empty")[0].text_content() == "No related coverage yet."
    paragraphs = css(doc, ".body p")                      # text shown as paragraphs
    assert [p.text_content().strip() for p in paragraphs][1] == "Paragraph two of item 0."
    undated = page(client, f"/articles/{site['undated_id']}")
    assert "no publication date given" in css(undated, "p.dates")[0].text_content()


def test_article_json_twin(client, site):
    aid = site["story_articles"][0]
    data = client.get(f"/articles/{aid}.json").json()
    negotiated = client.get(f"/articles/{aid}", headers={"Accept": "application/json"}).json()
    data.pop("ai"), negotiated.pop("ai")   # filled in the background between the two calls
    assert data == negotiated
    assert data["article"]["title"] == "Phone call on the ceasefire"
    assert data["outlet"]["label"] == "government source (Russia)"
    assert data["tags"] == [{"slug": "ceasefire", "display": "Ceasefire"}]
    assert data["story"]["id"] == site["story_id"]
    assert data["comments"] == {"enabled": True, "items": [], "more_after": None}


def test_pages_compute_ai_results_on_request_and_share_them(client, site):
    from sqlalchemy import text
    aid = site["story_articles"][0]
    ai = client.get(f"/articles/{aid}.json").json()["ai"]      # computed now, within ai_page_wait
    assert ai["provider"] == "offline" and not ai["pending"] and ai["poll"] is None
    summary = ai["article"]["items"]
    assert summary and all(i["cites"] and i["origin"] == "quoted" for i in summary)
    for item in summary:                                 # every sentence traces to the text
        cite = item["cites"][0]
        assert cite["href"].startswith(f"/articles/{aid}#s") and cite["text"] == item["text"]
    story = ai["story"]
    assert story["docs"] == 3 and story["timeline"]["status"] == "ok"
    assert story["timeline"]["entries"][0]["date"]
    assert any("Quoted word for word from the outlets" in line for line in ai["authors"])
    service = client.app.state.ai
    assert service.settle(timeout=30)      # the page had them before the writer stored them
    with site["db"].read() as conn:
        stored = conn.execute(text("SELECT count(*) FROM ai_results")).scalar()
    assert stored
    again = client.get(f"/articles/{aid}.json").json()["ai"]   # read back, nothing recomputed
    assert service.settle(timeout=30)
    with site["db"].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM ai_results")).scalar() == stored
    assert again["story"]["timeline"] == story["timeline"]
    doc = page(client, f"/articles/{aid}")
    links = css(doc, "section.ai a.cite")
    assert links and all(a.get("href").startswith("/articles/") for a in links)
    assert "Preparing" not in css(doc, "section.ai")[0].text_content()


def test_every_since_is_answered_on_request(client, site):
    sid = site["story_id"]
    assert client.get(f"/stories/{sid}?since=not-a-date").status_code == 400
    data = client.get(f"/stories/{sid}.json?since=2000-01-01").json()
    assert data["ai"]["story"]["since"] == "2000-01-01"
    assert data["ai"]["story"]["timeline"]["status"] == "ok" and not data["ai"]["pending"]
    newest = max(a["published_at"] for a in data["articles"] if a.get("published_at"))
    after = client.get(f"/stories/{sid}.json", params={"since": newest}).json()["ai"]["story"]
    assert after["timeline"]["status"] == "empty" and after["timeline"]["note"].startswith("Nothing new since")
    fragment = html.fromstring(client.get(f"/stories/{sid}/ai?since=2000-01-01").text)
    assert fragment.get("id") == "ai" and css(fragment, "ol.timeline li")


def _ask(client, path, question, **headers):
    """GET the ask form (its CSRF token), then POST the question as a browser would."""
    form = client.get(path, params={"q": question}, headers={"Accept": "application/json"}).json()
    assert form["answer"] is None   # the GET computes nothing
    return client.post(path, data={"q": question, "csrf": form["csrf"]}, headers=headers)


def test_ask_answers_from_the_coverage_only(client, site):
    sid = site["story_id"]
    found = _ask(client, f"/stories/{sid}/ask", "How long did the call last?",
                 Accept="application/json").json()["answer"]
    assert found["status"] == "ok" and "two hours" in found["items"][0]["text"]
    assert found["items"][0]["citations"]
    missing = _ask(client, f"/stories/{sid}/ask", "Who won the football match?",
                   Accept="application/json").json()["answer"]
    assert missing["status"] != "ok"
    answered = _ask(client, f"/articles/{site['story_articles'][0]}/ask", "x" * 1500)
    assert answered.status_code == 200 and "section" in answered.text   # a huge question: cut
    assert client.get(f"/stories/{sid}/ask?q=" + "y" * 3000).status_code in (400, 422)


def test_ask_by_get_writes_nothing_and_a_post_needs_the_token(client, site):
    from sqlalchemy import text
    sid = site["story_id"]
    db = client.app.state.db

    def rows():
        assert client.app.state.ai.settle(timeout=30)   # what pages computed is written
        with db.read() as conn:
            return conn.execute(text("SELECT count(*) FROM ai_results")).scalar()

    before = rows()
    for n in range(5):  # an old-style link with a question: the form, pre-filled, no answer
        shown = client.get(f"/stories/{sid}/ask", params={"q": f"question number {n}?"})
        assert shown.status_code == 200 and f"question number {n}?" in shown.text
        assert 'method="post"' in shown.text and "private" in shown.headers["cache-control"]
    assert rows() == before
    refused = client.post(f"/stories/{sid}/ask", data={"q": "What happened?"})
    assert refused.status_code == 403 and rows() == before


def test_ai_panel_hook_can_be_replaced(site):
    from starlette.testclient import TestClient

    from newsdesk.web import create_app

    def panel(item, **options):
        return None
    with TestClient(create_app(site["settings"], site["db"], ai_panel=panel)) as c:
        doc = html.fromstring(c.get(f"/articles/{site['plain_id']}").text)
        assert "not available" in css(doc, "section.ai")[0].text_content()


def test_story_page_coverage_and_timeline(client, site):
    doc = page(client, f"/stories/{site['story_id']}")
    assert css(doc, "h1")[0].text_content() == "Ceasefire phone call"
    coverage = css(doc, "section.coverage li.item")
    times = [css(li, "time")[0].get("datetime") for li in coverage]
    assert len(coverage) == 3 and times == sorted(times, reverse=True)   # newest first
    svg = css(doc, "section.timeline svg")[0]
    dots = css(svg, "circle")
    assert len(dots) == 3                    # three outlets, one article each on their day
    labels = {t.text_content() for t in css(svg, "text.tl-label")}
    assert labels == {"President of Russia", "President of Ukraine", "Global Voices"}
    data = client.get(f"/stories/{site['story_id']}.json").json()
    assert [a["id"] for a in data["articles"]][0] == site["story_articles"][0]


def test_tag_outlet_and_outlets_pages(client, site):
    doc = page(client, "/tags/ceasefire")
    assert css(doc, "h1")[0].text_content() == "#Ceasefire"
    assert len(css(doc, "ol.items li.item")) == 2
    assert css(doc, "section.panel a")[0].get("href") == f"/stories/{site['story_id']}"
    kremlin = site["sources"][0].id
    doc = page(client, f"/outlets/{kremlin}")
    assert css(doc, "p.kicker")[0].text_content() == "government source (Russia)"
    assert len(css(doc, "ol.items li.item")) == 30
    nxt = css(doc, "nav.pager a[rel=next]")[0].get("href")
    second = page(client, nxt)
    first_ids = {a.get("href") for a in css(doc, "li.item h3 a")}
    assert not first_ids & {a.get("href") for a in css(second, "li.item h3 a")}
    about = page(client, "/about")
    names = [h.text_content() for h in css(about, "li.item h3")]
    assert any("Global Voices" in n and "citizen media" in n for n in names)
    assert client.get("/outlets.json").json()["outlets"][0]["articles"] > 0


def test_search_highlights_escapes_filters_and_sorts(client, site):
    doc = page(client, "/search?q=ceasefire")
    results = css(doc, "ol.results li.item")
    assert results and all(css(r, "mark") for r in results)
    assert {m.text_content().lower() for r in results for m in css(r, "mark")} == {"ceasefire"}
    hostile = page(client, "/search?q=hostile")
    assert not css(hostile, "main script")                 # snippet text escaped
    data = client.get("/search.json?q=grain&sort=date").json()
    times = [r["published_at"] for r in data["results"]]
    assert times == sorted(times, reverse=True) and data["next"]
    only = client.get(f"/search.json?q=grain&outlet={site['sources'][2].id}").json()
    assert {r["outlet"]["name"] for r in only["results"]} == {"Global Voices"}
    nothing = page(client, "/search?q=zzzzunknownword")
    assert "Nothing matches" in css(nothing, "p.empty")[0].text_content()


def test_feeds_out(client, site):
    rss = etree.fromstring(client.get("/feed.rss").content)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert len(rss.findall("channel/item")) == 50
    atom = etree.fromstring(client.get(f"/stories/{site['story_id']}.atom").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert len(atom.findall("a:entry", ns)) == 3
    feed = client.get("/tags/ceasefire.feed.json")
    assert feed.headers["content-type"].startswith("application/feed+json")
    assert json.loads(feed.text)["version"] == "https://jsonfeed.org/version/1.1"
    search = etree.fromstring(client.get("/search.rss?q=grain").content)
    assert search.findall("channel/item")
    outlet = client.get(f"/outlets/{site['sources'][0].id}.feed.json").json()
    assert len(outlet["items"]) == 41
    # the hostile title survives as text, never as markup
    titles = [t.text for t in rss.iter("title")]
    assert any(t and "<script>" in t for t in titles)


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert "/articles/{ref}" in spec["paths"] and "/search" in spec["paths"]
    assert client.get("/docs").status_code == 404               # no CDN-loading docs UI


def test_a_preview_starts_at_the_lede_not_at_a_venue_or_heading_line():
    from newsdesk.storage.reading import summary_line
    # venue and dateline lines, a document heading, a salutation: skipped
    assert summary_line("East Room\n\n2:29 P.M. EST\n\nTHE VICE PRESIDENT: We meet today as Russian forces shell Kharkiv."
                        ) == "THE VICE PRESIDENT: We meet today as Russian forces shell Kharkiv."
    assert summary_line("MEMORANDUM FOR THE SECRETARY OF STATE\n\nSUBJECT: Delegation of Authority "
                        "Under Section 506(a)(1) of the Foreign Assistance Act").startswith("SUBJECT:")
    assert summary_line("To the Members of the Federal Workforce:\nTonight, I will deliver my State of "
                        "the Union address.").startswith("Tonight")
    # a short lede that is a sentence is the preview; so is a long first paragraph
    assert summary_line("The President chaired a meeting on economic issues.\n\nDuring the meeting, the "
                        "President instructed banks.") == "The President chaired a meeting on economic issues."
    long_line = "Russian forces shelled the city overnight " * 10
    assert summary_line(long_line + "\n\nMore.").endswith("…")
    # nothing reads as an opening: the first paragraph, as before
    assert summary_line("Chandler, AZ\n\nPhoto: AP") == "Chandler, AZ"
    assert summary_line("") == "" and summary_line(None) == ""


def test_times_older_than_a_week_show_their_day_not_years_ago():
    from datetime import datetime, timedelta, timezone

    from newsdesk.web.render import time_tag, when_label
    now = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
    assert when_label(now - timedelta(hours=11), now) == "11 hours ago"
    assert when_label(now - timedelta(days=6), now) == "6 days ago"
    assert when_label(datetime(2022, 3, 9, 23, tzinfo=timezone.utc), now) == "9 Mar 2022"
    tag = str(time_tag(datetime(2022, 3, 9, 23, tzinfo=timezone.utc)))
    assert ">9 Mar 2022</time>" in tag and 'title="09 March 2022, 23:00 UTC"' in tag
