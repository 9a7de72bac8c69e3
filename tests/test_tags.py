"""Keyphrases and hashtags (newsdesk.stories.tags, newsdesk.stories.entities)."""

import importlib.util
from pathlib import Path

import pytest

from newsdesk.stories.entities import find_names, tokenize
from newsdesk.stories.tags import Tag, extract_keyphrases, hashtags, merge_story_tags

SHARED = Path(__file__).resolve().parents[2] / "shared"

TITLE = "Putin says ceasefire in Ukraine will hold"
TEXT = """Russian President Vladimir Putin said on Tuesday that the ceasefire in eastern
Ukraine would hold, despite reports of shelling near Donetsk. Putin's remarks came after a
phone call with French President Emmanuel Macron. The White House said it was sceptical.
"We have seen ceasefires announced before," a White House spokesperson said. Ukrainian
officials accused Russian forces of breaking the ceasefire twice overnight. Putin said
observers would be allowed into Donetsk. Macron urged both sides to respect the truce."""


def displays(tags):
    return [t.display for t in tags]


def test_full_name_folds_to_surname_and_possessive_is_cut():
    tags = displays(hashtags(TITLE, TEXT))
    assert "#Putin" in tags
    assert not any(t in tags for t in ("#VladimirPutin", "#Putins", "#Vladimir"))
    assert "#Macron" in tags and "#EmmanuelMacron" not in tags


def test_camel_case_display_and_plural_collapse():
    tags = hashtags(TITLE, TEXT)
    shown = displays(tags)
    assert {"#WhiteHouse", "#Ceasefire", "#Ukraine"} <= set(shown)
    assert "#Ceasefires" not in shown
    assert all(t.slug == t.display[1:].casefold() and t.slug for t in tags)
    assert len({t.slug for t in tags}) == len(tags)


def test_between_three_and_eight_tags_best_first():
    tags = hashtags(TITLE, TEXT)
    assert 3 <= len(tags) <= 8
    assert tags[0].score == 1.0
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True)
    assert all(0 < t.score <= 1 for t in tags)
    assert len(hashtags(TITLE, TEXT, top=3)) == 3


def test_titles_and_sentence_initial_capitals_are_not_names():
    names = {n.key for n in find_names(tokenize(
        "The minister met Angela Merkel in Berlin. Officials said Merkel agreed. "
        "The talks were long."))}
    assert "merkel" in names and "berlin" in names
    assert not names & {"the", "officials", "the minister"}
    # "President" goes, the name stays
    folded = {n.key for n in find_names(tokenize("President Joseph R. Biden Jr. spoke."))}
    assert folded == {"joseph r. biden jr"} or folded == {"joseph r biden jr"}


def test_keyphrases_are_lower_case_and_ranked():
    phrases = extract_keyphrases(TITLE, TEXT, top=10)
    assert len(phrases) == 10
    assert all(p == p.lower() for p, _ in phrases)
    assert [s for _, s in phrases] == sorted((s for _, s in phrases), reverse=True)
    assert {"putin", "ceasefire"} <= {p for p, _ in phrases[:5]}


@pytest.mark.parametrize("title,text", [
    ("", ""),
    ("Hello", ""),
    ("", "word"),
    ("Путин встретился с Зеленским", "Президент России Владимир Путин встретился в Москве. "
     "Путин заявил о перемирии."),
    ("习近平会见普京", "国家主席习近平在北京会见俄罗斯总统普京。双方讨论了乌克兰局势。"),
    ("!!!", "... --- 123 456"),
])
def test_any_language_or_empty_input_never_crashes_nor_gives_empty_tags(title, text):
    tags = hashtags(title, text)
    assert all(t.slug and t.display.startswith("#") and len(t.display) > 1 for t in tags)
    assert len(tags) <= 8


def test_cyrillic_and_one_word_inputs_get_tags():
    assert "#Путин" in displays(hashtags("Путин встретился с Зеленским",
                                         "Путин заявил о перемирии. Путин уехал."))
    assert displays(hashtags("Hello", "")) == ["#Hello"]
    assert hashtags("", "") == []


def test_story_tags_merge_full_names_into_surnames():
    a = [Tag("vladimirputin", "#VladimirPutin", 1.0), Tag("ukraine", "#Ukraine", 0.8)]
    b = [Tag("putin", "#Putin", 0.9), Tag("ukraine", "#Ukraine", 1.0),
         Tag("whitehouse", "#WhiteHouse", 0.3)]
    merged = merge_story_tags([a, b])
    # Putin 1.0 + 0.9 (folded), Ukraine 0.8 + 1.0, White House 0.3
    assert [t.display for t in merged] == ["#Putin", "#Ukraine", "#WhiteHouse"]
    assert merged[0].score == 1.0
    assert merge_story_tags([]) == []


def _load_bench():
    path = Path(__file__).resolve().parents[1] / "bench" / "hashtag_eval.py"
    spec = importlib.util.spec_from_file_location("hashtag_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_keyphrase_floor_on_500n_kpcrowd():
    bench = _load_bench()
    if not bench.KPCROWD.exists():
        pytest.skip(f"evaluation data not available at {SHARED} (only on the dev machine)")
    docs = bench.load_kpcrowd()
    p, r, f1 = bench.score(bench.run_ours(docs), docs)
    # measured with bench/hashtag_eval.py over all 500 docs: P@10 0.447, F1@10 0.177
    # (YAKE in the same run: 0.206 / 0.082); floors = measured - 0.01
    assert p >= 0.437
    assert f1 >= 0.167
