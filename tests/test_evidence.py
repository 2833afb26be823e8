"""What a question names that a passage must also name: years, numbers, labelled numbers, ordinals,
and the kind of answer ("how many" wants a number)."""

from __future__ import annotations

import pytest

from rag.evidence import gives_required_type, missing_terms, query_terms
from rag.question import read_question


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
    assert gives_required_type(read_question(question).required, sentence, query_terms(question)) is gives


@pytest.mark.parametrize(("question", "sentence", "answers"), [
    ("What was the budget of the campaign?", "The campaign ran from December 2010 to July 2011.", False),
    ("What was the budget of the campaign?", "The campaign cost USD 250,000 over two years.", True),
    ("How much has the EU contributed financially to the programme?", "It subsidises up to 80% of projects.",
     False),
    ("What proportion of the migrants assessed were children?", "Officials assessed 1,200 migrants in Sfax.",
     False),
    ("What proportion of the migrants assessed were children?", "Some 15 per cent of them were children.", True),
    ("What contribution rate applies to the first tier?", "The first two tiers are mandatory.", False),
    ("What contribution rate applies to the first tier?", "The first two are mandatory, the third is voluntary.",
     False),  # an ordinal, not a fraction
    ("What share of workers were women?", "Two-thirds of the workers were women.", True),
    ("What share of workers were women?", "Women were a third of the workers.", True),
    ("On what date was the consultation held?", "The consultation was held in 2020.", False),
    ("On what date was the consultation held?", "The consultation was held on 29 March 2016.", True),
    ("How many delegates attended?", "Around 190 participants attended.", True),
    ("When was the Compact adopted?", "It was adopted in December 2018 in Marrakesh.", True),
    ("What did the workshop recommend?", "It recommended abolishing recruitment fees.", True),
])
def test_a_question_asking_for_money_a_share_a_day_a_count_or_a_date_needs_a_sentence_holding_one(
        question, sentence, answers):
    assert gives_required_type(read_question(question).required, sentence, query_terms(question)) is answers


def test_a_cost_may_be_a_share_so_it_asks_for_no_sum_of_money():
    question = "What was the average cost of sending remittances in 2020?"
    asked = read_question(question)
    assert gives_required_type(asked.required, "The average cost fell to 6.5 percent.", asked.terms)


def test_an_abbreviated_month_is_a_date_not_a_name_a_passage_must_mention():
    terms = query_terms("By Nov 2021 how many times had the Committee met?")
    assert "nov" not in terms.names
    assert terms.years == ("2021",)


@pytest.mark.parametrize(("question", "ordinals"), [
    ("Who chaired the fourth roundtable?", ("fourth",)),
    ("How many delegates attended the first 2016 GFMD thematic workshop?", ("first",)),
    ("Did things get better in Roosevelt's second term?", ("second",)),
    ("When was French Louisiana first settled?", ()),  # an adverb, not one of several
    ("What did the group call itself at first?", ()),
    ("What do the first three letters of the code mean?", ()),  # a count follows
])
def test_an_ordinal_is_a_specific_only_where_it_names_one_of_several(question, ordinals):
    assert query_terms(question).ordinals == ordinals


def test_a_year_before_1900_answers_a_when_question():
    asked = read_question("In which year did the Pueblo revolt occur?")
    assert gives_required_type(asked.required, "The Pueblo Revolt of 1680 drove the Spanish out.", asked.terms)
    assert not gives_required_type(asked.required, "The revolt drove the Spanish out.", asked.terms)


def test_the_first_word_of_each_sentence_of_a_question_is_grammar_not_a_name():
    terms = query_terms("What were the chair's five reflections at Roundtable 4? Just the headings. IOM too?")
    assert "just" not in terms.names and "what" not in terms.names
    assert "iom" in terms.names  # an acronym stays a name wherever it stands


def test_a_paragraph_number_is_not_the_count_a_how_many_question_asks_for():
    question = "How many workers lack health insurance?"
    terms = query_terms(question)
    assert not gives_required_type(read_question(question).required, "3. Many workers lack health insurance.", terms)
    assert gives_required_type(read_question(question).required, "3. Some 400 workers lack health insurance.", terms)


@pytest.mark.parametrize(("question", "context", "missing"), [
    ("What was the death rate of the Cheasepeake colony?", "the chesapeake colony lost half its settlers", []),
    ("What caused the Petionvile school collapse?", "the pétionville school collapsed in 2008", []),
    ("What did Switzerland pledge?", "swaziland pledged support", ["switzerland"]),  # two letters apart in length
    ("What did the Nahr delegation say?", "the nahar delegation said", ["nahr"]),  # short names must match
])
def test_a_long_name_typed_with_a_slip_is_found_in_the_passage_but_another_name_is_not(question, context, missing):
    assert missing_terms(query_terms(question), context) == missing
