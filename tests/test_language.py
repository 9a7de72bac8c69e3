"""newsdesk.language: the one language guess (a declared language, else py3langid)."""

from newsdesk.language import declared, detect, detect_many, foreign_segments


def test_a_declared_language_decides_and_is_read_as_its_primary_code():
    assert declared("en-GB") == "en" and declared("pt_BR") == "pt" and declared(" FR ") == "fr"
    assert declared("") is None and declared(None) is None and declared("english-language") is None
    assert detect("Die Regierung hat die Steuern erhöht", "en-US") == "en"


def test_texts_in_several_languages_and_scripts_are_recognised():
    assert detect("A man bought a car and a house in a town on the coast") == "en"
    assert detect("Le président a eu un entretien avec le Premier ministre et les ministres") == "fr"
    assert detect("El gobierno anunció nuevas medidas para contener la inflación") == "es"
    assert detect("Il governo ha annunciato nuove misure per la crisi energetica") == "it"
    assert detect("Die Regierung hat die Steuern erhöht und die Opposition ist nicht zufrieden") == "de"
    assert detect("Президент провёл телефонный разговор с премьер-министром Японии.") == "ru"


def test_a_text_that_says_nothing_about_its_language_is_unknown():
    assert detect("") is None and detect("2022 — 14:30, 3/4") is None
    assert detect("Putin Biden") is None  # two names: no guess is better than a wrong one


def test_a_set_of_texts_is_read_together_with_a_default():
    assert detect_many(["El gobierno anunció nuevas medidas", "para contener la inflación en el país"]) == "es"
    assert detect_many([]) == "en" and detect_many(["Putin Biden"], default="xx") == "xx"


def test_segments_in_another_language_are_found_with_their_short_neighbours():
    segments = [
        "Bloggers in Brazil reacted to the crash of the plane with anger at the press.",  # 0
        "One of them wrote on her blog:",                                                # 1
        "Não têm o mínimo respeito pela dor das famílias e só pensam na audiência.",     # 2
        "Que vergonha...",                       # 3: too short alone, inside the quote
        "E ainda dos jornalistas que se propõem a divulgar isso sem nenhum cuidado!",    # 4
        "A VONTADE É DE DIZER QUE O JORNALISMO GANHA DINHEIRO COM A DESGRAÇA ALHEIA!",   # 5
        "Others defended the coverage of the accident as a public service.",            # 6
        "Thank you.",                                   # 7: short, English neighbours only
    ]
    assert foreign_segments(segments, "en") == {2, 3, 4, 5}
    # a short segment the caller knows to be in the text's language stays in it
    assert foreign_segments(segments, "en", known={3: "en"}) == {2, 4, 5}
    # undeclared: the language most words are in (here Portuguese) is the text's own
    assert foreign_segments(segments, None) == {0, 1, 6, 7}
    assert foreign_segments(segments[:2] + segments[6:], None) == set()
    # an English sentence holding a Portuguese name stays English
    assert foreign_segments(["In an interview for the Observatório do Direito à Comunicação "
                             "blog, the member of parliament stressed the point."], "en") == set()


def test_quoted_spans_are_judged_alone_and_numbered_after_the_segments():
    segments = ["Bloggers compared the speech to JFK's Ich bin ein Berliner speech in 1963.",
                "The speech was short."]
    quotes = ["Ich bin ein Berliner", "a new beginning", "Não ao projeto de Azeredo"]
    assert foreign_segments(segments, "en", quotes=quotes) == {2, 4}


def test_a_declared_language_most_of_the_text_contradicts_gives_way():
    french = ["Le gouvernement a présenté un nouveau projet de loi sur le logement social.",
              "Les députés examineront le texte en commission la semaine prochaine.",
              "Read the original article in English here."]
    assert foreign_segments(french, "en") == {2}  # the feed said English; the text is French
    # a declared language holding half the words or more decides
    english = ["The government presented a new bill on social housing to the parliament today.",
               "Members of parliament will examine the text in committee next week, it said."]
    assert foreign_segments(english + french[:1], "en") == {2}
