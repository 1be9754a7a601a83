#!/usr/bin/env python3
"""Measures VectorEnv throughput (env steps per second) against a clinsim server.

Every env asks questions from a small cycle and never diagnoses, with ``max_turns`` high enough
(1000 by default) that episodes rarely end; autoreset is on, so those that do end restart within
the step (their score is fetched and the episode closed). Both observation formats are measured:
``dict`` (plain Python dicts) and ``proto`` (the response protos, no conversion).

    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/throughput.py
    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/throughput.py \\
        --target 127.0.0.1:50051 --sizes 64,128,256 --seconds 5

Without ``--target`` it starts ``build/clinsim serve`` (or $CLINSIM_BIN) on a free port and stops
it at the end. Note that on a small machine the server and this client share the cores.
"""

import argparse
import os
import sys
import time

try:
    import clinsim
except ImportError:  # run from a checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import clinsim

QUESTIONS = [
    "ASK: When did this start?",
    "ASK: Does the pain spread anywhere?",
    "ASK: Do you have a fever?",
    "ASK: What medicines do you take?",
]


def measure(target, num_envs, obs_format, seconds, max_turns, warmup=20):
    venv = clinsim.VectorEnv(target, num_envs, options={"max_turns": max_turns},
                             obs_format=obs_format, autoreset=True)
    try:
        venv.reset(seed=0)
        batches = [[QUESTIONS[(t + i) % len(QUESTIONS)] for i in range(num_envs)]
                   for t in range(len(QUESTIONS))]
        for t in range(warmup):
            venv.step(batches[t % len(batches)])
        steps = ended = 0
        t0 = time.perf_counter()
        t = 0
        while True:
            _, _, term, trunc, infos = venv.step(batches[t % len(batches)])
            t += 1
            steps += num_envs
            if "_final_info" in infos:
                ended += sum(infos["_final_info"])
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        return steps / elapsed, t, ended
    finally:
        venv.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", help="HOST:PORT of a running clinsim serve (default: start one)")
    ap.add_argument("--binary", default=None, help="clinsim program (default: build/clinsim)")
    ap.add_argument("--sizes", default="64,128,256", help="comma-separated numbers of envs")
    ap.add_argument("--formats", default="dict,proto", help="observation formats to measure")
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per point")
    ap.add_argument("--max-turns", type=int, default=1000, help="episode turn limit")
    args = ap.parse_args()

    server = None
    target = args.target
    if target is None:
        server = clinsim.start_server(args.binary)
        target = server.target
    try:
        print(f"server {target}; {args.seconds:g} s per point; max_turns {args.max_turns}; "
              f"python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
        print(f"{'format':<8}{'envs':>6}{'steps/s':>12}{'batches':>9}{'ended':>7}", flush=True)
        for fmt in args.formats.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                rate, batches, ended = measure(target, n, fmt, args.seconds, args.max_turns)
                print(f"{fmt:<8}{n:>6}{rate:>12,.0f}{batches:>9}{ended:>7}", flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
