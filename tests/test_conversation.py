"""Follow-up questions become standalone queries without an LLM."""

import pytest

from rag.conversation import rewrite

PREVIOUS = "What did the 2019 Geneva workshop recommend on fair recruitment?"


@pytest.mark.parametrize(("follow_up", "expected"), [
    ("and what about return?", "What did the 2019 Geneva workshop recommend on return?"),
    ("What about labour mobility?", "What did the 2019 Geneva workshop recommend on labour mobility?"),
    ("Who chaired it?", "Who chaired it (2019 Geneva; fair recruitment)?"),
])
def test_follow_ups_borrow_the_frame_of_the_previous_question(follow_up, expected):
    assert rewrite(follow_up, [PREVIOUS]) == expected


def test_a_standalone_question_is_left_alone():
    question = "How many delegates attended the 2016 Bangkok workshop?"
    assert rewrite(question, [PREVIOUS]) == question


def test_without_history_nothing_is_rewritten():
    assert rewrite("and what about return?", []) == "and what about return?"
