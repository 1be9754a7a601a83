#!/usr/bin/env python3
"""An LLM doctor: plays clinsim episodes with any OpenAI-compatible chat completions endpoint
(OpenAI, vLLM, llama.cpp server, Ollama, LM Studio...), using only the Python standard library
(urllib.request + json) besides the clinsim client.

    build/clinsim serve --address 127.0.0.1:50051 &
    export OPENAI_API_KEY=...            # the key is read from this variable, never printed
    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/llm_doctor.py \\
        --target 127.0.0.1:50051 --base-url https://api.openai.com/v1 --model gpt-4o-mini \\
        --episodes 5 --max-turns 20
    # a local server without a key: --base-url http://127.0.0.1:8000/v1 --model my-model

How it plays. The system prompt (SYSTEM_PROMPT below) explains the consultation and teaches the
tagged action grammar, quoted from the server's ``Spec.action_grammar``; every user message shows
what the last action revealed, the turn and the money spent. The model must answer with exactly
one action per reply. The reply is cleaned lightly (code fences and <think> blocks removed, text
before the first tagged line dropped) and sent as a tagged text action. Untagged text is a
question to the patient; a reply the server cannot play (two actions at once, an empty one...) is
refused with INVALID_ARGUMENT and changes nothing: the model is told why and asked again, once;
after a second unplayable reply the doctor sends ``DIAGNOSIS: unknown``. At the end of each
episode it prints the score; at the end, a summary.
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

try:
    import clinsim
except ImportError:  # run from a checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import clinsim

SYSTEM_PROMPT = """\
You are a physician seeing a patient. Find the diagnosis by taking a history, examining the
patient and ordering tests, then commit to a diagnosis. The patient answers only what you ask;
examination findings and test results are revealed only when you request them. Every visit and
every test costs money and some tests cause discomfort, so be thorough but economical. You have
at most {max_turns} turns, and the consultation ends when you give your diagnosis: you must give it
before you run out of turns.

Each of your replies is exactly ONE action, in this grammar:
{grammar}

Examples of valid replies (one per reply, nothing else):
ASK: When did the pain start, and does it spread anywhere?
EXAMINE: cardiovascular, respiratory
ORDER: ecg, troponin, chest x-ray
DIAGNOSIS: acute inferior ST-elevation myocardial infarction
ICD10: I21.19
DIFFERENTIAL: aortic dissection; acute pericarditis
CONFIDENCE: 0.8

