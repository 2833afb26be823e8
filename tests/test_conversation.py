"""Follow-up questions become standalone queries without an LLM: the slot a follow-up names (year,
place, labelled number, ordinal, topic) is substituted in the previous question, which stays grammatical."""

import pytest

from rag.conversation import rewrite

PREVIOUS = "What did the 2019 Geneva workshop recommend on fair recruitment?"

PAIRS = [
    # topic
    (PREVIOUS, "and what about return?", "What did the 2019 Geneva workshop recommend on return?"),
    (PREVIOUS, "What about labour mobility?", "What did the 2019 Geneva workshop recommend on labour mobility?"),
    (PREVIOUS, "and on remittances?", "What did the 2019 Geneva workshop recommend on remittances?"),
    (PREVIOUS, "how about data?", "What did the 2019 Geneva workshop recommend on data?"),
    (PREVIOUS, "and what about the Global Compact?",
     "What did the 2019 Geneva workshop recommend on the Global Compact?"),
    # year
    (PREVIOUS, "and in 2016?", "What did the 2016 Geneva workshop recommend on fair recruitment?"),
    (PREVIOUS, "what about 2016?", "What did the 2016 Geneva workshop recommend on fair recruitment?"),
    (PREVIOUS, "and for 2017", "What did the 2017 Geneva workshop recommend on fair recruitment?"),
    ("What did the Geneva workshop recommend on fair recruitment?", "and in 2019?",
     "What did the 2019 Geneva workshop recommend on fair recruitment?"),
    ("How many countries are GCM champions?", "and in 2019?", "How many countries are GCM champions in 2019?"),
    ("How many delegates attended the Friends of the Forum meeting in 2021?", "and in 2017?",
     "How many delegates attended the Friends of the Forum meeting in 2017?"),
    # place
    ("How many delegates attended the Bangkok workshop?", "and Geneva?",
     "How many delegates attended the Geneva workshop?"),
    ("How many delegates attended the Bangkok workshop?", "what about New York?",
     "How many delegates attended the New York workshop?"),
    ("Who opened the 2016 workshop in Bangkok?", "and in Geneva?", "Who opened the 2016 workshop in Geneva?"),
    (PREVIOUS, "and Bangkok?", "What did the 2019 Bangkok workshop recommend on fair recruitment?"),
    # labelled number
    ("Who chaired IMRF Roundtable 3 in 2021?", "and roundtable 4?", "Who chaired IMRF Roundtable 4 in 2021?"),
    ("What did cluster 3 discuss on data?", "and cluster 4?", "What did cluster 4 discuss on data?"),
    ("Which objectives did Roundtable 1 cover?", "what about Roundtable 2?",
     "Which objectives did Roundtable 2 cover?"),
    # ordinal
    ("Who chaired the third roundtable?", "and the fourth?", "Who chaired the fourth roundtable?"),
    ("Where was the first thematic workshop held?", "and the second one?",
     "Where was the second thematic workshop held?"),
    # pronouns
    (PREVIOUS, "Who chaired it?", "Who chaired it (2019 Geneva; fair recruitment)?"),
    ("How many delegates attended the Bangkok workshop?", "Who opened it?", "Who opened it (Bangkok)?"),
]


@pytest.mark.parametrize(("previous", "follow_up", "expected"), PAIRS)
def test_a_follow_up_changes_one_slot_of_the_previous_question(previous, follow_up, expected):
    assert rewrite(follow_up, [previous]) == expected


def test_a_standalone_question_is_left_alone():
    question = "How many delegates attended the 2016 Bangkok workshop?"
    assert rewrite(question, [PREVIOUS]) == question


def test_without_history_nothing_is_rewritten():
    assert rewrite("and what about return?", []) == "and what about return?"


def test_the_latest_turn_is_the_frame():
    history = ["Who chaired the Bangkok workshop?", PREVIOUS]
    assert rewrite("and in 2016?", history) == "What did the 2016 Geneva workshop recommend on fair recruitment?"
