"""Action helpers and conversions (no server)."""

import pytest

import clinsim
from clinsim.actions import to_action_proto
from clinsim.v1 import environment_pb2 as pb


def test_helpers_build_structured_actions():
    assert to_action_proto(clinsim.Ask("Any fever?")) == pb.Action(ask=pb.Ask(question="Any fever?"))
    assert to_action_proto(clinsim.Examine(["heart", "lungs"])) == pb.Action(
        examine=pb.Examine(system="heart, lungs"))
    assert to_action_proto(clinsim.Order("cbc")) == pb.Action(order=pb.Order(tests=["cbc"]))
    d = to_action_proto(clinsim.Diagnose("gout", icd10="M10.9", differential=["pseudogout"],
                                         confidence=0.5))
    assert d.diagnose.diagnosis == "gout" and d.diagnose.icd10 == "M10.9"
    assert list(d.diagnose.differential) == ["pseudogout"] and d.diagnose.confidence == 0.5
    assert not to_action_proto(clinsim.Diagnose("gout")).diagnose.HasField("confidence")


def test_dicts_strings_and_protos():
    assert to_action_proto({"order": ["cbc", "ecg"]}) == pb.Action(order=pb.Order(tests=["cbc", "ecg"]))
    assert to_action_proto({"ask": "q"}) == pb.Action(ask=pb.Ask(question="q"))
    assert to_action_proto({"examine": "heart"}).examine.system == "heart"
    assert to_action_proto({"text": "ASK: q"}) == pb.Action(text="ASK: q")
    flat = to_action_proto({"diagnose": "gout", "icd10": "M10.9", "confidence": 0.9})
    nested = to_action_proto({"diagnose": {"diagnosis": "gout", "icd10": "M10.9", "confidence": 0.9}})
    assert flat == nested
    assert to_action_proto("ORDER: cbc") == pb.Action(text="ORDER: cbc")
    p = pb.Action(text="x")
    assert to_action_proto(p) is p


def test_bad_actions_are_refused_client_side():
    with pytest.raises(ValueError):
        to_action_proto({"order": ["cbc"], "ask": "q"})
    with pytest.raises(ValueError):
        to_action_proto({"prescribe": "aspirin"})
    with pytest.raises(TypeError):
        to_action_proto(42)


def test_tagged_form_of_helpers():
    assert str(clinsim.Order(["ecg", "troponin"])) == "ORDER: ecg, troponin"
    assert str(clinsim.Diagnose("gout", icd10="M10.9", differential=["a", "b"])) == (
        "DIAGNOSIS: gout\nICD10: M10.9\nDIFFERENTIAL: a; b")


def test_error_classes_carry_code_and_message():
    from clinsim.errors import error_from_status
    e = error_from_status(5, "unknown episode", index=3)
    assert isinstance(e, clinsim.NotFound) and isinstance(e, clinsim.ClinsimError)
    assert e.code_name == "NOT_FOUND" and e.message == "unknown episode" and e.index == 3
    assert "env 3" in str(e) and "NOT_FOUND" in str(e)
    assert type(error_from_status(3, "x")) is clinsim.InvalidArgument
    assert type(error_from_status(9, "x")) is clinsim.FailedPrecondition
    assert type(error_from_status(8, "x")) is clinsim.ResourceExhausted
    assert type(error_from_status(14, "x")) is clinsim.Unavailable
    assert type(error_from_status(2, "x")) is clinsim.ClinsimError  # UNKNOWN: the base class
