"""The web UI in a real headless Chromium over the tiny corpus: streamed cited answers, source cards,
briefing-note export, declined answers, and corpus text that must stay inert."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
    if os.environ.get("RAG_REQUIRE_BROWSER"):  # scripts/test.sh (and so CI) must not skip these silently
        raise RuntimeError("chromium / chromedriver missing although RAG_REQUIRE_BROWSER is set")
    pytest.skip("Debian chromium / chromium-driver not installed: run scripts/install-browser.sh",
                allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from ui.app import build_app, launch  # noqa: E402

# Records every change of the latest assistant message with its time, so streaming can be measured.
WATCH_CHAT = """
const before = arguments[0];
window.__log = [];
if (window.__observer) window.__observer.disconnect();
const chat = document.querySelector('#chat');
window.__observer = new MutationObserver(() => {
  const bots = chat.querySelectorAll('[data-testid="bot"]');
  if (bots.length <= before) return;
  const text = bots[bots.length - 1].innerText;
  const log = window.__log;
  if (!log.length || log[log.length - 1][1] !== text) log.push([performance.now(), text]);
});
window.__observer.observe(chat, {subtree: true, childList: true, characterData: true});
window.__t0 = performance.now();
document.querySelector('#ask').click();
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def feedback_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ui") / "feedback.jsonl"


@pytest.fixture(scope="module")
def ui_assistant(tmp_path_factory, embedder):
    """The tiny corpus plus a generated two-page PDF, so a card can open a PDF at its page."""
    from reportlab.pdfgen import canvas

    from rag.ingest import ingest
    from rag.pipeline import Assistant
    from rag.settings import load_settings

    root = tmp_path_factory.mktemp("ui-corpus")
    shutil.copytree(Path(__file__).parent / "data" / "tiny_corpus", root / "corpus")
    pdf = canvas.Canvas(str(root / "corpus" / "lisbon-2018-meeting.pdf"))
    pdf.drawString(72, 750, "1. The Lisbon meeting on student mobility opened with remarks by the host.")
    pdf.showPage()
    pdf.drawString(72, 750, "2. The Lisbon meeting was chaired by Mr. Tomasz Wierzbicki of Poland.")
    pdf.showPage()
    pdf.save()
    settings = load_settings(overrides={"paths.corpus": root / "corpus", "paths.index": root / "index"})
    ingest(settings, embedder)
    return Assistant(settings, embedder)


