"""VectorEnv frames StepBatch requests by hand for speed; the bytes must be exactly what protobuf
itself would send for the same items (ids and texts of every length class, structured actions)."""
import clinsim
from clinsim import vector_env as ve
from clinsim.v1 import environment_pb2 as pb


def test_hand_framed_step_batch_equals_protobuf_encoding():
    venv = ve.VectorEnv.__new__(ve.VectorEnv)  # no server needed: only the framing is under test
    ids = ["ep-" + "a" * 5, "ep-" + "b" * 200, "r1-ep-" + "c" * 40]
    actions = ["ASK: where?", "ASK: " + "x" * 300, clinsim.Order(["cbc", "troponin"])]
    for fetch_scores in (True, False):
        expected = pb.StepBatchRequest()
        for eid, a in zip(ids, actions):
            action = pb.Action(text=a) if isinstance(a, str) else ve.to_action_proto(a)
            expected.items.add(episode_id=eid, action=action, include_score=fetch_scores, close_on_end=True)
        parts = []
        flags = ve._FLAGS_SCORE_AND_CLOSE if fetch_scores else ve._FLAGS_CLOSE
        venv._action_parts = {}
        for eid, a in zip(ids, actions):
            ip = ve._len_field(ve._ID_TAG, eid.encode())
            ap = venv._action_part(a)
            parts.append(ve._len_field(ve._ITEM_TAG, ip + ap + flags))
        framed = b"".join(parts)
        assert pb.StepBatchRequest.FromString(framed) == expected
        assert framed == expected.SerializeToString()
