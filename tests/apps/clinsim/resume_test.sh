#!/usr/bin/env bash
# kill -9 of `clinsim bench --run-dir` mid-run, then the same command again: the resumed run
# records only what was missing and reports exactly what an uninterrupted run reports.
set -euo pipefail
CLINSIM="$1"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ARGS=(bench --seeds 4 --threads 2)

"$CLINSIM" "${ARGS[@]}" --json "$WORK/fresh.json" > /dev/null

"$CLINSIM" "${ARGS[@]}" --run-dir "$WORK/run" > /dev/null 2>&1 &
pid=$!
# Kill it once some, but not all, episodes are recorded (bounded wait).
for _ in $(seq 1 200); do
  n=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from episodes').fetchone()[0])" "$WORK/run/run.sqlite" 2>/dev/null || echo 0)
  if [ "$n" -ge 20 ]; then break; fi
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
before=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from episodes').fetchone()[0])" "$WORK/run/run.sqlite")
echo "recorded before kill -9: $before"

out=$("$CLINSIM" "${ARGS[@]}" --run-dir "$WORK/run" --json "$WORK/resumed.json")
echo "$out" | head -1
after=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from episodes').fetchone()[0])" "$WORK/run/run.sqlite")
total=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['episodes'])" "$WORK/fresh.json")
[ "$after" -eq "$total" ] || { echo "expected $total episodes recorded, found $after"; exit 1; }
cmp "$WORK/fresh.json" "$WORK/resumed.json" || { echo "resumed report differs from an uninterrupted run"; exit 1; }

# Different flags on the same run directory are refused, and nothing is changed.
if "$CLINSIM" bench --seeds 5 --run-dir "$WORK/run" > "$WORK/err.txt" 2>&1; then
  echo "a run with other flags was not refused"; exit 1
fi
grep -q "different settings" "$WORK/err.txt"
# A foreign file where the store should be is refused.
mkdir -p "$WORK/foreign" && echo "not a database" > "$WORK/foreign/run.sqlite"
if "$CLINSIM" bench --run-dir "$WORK/foreign" > "$WORK/err2.txt" 2>&1; then
  echo "a foreign run.sqlite was accepted"; exit 1
fi
grep -qi "not a database\|damaged" "$WORK/err2.txt"
# Two shards merged by the report equal the unsharded run.
"$CLINSIM" bench --seeds 2 --shard 0/2 --run-dir "$WORK/s0" > /dev/null
"$CLINSIM" bench --seeds 2 --shard 1/2 --run-dir "$WORK/s1" > /dev/null
"$CLINSIM" bench --seeds 2 --run-dir "$WORK/full" > /dev/null
"$CLINSIM" report "$WORK/s0" "$WORK/s1" --json "$WORK/merged.json" > /dev/null
"$CLINSIM" report "$WORK/full" --json "$WORK/unsharded.json" > /dev/null
"$CLINSIM" export "$WORK/s0" "$WORK/s1" --jsonl "$WORK/merged.jsonl" > /dev/null
"$CLINSIM" export "$WORK/full" --jsonl "$WORK/unsharded.jsonl" > /dev/null
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
a = json.load(open(w + "/merged.json"))["runs"]
b = json.load(open(w + "/unsharded.json"))["runs"]
assert len(a) == len(b) == 1, (len(a), len(b))
for k in ("overall", "by_specialty", "by_difficulty", "config"):
    assert a[0][k] == b[0][k], k
la = sorted(open(w + "/merged.jsonl").read().splitlines())
lb = sorted(open(w + "/unsharded.jsonl").read().splitlines())
assert la == lb, "merged shard export differs from the unsharded export"
print("shards merged == unsharded:", a[0]["overall"]["episodes"], "episodes")
PY
echo "resume test passed"
