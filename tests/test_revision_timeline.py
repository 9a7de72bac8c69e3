"""Revisions in the "what changed" timeline (issue 15): when an outlet revised its report,
the timeline says so ("City News updated its report: now says ..."), dated by the revision
and cited to the sentence of the new version, offline and on the model path (where the
model's sentence is checked like any other). A real revision through the real fetcher."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lxml import html
from sqlalchemy import text
from starlette.testclient import TestClient

from newsdesk.ai import Doc, run
from newsdesk.ai.model import Revision
from newsdesk.ai.timeline import revisions_from
from test_ai_llm import FakeLLM, provider, server  # noqa: F401 -- the scripted endpoint
from test_revisions import FIRST, fetch, newsroom, site  # noqa: F401 -- the changing site

T0 = datetime(2024, 3, 4, 22, 0)
V1 = ("Twelve people died in a fire in the city centre on Monday night, the fire service said. "
      "The blaze started in a bakery on the ground floor and spread to the flats above it.")
V2 = ("Fifteen people died in a fire in the city centre on Monday night, the fire service said. "
      "The blaze started in a bakery on the ground floor and spread to the flats above it. "
      "Police arrested a man on Tuesday morning in connection with the fire.")
OTHER = ("Firefighters from four stations fought the blaze in the city centre through the night. "
         "Residents of the flats were taken to a sports hall nearby.")


def _docs():
    revised_at = T0 + timedelta(hours=14)
    revisions = revisions_from([{"version": 1, "seen_at": T0, "title": "Fire in the city", "text": V1},
                                {"version": 2, "seen_at": revised_at, "title": "Fire kills 15", "text": V2}])
    return [Doc("1", T0, "City News", "Fire kills 15", V2, revisions=revisions),
            Doc("2", T0 + timedelta(minutes=30), "Evening Post", "Night of fire", OTHER)]


def test_revisions_list_the_sentences_each_version_added():
    [revision] = _docs()[0].revisions
    assert revision == Revision(2, T0 + timedelta(hours=14), (
        V2.split(". ")[0] + ".", "Police arrested a man on Tuesday morning in connection with the fire."))


def test_the_offline_timeline_says_the_outlet_updated_its_report():
    result = run("timeline", _docs())
    updates = [i for i in result.items if i.update]
    assert [i.update for i in updates] == ["City News updated its report (12:00 UTC)"] * 2
    assert all(i.date == "2024-03-05" for i in updates)                     # the day of the revision
    assert [(c.doc, c.sentence) for i in updates for c in i.citations] == [("1", 0), ("1", 2)]
    assert updates[0].text.startswith("Fifteen people died")
    # the sentences a revision added are its news, not news of the first publication day
    first_day = [i for i in result.items if i.date == "2024-03-04"]
    assert first_day and not any("Fifteen" in i.text or "arrested" in i.text for i in first_day)
    # since an instant between the publication and the revision: the update alone
    later = run("timeline", _docs(), since=datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc))
    assert later.status == "ok" and all(i.update for i in later.items) and len(later.items) == 2
    after = run("timeline", _docs(), since=datetime(2024, 3, 5, 13, 0, tzinfo=timezone.utc))
    assert after.status == "empty"


def test_the_model_path_checks_what_the_update_now_says(server, tmp_path):  # noqa: F811
    """The model is told which sources come from an updated report; its sentence about the
    update is kept when the cited sentence says it (the outlet's name allowed), and
    replaced by the quoted sentence, still marked as the update, when it alters a figure."""
    docs = _docs()
    offline = run("timeline", docs)
    listing = [i for i in offline.items]
    n = next(k for k, i in enumerate(listing) if i.update) + 1     # the source number of the update
    FakeLLM.mode = "scripted"
    FakeLLM.requests.clear()
    FakeLLM.script = [{"text": "City News updated its report: fifteen people died in the fire on Monday night.",
                       "citations": [f"S{n}"]}]
    kept = run("timeline", docs, provider=provider(server, tmp_path))
    prompt = FakeLLM.requests[-1]["body"]["messages"][1]["content"]
    assert "City News, from the outlet's updated report) Fifteen people died" in prompt
    [item] = [i for i in kept.items if i.origin == "model"]
    assert item.supported and item.update == ""                 # it says so itself: no second prefix
    assert not listing[0].update                                     # S1: a first-day development
    FakeLLM.script = [{"text": listing[0].text, "citations": ["S1"]},
                      {"text": "Sixteen people died in the fire on Monday night.", "citations": [f"S{n}"]}]
    altered = run("timeline", docs, provider=provider(server, tmp_path))
    [replaced] = [i for i in altered.items if i.origin == "replaced"]
    assert replaced.text.startswith("Fifteen people died") and "Sixteen" in replaced.check
    assert replaced.update == "City News updated its report (12:00 UTC)"
    assert altered.sections["unsupported"][0].text.startswith("Sixteen")
    FakeLLM.mode = "good"


def test_a_real_revision_shows_in_the_story_timeline(newsroom, site, db, pipeline_settings):  # noqa: F811
    from newsdesk.web import create_app
    ingest, source, _ = newsroom
    [article_id] = fetch(ingest, source.id).new_ids
    site.change(title="Fire kills 15 in the city centre",
                paragraphs=[FIRST[0].replace("Twelve", "Fifteen"), FIRST[1],
                            FIRST[2] + " Police arrested a man on Tuesday."])
    assert fetch(ingest, source.id).revised_ids == [article_id]
    with db.read() as conn:
        story_id = conn.execute(text("SELECT story_id FROM article_story WHERE article_id = :a"),
                                {"a": article_id}).scalar()
    app = create_app(pipeline_settings.with_(page_cache_seconds=0, ai_min_outlets=1), db)
    with TestClient(app) as client:
        doc = html.fromstring(client.get(f"/stories/{story_id}").text)
        updates = doc.xpath("//section[@id='ai']//ol[@class='timeline']//li[contains(@class,'ai-update')]")
        said = [" ".join(li.text_content().split()) for li in updates]
        assert said and all(s.startswith("City News updated its report (") for s in said), said
        assert any("now says Fifteen people died in a fire in the city centre" in s for s in said)
        cites = [a.get("href") for li in updates for a in li.xpath(".//a[@class='cite']")]
        sentences = {f"/articles/{article_id}#s{n}" for n in range(12)}
        assert cites and set(cites) <= sentences
        # the cited sentence is the new version's, on the article page (which shows the newest)
        page = html.fromstring(client.get(f"/articles/{article_id}").text)
        anchor = cites[0].split("#")[1]
        assert "Fifteen people died" in page.xpath(f"//*[@id='{anchor}']")[0].text_content()
        data = client.get(f"/stories/{story_id}.json").json()
        timeline = data["ai"]["story"]["timeline"]
        assert any(i["update"].startswith("City News updated its report") for i in timeline["items"])
