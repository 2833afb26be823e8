"""What a question names that a passage must also name: years, numbers, labelled numbers, ordinals,
and the kind of answer ("how many" wants a number)."""

from __future__ import annotations

import pytest

from rag.evidence import gives_required_type, missing_terms, query_terms


def test_a_number_after_a_label_names_something_and_must_follow_that_label():
    terms = query_terms("Who chaired Roundtable 5 at the 2021 meeting?")
    assert terms.labelled == (("roundtable", "5"),) and terms.numbers == ()
    assert missing_terms(terms, "stocktaking on imrf roundtable 2, 2021, with 5 speakers") == ["roundtable 5"]
    assert missing_terms(terms, "stocktaking on imrf roundtable 5: gcm objectives, 2021") == []


def test_a_labelled_number_is_found_inside_a_list_after_a_plural_label():
    terms = query_terms("Which GCM objective 8 partners spoke?")
    assert missing_terms(terms, "gcm objectives 4, 8, 9 and 21") == []
    assert missing_terms(terms, "gcm objectives 4, 9 and 21 (8 speakers)") == ["objective 8"]


def test_a_quantity_after_a_verb_is_a_plain_number_not_a_label():
    terms = query_terms("Which workshop attended by 87 delegates was held in Bangkok?")
    assert terms.labelled == () and terms.numbers == ("87",)


@pytest.mark.parametrize(("context", "missing"), [
    ("the fourth thematic workshop of 2016", []),
    ("the 4th thematic workshop of 2016", []),
    ("the second thematic workshop of 2016", ["fourth"]),
])
def test_an_ordinal_must_appear_as_a_word_or_a_numbered_ordinal(context, missing):
    assert missing_terms(query_terms("How many attended the fourth workshop of 2016?"), context) == missing


@pytest.mark.parametrize(("question", "sentence", "gives"), [
    ("How many delegates attended in 2016?", "It was attended by 87 government delegates.", True),
    ("How many delegates attended in 2016?", "Delegates met in 2016 to discuss labour mobility.", False),
    ("How many delegates attended?", "It was attended by three hundred delegates.", True),
    ("When was the committee set up?", "The committee was set up in March 2021.", True),
    ("When was the committee set up?", "The committee was set up to review relations.", False),
    ("Who chaired the session?", "The session discussed recruitment.", True),  # only numbers and dates gated
])
def test_how_many_and_when_questions_need_a_number_or_date_beyond_their_own(question, sentence, gives):
    assert gives_required_type(question, sentence, query_terms(question)) is gives
