"""clinsim.Env against a real `clinsim serve`: round trips, determinism, every status code."""

import json
import time

import pytest

import clinsim
from conftest import CASE

PLAN = ["ASK: When did it start? Does the pain spread anywhere?",
        "EXAMINE: heart, lungs",
        "ORDER: ecg, troponin",
        "DIAGNOSIS: inferior STEMI\nDIFFERENTIAL: aortic dissection"]


def play(env, actions, seed):
    obs, info = env.reset(seed=seed)
    steps = []
    for a in actions:
        steps.append(env.step(a))
        if steps[-1][2] or steps[-1][3]:
            break
    return obs, info, steps, env.score()


def test_reset_step_score_round_trip(env):
    obs, info = env.reset(seed=7)
    assert info["seed"] == 7 and info["case_id"] == CASE and info["turn"] == 0
    assert info["episode_id"] and info["max_turns"] == 40
    assert [m["role"] for m in obs["messages"]][-1] == "patient" and obs["findings"] == []

    obs, reward, terminated, truncated, info = env.step(PLAN[0])
    assert (terminated, truncated) == (False, False)
    assert info["action_kind"] == "ask" and info["turn"] == 1 and info["cost_usd"] == 300.0
    assert info["parsed_action"].startswith("ASK: ")
    assert obs["messages"] and obs["messages"][0]["role"] == "patient"
    assert set(info["reward_breakdown"]) == {"diagnosis", "rubric", "cost", "discomfort", "turns",
                                             "invalid_actions", "information_gain"}
    with pytest.raises(clinsim.FailedPrecondition):  # GetScore before the end
        env.score()

    obs, reward, terminated, truncated, info = env.step(clinsim.Order(["ecg", "troponin"]))
    tests = {f["catalog_id"]: f for f in obs["findings"]}
    assert set(tests) == {"electrocardiogram_12_lead_ecg", "cardiac_troponin_quantitative"}
    trop = tests["cardiac_troponin_quantitative"]
    assert trop["kind"] == "test" and trop["abnormal"] and trop["value"] == 1840.0
    assert tests["electrocardiogram_12_lead_ecg"]["value"] is None
    assert info["cost_usd"] == pytest.approx(300 + sum(f["cost_usd"] for f in tests.values()))

    obs, reward, terminated, truncated, info = env.step(clinsim.Diagnose("inferior STEMI"))
    assert terminated and not truncated and info["action_kind"] == "diagnose"
    assert reward == pytest.approx(sum(info["reward_breakdown"].values()))
    score = env.score()
    assert isinstance(score, dict) and score["correct"] and score["case_id"] == CASE
    assert score["seed"] == 7 and score["turns"] == 3 and score["end_reason"] == "diagnosis"
    assert score == json.loads(score.proto.json)
    assert score.proto.rubric.coverage == score["rubric_coverage"]
    assert score["total_reward"] == pytest.approx(reward)
    # the history mirrors ActRequest.history: presentation, then (doctor action, what it revealed)
    roles = [m["role"] for m in env.history]
    assert roles.count("doctor") == 3 and env.history[2]["content"] == PLAN[0]
    assert len(env.findings) == 2


def test_same_case_seed_and_actions_give_identical_scores(target):
    with clinsim.Env(target, case_id=CASE) as a, clinsim.Env(target, case_id=CASE) as b:
        s1 = play(a, PLAN, seed=11)
        s2 = play(b, PLAN, seed=11)
        s3 = play(a, PLAN, seed=11)  # the same env, again
    assert s1[3].proto.json == s2[3].proto.json == s3[3].proto.json
    assert [st[0] for st in s1[2]] == [st[0] for st in s2[2]]


def test_reset_without_seed_returns_the_seed_drawn(target):
    with clinsim.Env(target, case_id=CASE) as env:
        _, info1 = env.reset()
        _, info2 = env.reset()
    assert isinstance(info1["seed"], int) and isinstance(info2["seed"], int)
    assert info1["seed"] != info2["seed"]


def test_reset_without_case_does_not_reveal_the_case(target):
    with clinsim.Env(target) as env:
        obs, info = env.reset(seed=5)
        assert "case_id" not in info and info["seed"] == 5
        assert CASE not in json.dumps(obs)
        _, _, terminated, _, _ = env.step("DIAGNOSIS: not sure")
        assert terminated
        picked = env.score()["case_id"]
        # the same seed picks the same case
        env.reset(seed=5)
        env.step("DIAGNOSIS: not sure")
        assert env.score()["case_id"] == picked
    # options can name the case per reset
    with clinsim.Env(target) as env:
        _, info = env.reset(seed=5, options={"case_id": CASE})
        assert info["case_id"] == CASE


def test_structured_and_text_actions_are_equivalent(target):
    structured = [clinsim.Ask("When did it start? Does the pain spread anywhere?"),
                  clinsim.Examine(["heart", "lungs"]),
                  {"order": ["ecg", "troponin"]},
                  clinsim.Diagnose("inferior STEMI", differential=["aortic dissection"])]
    with clinsim.Env(target, case_id=CASE) as env:
        text = play(env, PLAN, seed=3)
        struct = play(env, structured, seed=3)
    assert text[3].proto.json == struct[3].proto.json
    assert [s[4]["parsed_action"] for s in text[2]] == [s[4]["parsed_action"] for s in struct[2]]
    assert [s[0] for s in text[2]] == [s[0] for s in struct[2]]


