"""Browser benchmark of the chat UI: first passage shown and full answer as a user sees them, in headless Chromium.

    .venv/bin/python eval/bench_ui.py [--questions 20] [--out eval/out/bench_ui.json] [--shots DIR]

Serves the configured index (`rag ingest` first) on a free port, asks gold questions one after the other
in one browser session, and times each from the click to the first source card of that answer in the
Sources panel and to the last change of the answer message. Prints medians and p90 and writes JSON.
Needs Debian's chromium and chromium-driver (scripts/install-browser.sh).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from rag import Assistant, load_gold, load_settings, offline_environment
from ui.app import build_app, launch

# Every change of the latest assistant message, timestamped, and the moment the first source card of this
# answer (the panel's header names the answer by its index) is on the page.
WATCH = """
const before = arguments[0];
window.__log = [];
window.__card = null;
if (window.__observer) window.__observer.disconnect();
const chat = document.querySelector('#chat');
window.__observer = new MutationObserver(() => {
  const bots = chat.querySelectorAll('[data-testid="bot"]');
  if (window.__card === null && document.querySelector(`.rag-asked[data-answer="${before}"]`)
      && document.querySelector('.rag-card')) window.__card = performance.now();
  if (bots.length <= before) return;
  const text = bots[bots.length - 1].innerText;
  const log = window.__log;
  if (!log.length || log[log.length - 1][1] !== text) log.push([performance.now(), text]);
});
window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});
window.__t0 = performance.now();
document.querySelector('#ask').click();
"""
BOTS = "return [...document.querySelectorAll('#chat [data-testid=\"bot\"]')].map(e => e.innerText)"


def _browser(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--window-size=1400,1000",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _ask(driver: webdriver.Chrome, question: str) -> tuple[float, float, bool]:
    before = len(driver.execute_script(BOTS))
    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    driver.execute_script(WATCH, before)

    def settled(d: webdriver.Chrome) -> bool:
        log, card = d.execute_script("return [window.__log, window.__card]")
        texts = d.execute_script(BOTS)
        declined_without_passages = bool(texts) and "Cannot answer" in texts[-1]
        return (len(texts) > before and bool(log) and not texts[-1].startswith("Searching")
                and (card is not None or declined_without_passages)
                and d.execute_script("return performance.now()") - log[-1][0] > 800)

    WebDriverWait(driver, 60, poll_frequency=0.05).until(settled)
    t0, log, card = driver.execute_script("return [window.__t0, window.__log, window.__card]")
    answer = [(t, text) for t, text in log if text.strip() and not text.startswith("Searching")]
    full = answer[-1][0] - t0
    return (card - t0 if card is not None else full), full, "Not an answer" in answer[-1][1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("eval/out/bench_ui.json"))
    ap.add_argument("--shots", type=Path, help="save a screenshot after each question here")
    args = ap.parse_args(argv)
    offline_environment()
    assistant = Assistant(load_settings())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = build_app(assistant, feedback_file=Path(tempfile.mkdtemp()) / "feedback.jsonl")
    launch(demo, assistant, port=port, block=False)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    driver = _browser(profile)
    rows = []
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        if args.shots:
            args.shots.mkdir(parents=True, exist_ok=True)
        for i, item in enumerate(load_gold(args.gold)[: args.questions], start=1):
            first, full, declined = _ask(driver, item.question)
            rows.append({"id": item.id, "first_passage_ms": round(first), "full_answer_ms": round(full),
                         "declined": declined})
            print(f"{item.id}: first passage {first:6.0f} ms, full answer {full:6.0f} ms"
                  f"{' (declined)' if declined else ''}", file=sys.stderr)
            if args.shots:
                driver.save_screenshot(str(args.shots / f"ui-{i:02d}-{item.id}.png"))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        demo.close()

    def summary(key: str) -> dict[str, float]:
        values = sorted(r[key] for r in rows)
        return {"median": statistics.median(values), "p90": values[min(len(values) - 1, int(0.9 * len(values)))]}

    result = {"index": assistant.index.where, "questions": len(rows),
              "first_passage_ms": summary("first_passage_ms"), "full_answer_ms": summary("full_answer_ms"),
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{len(rows)} questions in the browser: first passage median {result['first_passage_ms']['median']:.0f} ms "
          f"(p90 {result['first_passage_ms']['p90']:.0f}), full answer median "
          f"{result['full_answer_ms']['median']:.0f} ms (p90 {result['full_answer_ms']['p90']:.0f}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
