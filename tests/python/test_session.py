"""The Session stream through the raw generated stub: pipelined requests, one response each, in
order, a bad request answered with its own status without ending the stream."""

import threading
import time

import grpc
import pytest

from clinsim.v1 import environment_pb2 as pb
from clinsim.v1 import environment_pb2_grpc as pb_grpc
from conftest import CASE


def R(**kw):
    return pb.SessionRequest(**kw)


def test_pipelined_session(target):
    requests = [
        R(get_spec=pb.GetSpecRequest()),
        R(reset=pb.ResetRequest(case_id=CASE, seed=3)),
        R(step=pb.StepRequest(action=pb.Action(text="ASK: Does the pain spread anywhere?"))),
        R(step=pb.StepRequest(action=pb.Action())),                       # bad: no action
        R(step=pb.StepRequest(action=pb.Action(text="ORDER: ecg, troponin"))),
        R(reset=pb.ResetRequest(case_id="no_such_case")),                 # bad: unknown case
        R(get_score=pb.GetScoreRequest()),                                # bad: not ended
        R(step=pb.StepRequest(action=pb.Action(text="DIAGNOSIS: inferior STEMI"))),
        R(step=pb.StepRequest(action=pb.Action(text="ASK: more?"))),      # bad: ended
        R(get_score=pb.GetScoreRequest()),
        R(),                                                              # bad: empty request
        R(close=pb.CloseRequest()),
        R(step=pb.StepRequest(action=pb.Action(text="ASK: hi"))),         # bad: no episode left
    ]
    sent = threading.Event()

    def gen():  # every request is sent before the first response is read
        yield from requests
        sent.set()

    with grpc.insecure_channel(target) as ch:
        stub = pb_grpc.EnvironmentStub(ch)
        call = stub.Session(gen(), timeout=20)
        assert sent.wait(10)
        responses = list(call)
    codes = [r.status.code for r in responses]
    OK, INVALID, NOT_FOUND, FAILED = (grpc.StatusCode.OK.value[0], grpc.StatusCode.INVALID_ARGUMENT.value[0],
                                      grpc.StatusCode.NOT_FOUND.value[0],
                                      grpc.StatusCode.FAILED_PRECONDITION.value[0])
    assert codes == [OK, OK, OK, INVALID, OK, NOT_FOUND, FAILED, OK, FAILED, OK, INVALID, OK, INVALID]
    kinds = [r.WhichOneof("payload") for r in responses]
    assert kinds == ["spec", "reset", "step", None, "step", None, None, "step", None, "score",
                     None, "close", None]
    # in order: the turns count up across the bad requests, which changed nothing
    assert [responses[i].step.info.turn for i in (2, 4, 7)] == [1, 2, 3]
    assert responses[7].step.terminated
    assert responses[9].score.correct and responses[9].score.seed == 3
    assert "no_such_case" in responses[5].status.message


def test_session_episodes_end_with_the_stream(target):
    with grpc.insecure_channel(target) as ch:
        stub = pb_grpc.EnvironmentStub(ch)
        responses = list(stub.Session(iter([R(reset=pb.ResetRequest(case_id=CASE, seed=1))]),
                                      timeout=10))
        eid = responses[0].reset.episode_id
        assert eid
        deadline = time.monotonic() + 5
        while True:  # the server closes the stream's episodes when the stream ends
            try:
                stub.Step(pb.StepRequest(episode_id=eid, action=pb.Action(text="ASK: hi")),
                          timeout=5)
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND
                break
            if time.monotonic() > deadline:
                pytest.fail("the session's episode outlived the stream")
            time.sleep(0.05)
