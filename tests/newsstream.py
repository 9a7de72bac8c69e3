"""A synthetic news stream for crash tests and ``bench/crash_bench.py``: events reported by
several outlets (each in its own words), wire copies republished word for word, dated over
days, all from a seed. ``site(stream)`` serves it on loopback: one RSS feed per outlet and
one HTML page per article, as a real site would.

Nothing here is a figure to tune against: the stream only has to be the same for the clean
run and the crashed one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

T0 = datetime(2025, 3, 3, 6, tzinfo=timezone.utc)

PLACES = ["Lisbon", "Nairobi", "Osaka", "Quito", "Tallinn", "Hanoi", "Perth", "Bergen",
          "Accra", "Lyon", "Cusco", "Tbilisi", "Dakar", "Gdansk", "Mumbai", "Halifax",
          "Valletta", "Tromso", "Kigali", "Sapporo"]
ACTORS = ["port workers", "the central bank", "wildfire crews", "the health ministry",
          "railway engineers", "the football federation", "climate negotiators",
          "the teachers' union", "a chemical plant", "the coast guard", "election officials",
          "vaccine researchers", "the city council", "airline pilots", "flood engineers"]
ACTIONS = [("strike", "walked out over pay and pensions, halting cargo traffic"),
           ("rate", "raised its benchmark interest rate by half a point to curb inflation"),
           ("fire", "battled a wildfire that forced thousands of residents to evacuate"),
           ("outbreak", "confirmed an outbreak of measles in three schools"),
           ("derailment", "investigated a freight derailment that spilled diesel"),
           ("ban", "banned a club for ten years after a match-fixing inquiry"),
           ("treaty", "agreed a treaty text to cut methane emissions from landfills"),
           ("walkout", "called a walkout after talks on class sizes collapsed"),
           ("explosion", "reported an explosion that injured four workers"),
           ("rescue", "rescued a fishing crew after their trawler sank in a storm"),
           ("recount", "ordered a recount after a tally error in two districts"),
           ("trial", "published trial results for a malaria vaccine in children"),
           ("budget", "approved a budget that doubles spending on housing"),
           ("stoppage", "grounded flights in a dispute over rest rules"),
           ("dam", "warned that a dam could fail after record rainfall")]
OUTLET_STYLE = ["{place}: {actor} {what}, officials said on {day}.",
                "{Actor} in {place} {what}, according to people familiar with the matter.",
                "In {place}, {actor} {what}; the move surprised observers on {day}.",
                "Reports from {place} say {actor} {what}.",
                "{Actor} {what} in {place} on {day}, a spokesperson confirmed."]
FILLER = ["Local radio carried interviews with residents throughout the morning.",
          "Analysts said the decision could shape the coming months.",
          "Opposition politicians called for a full public inquiry.",
          "The authorities promised another statement later in the week.",
          "Neighbouring regions said they were watching the situation closely.",
          "Business groups asked for clarity on what happens next.",
          "Photographs shared online showed long queues in the centre.",
          "Experts cautioned that early figures are often revised."]
DETAILS = ["{n} people were affected, the first estimates said.",
           "The figure of {n} was given by the regional office.",
           "About {n} households received written notices.",
           "At least {n} staff took part, organisers said."]


@dataclass(frozen=True)
class Item:
    outlet: int
    guid: str
    title: str
    text: str
    published: datetime
    event: int
    copy_of: str | None = None   # a wire copy: same words as that item


@dataclass
class Stream:
    outlets: int
    items: list[Item]

    def of(self, outlet: int) -> list[Item]:
        return [item for item in self.items if item.outlet == outlet]


def make_stream(outlets: int = 8, events: int = 30, seed: int = 7,
                per_event: tuple[int, int] = (1, 5), copies: float = 0.15) -> Stream:
    """``events`` events, each reported by 1-5 of ``outlets`` within hours; a share of
    ``copies`` of the reports republished by another outlet word for word."""
    rng = random.Random(seed)
    items: list[Item] = []
    for event in range(events):
        place = PLACES[event % len(PLACES)]
        actor = ACTORS[rng.randrange(len(ACTORS))]
        key, what = ACTIONS[(event * 7 + rng.randrange(3)) % len(ACTIONS)]
        start = T0 + timedelta(hours=5 * event + rng.uniform(0, 3))
        n = rng.randrange(40, 4000)
        writers = rng.sample(range(outlets), min(outlets, rng.randint(*per_event)))
        for k, outlet in enumerate(writers):
            when = start + timedelta(minutes=rng.uniform(0, 240))
            day = when.strftime("%A")
            lead = rng.choice(OUTLET_STYLE).format(place=place, actor=actor, what=what, day=day,
                                                   Actor=actor[0].upper() + actor[1:])
            body = [lead, rng.choice(DETAILS).format(n=n)] + rng.sample(FILLER, 4)
            title = rng.choice([f"{place} {key}: {actor} {what.split(',')[0]}",
                                f"{actor[0].upper() + actor[1:]} {what.split(' ')[0]} in {place}",
                                f"{place}: {key} as {actor} act"])
            guid = f"o{outlet}-e{event}-{k}"
            item = Item(outlet, guid, title, " ".join(body), when, event)
            items.append(item)
            if rng.random() < copies:
                other = rng.choice([o for o in range(outlets) if o != outlet] or [outlet])
                items.append(Item(other, guid + "-copy", title, item.text,
                                  when + timedelta(minutes=rng.uniform(10, 90)), event, guid))
    items.sort(key=lambda i: (i.published, i.guid))
    return Stream(outlets, items)


# ----------------------------------------------------------------- serving it
def page_html(item: Item) -> bytes:
    paragraphs = "".join(f"<p>{escape(s)}</p>" for s in item.text.split(". ") if s)
    return (f"<!doctype html><html><head><title>{escape(item.title)}</title></head><body>"
            f"<article><h1>{escape(item.title)}</h1>{paragraphs}</article></body></html>").encode()


def feed_xml(base: str, outlet: int, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{base}/o{outlet}/{i.guid}.html</link>"
        f"<guid>{i.guid}</guid><pubDate>{format_datetime(i.published)}</pubDate>"
        f"<description>{escape(i.text[:200])}</description></item>" for i in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {outlet}</title>'
            f"<link>{base}/o{outlet}/</link><description>o</description>{entries}"
            "</channel></rss>").encode()


def routes(stream: Stream, base: str, per_feed: int = 1000) -> dict:
    """Paths -> bytes: /o{n}/feed.xml (the ``per_feed`` newest items) and each item's page."""
    out: dict[str, bytes] = {}
    for outlet in range(stream.outlets):
        items = stream.of(outlet)
        out[f"/o{outlet}/feed.xml"] = feed_xml(base, outlet, items[-per_feed:])
        for item in items:
            out[f"/o{outlet}/{item.guid}.html"] = page_html(item)
    return out
