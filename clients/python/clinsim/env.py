"""``clinsim.Env``: one episode at a time over the ``clinsim.v1.Environment`` service, with
gymnasium's conventions (``reset``/``step``/``close``) but no dependency on gymnasium.

    import clinsim
    with clinsim.Env("127.0.0.1:50051", case_id="cardiology_inferior_stemi") as env:
        obs, info = env.reset(seed=7)
        obs, reward, terminated, truncated, info = env.step("ASK: Does the pain spread anywhere?")
        obs, reward, terminated, truncated, info = env.step(clinsim.Order(["ecg", "troponin"]))
        obs, reward, terminated, truncated, info = env.step(clinsim.Diagnose("inferior STEMI"))
        print(env.score()["correct"], env.score().proto.rubric.coverage)

Observations (``obs_format="dict"``, the default) hold what that reset or step revealed::

    {"messages": [{"role": "system"|"patient"|"gatekeeper"|"doctor", "content": str}, ...],
     "findings": [{"kind", "name", "catalog_id", "result", "abnormal", "value" (float or None),
                   "unit", "reference_range", "cost_usd", "discomfort"}, ...]}

With ``obs_format="proto"`` the ``clinsim.v1.Observation`` is returned without conversion.
``env.history`` (every message so far, the doctor's actions included in the tagged form the
server understood them, as ``clinsim bench --doctor grpc://`` sends them in ``ActRequest.history``)
and ``env.findings`` (every finding so far, as dicts) accumulate over the episode.

``info`` at reset: ``episode_id``, ``seed`` (the one used; drawn by the server when ``seed`` is
None), ``turn`` (0), ``cost_usd`` (0.0), ``max_turns``, ``budget_usd``, and ``case_id`` only when
the reset named the case (when the server picks the case from the seed it says which only in the
score). ``info`` at a step: ``episode_id``, ``seed``, ``turn`` (turns used so far), ``cost_usd``
(total so far), ``step_cost_usd``, ``step_discomfort``, ``visit_opened``, ``action_kind`` (ask,
examine, order, diagnose, invalid), ``parsed_action`` (tagged form), ``errors`` (refusals, unknown
tests: nothing charged) and ``reward_breakdown`` (dict of the reward's components).

``terminated``: the doctor diagnosed; ``truncated``: the turn limit or the budget ended the episode.
Errors raise :class:`clinsim.ClinsimError` subclasses (see :mod:`clinsim.errors`); a failed
request leaves the episode unchanged.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import grpc

from clinsim import _convert as cv
from clinsim.actions import ActionLike, to_action_proto
from clinsim.errors import ClinsimError, FailedPrecondition, error_from_rpc
from clinsim.v1 import environment_pb2 as pb
from clinsim.v1 import environment_pb2_grpc as pb_grpc

__all__ = ["Env"]

OBS_FORMATS = ("dict", "proto")


class _EpisodeLogic:
    """Request building and response handling shared by :class:`Env` and ``AsyncEnv``."""

    def _init_logic(self, options: cv.OptionsLike, case_id: Optional[str], timeout: Optional[float],
                    obs_format: str) -> None:
        if obs_format not in OBS_FORMATS:
            raise ValueError(f"obs_format must be one of {OBS_FORMATS}, not {obs_format!r}")
        opt_case, self._options = cv.split_options(options)
        self.case_id: Optional[str] = case_id if case_id is not None else opt_case
        self.timeout = timeout
        self.obs_format = obs_format
        self.episode_id: Optional[str] = None
        self.seed: Optional[int] = None
        self.max_turns: Optional[int] = None
        self.terminated = False
        self.truncated = False
        self.history: List[Dict[str, str]] = []
        self.findings: List[Dict[str, Any]] = []
        self._score: Optional[cv.ScoreDict] = None
        self._spec: Optional[pb.Spec] = None

    @property
    def done(self) -> bool:
        """Whether the current episode has ended (terminated or truncated)."""
        return self.terminated or self.truncated

    def _reset_request(self, seed: Optional[int], options: cv.OptionsLike) -> pb.ResetRequest:
        case_id, opts = cv.split_options(options)
        merged = cv.merge_options(self._options, opts)
        case = case_id if case_id is not None else self.case_id
        req = pb.ResetRequest(case_id=case or "", options=cv.options_to_proto(merged))
        if seed is not None:
            req.seed = int(seed)
        return req

    def _obs(self, o: pb.Observation) -> Any:
        return o if self.obs_format == "proto" else cv.obs_to_dict(o)

    def _on_reset(self, r: pb.ResetResponse) -> Tuple[Any, Dict[str, Any]]:
        self.episode_id = r.episode_id
        self.seed = r.seed
        self.max_turns = r.max_turns
        self.terminated = self.truncated = False
        self._score = None
        o = r.observation
        self.history = [{"role": m.role, "content": m.content} for m in o.messages]
        self.findings = [cv.finding_to_dict(f) for f in o.findings]
        return self._obs(o), cv.reset_info_dict(r)

    def _step_request(self, action: ActionLike) -> pb.StepRequest:
        if self.episode_id is None:
            raise FailedPrecondition("no episode: call reset() first")
        return pb.StepRequest(episode_id=self.episode_id, action=to_action_proto(action))

    def _on_step(self, r: pb.StepResponse) -> Tuple[Any, float, bool, bool, Dict[str, Any]]:
        o = r.observation
        self.history.append({"role": "doctor", "content": r.info.parsed_action})
        self.history.extend({"role": m.role, "content": m.content} for m in o.messages)
        if o.findings:
            self.findings.extend(cv.finding_to_dict(f) for f in o.findings)
        self.terminated, self.truncated = r.terminated, r.truncated
        return (self._obs(o), r.reward, r.terminated, r.truncated,
                cv.step_info_dict(self.episode_id, self.seed, r))


class Env(_EpisodeLogic):
    """One clinsim episode at a time, gymnasium-style (see the module docstring).

    Args:
        target: ``"HOST:PORT"`` (or ``"grpc://HOST:PORT"``, or an object with ``.target`` such as
            :func:`clinsim.start_server`'s result).
        options: default episode options for every reset: a dict of ``EpisodeOptions`` fields
            (``max_turns``, ``budget_usd``, ``visit_fee_usd``, ``dense_reward``,
            ``reward_weights`` (dict), ``noise``, ``persona``, ``invalid_action_as_turn``) and
            optionally ``case_id``; or a ``clinsim.v1.EpisodeOptions``. Unset fields take the
            server defaults (``Spec.default_options``, the same as ``clinsim bench``).
        case_id: the case to play at every reset (None: the server picks one from the seed).
        timeout: seconds per RPC (None: no deadline).
        obs_format: ``"dict"`` (default) or ``"proto"`` (``clinsim.v1.Observation`` as is).
        channel: an existing ``grpc.Channel`` to use instead of opening one to ``target``.
    """

    def __init__(self, target: Any = None, options: cv.OptionsLike = None,
                 case_id: Optional[str] = None, timeout: Optional[float] = 30, *,
                 obs_format: str = "dict", channel: Optional[grpc.Channel] = None):
        self._init_logic(options, case_id, timeout, obs_format)
        if channel is None:
            self.target = cv.normalize_target(target)
            channel = grpc.insecure_channel(self.target, options=cv.CHANNEL_OPTIONS)
            self._own_channel = True
        else:
            self.target = cv.normalize_target(target) if target is not None else None
            self._own_channel = False
        self._channel = channel
        self.stub = pb_grpc.EnvironmentStub(channel)
        self._closed = False

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise error_from_rpc(e) from None

    # -- the service's read-only calls --------------------------------------------------------
    def spec(self) -> pb.Spec:
        """The server's ``clinsim.v1.Spec`` (fetched once): grammar, catalog, limits, defaults."""
        if self._spec is None:
            self._spec = self._call(self.stub.GetSpec, pb.GetSpecRequest())
        return self._spec

    def list_cases(self, specialty: str = "", difficulty: str = "") -> List[Dict[str, str]]:
        """The cases (``id``, ``specialty``, ``difficulty``, ``source``), sorted by id."""
        r = self._call(self.stub.ListCases, pb.ListCasesRequest(specialty=specialty,
                                                                 difficulty=difficulty))
        return [{"id": c.id, "specialty": c.specialty, "difficulty": c.difficulty,
                 "source": c.source} for c in r.cases]

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, seed: Optional[int] = None,
              options: cv.OptionsLike = None) -> Tuple[Any, Dict[str, Any]]:
        """Starts an episode and returns ``(obs, info)``; closes the previous one.

        Args:
            seed: the episode seed (None: the server draws one; ``info["seed"]`` says which).
            options: ``case_id`` and/or ``EpisodeOptions`` fields for this episode, merged over
                the constructor's (``reward_weights`` key by key), e.g. ``{"case_id": "...",
                "noise": "mild", "max_turns": 20, "reward_weights": {"cost_per_1000_usd": 0.2}}``.
        """
        req = self._reset_request(seed, options)
        self._close_episode()
        return self._on_reset(self._call(self.stub.Reset, req))

    def step(self, action: ActionLike) -> Tuple[Any, float, bool, bool, Dict[str, Any]]:
        """Plays one action; returns ``(obs, reward, terminated, truncated, info)``.

        ``action``: a tagged string (``"ASK: ..."``), ``Ask``/``Examine``/``Order``/``Diagnose``,
        a dict such as ``{"order": ["cbc"]}``, or a ``clinsim.v1.Action``. A malformed action
        raises :class:`clinsim.InvalidArgument` and changes nothing (unless the episode was reset
        with ``invalid_action_as_turn``); stepping an ended episode raises
        :class:`clinsim.FailedPrecondition`.
        """
        return self._on_step(self._call(self.stub.Step, self._step_request(action)))

    def score(self) -> cv.ScoreDict:
        """The evaluation of the ended episode: the dict of ``Score.json`` (as ``clinsim bench
        --json`` writes it), with the proto as ``.proto``. FailedPrecondition before the end."""
        if self._score is None:
            if self.episode_id is None:
                raise FailedPrecondition("no episode: call reset() first")
            self._score = cv.ScoreDict(self._call(self.stub.GetScore,
                                                  pb.GetScoreRequest(episode_id=self.episode_id)))
        return self._score

    def _close_episode(self) -> None:
        if self.episode_id is not None:
            eid, self.episode_id = self.episode_id, None
            try:
                self._call(self.stub.Close, pb.CloseRequest(episode_id=eid))
            except ClinsimError:
                pass  # already expired or closed, or the server is gone: nothing to free

    def close(self) -> None:
        """Closes the current episode on the server (best effort) and the channel if it owns it.
        ``score()`` is unavailable after this."""
        if self._closed:
            return
        self._closed = True
        self._close_episode()
        if self._own_channel:
            self._channel.close()

    def __enter__(self) -> "Env":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Env(target={self.target!r}, episode_id={self.episode_id!r})"
