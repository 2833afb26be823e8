"""The web UI in a real headless Chromium over the tiny corpus: cited answers, source cards,
briefing-note export, declined answers, and corpus text that must stay inert."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    app_url,
    ask,
    bot_texts,
    browser,
    click_text,
    feedback_file,
    page_text,
    saved,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser


def test_a_cited_answer_shows_highlighted_sources_and_exports_a_note(ui_assistant, browser: WebDriver) -> None:
    timings = ask(browser, "Who chaired the Bangkok workshop?")
    shot(browser, "1-answer")
    assert "Ingrid Halvorsen" in bot_texts(browser)[-1] and "[1]" in bot_texts(browser)[-1]
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".rag-card mark")]
    assert any("Ingrid Halvorsen" in m for m in marks)
    assert "Bangkok thematic workshop" in browser.find_element(By.CSS_SELECTOR, ".rag-card-head").text

    context = browser.find_element(By.CSS_SELECTOR, ".rag-context")
    assert "87 government delegates" not in context.text  # closed until asked
    click_text(browser, "summary", "Show in context")
    wait(browser, lambda d: "87 government delegates" in d.find_element(By.CSS_SELECTOR, ".rag-context").text)
    shot(browser, "2-context")
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (1 quote)" in page_text(d))

    follow = ask(browser, "How many government delegates attended the Bangkok workshop?")
    assert "87" in bot_texts(browser)[-1]
    click_text(browser, "button", "Add [1] to note")
    wait(browser, lambda d: "Added to the note (2 quotes)" in page_text(d))

    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 2)
    title = browser.find_element(By.CSS_SELECTOR, "#note-title textarea, #note-title input")
    title.clear()
    title.send_keys("Bangkok brief")
    browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input").send_keys(
        "Confirm the title of the chair.")
    index = ui_assistant.settings.paths.index
    wait(browser, lambda d: saved(index, '"Bangkok brief"', "Confirm the title of the chair."))  # last keystroke in
    click_text(browser, "button", "Export DOCX")
    link = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#export-file a[download]"))
    wait(browser, lambda d: "re-verified" in d.find_element(By.CSS_SELECTOR, "#export-status").text)
    shot(browser, "3-note")

    from docx import Document as WordDocument

    path = ARTIFACTS / "ui-briefing-note.docx"
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        path.write_bytes(response.read())
    texts = [p.text for p in WordDocument(str(path)).paragraphs]
    quotes = [p.text for p in WordDocument(str(path)).paragraphs if p.style.name == "Quote"]
    assert texts[0] == "Bangkok brief"
    assert len(quotes) == 2 and "Ingrid Halvorsen" in quotes[0] and "87 government delegates" in quotes[1]
    assert any(t.startswith("— Report of the 2016 Bangkok thematic workshop") and "para. 2" in t for t in texts)
    assert "Note: Confirm the title of the chair." in texts
    assert "Sources" in texts and not any("could not be re-verified" in t for t in texts)
    word = WordDocument(str(path))  # issue 11, item 8: the note's own properties, one heading level
    assert word.core_properties.title == "Bangkok brief"
    assert word.core_properties.author == "GFMD reports assistant"
    assert word.core_properties.created.year >= 2024
    levels = {p.text: p.style.name for p in word.paragraphs if p.style.name.startswith("Heading")}
    assert levels["Sources"] == levels["Quote 1"] == "Heading 1"

    ARTIFACTS.mkdir(exist_ok=True)
    record = {"question": "Who chaired the Bangkok workshop?", **timings,
              "second_question_first_token_ms": follow["first_token_ms"],
              "second_question_full_answer_ms": follow["full_answer_ms"]}
    (ARTIFACTS / "ui-timings.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"\nUI timings (browser): first token {timings['first_token_ms']} ms, full answer "
          f"{timings['full_answer_ms']} ms ({timings['updates']} updates); second question "
          f"{follow['first_token_ms']} / {follow['full_answer_ms']} ms")


def test_a_follow_up_shows_the_rewritten_query_and_feedback_is_recorded(
    browser: WebDriver, feedback_file: Path
) -> None:
    ask(browser, "What did the 2019 workshop recommend on fair recruitment?")
    ask(browser, "and what about reintegration?")
    assert "Searched as: “What did the 2019 workshop recommend on reintegration?”" in bot_texts(browser)[-1]
    assert "Sources for answer 2 of 2: “What did the 2019 workshop recommend on reintegration?”" in page_text(browser)

    likes = browser.find_elements(By.CSS_SELECTOR, '#chat button[aria-label="Like"]')
    browser.execute_script("arguments[0].click()", likes[-1])
    wait(browser, lambda d: feedback_file.exists() and feedback_file.read_text(encoding="utf-8").strip())
    line = json.loads(feedback_file.read_text(encoding="utf-8").splitlines()[-1])
    assert line["helpful"] is True and line["question"] == "and what about reintegration?"
    assert line["query"] == "What did the 2019 workshop recommend on reintegration?"
    assert line["answer"] and line["citations"][0]["doc"] == "geneva-2019-workshop.md"
    click_text(browser, "button", "New conversation")
    wait(browser, lambda d: not bot_texts(d))


def test_a_question_that_cannot_be_asked_shows_the_reason_in_the_chat(browser: WebDriver) -> None:
    ask(browser, "?!?", card="#chat")
    assert bot_texts(browser)[-1] == (
        "⚠️ Cannot answer: the question has no words, only punctuation or symbols: type a question")
    assert "Traceback" not in page_text(browser)


def test_a_declined_question_shows_nearest_passages_marked_as_not_an_answer(browser: WebDriver) -> None:
    ask(browser, "What is the boiling point of liquid nitrogen?", card=".rag-card.rag-nearest")
    shot(browser, "4-declined")
    assert "Not an answer" in bot_texts(browser)[-1]
    banner = browser.find_element(By.CSS_SELECTOR, "#not-an-answer").text
    assert banner.startswith("Not an answer.") and "none of them answers the question" in banner
    assert len(browser.find_elements(By.CSS_SELECTOR, ".rag-card.rag-nearest")) >= 1
    assert not browser.find_elements(By.CSS_SELECTOR, ".rag-card:not(.rag-nearest)")


def test_a_pdf_source_opens_at_the_cited_page_and_other_corpus_files_are_not_served(browser: WebDriver) -> None:
    ask(browser, "Who chaired the Lisbon meeting?")
    link = browser.find_element(By.CSS_SELECTOR, ".rag-card a.rag-pdf-raw")
    href = link.get_attribute("href")
    assert link.text == "raw PDF" and href.endswith("lisbon-2018-meeting.pdf#page=2")
    with urllib.request.urlopen(href.split("#")[0], timeout=30) as response:
        assert response.headers["content-type"] == "application/pdf" and response.read(5) == b"%PDF-"
    html_file = href.split("#")[0].replace("lisbon-2018-meeting.pdf", "remittances-2021.html")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(html_file, timeout=30)
    assert refused.value.code == 403


def test_script_text_from_a_report_and_from_the_user_stays_inert(browser: WebDriver) -> None:
    title = browser.title
    ask(browser, "<img src=x onerror=\"document.title='owned'\"> unsafe web forms")
    shot(browser, "5-inert")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "<script>alert('x')</script>" in page  # shown literally, in the answer and in its card
    assert "<script>alert('x')</script>" in browser.find_element(By.CSS_SELECTOR, ".rag-card mark").text
    assert "<img src=x onerror=" in page
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    injected = browser.execute_script(
        "return [...document.querySelectorAll('script')].filter(s => s.textContent.includes(\"alert('x')\")).length"
        " + document.querySelectorAll('img[src=\"x\"]').length")
    assert injected == 0
    assert browser.title == title
