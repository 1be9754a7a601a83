"""``clinsim.AsyncEnv``: :class:`clinsim.Env` on ``grpc.aio``, for many concurrent episodes in one
event loop (e.g. an LLM doctor that waits on model calls)::

    async def play(target, seed):
        async with clinsim.AsyncEnv(target, case_id="cardiology_inferior_stemi") as env:
            obs, info = await env.reset(seed=seed)
            obs, reward, terminated, truncated, info = await env.step("ORDER: ecg, troponin")
            obs, reward, terminated, truncated, info = await env.step("DIAGNOSIS: inferior STEMI")
            return await env.score()

    scores = await asyncio.gather(*(play(target, s) for s in range(8)))

Same arguments, observations, infos and errors as :class:`clinsim.Env`. The channel is opened
lazily, on the first call, inside the running event loop. Several AsyncEnvs may share one
``grpc.aio.Channel`` (``channel=``); one AsyncEnv plays one episode at a time, so do not run two
``step`` calls of the same AsyncEnv concurrently.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import grpc
import grpc.aio

from clinsim import _convert as cv
from clinsim.actions import ActionLike
from clinsim.env import _EpisodeLogic
from clinsim.errors import ClinsimError, FailedPrecondition, error_from_rpc
from clinsim.v1 import environment_pb2 as pb
from clinsim.v1 import environment_pb2_grpc as pb_grpc

__all__ = ["AsyncEnv"]


class AsyncEnv(_EpisodeLogic):
    """:class:`clinsim.Env` with ``async`` methods; see the module docstring."""

    def __init__(self, target: Any = None, options: cv.OptionsLike = None,
                 case_id: Optional[str] = None, timeout: Optional[float] = 30, *,
                 obs_format: str = "dict", channel: Optional[grpc.aio.Channel] = None):
        self._init_logic(options, case_id, timeout, obs_format)
        self.target = cv.normalize_target(target) if target is not None else None
        if channel is None and self.target is None:
            raise ValueError("AsyncEnv needs a target or a channel")
        self._channel = channel
        self._own_channel = channel is None
        self._stub: Optional[pb_grpc.EnvironmentStub] = (
            pb_grpc.EnvironmentStub(channel) if channel is not None else None)
        self._closed = False

    @property
    def stub(self) -> pb_grpc.EnvironmentStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self.target, options=cv.CHANNEL_OPTIONS)
            self._stub = pb_grpc.EnvironmentStub(self._channel)
        return self._stub

    async def _call(self, method_name: str, request):
        try:
            return await getattr(self.stub, method_name)(request, timeout=self.timeout)
        except grpc.RpcError as e:  # grpc.aio.AioRpcError is one
            raise error_from_rpc(e) from None

    async def spec(self) -> pb.Spec:
        """The server's ``clinsim.v1.Spec`` (fetched once)."""
        if self._spec is None:
            self._spec = await self._call("GetSpec", pb.GetSpecRequest())
        return self._spec

    async def list_cases(self, specialty: str = "", difficulty: str = "") -> List[Dict[str, str]]:
        """The cases (``id``, ``specialty``, ``difficulty``, ``source``), sorted by id."""
        r = await self._call("ListCases", pb.ListCasesRequest(specialty=specialty,
                                                               difficulty=difficulty))
        return [{"id": c.id, "specialty": c.specialty, "difficulty": c.difficulty,
                 "source": c.source} for c in r.cases]

    async def reset(self, seed: Optional[int] = None,
                    options: cv.OptionsLike = None) -> Tuple[Any, Dict[str, Any]]:
        """As :meth:`clinsim.Env.reset`."""
        req = self._reset_request(seed, options)
        await self._close_episode()
        return self._on_reset(await self._call("Reset", req))

    async def step(self, action: ActionLike) -> Tuple[Any, float, bool, bool, Dict[str, Any]]:
        """As :meth:`clinsim.Env.step`."""
        return self._on_step(await self._call("Step", self._step_request(action)))

    async def score(self) -> cv.ScoreDict:
        """As :meth:`clinsim.Env.score`."""
        if self._score is None:
            if self.episode_id is None:
                raise FailedPrecondition("no episode: call reset() first")
            self._score = cv.ScoreDict(
                await self._call("GetScore", pb.GetScoreRequest(episode_id=self.episode_id)))
        return self._score

    async def _close_episode(self) -> None:
        if self.episode_id is not None:
            eid, self.episode_id = self.episode_id, None
            try:
                await self._call("Close", pb.CloseRequest(episode_id=eid))
            except ClinsimError:
                pass

    async def close(self) -> None:
        """Closes the current episode (best effort) and the channel if this env opened it."""
        if self._closed:
            return
        self._closed = True
        await self._close_episode()
        if self._own_channel and self._channel is not None:
            await self._channel.close()

    async def __aenter__(self) -> "AsyncEnv":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncEnv(target={self.target!r}, episode_id={self.episode_id!r})"