def test_options_reach_the_episode(target):
    with clinsim.Env(target, case_id=CASE, options={"max_turns": 2}) as env:
        _, info = env.reset(seed=1, options={"reward_weights": {"cost_per_1000_usd": 0.2},
                                             "dense_reward": True, "visit_fee_usd": 100})
        assert info["max_turns"] == 2
        _, reward, terminated, truncated, info = env.step("ASK: any fever?")
        assert info["cost_usd"] == 100.0
        assert info["reward_breakdown"]["cost"] == pytest.approx(-0.2 * 100 / 1000)
        _, _, terminated, truncated, _ = env.step("ASK: any cough?")
        assert truncated and not terminated
        assert env.score()["end_reason"] == "turn_limit"
        with pytest.raises(clinsim.FailedPrecondition):
            env.step("ASK: anything else?")


def test_proto_observations(target):
    with clinsim.Env(target, case_id=CASE, obs_format="proto") as env:
        obs, _ = env.reset(seed=2)
        assert isinstance(obs, clinsim.environment_pb2.Observation)
        obs, *_ = env.step("ORDER: troponin")
        assert obs.findings[0].HasField("value")


def test_client_side_validation():
    with pytest.raises(ValueError):
        clinsim.Env("127.0.0.1:1", options={"max_turn": 3})  # typo in an option name
    with pytest.raises(ValueError):
        clinsim.Env("127.0.0.1:1", options={"reward_weights": {"costs": 1}})
    env = clinsim.Env("127.0.0.1:1")
    with pytest.raises(clinsim.FailedPrecondition):
        env.step("ASK: hello?")  # before reset
    env.close()


# -- status codes ----------------------------------------------------------------------------

def test_unknown_case_is_not_found(target):
    with clinsim.Env(target) as env:
        with pytest.raises(clinsim.NotFound) as e:
            env.reset(seed=1, options={"case_id": "no_such_case"})
    assert e.value.code_name == "NOT_FOUND" and "no_such_case" in e.value.message


def test_unknown_episode_is_not_found(target):
    with clinsim.Env(target, case_id=CASE) as env:
        env.reset(seed=1)
        env.episode_id = "ep-00000000000000000000000000000000"
        with pytest.raises(clinsim.NotFound):
            env.step("ASK: hello?")
        with pytest.raises(clinsim.NotFound):
            env.score()


def test_step_after_end_and_score_before_end_are_failed_precondition(env):
    env.reset(seed=1)
    with pytest.raises(clinsim.FailedPrecondition) as e:
        env.score()
    assert "has not ended" in e.value.message
    env.step("DIAGNOSIS: inferior STEMI")
    with pytest.raises(clinsim.FailedPrecondition) as e:
        env.step("ASK: anything else?")
    assert e.value.code_name == "FAILED_PRECONDITION"
    assert env.score()["correct"]  # the failed step changed nothing


@pytest.mark.parametrize("action", [
    "", "   ", {"ask": ""}, "ASK: any fever?\nORDER: cbc", "ASK: " + "a" * 5000,
    "a" * 20000, clinsim.Order([]), clinsim.Diagnose("x", confidence=2.0),
    clinsim.environment_pb2.Action(),
])
def test_malformed_actions_are_invalid_argument_and_change_nothing(env, action):
    env.reset(seed=1)
    with pytest.raises(clinsim.InvalidArgument):
        env.step(action)
    _, _, _, _, info = env.step("ASK: any fever?")
    assert info["turn"] == 1  # the refused action did not use a turn


@pytest.mark.parametrize("options", [{"noise": "bogus"}, {"persona": "bogus"},
                                     {"max_turns": 0}, {"max_turns": 1001},
                                     {"budget_usd": -1.0}])
def test_bad_options_are_invalid_argument(target, options):
    with clinsim.Env(target, case_id=CASE) as env:
        with pytest.raises(clinsim.InvalidArgument):
            env.reset(seed=1, options=options)


def test_invalid_action_as_turn(env):
    env.reset(seed=1, options={"invalid_action_as_turn": True})
    obs, reward, terminated, truncated, info = env.step("ASK: any fever?\nORDER: cbc")
    assert info["action_kind"] == "invalid" and info["turn"] == 1 and info["errors"]
    assert obs["messages"][0]["content"].startswith("Invalid action")


def test_server_full_is_resource_exhausted(start):
    server = start("--max-episodes", "3")
    envs = [clinsim.Env(server, case_id=CASE) for _ in range(4)]
    try:
        for e in envs[:3]:
            e.reset(seed=1)
        with pytest.raises(clinsim.ResourceExhausted) as exc:
            envs[3].reset(seed=1)
        assert exc.value.code_name == "RESOURCE_EXHAUSTED"
        envs[0].close()  # frees a slot
        _, info = envs[3].reset(seed=1)
        assert info["episode_id"]
        # a reset on a live env replaces its episode without needing a fourth slot
        envs[1].reset(seed=2)
    finally:
        for e in envs:
            e.close()
        server.stop()


def test_idle_episodes_expire(start):
    server = start("--episode-ttl", "1")
    try:
        with clinsim.Env(server, case_id=CASE) as env:
            env.reset(seed=1)
            env.step("ASK: any fever?")
            time.sleep(2.5)
            with pytest.raises(clinsim.NotFound) as e:
                env.step("ASK: any cough?")
            assert "expired" in e.value.message or "unknown episode" in e.value.message
    finally:
        server.stop()


def test_unreachable_server_is_unavailable():
    with clinsim.Env("127.0.0.1:1", timeout=5) as env:
        with pytest.raises(clinsim.Unavailable):
            env.reset(seed=1)
