#!/usr/bin/python3
"""Quick structural check of case files while authoring (the C++ validator is the authority)."""
import json, re, sys, os
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cat = {t["id"] for t in json.load(open(os.path.join(ROOT, "cases/catalog/tests.json")))["tests"]}
SYSTEMS = set("general vitals heent eyes neck lymph_nodes breast cardiovascular respiratory abdominal rectal genitourinary pelvic musculoskeletal extremities neurological skin psychiatric".split())
CATS = set("hpi pmh meds allergies social family ros".split())
AXES = set("history examination tests diagnosis management communication safety".split())
KINDS = set("must_ask must_examine must_order avoid differential free_text".split())
bad = 0
for path in sys.argv[1:]:
    errs = []
    try:
        c = json.load(open(path))
    except Exception as e:
        print(f"{path}: invalid JSON: {e}"); bad += 1; continue
    E = errs.append
    if os.path.basename(path) != c.get("id", "") + ".json": E("file name must be ID.json")
    if c.get("difficulty") not in ("easy", "medium", "hard"): E("difficulty")
    p = c.get("presentation", {})
    if p.get("sex") not in ("female", "male"): E("presentation.sex")
    facts = c.get("facts", [])
    if len(facts) < 12: E("need >= 12 facts")
    fids = [f["id"] for f in facts]
    if len(set(fids)) != len(fids): E("duplicate fact id")
    for f in facts:
        if f.get("category") not in CATS: E(f"fact {f.get('id')}: category")
        if not f.get("keywords"): E(f"fact {f.get('id')}: keywords empty")
        if not isinstance(f.get("key"), bool): E(f"fact {f.get('id')}: key must be bool")
    for x in c.get("exam", []):
        if x.get("system") not in SYSTEMS: E(f"exam {x.get('id')}: system {x.get('system')}")
    tests = c.get("tests", [])
    if len(tests) < 4: E("need >= 4 tests")
    for t in tests:
        if t.get("catalog_id") not in cat: E(f"test {t.get('id')}: unknown catalog_id {t.get('catalog_id')}")
    if len({t.get('catalog_id') for t in tests}) != len(tests): E("two tests with one catalog_id")
    d = c.get("diagnosis", {})
    if not re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", d.get("icd10", "")): E("icd10")
    if len(d.get("differential", [])) < 3: E("need >= 3 differential")
    rub = c.get("rubric", [])
    if len(rub) < 6: E("need >= 6 rubric items")
    kinds = {r.get("kind") for r in rub}
    for k in ("must_ask", "must_examine", "must_order"):
        if k not in kinds: E(f"rubric needs a {k} item")
    if not any(r.get("points", 0) < 0 for r in rub): E("rubric needs a negative item")
    for r in rub:
        if r.get("axis") not in AXES: E(f"rubric {r.get('id')}: axis")
        k = r.get("kind")
        if k not in KINDS: E(f"rubric {r.get('id')}: kind"); continue
        for tg in r.get("targets", []):
            if k == "must_ask" and tg not in fids: E(f"rubric {r['id']}: unknown fact {tg}")
            if k == "must_examine" and tg not in SYSTEMS: E(f"rubric {r['id']}: unknown system {tg}")
            if k in ("must_order", "avoid") and tg not in cat: E(f"rubric {r['id']}: unknown test {tg}")
    names = [d.get("name", "")] + d.get("aliases", [])
    texts = [c.get("title", ""), p.get("abstract", ""), p.get("chief_complaint", "")] + [f["text"] for f in facts] + \
            [x.get("finding", "") for x in c.get("exam", [])] + [t.get("result", "") for t in tests]
    for n in names:
        pat = re.compile(r"(?<![a-z0-9])" + re.escape(n.lower()) + r"(?![a-z0-9])")
        for t in texts:
            if n and pat.search(t.lower()): E(f"leak: '{n}' appears in: {t[:80]}")
    for e in errs: print(f"{path}: {e}")
    bad += bool(errs)
print(f"{len(sys.argv)-1 - bad} ok, {bad} with errors")
sys.exit(1 if bad else 0)