Rules: reply with the action only, no explanation. Never ask and order (or any two actions) in
the same reply. Name tests by their usual names or abbreviations and examine named body systems
({systems}); vague requests such as "labs" or "full exam" are refused."""

TAG_LINE = re.compile(r"^\W*(ASK|EXAMINE|ORDER|DIAGNOSIS)\b", re.IGNORECASE | re.MULTILINE)


def extract_action(reply):
    """The action text in a model reply: <think> blocks and code fences removed, and anything
    before the first tagged line dropped (untagged replies are kept whole: a question)."""
    text = re.sub(r"<think>.*?</think>", "", reply or "", flags=re.DOTALL)
    text = re.sub(r"```[a-zA-Z]*", "", text).strip()
    m = TAG_LINE.search(text)
    if m:
        text = text[m.start():]
    return text.strip()


class ChatClient:
    """A minimal client of ``POST {base_url}/chat/completions`` (OpenAI-compatible)."""

    def __init__(self, base_url, model, api_key=None, temperature=0.0, max_tokens=400,
                 timeout=120.0, retries=3):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._api_key = api_key
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.retries = retries
        self.calls = 0

    def complete(self, messages):
        body = json.dumps({"model": self.model, "messages": messages,
                           "temperature": self.temperature,
                           "max_tokens": self.max_tokens}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = "Bearer " + self._api_key
        delay = 1.0
        for attempt in range(1, self.retries + 1):
            req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    data = json.loads(resp.read().decode("utf-8"))
                self.calls += 1
                return data["choices"][0]["message"].get("content") or ""
            except urllib.error.HTTPError as e:
                detail = e.read()[:300].decode("utf-8", "replace")
                retry = e.code in (408, 409, 429) or e.code >= 500
                if not retry or attempt == self.retries:
                    raise RuntimeError(f"chat completions failed: HTTP {e.code}: {detail}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                if attempt == self.retries:
                    raise RuntimeError(f"chat completions at {self.url} failed: {e}") from None
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")


def describe(obs, info, max_turns):
    """The user message for what a reset or step revealed."""
    lines = [f"[{m['role']}] {m['content']}" for m in obs["messages"]]
    turn = info.get("turn", 0)
    left = max_turns - turn
    lines.append(f"(turn {turn} of {max_turns}, ${info.get('cost_usd', 0.0):.0f} spent)")
    if left <= 1:
        lines.append("This is your last turn: reply with your DIAGNOSIS now.")
    elif left <= 3:
        lines.append(f"Only {left} turns left: diagnose soon.")
    return "\n".join(lines)


def play_episode(env, chat, system_prompt, seed, case_id, max_turns, log=print):
    """Plays one episode; returns (score dict, number of unplayable replies)."""
    options = {"max_turns": max_turns}
    if case_id:
        options["case_id"] = case_id
    obs, info = env.reset(seed=seed, options=options)
    messages = [{"role": "system", "content": system_prompt},
                {"role": "user", "content": describe(obs, info, max_turns)}]
    refused = 0
    while True:
        failures = 0
        while True:
            reply = chat.complete(messages)
            action = extract_action(reply)
            try:
                obs, reward, terminated, truncated, info = env.step(action)
                messages.append({"role": "assistant", "content": action})
                break
            except clinsim.InvalidArgument as e:
                failures += 1
                refused += 1
                log(f"  turn {info.get('turn', 0) + 1}: unplayable reply "
                    f"({e.message.splitlines()[0][:120]})")
                messages.append({"role": "assistant", "content": reply})
                if failures >= 2:
                    obs, reward, terminated, truncated, info = env.step("DIAGNOSIS: unknown")
                    messages.append({"role": "assistant", "content": "DIAGNOSIS: unknown"})
                    break
                messages.append({"role": "user", "content":
                                 f"That reply could not be played: {e.message}\n"
                                 "Reply again with exactly one action in the grammar, "
                                 "and nothing else."})
        if terminated or truncated:
            break
        messages.append({"role": "user", "content": describe(obs, info, max_turns)})
    return env.score(), refused


def main():
    ap = argparse.ArgumentParser(description="Play clinsim episodes with an OpenAI-compatible LLM.")
    ap.add_argument("--target", default="127.0.0.1:50051", help="clinsim serve HOST:PORT")
    ap.add_argument("--base-url", default="https://api.openai.com/v1",
                    help="the API base URL; requests go to BASE_URL/chat/completions")
    ap.add_argument("--model", required=True, help="model name")
    ap.add_argument("--api-key-env", default="OPENAI_API_KEY",
                    help="name of the environment variable holding the API key (unset: no key)")
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--case", default="",
                    help="case id(s), comma-separated and cycled (default: the server picks "
                         "from the seed)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the first episode (then +1)")
    ap.add_argument("--max-turns", type=int, default=20)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--http-timeout", type=float, default=120.0)
    args = ap.parse_args()

    api_key = os.environ.get(args.api_key_env) if args.api_key_env else None
    chat = ChatClient(args.base_url, args.model, api_key, temperature=args.temperature,
                      timeout=args.http_timeout)
    cases = [c.strip() for c in args.case.split(",") if c.strip()]
    results = []
    with clinsim.Env(args.target) as env:
        spec = env.spec()
        system_prompt = SYSTEM_PROMPT.format(
            max_turns=args.max_turns, grammar=spec.action_grammar,
            systems=", ".join(s.id for s in spec.exam_systems))
        print(f"model {args.model} at {args.base_url}; clinsim {spec.server_version} at "
              f"{args.target}; key from ${args.api_key_env}: {'set' if api_key else 'not set'}",
              flush=True)
        for k in range(args.episodes):
            case_id = cases[k % len(cases)] if cases else ""
            seed = args.seed + k
            score, refused = play_episode(env, chat, system_prompt, seed, case_id, args.max_turns)
            results.append((score, refused))
            print(f"episode {k + 1}: case {score['case_id']} seed {seed}: "
                  f"{'correct' if score['correct'] else 'wrong'} (judge {score['judge_score']}/5), "
                  f"diagnosis '{score['diagnosis']}' (answer '{score['true_diagnosis']}'), "
                  f"score {score['total_reward']:.3f}, cost ${score['cost_usd']:.0f}, "
                  f"turns {score['turns']}, rubric {100 * score['rubric_coverage']:.0f}%, "
                  f"unplayable replies {refused}, end {score['end_reason']}", flush=True)
    n = len(results)
    if n:
        mean = lambda key: sum(s[key] for s, _ in results) / n  # noqa: E731
        print(f"summary: {n} episodes, accuracy {100 * mean('correct'):.1f}%, "
              f"mean score {mean('total_reward'):.3f}, mean cost ${mean('cost_usd'):.0f}, "
              f"mean turns {mean('turns'):.1f}, mean rubric {100 * mean('rubric_coverage'):.0f}%, "
              f"unplayable replies {sum(r for _, r in results)}, LLM calls {chat.calls}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
