"""Short answers: the words of the lead quote that answer a who / how-many / when question, or none."""

from __future__ import annotations

import pytest

from rag.question import read_question
from rag.spans import short_span

BANGKOK = ("The first GFMD 2016 thematic workshop (Bangkok, 29 March) was attended by 87 government delegates, "
           "representing 48 Member States, 30 delegates from 13 international organisations.")


def _span(question: str, sentence: str) -> str | None:
    asked = read_question(question)
    found = short_span(asked.short_kind, question, asked.terms, sentence)
    return sentence[found[0]:found[1]] if found else None


@pytest.mark.parametrize(("question", "expected"), [
    ("How many government delegates attended the 2016 Bangkok workshop?", "87 government delegates"),
    ("How many Member States were represented at the 2016 Bangkok workshop?", "48 Member States"),
    ("How many international organisations sent delegates?", "13 international organisations"),
])
def test_a_count_is_the_number_of_the_noun_the_question_counts(question, expected):
    assert _span(question, BANGKOK) == expected


def test_a_number_of_something_else_is_not_offered_as_the_count():
    assert _span("How many journalists attended the Bangkok workshop?", BANGKOK) is None


def test_a_person_is_the_one_next_to_the_questions_verb_not_the_first_named():
    sentence = ("Opening remarks were given by Ms. Ann Lee, after which the session was chaired by "
                "Mr. Ola Henrikson, Director General for Migration.")
    assert _span("Who chaired the session?", sentence) == "Mr. Ola Henrikson"
    assert _span("Who moderated the session?", sentence) is None


def test_a_date_is_the_one_next_to_what_the_question_asks_about():
    sentence = "The co-chairmanship will start in July 2022 and will last until December 2023."
    assert _span("When will the co-chairmanship start?", sentence) == "July 2022"


def test_a_question_in_two_parts_gets_no_single_short_answer():
    assert _span("How many government delegates attended the Bangkok workshop and the Geneva workshop?",
                 BANGKOK) is None


def test_the_short_answer_is_a_verified_slice_of_quote_one(tiny_assistant):
    answer = tiny_assistant.ask("How many government delegates attended the Bangkok workshop?")
    assert answer.short is not None and answer.short.text == "87 government delegates"
    lead = answer.citations[0].quote
    assert lead.start <= answer.short.start < answer.short.end <= lead.end
    assert answer.text.startswith("Short answer: “87 government delegates” [1]")
    assert tiny_assistant.ask("What did participants note about seasonal agricultural workers?").short is None


def test_a_person_without_a_title_is_the_name_after_the_verb_and_by():
    sentence = "The session was chaired by Begum Samsun Nahar, Secretary of the Ministry, and opened the debate."
    assert _span("Who chaired the session?", sentence) == "Begum Samsun Nahar"


def test_a_date_is_not_cued_by_the_questions_function_words():
    sentence = "What was agreed in 2019 will be reviewed when the Forum meets in January 2021."
    assert _span("When will the Forum meet?", sentence) == "January 2021"


def test_the_counted_noun_runs_through_and_to_a_function_word():
    from rag.spans import counted_noun

    assert counted_noun("How many Latin American and Caribbean states signed the declaration?") == (
        "Latin American and Caribbean states signed")
    assert counted_noun("How many delegates attended the Bangkok workshop?") == "delegates attended"
    assert counted_noun("How many seasonal agricultural workers lack health insurance?") == (
        "seasonal agricultural workers")  # three words, unless "and" / "or" joins another noun


def test_a_count_of_one_of_the_coordinated_nouns_answers():
    sentence = "Official representatives from 38 member countries and associate members of ECLAC signed it."
    assert _span("How many Latin American and Caribbean states and associate members signed the consensus?",
                 sentence) == "38 member countries"