@pytest.fixture(scope="module")
def app_url(ui_assistant, feedback_file: Path) -> Iterator[str]:
    demo = build_app(ui_assistant, feedback_file=feedback_file)
    port = _free_port()
    launch(demo, ui_assistant, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def browser(app_url: str) -> Iterator[WebDriver]:
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1400,1000",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.get(app_url)
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: WebDriver, condition, timeout: float = 30):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def _bot_texts(driver: WebDriver) -> list[str]:
    """The assistant messages, read in one script call (the chat re-renders while streaming)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#chat [data-testid=\"bot\"]')].map(e => e.innerText)")


def _ask(driver: WebDriver, question: str, card: str = ".rag-card") -> dict[str, float | int]:
    """Type, send, wait until the answer stops changing and its cards are shown; return browser timings."""
    answers_before = len(_bot_texts(driver))
    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    driver.execute_script(WATCH_CHAT, answers_before)

    def settled(d: WebDriver) -> bool:
        log = d.execute_script("return window.__log")
        texts = _bot_texts(d)
        return (len(texts) > answers_before and bool(log) and not texts[-1].startswith("Searching")
                and d.execute_script("return performance.now()") - log[-1][0] > 800
                and bool(d.find_elements(By.CSS_SELECTOR, card)))

    _wait(driver, settled)
    t0, log = driver.execute_script("return [window.__t0, window.__log]")
    answer = [(t, text) for t, text in log if text.strip() and not text.startswith("Searching")]
    return {"first_token_ms": round(answer[0][0] - t0), "full_answer_ms": round(answer[-1][0] - t0),
            "updates": len(answer)}


def _page_text(driver: WebDriver) -> str:
    return driver.execute_script("return document.body.innerText")


def _shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"ui-{name}.png"))


def _click_text(driver: WebDriver, tag: str, text: str) -> None:
    """Click the first visible `tag` whose text contains `text`, found and clicked in one script call."""
    script = """
      const [tag, text] = arguments;
      const el = [...document.querySelectorAll(tag)].find(e => e.innerText.includes(text) && e.offsetParent);
      if (!el) return false;
      el.scrollIntoView({block: 'center'});
      el.click();
      return true;"""
    _wait(driver, lambda d: d.execute_script(script, tag, text))


def test_a_cited_answer_streams_with_highlighted_sources_and_exports_a_note(browser: WebDriver) -> None:
    timings = _ask(browser, "Who chaired the Bangkok workshop?")
    _shot(browser, "1-answer")
    assert timings["updates"] >= 2, "the answer should arrive in several streamed pieces"
    assert "Ingrid Halvorsen" in _bot_texts(browser)[-1] and "[1]" in _bot_texts(browser)[-1]
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".rag-card mark")]
    assert any("Ingrid Halvorsen" in m for m in marks)
    assert "Bangkok thematic workshop" in browser.find_element(By.CSS_SELECTOR, ".rag-card-head").text

    context = browser.find_element(By.CSS_SELECTOR, ".rag-context")
    assert "87 government delegates" not in context.text  # closed until asked
    _click_text(browser, "summary", "Show in context")
    _wait(browser, lambda d: "87 government delegates" in d.find_element(By.CSS_SELECTOR, ".rag-context").text)
    _shot(browser, "2-context")
    _click_text(browser, "button", "Add [1] to note")
    _wait(browser, lambda d: "Added to the note (1 quote)" in _page_text(d))

    follow = _ask(browser, "How many government delegates attended the Bangkok workshop?")
    assert "87" in _bot_texts(browser)[-1]
    _click_text(browser, "button", "Add [1] to note")
    _wait(browser, lambda d: "Added to the note (2 quotes)" in _page_text(d))

    browser.execute_script("document.querySelector('button[role=tab][data-tab-id=note]').click()")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".rag-note-item")) == 2)
    title = browser.find_element(By.CSS_SELECTOR, "#note-title textarea, #note-title input")
    title.clear()
    title.send_keys("Bangkok brief")
    browser.find_element(By.CSS_SELECTOR, ".rag-annotation textarea, .rag-annotation input").send_keys(
        "Confirm the title of the chair.")
    time.sleep(1.0)  # let the last keystroke reach the session state
    _click_text(browser, "button", "Export DOCX")
    link = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#export-file a[download]"))
    _wait(browser, lambda d: "re-verified" in d.find_element(By.CSS_SELECTOR, "#export-status").text)
    _shot(browser, "3-note")

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
    _ask(browser, "What did the 2019 workshop recommend on fair recruitment?")
    _ask(browser, "and what about return?")
    assert "Searched as: “What did the 2019 workshop recommend on return?”" in _bot_texts(browser)[-1]
    assert "Sources for: “What did the 2019 workshop recommend on return?”" in _page_text(browser)

    likes = browser.find_elements(By.CSS_SELECTOR, '#chat button[aria-label="Like"]')
    browser.execute_script("arguments[0].click()", likes[-1])
    _wait(browser, lambda d: feedback_file.exists() and feedback_file.read_text(encoding="utf-8").strip())
    line = json.loads(feedback_file.read_text(encoding="utf-8").splitlines()[-1])
    assert line["helpful"] is True and line["question"] == "and what about return?"
    assert line["query"] == "What did the 2019 workshop recommend on return?"
    assert line["answer"] and line["citations"][0]["doc"] == "geneva-2019-workshop.md"
    _click_text(browser, "button", "New conversation")
    _wait(browser, lambda d: not _bot_texts(d))


def test_a_question_that_cannot_be_asked_shows_the_reason_in_the_chat(browser: WebDriver) -> None:
    _ask(browser, "?!?", card="#chat")
    assert _bot_texts(browser)[-1] == (
        "⚠️ Cannot answer: the question has no words, only punctuation or symbols: type a question")
    assert "Traceback" not in _page_text(browser)


def test_a_declined_question_shows_nearest_passages_marked_as_not_an_answer(browser: WebDriver) -> None:
    _ask(browser, "What is the boiling point of liquid nitrogen?", card=".rag-card.rag-nearest")
    _shot(browser, "4-declined")
    assert "Not an answer" in _bot_texts(browser)[-1]
    banner = browser.find_element(By.CSS_SELECTOR, "#not-an-answer").text
    assert banner.startswith("Not an answer.") and "none of them answers the question" in banner
    assert len(browser.find_elements(By.CSS_SELECTOR, ".rag-card.rag-nearest")) >= 1
    assert not browser.find_elements(By.CSS_SELECTOR, ".rag-card:not(.rag-nearest)")


def test_a_pdf_source_opens_at_the_cited_page_and_other_corpus_files_are_not_served(browser: WebDriver) -> None:
    _ask(browser, "Who chaired the Lisbon meeting?")
    link = browser.find_element(By.CSS_SELECTOR, ".rag-card a.rag-pdf")
    href = link.get_attribute("href")
    assert link.text == "open PDF at p. 2" and href.endswith("lisbon-2018-meeting.pdf#page=2")
    with urllib.request.urlopen(href.split("#")[0], timeout=30) as response:
        assert response.headers["content-type"] == "application/pdf" and response.read(5) == b"%PDF-"
    html_file = href.split("#")[0].replace("lisbon-2018-meeting.pdf", "remittances-2021.html")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(html_file, timeout=30)
    assert refused.value.code == 403


def test_script_text_from_a_report_and_from_the_user_stays_inert(browser: WebDriver) -> None:
    title = browser.title
    _ask(browser, "<img src=x onerror=\"document.title='owned'\"> unsafe web forms")
    _shot(browser, "5-inert")
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
