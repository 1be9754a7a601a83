"""End to end: `clinsim bench --doctor grpc://...` drives the example Python Doctor service, and
the same policy played locally through clinsim.Env gives exactly the same scores.

bench --json writes the per-episode scores under "episodes_detail" ("episodes" is their count);
each is the same JSON object as Score.json, so they are compared whole, ignoring no field.
"""

import json
import os
import re
import subprocess
import sys
import threading

import pytest

import clinsim
import doctor_service  # clients/python/examples/doctor_service.py
from conftest import EXAMPLES_DIR, REPO

CASES = ["cardiology_inferior_stemi", "dermatology_cellulitis"]
SEEDS = 2


def bench(clinsim_bin, doctor_target, out_path, cases=CASES, seeds=SEEDS):
    cmd = [clinsim_bin, "bench", "--doctor", f"grpc://{doctor_target}", "--case", ",".join(cases),
           "--seeds", str(seeds), "--threads", "2", "--json", str(out_path)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"bench failed:\n{p.stdout}\n{p.stderr}"
    with open(out_path) as f:
        data = json.load(f)
    episodes = data["episodes"] if isinstance(data["episodes"], list) else data["episodes_detail"]
    assert len(episodes) == len(cases) * seeds
    return {(e["case_id"], e["seed"]): e for e in episodes}


def play_locally(target, case_id, seed, max_turns=40, trace=None):
    """The example's policy played through Env: the scores bench must reproduce."""
    with clinsim.Env(target, case_id=case_id) as env:
        _, info = env.reset(seed=seed)
        turn = 0
        while True:
            if trace is not None:
                trace.append((turn, [dict(m) for m in env.history]))
            action = doctor_service.choose_action(env.history, turn, max_turns)
            _, _, terminated, truncated, info = env.step(action)
            turn = info["turn"]
            if terminated or truncated:
                return env.score()


@pytest.fixture(scope="module")
def doctor_process():
    """The example script, run as its own process on a free port."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(REPO, "clients", "python")
    p = subprocess.Popen([sys.executable, os.path.join(EXAMPLES_DIR, "doctor_service.py"),
                          "--address", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        t = threading.Thread(target=lambda: lines.append(p.stdout.readline()), daemon=True)
        t.start()
        t.join(30)
        assert lines and lines[0], f"no listening line; stderr: {p.stderr.read() if p.poll() is not None else ''}"
        m = re.match(r"doctor service listening on (127\.0\.0\.1):(\d+)$", lines[0].strip())
        assert m, lines[0]
        yield f"{m.group(1)}:{m.group(2)}"
    finally:
        p.terminate()
        p.wait(10)


def test_bench_drives_the_example_doctor_service(clinsim_bin, target, doctor_process, tmp_path):
    by_key = bench(clinsim_bin, doctor_process, tmp_path / "bench.json")
    for case_id in CASES:
        for seed in range(SEEDS):
            local = play_locally(target, case_id, seed)
            remote = by_key[(case_id, seed)]
            assert local == remote, f"{case_id} seed {seed}: Env and bench scores differ"
            assert remote["end_reason"] == "diagnosis"  # it always diagnoses in time
            assert remote["turns"] == 7


def test_act_requests_match_env_history(clinsim_bin, target, tmp_path):
    """What bench sends in ActRequest (turn, history, findings) is what Env accumulates."""
    seen = {}
    lock = threading.Lock()

    def recording_policy(request):
        with lock:
            seen.setdefault((request.seed, request.episode_key), []).append(
                (request.turn, [{"role": m.role, "content": m.content} for m in request.history],
                 len(request.findings), request.max_turns, request.action_grammar))
        return doctor_service.act(request)

    server, port = clinsim.serve_doctor(recording_policy, "127.0.0.1:0")
    try:
        by_key = bench(clinsim_bin, f"127.0.0.1:{port}", tmp_path / "b.json", cases=CASES[:1])
    finally:
        server.stop(None)
    assert len(seen) == SEEDS
    spec_grammar = clinsim.Env(target).spec().action_grammar
    for (seed, _key), calls in seen.items():
        trace = []
        score = play_locally(target, CASES[0], seed, trace=trace)
        assert score == by_key[(CASES[0], seed)]
        assert [(turn, history) for turn, history, _, _, _ in calls] == trace
        assert all(mt == 40 and g == spec_grammar for _, _, _, mt, g in calls)


def test_policy_always_diagnoses_before_the_turn_limit():
    history = [{"role": "system", "content": "A man with chest pain."}]
    for max_turns in (1, 2, 3, 7, 40):
        actions = [doctor_service.choose_action(history, t, max_turns) for t in range(max_turns)]
        assert actions[-1].startswith("DIAGNOSIS: ")
        assert sum(a.startswith("DIAGNOSIS: ") for a in actions) >= 1
        first = next(i for i, a in enumerate(actions) if a.startswith("DIAGNOSIS"))
        assert first <= max_turns - 1 and first <= 6


def test_serve_doctor_reports_policy_failures(clinsim_bin, tmp_path):
    def broken(request):
        raise RuntimeError("boom")

    server, port = clinsim.serve_doctor(broken)
    try:
        p = subprocess.run([clinsim_bin, "bench", "--doctor", f"grpc://127.0.0.1:{port}",
                            "--case", CASES[0], "--seeds", "1"],
                           capture_output=True, text=True, timeout=60)
    finally:
        server.stop(None)
    assert p.returncode != 0
    assert "boom" in p.stdout + p.stderr
