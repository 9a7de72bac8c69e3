"""Transcripts: previews and summaries start where the speech says something."""

from datetime import date

from newsdesk import speech
from newsdesk.ai.model import Doc
from newsdesk.ai.summary import summarize
from newsdesk.storage.reading import summary_line

REMARKS = (
    "THE PRESIDENT: Good morning, folks. Sorry to keep you waiting. I was on a couple of phone calls.\n\n"
    "Today I'm announcing the United States is targeting the main artery of Russia's economy.\n\n"
    "We're banning all imports of Russian oil and gas and energy. That means Russian oil will no longer "
    "be acceptable at U.S. ports, and the American people will deal another powerful blow to Putin's "
    "war machine.\n\n"
    "(Laughter.) Thank you, Jill, for being here.\n\n"
    "Russia's economy is crumbling, and the ruble is now worth less than one cent.")


def test_a_transcript_preview_starts_after_greetings_and_stage_directions():
    assert summary_line(REMARKS) == ("Today I'm announcing the United States is targeting the main "
                                     "artery of Russia's economy.")
    # greetings before the statement inside one turn: the label goes with them
    assert summary_line("THE PRESIDENT: Sorry to keep you waiting. Good afternoon. (Applause.) The "
                        "Russian military has begun a brutal assault on the people of Ukraine.") == \
        "The Russian military has begun a brutal assault on the people of Ukraine."
    # a turn that says something at once is left as written, label included
    turn = "THE PRESIDENT: Today, I'd like to provide an update on the crisis involving Russia and Ukraine."
    assert summary_line(turn) == turn
    # "Mr." and "D.C." do not end a sentence; a reporter's question keeps its "Q"
    question = "Q Mr. President, do you have a message for the American people on gas prices?"
    assert summary_line(question) == question


def test_a_transcript_that_opens_with_courtesies_only_has_no_preview():
    text = "THE PRESIDENT: Hello, hello, hello. (Applause.) Great to see you all.\n\nAUDIENCE: Joe! Joe!"
    assert summary_line(text) == ""


def test_documents_that_are_not_speech_are_untouched():
    memo = ("SUBJECT: Delegation of Authority Under Section 506(a)(1) of the Foreign Assistance Act of "
            "1961\n\nBy the authority vested in me as President ...")
    assert summary_line(memo) == memo.split("\n")[0]
    news = "Thank you notes poured in after the rescue. Firefighters pulled 12 people from the river."
    assert summary_line(news) == news
    assert speech.core("Section 506(a)(1) of the Act (NATO) (Reuters) (Applause.)") == \
        "Section 506(a)(1) of the Act (NATO) (Reuters)"


def test_an_article_summary_of_remarks_skips_the_courtesies():
    result = summarize([Doc("1", date(2022, 3, 8), "wh", "Remarks on Russian oil", REMARKS)], sentences=2)
    texts = [item.text for item in result.items]
    assert texts and not any("Good morning" in t or "Thank you" in t or "phone calls" in t for t in texts)
    assert any("Russian oil" in t or "Russia's economy" in t for t in texts)



def test_in_a_transcript_thanks_to_something_is_a_statement_not_a_courtesy():
    from newsdesk.ai.guard import sentence_flag
    assert sentence_flag("Thanks to the American Rescue Plan, we created 6.6 million jobs.", spoken=True) == ""
    assert sentence_flag("Thank you all for being here.", spoken=True) == "courtesy"
    assert sentence_flag("I want to thank Governor Whitmer for her leadership.", spoken=True) == "courtesy"
