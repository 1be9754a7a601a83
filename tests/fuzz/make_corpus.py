#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

Run from anywhere: python3 tests/fuzz/make_corpus.py. Needs protoc (protobuf-compiler) for the
request protos, which it encodes from text format with `protoc --encode`. The output is
deterministic, so running it again changes nothing unless this file or the cases changed.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
PROTO_DIR = os.path.join(ROOT, "proto")
PROTO = "clinsim/v1/environment.proto"


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def load_case(case_id):
    with open(os.path.join(ROOT, "cases", "library", case_id + ".json")) as f:
        return json.load(f)


def case_loader():
    for cid in ["pediatrics_croup", "cardiology_inferior_stemi"]:
        write("case_loader", cid + ".json", json.dumps(load_case(cid), separators=(",", ":")))
    # Cut down: fewer facts, tests and rubric items (may fail validation: that is a seed too).
    c = load_case("pediatrics_croup")
    c["facts"] = c["facts"][:4]
    c["tests"] = c.get("tests", [])[:2]
    c["rubric"] = c.get("rubric", [])[:2]
    c["exam"] = c.get("exam", [])[:1]
    write("case_loader", "croup_cut.json", json.dumps(c, separators=(",", ":")))
    c = load_case("cardiology_inferior_stemi")
    c["facts"] = c["facts"][:2]
    for k in ["tests", "rubric", "exam"]:
        c.pop(k, None)
    write("case_loader", "stemi_minimal.json", json.dumps(c, separators=(",", ":")))
    write("case_loader", "wrong_types.json", '{"id": 7, "facts": {"a": 1}, "presentation": [], "diagnosis": null}')
    write("case_loader", "truncated.json", '{"id": "x", "title": "t", "facts": [{"id": "f", "text": "')


def action_parser():
    actions = [
        "ASK: When did the pain start? Does it spread anywhere?",
        "Where does it hurt?",
        "EXAMINE: cardiovascular, respiratory",
        "ORDER: ecg, troponin, cbc",
        "TESTS: chest x-ray\nblood culture",
        "DIAGNOSIS: inferior STEMI\nICD10: I21.19\nDIFFERENTIAL: aortic dissection; pericarditis\nCONFIDENCE: 0.8",
        "DIAGNOSIS: croup | ICD-10: J05.0 | DDX: epiglottitis, bacterial tracheitis | CONFIDENCE: 85%",
        "**ORDER:** troponin and ecg",
        "## Final diagnosis: pulmonary embolism",
        "DX: MI\nCONFIDENCE: nan",
        "ASK: a\nORDER: b",
    ]
    for i, a in enumerate(actions):
        write("action_parser", "action_%02d.txt" % i, a)


def question_matcher():
    questions = [
        "Where does the pain go? Any fever?",
        "What does the cough sound like? How long has he had a runny nose?",
        "Do you smoke or drink alcohol; any allergies to medicines?",
        "Has anyone in your family had heart problems?",
        "What do you think is wrong with me? Is it a heart attack?",
        "Hello, what brings you in today?",
        "Any nausea, vomiting, or pain in your right lower belly when you walk?",
        "Do your fingers turn white in the cold? Is your skin tight?",
    ]
    for i, q in enumerate(questions):
        # Byte 0 picks the case (and, odd multiples, the noisy patient).
        write("question_matcher", "question_%02d.bin" % i, bytes([i]) + q.encode())


def encode(message, text):
    out = subprocess.run(["protoc", "-I", PROTO_DIR, "--encode=clinsim.v1." + message, PROTO],
                         input=text.encode(), stdout=subprocess.PIPE, check=True)
    return out.stdout


OPS = {"Reset": 0, "Step": 1, "StepBatch": 2, "ResetBatch": 3, "GetScore": 4, "Close": 5,
       "Session": 6, "ListCases": 7}
MESSAGES = {"Reset": "ResetRequest", "Step": "StepRequest", "StepBatch": "StepBatchRequest",
            "ResetBatch": "ResetBatchRequest", "GetScore": "GetScoreRequest", "Close": "CloseRequest",
            "Session": "SessionRequest", "ListCases": "ListCasesRequest"}


