#!/usr/bin/python3
"""gRPC benchmarks from Python, each reported against a baseline measured in the same run.

Starts `build/bench/grpc_load --serve` (clinsim's Environment service and an echo service that
answers with a canned reply of the same size), then measures from /usr/bin/python3:
  1. unary Step latency p50/p99 against echo (one client, calls in sequence);
  2. StepBatch throughput with 64, 128 and 256 episodes per batch, with the raw stubs and with
     clinsim.VectorEnv (dict and proto observations), against echo with the raw stubs.

    PYTHONPATH=clients/python:build/bench/python /usr/bin/python3 bench/python_grpc_bench.py [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import grpc

from clinsim.v1 import environment_pb2 as pb
from clinsim.v1 import environment_pb2_grpc as pb_grpc
from clinsim_bench import echo_pb2_grpc

QUESTIONS = ["ASK: Where is the pain?", "ASK: When did it start?",
             "ASK: Any shortness of breath?", "ASK: Do you smoke?"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def unary(env, echo, calls):
    reset = env.Reset(pb.ResetRequest(case_id="cardiology_inferior_stemi", seed=1,
                                      options=pb.EpisodeOptions(max_turns=1000)))
    step_us, echo_us = [], []
    turns = 0
    for block in range(calls // 1000):
        for i in range(1000):
            req = pb.StepRequest(episode_id=reset.episode_id, action=pb.Action(text=QUESTIONS[i % 4]))
            t0 = time.perf_counter()
            env.Step(req)
            step_us.append((time.perf_counter() - t0) * 1e6)
            turns += 1
            if turns == 990:
                env.Close(pb.CloseRequest(episode_id=reset.episode_id))
                reset = env.Reset(pb.ResetRequest(case_id="cardiology_inferior_stemi", seed=block,
                                                  options=pb.EpisodeOptions(max_turns=1000)))
                turns = 0
        for i in range(1000):
            req = pb.StepRequest(episode_id=reset.episode_id, action=pb.Action(text=QUESTIONS[i % 4]))
            t0 = time.perf_counter()
            echo.Step(req)
            echo_us.append((time.perf_counter() - t0) * 1e6)
    env.Close(pb.CloseRequest(episode_id=reset.episode_id))
    s50, s99, e50, e99 = (percentile(step_us, 0.5), percentile(step_us, 0.99),
                          percentile(echo_us, 0.5), percentile(echo_us, 0.99))
    return {"calls": len(step_us), "step_p50_us": s50, "step_p99_us": s99, "echo_p50_us": e50,
            "echo_p99_us": e99, "ratio_p50": s50 / e50, "ratio_p99": s99 / e99}


def raw_batch(stub_call, ids, seconds):
    n = len(ids)
    texts = [pb.Action(text=q) for q in QUESTIONS]
    batches = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        req = pb.StepBatchRequest()
        items = req.items
        for i, eid in enumerate(ids):
            items.add(episode_id=eid, action=texts[(batches + i) % 4])
        resp = stub_call(req)
        for item in resp.items:  # what a rollout loop reads at least
            item.response.reward
        batches += 1
    return batches * n / (time.perf_counter() - t0)


def vector_env_rate(target, n, obs_format, seconds):
    import clinsim
    venv = clinsim.VectorEnv(target, n, options={"max_turns": 1000}, obs_format=obs_format)
    venv.reset(seed=0)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        venv.step([QUESTIONS[(steps + i) % 4] for i in range(n)])
        steps += 1
    rate = steps * n / (time.perf_counter() - t0)
    venv.close()
    return rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/bench/grpc_load")
    ap.add_argument("--json")
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    proc = subprocess.Popen([args.binary, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()  # "clinsim HOST:PORT echo HOST:PORT"
        env_target, echo_target = line[1], line[3]
        env = pb_grpc.EnvironmentStub(grpc.insecure_channel(env_target))
        echo = echo_pb2_grpc.EchoStub(grpc.insecure_channel(echo_target))
        out = {"unary": unary(env, echo, args.calls), "step_batch": {}}
        u = out["unary"]
        print(f"unary from Python ({u['calls']} calls each, one client):")
        print(f"  Step  p50 {u['step_p50_us']:.1f} us  p99 {u['step_p99_us']:.1f} us")
        print(f"  echo  p50 {u['echo_p50_us']:.1f} us  p99 {u['echo_p99_us']:.1f} us")
        print(f"  Step / echo: p50 {u['ratio_p50']:.2f}x  p99 {u['ratio_p99']:.2f}x")
        print("StepBatch from Python (one client, batches in sequence), env steps/s:")
        for n in (64, 128, 256):
            resets = env.ResetBatch(pb.ResetBatchRequest(items=[
                pb.ResetRequest(seed=i, options=pb.EpisodeOptions(max_turns=1000)) for i in range(n)]))
            ids = [item.response.episode_id for item in resets.items]
            row = {"raw": raw_batch(env.StepBatch, ids, args.seconds),
                   "echo_raw": raw_batch(echo.StepBatch, ids, args.seconds)}
            for eid in ids:
                env.Close(pb.CloseRequest(episode_id=eid))
            try:
                row["vector_env_dict"] = vector_env_rate(env_target, n, "dict", args.seconds)
                row["vector_env_proto"] = vector_env_rate(env_target, n, "proto", args.seconds)
            except (ImportError, AttributeError) as e:
                print(f"  (clinsim.VectorEnv not importable: {e})")
            out["step_batch"][str(n)] = row
            print(f"  {n:3d}/batch: " + "  ".join(f"{k} {v:,.0f}" for k, v in row.items()) +
                  f"  (echo/raw {row['echo_raw'] / row['raw']:.2f}x)")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
