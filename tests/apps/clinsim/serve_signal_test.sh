#!/usr/bin/env bash
# `clinsim serve` and `clinsim bench --doctor grpc://` under signals, with clients in flight:
#  1. SIGTERM: calls in flight finish, a stream in flight may still close its episode and end OK,
#     health goes NOT_SERVING, new work is UNAVAILABLE, a stream that never ends does not hold the
#     server past --grace-seconds, and serve exits 0 (no crash, no core) soon after the grace.
#  2. kill -9 of serve: the client gets UNAVAILABLE at once (deadlines everywhere: no hang); serve
#     restarted on the same port answers the same channel; the lost episode is NOT_FOUND.
#  3. kill -9 of the Doctor service under `bench --run-dir`: bench stops with a clear error, keeps
#     every episode recorded, and the same command resumes once the service is back.
# Usage: serve_signal_test.sh CLINSIM_BIN. Loopback only; every wait is bounded; only the pids
# this script started are signalled.
set -euo pipefail
CLINSIM="$1"
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
PY=/usr/bin/python3
export PYTHONPATH="$REPO/clients/python"
WORK="$(mktemp -d)"
GRACE=3
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$WORK"/*.out "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }

# Waits (bounded) until FILE has a line matching REGEX; prints the first match.
wait_line() {  # FILE REGEX SECONDS
  for _ in $(seq 1 $(( $3 * 20 ))); do
    if m=$(grep -m1 -E "$2" "$1" 2>/dev/null); then echo "$m"; return 0; fi
    sleep 0.05
  done
  return 1
}
wait_file() {  # FILE SECONDS
  for _ in $(seq 1 $(( $2 * 20 ))); do [ -e "$1" ] && return 0; sleep 0.05; done
  return 1
}
# Waits (bounded) for PID to exit; 0 if it did.
wait_exit() {  # PID SECONDS
  for _ in $(seq 1 $(( $2 * 20 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}
start_serve() {  # ADDRESS OUTFILE -> sets SERVE_PID and PORT
  "$CLINSIM" serve --address "$1" --grace-seconds "$GRACE" > "$2" 2> "${2%.out}.err" &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  line=$(wait_line "$2" "listening on" 60) || fail "serve did not start"
  PORT=$(echo "$line" | sed -E 's/.*listening on [^ ]*:([0-9]+) .*/\1/')
}

cat > "$WORK/client.py" <<'PY'
"""Clients for serve_signal_test.sh: `drain|kill TARGET DIR GRACE_SECONDS`. They talk to the
shell through files in DIR (ready, sigterm, saw_unavailable, restarted) and exit non-zero, saying
why, when the server misbehaves."""
import json, os, queue, sys, threading, time
import grpc
from clinsim.v1 import environment_pb2 as pb, environment_pb2_grpc as pbg
from clinsim import _wellknown as hpb

mode, target, work, grace = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
SCRIPT = ["ASK: Where is the pain, and does it spread anywhere?", "EXAMINE: cardiovascular",
          "ORDER: ecg, troponin", "DIAGNOSIS: inferior STEMI"]
failures = []
lock = threading.Lock()

def flag(name):
    open(os.path.join(work, name), "w").close()

def flagged(name):
    return os.path.exists(os.path.join(work, name))

def wait_flag(name, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if flagged(name):
            return True
        time.sleep(0.02)
    return False

def fail(msg):
    with lock:
        failures.append(msg)

def code_of(call):
    try:
        return "OK", call()
    except grpc.RpcError as e:
        return e.code().name, e.details()

channel = grpc.insecure_channel(target)
stub = pbg.EnvironmentStub(channel)

def episode(timeout=10):
    """One scripted episode; the first failing status code, or OK."""
    code, r = code_of(lambda: stub.Reset(pb.ResetRequest(case_id="cardiology_inferior_stemi", seed=7), timeout=timeout))
    if code != "OK":
        return code, r
    ep = r.episode_id
    for text in SCRIPT:
        req = pb.StepRequest(episode_id=ep, action=pb.Action(text=text), include_score=True, close_on_end=True)
        code, s = code_of(lambda: stub.Step(req, timeout=timeout))
        if code != "OK":
            return code, s
    return ("OK", None) if s.terminated and s.score.correct else ("WRONG", str(s))


def session(requests, timeout):
    """A Session stream fed from a queue; returns (replies list, thread, outcome dict)."""
    replies, outcome = [], {}
    def gen():
        while True:
            item = requests.get()
            if item is None:
                return
            yield item
    def run():
        try:
            for r in stub.Session(gen(), timeout=timeout):
                replies.append(r)
            outcome["code"] = "OK"
        except grpc.RpcError as e:
            outcome["code"], outcome["details"] = e.code().name, e.details()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return replies, t, outcome

def wait_replies(replies, n, seconds=20):
    end = time.time() + seconds
    while len(replies) < n and time.time() < end:
        time.sleep(0.01)
    return len(replies) >= n

if mode == "drain":
    # Health watch, opened while SERVING.
    statuses = []
    watch_stub = channel.unary_stream("/grpc.health.v1.Health/Watch",
                                      request_serializer=hpb.HealthCheckRequest.SerializeToString,
                                      response_deserializer=hpb.HealthCheckResponse.FromString)
    def watch():
        try:
            for r in watch_stub(hpb.HealthCheckRequest(service="clinsim.v1.Environment"), timeout=60):
                statuses.append(r.status)
        except grpc.RpcError:
            pass
    threading.Thread(target=watch, daemon=True).start()

    # Unary and batch workers: loop until the server refuses; every call must end OK or UNAVAILABLE.
    results = {"episodes_ok": 0, "batches_ok": 0, "in_flight_ok": 0, "codes": {}}
    started = {"unary": 0, "batch": 0}
    def note(code):
        with lock:
            results["codes"][code] = results["codes"].get(code, 0) + 1
    def unary_worker():
        for _ in range(100000):
            t0 = time.time()
            code, detail = episode()
            note(code)
            if code == "OK":
                with lock:
                    results["episodes_ok"] += 1
                    started["unary"] += 1
            elif code == "UNAVAILABLE":
                return
            else:
                return fail(f"unary episode: {code} {detail}")
    def batch_worker(i):
        for n in range(100000):
            req = pb.ResetBatchRequest(items=[pb.ResetRequest(seed=1000 * n + k, options=pb.EpisodeOptions(noise="realistic"))
                                              for k in range(256)])
            t0 = time.time()
            code, r = code_of(lambda: stub.ResetBatch(req, timeout=30))
            t1 = time.time()
            note("batch " + code)
            if code == "UNAVAILABLE":
                return
            if code != "OK":
                return fail(f"ResetBatch: {code} {r}")
            items = {it.status.code for it in r.items}
            if not items <= {0, 14}:  # OK, or UNAVAILABLE once the drain began mid-batch
                return fail(f"ResetBatch items: codes {items}")
            if items == {14}:
                return  # draining: every item refused
            with lock:
                results["batches_ok"] += 1
                started["batch"] += 1
                if flagged("sigterm") and os.path.getmtime(os.path.join(work, "sigterm")) > t0:
                    results["in_flight_ok"] += 1  # began before SIGTERM, answered after
            # Free what the batch made (Close is still answered while draining).
            for it in r.items:
                if it.status.code == 0:
                    c, d = code_of(lambda: stub.Close(pb.CloseRequest(episode_id=it.response.episode_id), timeout=10))
                    if c not in ("OK", "UNAVAILABLE"):
                        return fail(f"Close: {c} {d}")
                    if c == "UNAVAILABLE":
                        return
    workers = [threading.Thread(target=unary_worker, daemon=True) for _ in range(3)]
    workers += [threading.Thread(target=batch_worker, args=(i,), daemon=True) for i in range(2)]
    for w in workers:
        w.start()

    # A stream with an episode under way when SIGTERM comes; and one that never ends.
    q1, q2 = queue.Queue(), queue.Queue()
    r1, t1, o1 = session(q1, 60)
    r2, t2, o2 = session(q2, 60)
    q1.put(pb.SessionRequest(reset=pb.ResetRequest(case_id="cardiology_inferior_stemi", seed=7)))
    q1.put(pb.SessionRequest(step=pb.StepRequest(action=pb.Action(text=SCRIPT[0]))))
    q2.put(pb.SessionRequest(reset=pb.ResetRequest(seed=8)))
    if not (wait_replies(r1, 2) and wait_replies(r2, 1)):
        fail("the sessions got no replies")
    end = time.time() + 60
    while (started["unary"] < 3 or started["batch"] < 2 or not statuses) and time.time() < end:
        time.sleep(0.02)
    if not statuses or statuses[0] != hpb.HealthCheckResponse.SERVING:
        fail(f"health was not SERVING at first: {statuses}")
    flag("ready")

    if not wait_flag("sigterm", 60):
        fail("no SIGTERM within 60 s")
    # The first stream finishes its business within the grace: a new step is refused, the
    # episode can still be closed, and the stream ends OK.
    q1.put(pb.SessionRequest(step=pb.StepRequest(action=pb.Action(text=SCRIPT[1]))))
    q1.put(pb.SessionRequest(close=pb.CloseRequest()))
    q1.put(None)
    t1.join(30)
    codes1 = [r.status.code for r in r1]
    if codes1 != [0, 0, 14, 0] or o1.get("code") != "OK":
        fail(f"stream in flight: replies {codes1}, end {o1}")
    for w in workers:
        w.join(30)
        if w.is_alive():
            fail("a worker still runs 30 s after SIGTERM")
    # New calls fail cleanly, at once (UNAVAILABLE: draining, or nobody listening any more).
    code, detail = code_of(lambda: stub.Reset(pb.ResetRequest(seed=1), timeout=10))
    if code != "UNAVAILABLE":
        fail(f"a Reset after SIGTERM: {code} {detail}")
    # The stream that never ends is cut when the grace is over, not left hanging.
    t2.join(grace + 20)
    if t2.is_alive() or o2.get("code") in (None, "OK", "DEADLINE_EXCEEDED"):
        fail(f"the endless stream: alive={t2.is_alive()} {o2}")
    if hpb.HealthCheckResponse.NOT_SERVING not in statuses:
        fail(f"health never said NOT_SERVING: {statuses}")
    print(json.dumps({"results": results, "stream_in_flight": codes1, "endless_stream": o2,
                      "health": statuses}))
    q2.put(None)

elif mode == "kill":
    for _ in range(3):
        code, d = episode()
        if code != "OK":
            fail(f"before kill -9: {code} {d}")
    # An episode under way, then kill -9 while calls keep coming.
    r = stub.Reset(pb.ResetRequest(case_id="cardiology_inferior_stemi", seed=7), timeout=10)
    flag("ready")
    seen = []
    end = time.time() + 60
    while time.time() < end:  # Reset and Close, which never fail while the server is up
        t0 = time.time()
        code, d = code_of(lambda: stub.Reset(pb.ResetRequest(seed=3), timeout=5))
        if code == "OK":
            code, d = code_of(lambda: stub.Close(pb.CloseRequest(episode_id=d.episode_id), timeout=5))
        if code != "OK":
            seen.append((code, round(time.time() - t0, 3)))
            break
    if not seen or seen[0][0] != "UNAVAILABLE":
        fail(f"after kill -9: {seen}")
    flag("saw_unavailable")
    # Until the server is back every call is UNAVAILABLE (never a hang: 5 s deadlines), then the
    # same channel reaches the restarted server.
    if not wait_flag("restarted", 60):
        fail("no restart")
    end, ok = time.time() + 60, False
    while time.time() < end and not ok:
        code, d = code_of(lambda: stub.GetSpec(pb.GetSpecRequest(), timeout=5))
        if code == "OK":
            ok = True
        elif code != "UNAVAILABLE":
            fail(f"while the server was away: {code} {d}")
            break
        else:
            time.sleep(0.1)
    if not ok:
        fail("the restarted server never answered")
    code, d = episode()
    if code != "OK":
        fail(f"after restart: {code} {d}")
    code, d = code_of(lambda: stub.Step(pb.StepRequest(episode_id=r.episode_id, action=pb.Action(text=SCRIPT[0])), timeout=5))
    if code != "NOT_FOUND":
        fail(f"the episode lost with the killed server: {code} {d}")
    print(json.dumps({"first_error": seen}))

if failures:
    print("client failures:\n  " + "\n  ".join(failures))
    sys.exit(1)
PY

# --- 1. SIGTERM with calls in flight -----------------------------------------------------------
start_serve 127.0.0.1:0 "$WORK/serve1.out"
timeout 150 "$PY" "$WORK/client.py" drain "127.0.0.1:$PORT" "$WORK" "$GRACE" > "$WORK/client1.out" 2> "$WORK/client1.err" &
CLIENT=$!
PIDS+=("$CLIENT")
wait_file "$WORK/ready" 90 || fail "the drain client never got going"
sleep 0.3  # let calls pile up in flight
kill -TERM "$SERVE_PID"
touch "$WORK/sigterm"
wait_exit "$SERVE_PID" $(( GRACE + 20 )) || fail "serve still runs $(( GRACE + 20 )) s after SIGTERM (grace $GRACE s)"
rc=0; wait "$SERVE_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM (128+N: killed by signal N)"
grep -q "SIGTERM, draining" "$WORK/serve1.out" || fail "serve did not report the drain"
grep -q "stopped" "$WORK/serve1.out" || fail "serve did not report that it stopped"
crc=0; wait "$CLIENT" || crc=$?
cat "$WORK/client1.out"
[ "$crc" -eq 0 ] || fail "drain client exited $crc"
echo "SIGTERM: serve exited 0; $(grep -o 'draining ([0-9]* live episodes)' "$WORK/serve1.out")"

# --- 2. kill -9 of serve, restart on the same port ---------------------------------------------
rm -f "$WORK"/ready
start_serve 127.0.0.1:0 "$WORK/serve2.out"
timeout 150 "$PY" "$WORK/client.py" kill "127.0.0.1:$PORT" "$WORK" "$GRACE" > "$WORK/client2.out" 2> "$WORK/client2.err" &
CLIENT=$!
PIDS+=("$CLIENT")
wait_file "$WORK/ready" 60 || fail "the kill client never got going"
kill -9 "$SERVE_PID"
rc=0; wait "$SERVE_PID" || rc=$?
[ "$rc" -eq 137 ] || fail "kill -9 of serve: exit $rc"
wait_file "$WORK/saw_unavailable" 60 || fail "the client did not see the server go"
start_serve "127.0.0.1:$PORT" "$WORK/serve3.out"
touch "$WORK/restarted"
crc=0; wait "$CLIENT" || crc=$?
cat "$WORK/client2.out"
[ "$crc" -eq 0 ] || fail "kill client exited $crc"
kill -TERM "$SERVE_PID"
wait_exit "$SERVE_PID" $(( GRACE + 20 )) || fail "the restarted serve did not stop"
rc=0; wait "$SERVE_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "the restarted serve exited $rc"
echo "kill -9: client saw UNAVAILABLE; restarted serve answered the same channel"

# --- 3. kill -9 of the Doctor service under bench --run-dir ------------------------------------
count() { "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from episodes').fetchone()[0])" "$1" 2>/dev/null || echo 0; }
rows() { "$PY" -c "import sqlite3,sys; [print(*r) for r in sqlite3.connect(sys.argv[1]).execute('select case_id, seed, score from episodes ')]" "$1" | LC_ALL=C sort; }
start_doctor() {  # ADDRESS OUTFILE -> DOCTOR_PID, DPORT
  "$PY" "$REPO/clients/python/examples/doctor_service.py" --address "$1" > "$2" 2> "${2%.out}.err" &
  DOCTOR_PID=$!
  PIDS+=("$DOCTOR_PID")
  line=$(wait_line "$2" "listening on" 60) || fail "the doctor service did not start"
  DPORT=$(echo "$line" | sed -E 's/.*listening on [^ ]*:([0-9]+).*/\1/')
}
start_doctor 127.0.0.1:0 "$WORK/doctor1.out"
BENCH=(bench --doctor "grpc://127.0.0.1:$DPORT" --seeds 2 --threads 2 --run-dir "$WORK/drun")
"$CLINSIM" "${BENCH[@]}" > "$WORK/bench1.out" 2> "$WORK/bench1.err" &
BPID=$!
PIDS+=("$BPID")
for _ in $(seq 1 1200); do
  [ "$(count "$WORK/drun/run.sqlite")" -ge 20 ] && break
  kill -0 "$BPID" 2>/dev/null || break
  sleep 0.05
done
kill -9 "$DOCTOR_PID"
wait "$DOCTOR_PID" 2>/dev/null || true
wait_exit "$BPID" 60 || fail "bench still runs 60 s after its doctor service died"
brc=0; wait "$BPID" || brc=$?
[ "$brc" -ne 0 ] || fail "bench exited 0 although its doctor service died mid-run"
grep -q "doctor service 127.0.0.1:$DPORT failed" "$WORK/bench1.err" || fail "bench did not say the doctor service failed"
before=$(count "$WORK/drun/run.sqlite")
rows "$WORK/drun/run.sqlite" > "$WORK/rows_before.txt"
echo "doctor killed: bench exit $brc, $before episodes recorded: $(head -c 200 "$WORK/bench1.err")"
start_doctor "127.0.0.1:$DPORT" "$WORK/doctor2.out"
"$CLINSIM" "${BENCH[@]}" --json "$WORK/resumed.json" > "$WORK/bench2.out" 2> "$WORK/bench2.err" || fail "the resumed bench failed"
after=$(count "$WORK/drun/run.sqlite")
total=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['episodes'])" "$WORK/resumed.json")
[ "$after" -eq "$total" ] || fail "expected $total episodes recorded after the resume, found $after"
rows "$WORK/drun/run.sqlite" > "$WORK/rows_after.txt"
missing=$(comm -23 "$WORK/rows_before.txt" "$WORK/rows_after.txt" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing episodes recorded before the failure changed or vanished"
echo "resumed: $before recorded before, $after after ($total in the run)"
echo "serve signal test passed"
