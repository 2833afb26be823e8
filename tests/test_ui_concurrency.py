"""Many sessions at once through the app's public API: every one answered, none sees another's conversation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from gradio_client import Client

from rag.conversation import rewrite
from ui.app import build_app, launch

FIRST_QUESTIONS = [
    "Who chaired the Bangkok workshop?",
    "How many government delegates attended the Bangkok workshop?",
    "What did the 2019 Geneva workshop recommend on fair recruitment?",
    "What is the global average cost of sending remittances?",
    "What did diaspora organisations ask governments for?",
    "What did participants note about seasonal agricultural workers?",
    "What was said about digital transfer channels?",
    "What did speakers call for regarding private recruitment agencies?",
    "How did the Chair close the Bangkok workshop?",
    "What did delegates stress on return and reintegration?",
    "How many Member States were represented at the Bangkok workshop?",
    "What target for remittance costs is set in the 2030 Agenda?",
]
FOLLOW_UP = "and what about health insurance?"


@pytest.fixture(scope="module")
def app_url(tiny_assistant, tmp_path_factory) -> Iterator[str]:
    demo = build_app(tiny_assistant, feedback_file=tmp_path_factory.mktemp("ui") / "feedback.jsonl")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch(demo, tiny_assistant, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_the_api_names_its_ask_endpoint(app_url: str) -> None:
    api = Client(app_url, verbose=False).view_api(print_info=False, return_format="dict")
    assert "/ask" in api["named_endpoints"]


def test_a_question_the_library_refuses_comes_back_as_its_message(app_url: str) -> None:
    record = Client(app_url, verbose=False).predict("?!", api_name="/ask")
    assert record == {"question": "?!",
                      "error": "the question has no words, only punctuation or symbols: type a question"}


def test_simultaneous_sessions_are_all_answered_without_cross_talk(app_url: str) -> None:
    expected = {q: rewrite(FOLLOW_UP, [q]) for q in FIRST_QUESTIONS}
    assert len(set(expected.values())) == len(FIRST_QUESTIONS)  # the follow-up can only match its own history
    clients = [Client(app_url, verbose=False) for _ in FIRST_QUESTIONS]
    start = threading.Barrier(len(clients))

    def session(client: Client, question: str) -> tuple[dict[str, Any], dict[str, Any], float]:
        start.wait()
        began = time.perf_counter()
        first = client.predict(question, api_name="/ask")
        second = client.predict(FOLLOW_UP, api_name="/ask")
        return first, second, time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(session, clients, FIRST_QUESTIONS))
    wall = time.perf_counter() - began

    for question, (first, second, _) in zip(FIRST_QUESTIONS, results, strict=True):
        assert "error" not in first and "error" not in second
        assert first["question"] == question and first["query"] == question
        assert second["question"] == FOLLOW_UP
        assert second["query"] == expected[question], f"session of {question!r} got another's history"
        assert first["abstained"] or first["citations"]
    slowest = max(r[2] for r in results)
    print(f"\n{len(clients)} sessions x 2 questions in {wall:.1f}s (slowest session {slowest:.1f}s)")
