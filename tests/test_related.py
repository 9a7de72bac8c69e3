"""Related-article ranking (newsdesk.stories.related)."""

from datetime import datetime, timedelta, timezone

from newsdesk.stories.related import ArticleRef, related

T0 = datetime(2024, 3, 10, 12, tzinfo=timezone.utc)


def ref(id, story, outlet, hours_ago, tags=(), vector=None, canonical=None):
    return ArticleRef(id, story, outlet, T0 - timedelta(hours=hours_ago), tuple(tags), vector,
                      canonical)


ARTICLE = ref("a", "s-ceasefire", "Reuters", 0, ("ukraine", "ceasefire", "putin"), [1.0, 0.0])


def test_same_story_first_other_outlets_before_same_outlet():
    candidates = [
        ref("same-outlet", "s-ceasefire", "Reuters", 1, vector=[1.0, 0.0]),
        ref("bbc", "s-ceasefire", "BBC", 2, vector=[0.6, 0.8]),
        ref("bbc-2", "s-ceasefire", "BBC", 3, vector=[0.9, 0.1]),
        ref("ap", "s-ceasefire", "AP", 5, vector=[0.8, 0.6]),
    ]
    items = related(ARTICLE, candidates)
    # the best article of each other outlet (most similar first), then the rest of the
    # story with other outlets still ahead of the article's own outlet
    assert [r.id for r in items] == ["bbc-2", "ap", "bbc", "same-outlet"]
    assert {r.reason for r in items} == {"same story"}


def test_thread_then_shared_tags_with_reasons():
    candidates = [
        ref("tags-1", "s-energy", "FT", 30, ("ukraine", "gas")),
        ref("old-1", "s-talks", "AP", 48, ("ukraine", "ceasefire")),
        ref("old-2", "s-truce", "AP", 72, ("ukraine", "ceasefire", "putin")),
        ref("later", "s-next", "AP", -5, ("ukraine", "ceasefire", "putin")),
        ref("unrelated", "s-football", "BBC", 1, ("premierleague",)),
        ref("story", "s-ceasefire", "BBC", 2),
    ]
    items = related(ARTICLE, candidates, tag_display={"ukraine": "#Ukraine",
                                                      "ceasefire": "#Ceasefire"})
    assert [(r.id, r.reason) for r in items] == [
        ("story", "same story"),
        ("old-2", "earlier in this thread"),  # three shared tags beat two
        ("old-1", "earlier in this thread"),
        ("later", "shares #Ukraine #Ceasefire #putin"),  # later stories are not the thread
        ("tags-1", "shares #Ukraine"),
    ]


def test_copies_of_the_article_are_never_listed():
    article = ref("a", "s1", "Reuters", 0, ("ukraine",), canonical="wire-1")
    candidates = [
        ref("wire-1", "s1", "AP", 3),                       # the original it copies
        ref("other-copy", "s1", "Herald", 2, canonical="wire-1"),
        ref("dup-by-id", "s1", "Post", 2),
        ref("fresh", "s1", "BBC", 1),
        ref("a", "s1", "Reuters", 0),                       # itself
    ]
    items = related(article, candidates, duplicates=["dup-by-id"])
    assert [r.id for r in items] == ["fresh"]


def test_limit_and_empty_candidates():
    assert related(ARTICLE, []) == []
    many = [ref(f"x{i}", "s-ceasefire", f"outlet{i}", i) for i in range(30)]
    items = related(ARTICLE, many, limit=5)
    assert [r.id for r in items] == ["x0", "x1", "x2", "x3", "x4"]  # newest first, no vectors
