"""The sentence splitter: every citation points at one of these sentences."""

import pytest

from newsdesk.sentences import split_sentences


@pytest.mark.parametrize("text, expected", [
    ("Mr. Smith went to Washington. He said the U.S. economy grew 3.5% in 2021.",
     ["Mr. Smith went to Washington.", "He said the U.S. economy grew 3.5% in 2021."]),
    ("He visited the U.S. The trip was short.", ["He visited the U.S.", "The trip was short."]),
    ('"We will win," he said. "Never." Then he left... Really? Yes!',
     ['"We will win," he said.', '"Never."', "Then he left...", "Really?", "Yes!"]),
    ("They were hindered by restrictions.A follow-up meeting led to progress.",
     ["They were hindered by restrictions.", "A follow-up meeting led to progress."]),
    ("The website 64forSuu.org is named after her. J. R. R. Tolkien wrote books.",
     ["The website 64forSuu.org is named after her.", "J. R. R. Tolkien wrote books."]),
    ("Sra. García llegó el lunes. ¿Qué pasó? ¡Nada! Murieron 327 personas ; 2.926 resultaron heridas.",
     ["Sra. García llegó el lunes.", "¿Qué pasó?", "¡Nada!", "Murieron 327 personas ; 2.926 resultaron heridas."]),
    ("Mme. Dupont est arrivée. M. Macron a parlé. Il Dott. Rossi ha detto ecc. e altro.",
     ["Mme. Dupont est arrivée.", "M. Macron a parlé.", "Il Dott. Rossi ha detto ecc. e altro."]),
    ("First line without stop\nSecond line.", ["First line without stop", "Second line."]),
    ("", []),
])
def test_split(text, expected):
    assert split_sentences(text) == expected


def test_hard_line_breaks_inside_a_paragraph_make_no_fragments():
    press_copy = ("KYIV, 3 February - The President held a meeting with the heads of the regional\n"
                  "administrations on the heating season. He said that 12 power units had been\n"
                  "repaired since\n"
                  "January and asked for weekly reports.\n"
                  "\n"
                  "Heating season\n"
                  "The Prime Minister reported on the reserves of coal and gas.")
    assert split_sentences(press_copy) == [
        "KYIV, 3 February - The President held a meeting with the heads of the regional "
        "administrations on the heating season.",
        "He said that 12 power units had been repaired since January and asked for weekly reports.",
        "Heating season",
        "The Prime Minister reported on the reserves of coal and gas."]


def test_paragraphs_keep_their_breaks():
    from newsdesk.sentences import split_paragraphs
    text = "One paragraph ends here.\nAnother starts on its own line.\nA short heading\nText under it."
    assert split_paragraphs(text) == [["One paragraph ends here."], ["Another starts on its own line."],
                                      ["A short heading"], ["Text under it."]]


def test_sentences_are_substrings_of_the_text():
    text = "Dr. Who arrived at 5 p.m. on Jan. 3. The talks, he said, were \"useful.\" Nothing else."
    for sentence in split_sentences(text):
        assert sentence in text
