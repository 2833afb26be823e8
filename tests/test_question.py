"""Reading a question once: the parts it joins."""

from __future__ import annotations

import pytest

from rag.question import question_parts


@pytest.mark.parametrize(("question", "parts"), [
    ("How many posters were produced, and how long was the video?",
     ("How many posters were produced", "how long was the video")),
    ("how many countries make up ECOWAS and in what year was it founded?",
     ("how many countries make up ECOWAS", "in what year was it founded")),
    ("Who chaired roundtable 1 and from which government?", ("Who chaired roundtable 1", "from which government")),
    ("Who was rapporteur; who moderated it?", ("Who was rapporteur", "who moderated it")),
])
def test_a_question_joining_several_questions_is_read_as_its_parts(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "What was said about connectivity and business at the Bangkok workshop?",
    "How many Latin American and Caribbean states signed the Montevideo Consensus?",
    "Which recommendations on fair recruitment and skills were made in 2019?",
])
def test_a_topic_joined_by_and_is_one_part(question):
    assert question_parts(question) == (question,)


def test_a_question_is_analysed_once_and_the_same_record_is_shared():
    from rag.question import read_question

    text = "How many delegates attended the 2016 Bangkok workshop, and who chaired it?"
    assert read_question(text) is read_question(text)
