"""examples/llm_doctor.py against a fake OpenAI-compatible server (http.server on 127.0.0.1:0)
that replies with scripted tagged actions, one of them unplayable."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import CASE, EXAMPLES_DIR, REPO

SECRET = "sk-test-do-not-print-0123456789"


class FakeOpenAI:
    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        self.auth = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.path, body))
                fake.auth.append(self.headers.get("Authorization"))
                reply = fake.replies.pop(0) if fake.replies else "DIAGNOSIS: out of script"
                data = json.dumps({"id": "x", "object": "chat.completion", "model": body["model"],
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant",
                                                            "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_llm_doctor(target, fake, *extra):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "clients", "python"), FAKE_KEY=SECRET)
    return subprocess.run(
        [sys.executable, os.path.join(EXAMPLES_DIR, "llm_doctor.py"), "--target", target,
         "--base-url", fake.url, "--model", "fake-model", "--api-key-env", "FAKE_KEY",
         "--episodes", "1", "--case", CASE, "--max-turns", "10", *extra],
        capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def fake_factory():
    made = []

    def make(replies):
        made.append(FakeOpenAI(replies))
        return made[-1]

    yield make
    for f in made:
        f.close()


def test_llm_doctor_plays_an_episode_with_one_retry(target, fake_factory):
    fake = fake_factory([
        "Let me start with the history.\nASK: Does the pain spread anywhere?",
        "ASK: Any fever?\nORDER: cbc",                       # two actions: refused, retried
        "```\nORDER: ECG, troponin\n```",
        "**DIAGNOSIS:** inferior STEMI\nICD10: I21.19\nDIFFERENTIAL: aortic dissection",
    ])
    p = run_llm_doctor(target, fake)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "episode 1: case cardiology_inferior_stemi seed 0: correct" in p.stdout
    assert "score " in p.stdout and "unplayable replies 1" in p.stdout
    assert "summary: 1 episodes, accuracy 100.0%" in p.stdout
    assert SECRET not in p.stdout + p.stderr
    assert fake.auth == [f"Bearer {SECRET}"] * 4
    paths = {path for path, _ in fake.requests}
    assert paths == {"/v1/chat/completions"}
    # the system prompt teaches the grammar; the retry tells the model what was wrong
    first = fake.requests[0][1]["messages"]
    assert first[0]["role"] == "system" and "DIAGNOSIS: <name>" in first[0]["content"]
    assert "chest pain" in first[1]["content"]
    retry = fake.requests[2][1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "ASK: Any fever?\nORDER: cbc"}
    assert "could not be played" in retry[-1]["content"] and "two different actions" in retry[-1]["content"]


def test_llm_doctor_gives_up_after_two_unplayable_replies(target, fake_factory):
    fake = fake_factory(["ASK: a?\nORDER: cbc", "EXAMINE: heart\nORDER: cbc"])
    p = run_llm_doctor(target, fake)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "diagnosis 'unknown'" in p.stdout and "unplayable replies 2" in p.stdout
    assert len(fake.requests) == 2


def test_extract_action():
    import llm_doctor
    assert llm_doctor.extract_action("<think>hmm</think>\nSure.\nORDER: cbc") == "ORDER: cbc"
    assert llm_doctor.extract_action("```text\nASK: fever?\n```") == "ASK: fever?"
    assert llm_doctor.extract_action("Does it hurt?") == "Does it hurt?"
