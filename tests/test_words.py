"""newsdesk.words: the one word splitter (runs of letters and digits; words keep an inner
apostrophe and lose a possessive)."""

import re

from newsdesk.words import runs, words


def test_runs_split_at_every_mark_in_any_script():
    assert runs("l'armée U.S. COVID-19 snake_case") == ["l", "armée", "U", "S", "COVID", "19", "snake", "case"]
    assert runs("Президент, 中国 — ٢٠٢٢") == ["Президент", "中国", "٢٠٢٢"]
    assert runs("") == [] and runs(None) == []


def test_words_keep_an_inner_apostrophe_and_cut_a_possessive():
    assert words("Putin's troops don't stop; O’Brien’s l’armée") == ["Putin", "troops", "don't", "stop",
                                                                   "O'Brien", "l'armée"]
    assert words("the boss's 'quoted' words") == ["the", "boss", "quoted", "words"]


def test_runs_are_what_the_old_splitters_gave():
    """Where ``\\w+`` and ``[\\W_]+`` were used, only underscores split differently."""
    text = "Kyiv, 24 Feb. (Reuters) — Russia's troops; «citation» 3.5% e-mail naïve Zürich"
    assert runs(text) == re.findall(r"\w+", text)
    assert " ".join(runs(text.casefold())) == " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())
