"""Shared by the browser tests: one server over the tiny corpus (plus a generated PDF) for the whole session,
a fresh headless Chromium per test, and helpers that read the page in single script calls."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
    if os.environ.get("RAG_REQUIRE_BROWSER"):  # scripts/test.sh (and so CI) must not skip these silently
        raise RuntimeError("chromium / chromedriver missing although RAG_REQUIRE_BROWSER is set")
    pytest.skip("Debian chromium / chromium-driver not installed: run scripts/install-browser.sh",
                allow_module_level=True)

from selenium import webdriver  # noqa: E402
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def feedback_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ui") / "feedback.jsonl"


@pytest.fixture(scope="session")
def ui_assistant(tmp_path_factory, embedder):
    """The tiny corpus plus a generated two-page PDF, so a card can open a PDF at its page."""
    from reportlab.pdfgen import canvas

    from rag import ingest
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


@pytest.fixture(scope="session")
def app_url(ui_assistant, feedback_file: Path) -> Iterator[str]:
    yield from serve(ui_assistant, feedback_file)


def serve(assistant, feedback_file: Path) -> Iterator[str]:
    """The chat UI of `assistant` on a free loopback port, closed after use."""
    demo = build_app(assistant, feedback_file=feedback_file)
    port = free_port()
    launch(demo, assistant, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def browser(app_url: str) -> Iterator[WebDriver]:
    yield from driver_at(app_url)


def driver_at(url: str) -> Iterator[WebDriver]:
    """A fresh headless Chromium with its own profile, on `url` once the question box is there."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1400,1000",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver: WebDriver, condition, timeout: float = 30):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def saved(index: Path, *texts: str, name: str = "notes.json", since: float = 0.0) -> bool:
    """True once the server has saved every one of `texts` in some browser's `name` under `index` (a file
    written at or after `since`, a time.time()): the condition to wait for before a reload, a restart or an
    export that must see the last keystroke."""
    files = [f.read_text(encoding="utf-8") for f in (index / "ui-sessions").glob(f"*/{name}")
             if f.stat().st_mtime >= since]
    return any(all(t in f for t in texts) for f in files)


def bot_texts(driver: WebDriver) -> list[str]:
    """The assistant messages, read in one script call (the chat re-renders while streaming)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#chat [data-testid=\"bot\"]')].map(e => e.innerText)")


def ask(driver: WebDriver, question: str, card: str = ".rag-card") -> dict[str, float | int]:
    """Type, send, wait until the answer stops changing and its cards are shown; return browser timings."""
    answers_before = len(bot_texts(driver))
    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    driver.execute_script(WATCH_CHAT, answers_before)

    def settled(d: WebDriver) -> bool:
        log = d.execute_script("return window.__log")
        texts = bot_texts(d)
        return (len(texts) > answers_before and bool(log) and not texts[-1].startswith("Searching")
                and d.execute_script("return performance.now()") - log[-1][0] > 800
                and bool(d.find_elements(By.CSS_SELECTOR, card)))

    wait(driver, settled)
    t0, log = driver.execute_script("return [window.__t0, window.__log]")
    answer = [(t, text) for t, text in log if text.strip() and not text.startswith("Searching")]
    return {"first_token_ms": round(answer[0][0] - t0), "full_answer_ms": round(answer[-1][0] - t0),
            "updates": len(answer)}


def page_text(driver: WebDriver) -> str:
    return driver.execute_script("return document.body.innerText")


SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def shot(driver: WebDriver, name: str, sizes: tuple[str, ...] = ("desktop", "phone")) -> None:
    """Screenshots of the current state at each issue-11 viewport (1366x900 and 390x844), then back."""
    before = driver.get_window_size()
    for size in sizes:
        driver.set_window_size(*SIZES[size])
        driver.execute_script("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 150)))")
        driver.save_screenshot(str(ARTIFACTS / f"ui-{name}-{size}.png"))
    driver.set_window_size(before["width"], before["height"])


def click_text(driver: WebDriver, tag: str, text: str) -> None:
    """Click the first visible `tag` whose text contains `text`, found and clicked in one script call."""
    script = """
      const [tag, text] = arguments;
      const el = [...document.querySelectorAll(tag)].find(e => e.innerText.includes(text) && e.offsetParent);
      if (!el) return false;
      el.scrollIntoView({block: 'center'});
      el.click();
      return true;"""
    wait(driver, lambda d: d.execute_script(script, tag, text))




# Every visible text (text nodes and empty fields' placeholders): its colour blended over its effective
# background (ancestors' background colours composited, opacity applied) and its WCAG contrast ratio.
CONTRAST = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")


def contrast_failures(driver: WebDriver, minimum: float = 4.5) -> list[dict[str, object]]:
    """The visible texts whose contrast against their background is below `minimum` (WCAG AA: 4.5)."""
    return [t for t in driver.execute_script(CONTRAST) if t["ratio"] < minimum]
