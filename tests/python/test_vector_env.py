"""clinsim.VectorEnv: seeds, group rollouts, autoreset, per-item errors, proto observations."""

import pytest

import clinsim
from clinsim.vector_env import splitmix64
from conftest import CASE

ASK = "ASK: When did it start?"


def test_seeds_are_seed_plus_index_and_episodes_match_env(target):
    with clinsim.VectorEnv(target, 8, case_ids=CASE) as venv:
        obs, infos = venv.reset(seed=100)
        assert infos["seed"] == [100 + i for i in range(8)]
        assert infos["case_id"] == [CASE] * 8 and len(set(infos["episode_id"])) == 8
        assert infos["turn"] == [0] * 8 and infos["action_kind"] == ["reset"] * 8
        obs2, rewards, term, trunc, infos2 = venv.step([ASK] * 8)
        assert infos2["turn"] == [1] * 8 and infos2["episode_id"] == infos["episode_id"]
        assert rewards == [0.0] * 8 and term == [False] * 8 and trunc == [False] * 8
    # env i is the episode Env would play with seed 100 + i
    with clinsim.Env(target, case_id=CASE) as env:
        for i in (0, 5):
            o, _ = env.reset(seed=100 + i)
            assert o == obs[i]
            assert env.step(ASK)[0] == obs2[i]


def test_server_picks_cases_from_seeds_without_case_ids(target):
    with clinsim.VectorEnv(target, 4) as venv:
        _, infos = venv.reset(seed=5)
        assert infos["case_id"] == [""] * 4  # not revealed
        _, _, term, _, infos = venv.step(["DIAGNOSIS: unsure"] * 4)
        assert term == [True] * 4
        picked = [fi["score"]["case_id"] for fi in infos["final_info"]]
    with clinsim.Env(target) as env:
        env.reset(seed=7)
        env.step("DIAGNOSIS: unsure")
        assert env.score()["case_id"] == picked[2]


def test_group_size_gives_each_group_one_case(target):
    with clinsim.VectorEnv(target, 8, group_size=4) as venv:
        _, infos = venv.reset(seed=42)
        cases = infos["case_id"]
        assert len(set(cases[:4])) == 1 and len(set(cases[4:])) == 1
        assert len(set(infos["seed"])) == 8
        all_cases = [c["id"] for c in clinsim.Env(target).list_cases()]
        assert cases[0] == all_cases[splitmix64(42) % len(all_cases)]
        assert cases[4] == all_cases[splitmix64(42 + 4) % len(all_cases)]
        # deterministic: the same seed picks the same cases
        _, again = venv.reset(seed=42)
        assert again["case_id"] == cases
    cycle = ["cardiology_inferior_stemi", "dermatology_cellulitis", "dermatology_scabies"]
    with clinsim.VectorEnv(target, 8, case_ids=cycle, group_size=2, autoreset=False) as venv:
        _, infos = venv.reset(seed=0)
        assert infos["case_id"] == [cycle[0]] * 2 + [cycle[1]] * 2 + [cycle[2]] * 2 + [cycle[0]] * 2
        venv.step(["DIAGNOSIS: unsure"] * 8)
        _, infos = venv.reset()  # next round: k = 1, groups continue the cycle (j + 4 * k)
        assert infos["case_id"] == [cycle[1]] * 2 + [cycle[2]] * 2 + [cycle[0]] * 2 + [cycle[1]] * 2
        assert infos["seed"] == [8 + i for i in range(8)]
    with pytest.raises(ValueError):
        clinsim.VectorEnv(target, 8, group_size=3)


def test_autoreset_same_step(target):
    with clinsim.VectorEnv(target, 4, case_ids=CASE, options={"max_turns": 3}) as venv:
        _, infos = venv.reset(seed=10)
        first_ids = infos["episode_id"]
        actions = ["DIAGNOSIS: inferior STEMI", ASK, ASK, None]
        obs, rewards, term, trunc, infos = venv.step(actions)
        assert term == [True, False, False, False] and rewards[0] > 0.5
        assert infos["_final_info"] == [True, False, False, False]
        final = infos["final_info"][0]
        assert final["episode_id"] == first_ids[0] and final["action_kind"] == "diagnose"
        assert final["score"]["correct"] and final["score"]["seed"] == 10
        assert final["score"].proto.case_id == CASE
        assert infos["final_observation"][0]["messages"][0]["content"].startswith("Diagnosis recorded")
        # the returned obs/info of env 0 are the new episode's reset
        assert infos["episode_id"][0] != first_ids[0] and infos["turn"][0] == 0
        assert infos["seed"][0] == 10 + 4  # seed + i + num_envs * 1
        assert obs[0]["messages"][-1]["role"] == "patient"
        # env 3 was not stepped
        assert obs[3] is None and infos["turn"][3] is None and infos["episode_id"][3] == first_ids[3]
        # the ended episode was closed on the server
        with clinsim.Env(target) as env:
            env.episode_id = first_ids[0]
            with pytest.raises(clinsim.NotFound):
                env.score()
        # truncation at the turn limit autoresets too
        venv.step([ASK] * 4)
        obs, rewards, term, trunc, infos = venv.step([ASK] * 4)
        assert trunc == [False, True, True, False]
        assert [fi is not None for fi in infos["final_info"]] == [False, True, True, False]
        assert infos["final_info"][1]["score"]["end_reason"] == "turn_limit"
        assert infos["seed"][1:3] == [11 + 4, 12 + 4]


