#!/usr/bin/env python3
"""An example doctor agent served as the ``clinsim.v1.Doctor`` gRPC service, for
``clinsim bench --doctor grpc://HOST:PORT``.

It is a simple rule-based doctor, a template rather than a strong baseline: it asks four
history questions, examines the systems the presenting complaint points to, orders a small
panel for that complaint, then diagnoses from keywords in what it heard (falling back to the
complaint's most likely diagnosis). It is stateless: each action is a pure function of the
request's history, turn number and turn limit (:func:`choose_action`), so any replica can answer
any turn, and the same function can be played locally through :class:`clinsim.Env` (the tests do
exactly that and compare the scores with bench's). It always diagnoses before the turn limit.

    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/doctor_service.py &
    build/clinsim bench --doctor grpc://127.0.0.1:50052 --seeds 2 --json build/py_doctor.json
"""

import argparse
import os
import signal
import sys
import threading

try:
    import clinsim
except ImportError:  # run from a checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import clinsim

QUESTIONS = [
    "When did this start, and has it got better or worse since?",
    "Where exactly is it, and does it spread anywhere?",
    "Do you have any other symptoms, such as fever, weight loss or night sweats?",
    "What medical conditions do you have, and what medicines do you take?",
]

# Presenting-complaint keywords -> (exam systems, tests, fallback diagnosis, differential).
RULES = [
    (("chest",), "cardiovascular, respiratory", ["ecg", "troponin", "chest x-ray"],
     "acute coronary syndrome", ["aortic dissection", "pulmonary embolism"]),
    (("palpitation",), "cardiovascular, neck", ["ecg", "tsh", "basic metabolic panel"],
     "atrial fibrillation", ["thyrotoxicosis", "supraventricular tachycardia"]),
    (("breath", "wheeze"), "respiratory, cardiovascular", ["chest x-ray", "bnp", "d-dimer"],
     "pneumonia", ["heart failure", "pulmonary embolism"]),
    (("cough",), "respiratory", ["chest x-ray", "cbc"],
     "community-acquired pneumonia", ["acute bronchitis", "lung cancer"]),
    (("yellow", "jaundice"), "abdominal", ["liver function panel", "cbc", "lipase"],
     "viral hepatitis", ["gallstones", "pancreatic cancer"]),
    (("abdominal", "vomit", "belly", "stomach"), "abdominal",
     ["lipase", "cbc", "comprehensive metabolic panel"],
     "acute pancreatitis", ["appendicitis", "cholecystitis"]),
    (("urin", "flank"), "abdominal, genitourinary", ["urinalysis", "urine culture"],
     "urinary tract infection", ["pyelonephritis", "kidney stone"]),
    (("headache",), "neurological, heent", ["ct head"],
     "migraine", ["subarachnoid haemorrhage", "meningitis"]),
    (("weak", "numb", "tingl", "vision", "speech", "shaking", "confus", "unsteady"),
     "neurological", ["ct head", "glucose"],
     "ischemic stroke", ["hypoglycaemia", "transient ischaemic attack"]),
    (("rash", "itch", "mole", "blister", "skin", "red "), "skin", ["cbc"],
     "contact dermatitis", ["cellulitis", "psoriasis"]),
    (("joint", "knee", "back", "wrist", "leg"), "musculoskeletal, extremities",
     ["uric acid", "esr", "crp"], "gout", ["septic arthritis", "osteoarthritis"]),
    (("fever", "throat"), "general, heent, lymph_nodes", ["cbc", "blood culture", "urinalysis"],
     "viral infection", ["bacterial pharyngitis", "sepsis"]),
    (("tired", "weight", "fatigue"), "general, neck", ["cbc", "tsh", "comprehensive metabolic panel"],
     "hypothyroidism", ["iron deficiency anaemia", "diabetes mellitus"]),
]
DEFAULT_RULE = ("general, vitals", ["cbc", "basic metabolic panel"], "viral illness", [])

# Keywords in what the patient and the gatekeeper said -> a more specific diagnosis.
EVIDENCE = [
    ("st elevation", "ST-elevation myocardial infarction"),
    ("irregularly irregular", "atrial fibrillation"),
    ("consolidation", "community-acquired pneumonia"),
    ("lipase", "acute pancreatitis"),
    ("nitrite", "urinary tract infection"),
    ("urate crystals", "gout"),
    ("tsh", "thyroid disease"),
]


def _text(m):
    return (m["role"], m["content"]) if isinstance(m, dict) else (m.role, m.content)


def choose_action(history, turn, max_turns):
    """The next action, in the tagged form, from the consultation so far.

    Args:
        history: every message so far, oldest first, as dicts ``{"role", "content"}`` (e.g.
            :attr:`clinsim.Env.history`) or ``clinsim.v1.Message`` (``ActRequest.history``).
            The doctor's own messages are ignored; the presentation is what comes before the
            first of them.
        turn: turns used so far (0 at the first action).
        max_turns: the episode's turn limit.
    """
    messages = [_text(m) for m in history]
    presentation = []
    for role, content in messages:
        if role == "doctor":
            break
        presentation.append(content.lower())
    complaint = " ".join(presentation)
    heard = " ".join(c.lower() for r, c in messages if r != "doctor")
    exam, tests, fallback, differential = DEFAULT_RULE
    for keywords, r_exam, r_tests, r_dx, r_ddx in RULES:
        if any(k in complaint for k in keywords):
            exam, tests, fallback, differential = r_exam, r_tests, r_dx, r_ddx
            break
    plan = ["ASK: " + q for q in QUESTIONS] + ["EXAMINE: " + exam, "ORDER: " + ", ".join(tests)]
    if turn < len(plan) and turn < max_turns - 1:
        return plan[turn]
    diagnosis = fallback
    for keyword, dx in EVIDENCE:
        if keyword in heard:
            diagnosis = dx
            break
    action = "DIAGNOSIS: " + diagnosis
    ddx = [d for d in differential if d != diagnosis]
    if ddx:
        action += "\nDIFFERENTIAL: " + "; ".join(ddx)
    return action


def act(request):
    """The Doctor service's policy: :func:`choose_action` on a ``clinsim.v1.ActRequest``."""
    return choose_action(request.history, request.turn, request.max_turns)


def main():
    ap = argparse.ArgumentParser(description="Serve the example rule-based doctor as clinsim.v1.Doctor.")
    ap.add_argument("--address", default="127.0.0.1:50052", help="HOST:PORT (port 0: any free port)")
    args = ap.parse_args()
    server, port = clinsim.serve_doctor(act, args.address)
    host = args.address.rsplit(":", 1)[0]
    print(f"doctor service listening on {host}:{port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()


if __name__ == "__main__":
    main()