def records(*items):
    """(op name, text-format request) pairs -> the fuzzer's framing."""
    data = b""
    for op, text in items:
        payload = encode(MESSAGES[op], text)
        data += struct.pack("<BH", OPS[op], len(payload)) + payload
    return data


def request_handler():
    # A one-byte episode id ("\000") stands for a live episode, a one-byte case id for a case.
    reset = 'case_id: "cardiology_inferior_stemi" seed: 7'
    write("request_handler", "episode.bin", records(
        ("Reset", reset),
        ("Step", 'episode_id: "\\000" action { text: "ASK: Where does the pain go? Any sweating?" }'),
        ("Step", 'episode_id: "\\000" action { examine { system: "cardiovascular" } }'),
        ("Step", 'episode_id: "\\000" action { order { tests: "ecg" tests: "troponin" } }'),
        ("Step", 'episode_id: "\\000" include_score: true action { diagnose { diagnosis: "inferior STEMI" '
                 'icd10: "I21.19" differential: "aortic dissection" confidence: 0.7 } }'),
        ("GetScore", 'episode_id: "\\000"'),
        ("Step", 'episode_id: "\\000" action { ask { question: "Anything else?" } }'),
        ("Close", 'episode_id: "\\000"')))
    write("request_handler", "options.bin", records(
        ("Reset", 'case_id: "\\005" seed: 3 options { max_turns: 3 budget_usd: 500 noise: "realistic" '
                  'persona: "random" dense_reward: true invalid_action_as_turn: true '
                  'reward_weights { information_gain: 0.1 turn: 0.01 } }'),
        ("Step", 'episode_id: "\\000" action { text: "ORDER:" }'),
        ("Step", 'episode_id: "\\000" action { order { tests: "" } }'),
        ("Step", 'episode_id: "\\000" action { text: "How are you?" }'),
        ("Step", 'episode_id: "\\000" close_on_end: true action { text: "EXAMINE: abdomen" }')))
    write("request_handler", "seed_picked.bin", records(
        ("Reset", 'seed: 11'),
        ("Step", 'episode_id: "\\000" action { text: "DIAGNOSIS: pneumonia" }'),
        ("GetScore", 'episode_id: "\\000"')))
    write("request_handler", "batches.bin", records(
        ("ResetBatch", 'items { case_id: "pediatrics_croup" seed: 1 } items { case_id: "nope" } '
                       'items { seed: 2 options { noise: "bogus" } }'),
        ("StepBatch", 'items { episode_id: "\\000" action { text: "Any fever?" } } '
                      'items { episode_id: "\\001" action { } } '
                      'items { episode_id: "garbage-id" action { text: "hi" } } '
                      'items { episode_id: "\\000" close_on_end: true action { text: "DX: croup" } }')))
    write("request_handler", "session.bin", records(
        ("Session", 'reset { case_id: "neurology_cluster_headache" seed: 5 }'),
        ("Session", 'step { action { text: "Where is the headache? Does your eye water?" } }'),
        ("Session", 'get_score { }'),
        ("Session", 'get_spec { }'),
        ("Session", 'step { action { text: "DIAGNOSIS: cluster headache" } include_score: true }'),
        ("Session", 'get_score { }'),
        ("Session", 'close { }'),
        ("Session", '')))
    write("request_handler", "list_and_garbage.bin", records(
        ("ListCases", ''),
        ("ListCases", 'specialty: "cardiology" difficulty: "hard"'),
        ("ListCases", 'specialty: "astrology"'),
        ("GetScore", 'episode_id: "no-such-episode"'),
        ("Close", 'episode_id: ""'),
        ("Step", 'episode_id: "\\377\\376" action { text: "ASK: x" }')))


def main():
    if shutil.which("protoc") is None:
        sys.exit("make_corpus: protoc not found (apt-get install protobuf-compiler)")
    for target in ["case_loader", "action_parser", "question_matcher", "request_handler"]:
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
    case_loader()
    action_parser()
    question_matcher()
    request_handler()


if __name__ == "__main__":
    main()