def test_without_autoreset_ended_envs_wait_for_reset(target):
    with clinsim.VectorEnv(target, 2, case_ids=CASE, autoreset=False, fetch_scores=False) as venv:
        venv.reset(seed=0)
        obs, _, term, _, infos = venv.step(["DIAGNOSIS: inferior STEMI", ASK])
        assert term == [True, False] and venv.done == [True, False]
        assert "score" not in infos["final_info"][0]
        assert obs[0]["messages"][0]["content"].startswith("Diagnosis recorded")
        with pytest.raises(clinsim.FailedPrecondition) as e:
            venv.step([ASK, ASK])  # raised before anything is sent
        assert e.value.index == 0
        venv.step([None, "DIAGNOSIS: unsure"])
        _, infos = venv.reset()
        assert infos["seed"] == [2, 3] and venv.done == [False, False]


def test_per_item_errors_raise_after_the_batch(target):
    with clinsim.VectorEnv(target, 4, case_ids=CASE) as venv:
        venv.reset(seed=0)
        with pytest.raises(clinsim.InvalidArgument) as e:
            venv.step([ASK, "", ASK, "ASK: fever?\nORDER: cbc"])
        err = e.value
        assert err.index == 1 and "env 1" in str(err)
        assert [x.index for x in err.errors] == [1, 3]
        obs, rewards, term, trunc, infos = err.result
        assert obs[1] is None and obs[3] is None and infos["turn"] == [1, None, 1, None]
        # the good items were applied, the bad ones changed nothing
        _, _, _, _, infos = venv.step([ASK] * 4)
        assert infos["turn"] == [2, 1, 2, 1]
        # mixed codes: the exception has the first failure's class
        venv.stub.Close(clinsim.environment_pb2.CloseRequest(episode_id=venv.episode_ids[2]))
        with pytest.raises(clinsim.NotFound) as e:
            venv.step([ASK, ASK, ASK, {"ask": ""}])
        assert [type(x) for x in e.value.errors] == [clinsim.NotFound, clinsim.InvalidArgument]
    with pytest.raises(ValueError):
        with clinsim.VectorEnv(target, 2) as venv:
            venv.reset(seed=0)
            venv.step([ASK])  # wrong number of actions


def test_reset_errors_are_per_item(start):
    server = start("--max-episodes", "3")
    try:
        with clinsim.VectorEnv(server, 4, case_ids=CASE) as venv:
            with pytest.raises(clinsim.ResourceExhausted) as e:
                venv.reset(seed=0)
            obs, infos = e.value.result
            assert obs[3] is None and all(o is not None for o in obs[:3])
            assert e.value.index == 3
    finally:
        server.stop()


def test_proto_format(target):
    with clinsim.VectorEnv(target, 3, case_ids=CASE, obs_format="proto") as venv:
        obs, infos = venv.reset(seed=0)
        assert isinstance(obs[0], clinsim.environment_pb2.Observation)
        assert infos["response"][0].seed == 0
        obs, rewards, term, _, infos = venv.step(["ORDER: troponin", ASK, "DIAGNOSIS: inferior STEMI"])
        assert obs[0].findings[0].value == 1840.0
        assert infos["response"][1].info.turn == 1
        assert term == [False, False, True] and infos["final_info"][2]["score"]["correct"]
        assert infos["response"][2].seed == 2 + 3  # the new episode's ResetResponse


def test_mixed_action_forms_in_one_batch(target):
    with clinsim.VectorEnv(target, 4, case_ids=CASE) as venv:
        venv.reset(seed=0)
        _, _, _, _, infos = venv.step([clinsim.Ask("Any fever?"), {"order": ["cbc"]},
                                       clinsim.environment_pb2.Action(text="EXAMINE: heart"),
                                       "ORDER: cbc"])
        assert infos["action_kind"] == ["ask", "order", "examine", "order"]
        assert infos["parsed_action"][1] == infos["parsed_action"][3] == "ORDER: cbc"


def test_batches_larger_than_the_server_limit_are_split(start):
    server = start("--max-batch", "4")
    try:
        with clinsim.VectorEnv(server, 10, case_ids=CASE, options={"max_turns": 2}) as venv:
            _, infos = venv.reset(seed=0)
            assert infos["seed"] == list(range(10))
            venv.step([ASK] * 10)
            _, _, _, trunc, infos = venv.step([ASK] * 10)  # all 10 end and autoreset
            assert trunc == [True] * 10 and infos["seed"] == list(range(10, 20))
            assert all(fi["score"]["end_reason"] == "turn_limit" for fi in infos["final_info"])
    finally:
        server.stop()
