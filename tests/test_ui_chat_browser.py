"""Asking in a real headless Chromium: examples that ask, Enter while an answer is coming, answers shown when
ready (never released word by word), and a first screen where every control is in view."""

# ruff: noqa: F811 - pytest fixtures imported from tests.browser_support are parameters here

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser_support import (  # noqa: F401  (fixtures)
    SIZES,
    app_url,
    ask,
    bot_texts,
    browser,
    click_text,
    driver_at,
    feedback_file,
    serve,
    shot,
    ui_assistant,
    wait,
)

pytestmark = pytest.mark.browser

# Click Ask, and as soon as it says "Answering…", type a second question and press Enter, all inside the page
# (the tiny corpus answers in a few hundred ms, too fast for keystrokes sent from the test). Every queue notice
# shown is recorded, since it goes away when the queued question starts.
ENTER_WHILE_ANSWERING = """
const [second, done] = arguments;
window.__notices = [];
new MutationObserver(() => {
  const note = document.querySelector('#queued-note');
  if (note && !window.__notices.includes(note.innerText)) window.__notices.push(note.innerText);
}).observe(document.body, {subtree: true, childList: true, characterData: true});
const box = document.querySelector('#question textarea');
let sent = false;
// A MutationObserver, not requestAnimationFrame: headless Chromium may throttle animation frames.
const press = () => {
  if (sent || !document.querySelector('#ask').innerText.includes('Answering')) return;
  sent = true;
  watch.disconnect();
  box.value = second;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  for (const type of ['keydown', 'keypress']) {
    box.dispatchEvent(new KeyboardEvent(type, {key: 'Enter', code: 'Enter', keyCode: 13, bubbles: true}));
  }
  done(true);
};
const watch = new MutationObserver(press);
watch.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
document.querySelector('#ask').click();
press();
"""


@pytest.fixture(scope="module")
def slow_url(ui_assistant, feedback_file):
    """The same assistant on a machine that takes a second per answer: long enough, whatever the load, for a
    question sent while "Answering…" shows to reach the page before that answer is complete."""
    from rag.pipeline import Assistant

    class SlowAssistant(Assistant):
        def ask(self, *args, **kwargs):
            time.sleep(1.0)
            return super().ask(*args, **kwargs)

    yield from serve(SlowAssistant(ui_assistant.settings, ui_assistant.embedder), feedback_file)


@pytest.fixture
def slow_browser(slow_url):
    yield from driver_at(slow_url)


def _users(driver: WebDriver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#chat [data-testid=\"user\"]')].map(e => e.innerText)")


def test_clicking_an_example_asks_it(browser: WebDriver) -> None:
    click_text(browser, "button", "How many government delegates attended the 2016")
    wait(browser, lambda d: bot_texts(d) and "87" in bot_texts(d)[-1])
    assert _users(browser) == ["How many government delegates attended the 2016 Bangkok workshop?"]
    shot(browser, "example-asked")


def test_enter_while_an_answer_is_coming_is_queued_visibly_then_asked(slow_browser: WebDriver) -> None:
    browser = slow_browser
    browser.find_element(By.CSS_SELECTOR, "#question textarea").send_keys("Who chaired the Bangkok workshop?")
    browser.execute_async_script(ENTER_WHILE_ANSWERING, "How many government delegates attended the Bangkok workshop?")
    if browser.find_elements(By.CSS_SELECTOR, "#queued-note"):  # shown for about a second: captured if still there
        shot(browser, "queued-question")
    wait(browser, lambda d: len(bot_texts(d)) == 2 and "87" in bot_texts(d)[-1]
         and "Answering" not in d.find_element(By.CSS_SELECTOR, "#ask").text)
    assert _users(browser) == ["Who chaired the Bangkok workshop?",
                               "How many government delegates attended the Bangkok workshop?"]
    assert "Ingrid Halvorsen" in bot_texts(browser)[0]
    assert browser.execute_script("return window.__notices") == [
        "Queued: your question will be asked as soon as the current answer is complete."]
    assert not browser.find_elements(By.CSS_SELECTOR, "#queued-note")  # gone once the queued question ran


def test_an_answer_appears_whole_when_ready_not_word_by_word(browser: WebDriver) -> None:
    timings = ask(browser, "Who chaired the Bangkok workshop?")
    assert timings["updates"] == 1, "after 'Searching the reports…' the answer should appear in one piece"
    assert "Ingrid Halvorsen" in bot_texts(browser)[-1]


def test_on_first_load_the_examples_and_new_conversation_are_in_view(browser: WebDriver) -> None:
    browser.set_window_size(*SIZES["desktop"])
    browser.execute_script("window.scrollTo(0, 0)")
    bottoms = browser.execute_script("""
        const bottom = el => el.getBoundingClientRect().bottom;
        const examples = [...document.querySelectorAll('button')].filter(b => b.innerText.includes('Friends of'));
        return [window.innerHeight, bottom(document.querySelector('#new-conversation')), bottom(examples[0])];""")
    height, new_conversation, last_example = bottoms
    assert new_conversation <= height and last_example <= height, bottoms
    shot(browser, "first-load")
    for size in ("desktop", "phone"):  # the button's label is never cut off
        browser.set_window_size(*SIZES[size])
        widths = browser.execute_script(
            "const b = document.querySelector('#new-conversation'); return [b.scrollWidth, b.clientWidth]")
        assert widths[0] <= widths[1], (size, widths)


def test_add_to_note_looks_like_a_button(browser: WebDriver) -> None:
    ask(browser, "Who chaired the Bangkok workshop?")
    style = browser.execute_script("""
        const s = getComputedStyle(document.querySelector('button.rag-add'));
        return [s.borderTopStyle, parseFloat(s.borderTopWidth), s.borderTopColor, s.cursor, s.fontWeight];""")
    assert style[0] == "solid" and style[1] >= 1 and style[3] == "pointer" and int(style[4]) >= 600, style
    assert style[2] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), style
