"""clinsim.AsyncEnv on grpc.aio: concurrent episodes with asyncio.gather."""

import asyncio

import pytest

import clinsim
from conftest import CASE

PLAN = ["ASK: Does the pain spread anywhere?", clinsim.Examine("heart"),
        {"order": ["ecg", "troponin"]}, "DIAGNOSIS: inferior STEMI"]


async def play(target, seed):
    async with clinsim.AsyncEnv(target, case_id=CASE) as env:
        obs, info = await env.reset(seed=seed)
        assert info["seed"] == seed and obs["messages"]
        for a in PLAN:
            obs, reward, terminated, truncated, info = await env.step(a)
        assert terminated and not truncated
        return await env.score()


def test_concurrent_episodes_match_sync_env(target):
    async def main():
        return await asyncio.gather(*(play(target, s) for s in range(6)))

    scores = asyncio.run(main())
    assert [s["seed"] for s in scores] == list(range(6))
    assert all(s["correct"] for s in scores)
    with clinsim.Env(target, case_id=CASE) as env:
        env.reset(seed=4)
        for a in PLAN:
            env.step(a)
        assert env.score().proto.json == scores[4].proto.json


def test_async_errors_and_shared_channel(target):
    async def main():
        import grpc.aio
        channel = grpc.aio.insecure_channel(target)
        try:
            a = clinsim.AsyncEnv(channel=channel, case_id=CASE)
            b = clinsim.AsyncEnv(channel=channel)
            await a.reset(seed=1)
            with pytest.raises(clinsim.InvalidArgument):
                await a.step("")
            with pytest.raises(clinsim.FailedPrecondition):
                await a.score()
            with pytest.raises(clinsim.NotFound):
                await b.reset(options={"case_id": "no_such_case"})
            spec = await b.spec()
            assert spec.api_version == "clinsim.v1"
            assert len(await b.list_cases()) == spec.case_count
            await a.close()
            await b.close()
        finally:
            await channel.close()

    asyncio.run(main())
