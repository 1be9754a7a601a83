"""``clinsim.VectorEnv``: ``num_envs`` episodes stepped together, one ``StepBatch`` RPC per step.

    venv = clinsim.VectorEnv("127.0.0.1:50051", num_envs=256, options={"max_turns": 20})
    obs, infos = venv.reset(seed=0)                   # env i plays seed 0 + i
    obs, rewards, terminated, truncated, infos = venv.step(["ASK: When did it start?"] * 256)
    venv.close()

Returns (both ``reset`` and ``step``):

* ``obs``: a list of ``num_envs`` observations, each what that env's reset or step revealed:
  ``{"messages": [{"role", "content"}...], "findings": [dict...]}`` with ``obs_format="dict"``
  (default), or the ``clinsim.v1.Observation`` protos as received with ``obs_format="proto"``
  (no per-item conversion: the fastest; the protos belong to the response, do not mutate them).
* ``rewards``, ``terminated``, ``truncated``: lists of ``num_envs`` floats / bools.
* ``infos``: a dict of lists, gymnasium's vector convention (``infos[key][i]`` is env i's value).
  Keys always present: ``episode_id``, ``seed``, ``case_id`` ("" when the server picked the case
  from the seed and has not said which). With ``obs_format="dict"`` also ``turn``, ``cost_usd``
  (total so far), ``step_cost_usd``, ``action_kind``, ``parsed_action``, ``errors`` and
  ``reward_breakdown`` (dict); with ``obs_format="proto"`` instead ``response``: the
  ``clinsim.v1.StepResponse`` (or ``ResetResponse`` after a reset) of each env. An env that was
  not stepped (its action was ``None``) or whose item failed has ``None`` in ``obs`` and in the
  per-step info keys, reward 0.0 and terminated/truncated False.

Seeds. ``reset(seed=s)`` gives env i the seed ``s + i``; env i's k-th episode after that
(k = 0 at the reset, +1 at every autoreset or later ``reset()`` without a seed) plays seed
``s + i + num_envs * k``, so every env sees distinct seeds and a run is reproducible.
``reset()`` without a seed the first time draws ``s`` at random (``infos["seed"]`` says which);
afterwards it continues the sequence.

Cases. Without ``case_ids`` and without ``group_size`` the server picks each episode's case from
its seed (and does not reveal it before the score). ``case_ids`` (a list, or one id) names them:
env i's k-th episode plays ``case_ids[(i + num_envs * k) % len(case_ids)]``.

Group rollouts (GRPO and similar). ``group_size=g`` (dividing ``num_envs``) splits the envs
into consecutive groups of ``g`` (envs 0..g-1, g..2g-1, ...); the envs of one group play the SAME
case with different seeds (``s + i + num_envs * k`` as above). The case of group j's k-th
episodes is ``case_ids[(j + G * k) % len(case_ids)]`` with ``G = num_envs // g`` groups, or,
without ``case_ids``, ``cases[splitmix64(s + j * g + num_envs * k) % len(cases)]`` where
``cases`` is the server's ``ListCases`` (fetched once, sorted by id) and ``s + j * g +
num_envs * k`` is the seed of the group's first env: deterministic in the reset seed. Since the
reset names the case, ``infos["case_id"]`` shows it. With ``autoreset=True`` the envs of a group
restart independently, so only their k-th episodes are guaranteed to share a case; for
synchronous groups use ``autoreset=False``, step until every env of the batch has ended (passing
``None`` as the action of the envs that have), then ``reset()`` again.

Autoreset (``autoreset=True``, gymnasium 0.29 ``SyncVectorEnv`` "same-step" semantics). When
env i ends (terminated or truncated) in ``step()``, in that same call: its last observation goes
to ``infos["final_observation"][i]``, its step info (the per-step keys above) plus ``"score"``
(the :class:`clinsim.ScoreDict` of the episode; omitted with ``fetch_scores=False``) to
``infos["final_info"][i]``; the ended episode is closed on the server; a new episode is started
(one ``ResetBatch`` RPC for all the envs that ended); and ``obs[i]`` and the per-env info keys
describe the new episode's reset (``turn`` 0, ``action_kind`` "reset"...).
``rewards[i]``/``terminated[i]``/``truncated[i]`` still belong to the step that ended the old one.
``infos["_final_observation"]`` and ``infos["_final_info"]`` are boolean masks; the four
``final`` keys exist only when some env ended in this step.

With ``autoreset=False`` an ended env keeps its final observation, ``final_info`` is filled the
same way (score included), the episode is closed, and the env must be given ``None`` as its action
until the next ``reset()`` (any other action raises :class:`clinsim.FailedPrecondition` before
anything is sent). ``venv.done[i]`` says whether env i has ended.

The score and the closing of an ended episode cost no extra call: every step item asks the server
to put the score in the step's reply when the step ends the episode (``include_score``) and to free
the episode at once (``close_on_end``). ``fetch_scores=False`` leaves the scores out of the replies.

Errors. The batch RPC itself failing (server down, too large) raises the matching
:class:`clinsim.ClinsimError` and nothing changes. Per-item failures (a malformed action: the
server leaves that episode unchanged; an expired episode...) are raised only after the whole
batch has been applied and processed (including autoresets): the exception's class is the first
failure's, ``e.index`` is its env index (also in the message, "env 3: INVALID_ARGUMENT: ..."),
``e.errors`` lists every failed item, and ``e.result`` holds what ``step()``/``reset()`` would have
returned (``None`` in the failed slots). An env whose episode is gone (NOT_FOUND) or whose
autoreset failed must be ``reset()``. Client-side mistakes (wrong number of actions, an action
for an ended env without autoreset) raise before anything is sent.

Speed: a step builds the ``StepBatchRequest`` bytes directly from cached per-episode and
per-action encodings (tagged strings are encoded once), makes one RPC, and converts the
response; use ``obs_format="proto"`` to skip the conversion. See
``clients/python/examples/throughput.py``.
"""

from __future__ import annotations

import random
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import grpc

from clinsim import _convert as cv
from clinsim.actions import ActionLike, to_action_proto
from clinsim.errors import (ClinsimError, FailedPrecondition, batch_error, error_from_rpc,
                            error_from_status)
from clinsim.v1 import environment_pb2 as pb
from clinsim.v1 import environment_pb2_grpc as pb_grpc

__all__ = ["VectorEnv", "splitmix64"]

_M64 = (1 << 64) - 1
_STEP_KEYS = ("turn", "cost_usd", "step_cost_usd", "action_kind", "parsed_action", "errors",
              "reward_breakdown")


def splitmix64(x: int) -> int:
    """SplitMix64 of ``x`` (a well-mixed 64-bit hash, used to pick group cases from seeds)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _varint(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len_field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2) with a one-byte ``tag``."""
    n = len(payload)
    return (bytes((tag, n)) if n < 0x80 else bytes((tag,)) + _varint(n)) + payload


# StepBatchRequest.items = 1 (tag 0x0a); StepRequest.episode_id = 1 (0x0a), .action = 2 (0x12).
_ITEM_TAG = 0x0A
_ID_TAG = 0x0A
_ACTION_TAG = 0x12
# StepRequest.include_score = 3 and .close_on_end = 4 (varints, value 1).
_FLAGS_SCORE_AND_CLOSE = bytes((0x18, 1, 0x20, 1))
_FLAGS_CLOSE = bytes((0x20, 1))


class VectorEnv:
    """``num_envs`` clinsim episodes stepped together; see the module docstring.

    Args:
        target: ``"HOST:PORT"`` (or ``"grpc://..."`` or an object with ``.target``).
        num_envs: how many envs.
        options: episode options for every episode (dict of ``EpisodeOptions`` fields, or the
            proto), as :class:`clinsim.Env`. ``case_id`` is not accepted here: use ``case_ids``.
        case_ids: None (the server picks from the seed), one case id, or a list (cycled).
        group_size: envs per group playing the same case (must divide ``num_envs``).
        autoreset: restart ended envs in the same ``step()`` (see the module docstring).
        timeout: seconds per RPC.
        obs_format: ``"dict"`` or ``"proto"``.
        fetch_scores: put each ended episode's score in ``infos["final_info"][i]["score"]``.
        channel: an existing ``grpc.Channel`` instead of opening one to ``target``.

    The constructor calls ``GetSpec`` once (for the server's batch limit; ``venv.spec``), so an
    unreachable server raises :class:`clinsim.Unavailable` here.
    """

    def __init__(self, target: Any, num_envs: int, options: cv.OptionsLike = None,
                 case_ids: Union[None, str, Sequence[str]] = None,
                 group_size: Optional[int] = None, autoreset: bool = True, *,
                 timeout: Optional[float] = 60, obs_format: str = "dict",
                 fetch_scores: bool = True, channel: Optional[grpc.Channel] = None):
        if num_envs < 1:
            raise ValueError("num_envs must be at least 1")
        if group_size is not None and (group_size < 1 or num_envs % group_size):
            raise ValueError(f"group_size {group_size} must divide num_envs {num_envs}")
        if obs_format not in ("dict", "proto"):
            raise ValueError(f"obs_format must be 'dict' or 'proto', not {obs_format!r}")
        opt_case, self._options = cv.split_options(options)
        if opt_case is not None:
            raise ValueError("VectorEnv options may not hold case_id; pass case_ids=")
        self.num_envs = num_envs
        self.group_size = group_size
        self.case_ids: Optional[List[str]] = (
            None if case_ids is None else [case_ids] if isinstance(case_ids, str) else list(case_ids))
        if self.case_ids is not None and not self.case_ids:
            raise ValueError("case_ids is empty")
        self.autoreset = autoreset
        self.timeout = timeout
        self.obs_format = obs_format
        self.fetch_scores = fetch_scores
        self._scores: Dict[int, Any] = {}  # env index -> Score proto of episodes ended this step
        if channel is None:
            self.target = cv.normalize_target(target)
            channel = grpc.insecure_channel(self.target, options=cv.CHANNEL_OPTIONS)
            self._own_channel = True
        else:
            self.target = cv.normalize_target(target) if target is not None else None
            self._own_channel = False
        self._channel = channel
        self.stub = pb_grpc.EnvironmentStub(channel)
        # StepBatch with a pre-encoded request (bytes in, proto out).
        self._step_raw = channel.unary_unary(
            "/clinsim.v1.Environment/StepBatch", request_serializer=None,
            response_deserializer=pb.StepBatchResponse.FromString)
        self.spec: pb.Spec = self._call(self.stub.GetSpec, pb.GetSpecRequest())
        self._max_batch = max(1, self.spec.limits.max_batch_items or 1024)
        n = num_envs
        self._ids: List[Optional[str]] = [None] * n
        self._id_parts: List[Optional[bytes]] = [None] * n
        self._seeds: List[Optional[int]] = [None] * n
        self._cases: List[str] = [""] * n
        self._episode_count = [0] * n
        self._done = [False] * n
        self._base_seed: Optional[int] = None
        self._options_proto = cv.options_to_proto(self._options)
        self._all_cases: Optional[List[str]] = None
        self._action_parts: Dict[str, bytes] = {}
        self._closed = False

    # -- helpers ------------------------------------------------------------------------------
    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise error_from_rpc(e) from None

    @property
    def episode_ids(self) -> List[Optional[str]]:
        """The live episode id of each env (None: ended without autoreset, or failed)."""
        return list(self._ids)

    @property
    def done(self) -> List[bool]:
        """Whether each env's episode has ended (only ever true with ``autoreset=False``)."""
        return list(self._done)

    def _action_part(self, a: ActionLike) -> bytes:
        if type(a) is str:
            part = self._action_parts.get(a)
            if part is None:
                part = _len_field(_ACTION_TAG, pb.Action(text=a).SerializeToString())
                if len(self._action_parts) < 4096:
                    self._action_parts[a] = part
            return part
        return _len_field(_ACTION_TAG, to_action_proto(a).SerializeToString())

    def _case_for(self, i: int, k: int) -> str:
        n, g = self.num_envs, self.group_size
        if g:
            j = i // g
            if self.case_ids is not None:
                return self.case_ids[(j + (n // g) * k) % len(self.case_ids)]
            if self._all_cases is None:
                r = self._call(self.stub.ListCases, pb.ListCasesRequest())
                self._all_cases = [c.id for c in r.cases]
                if not self._all_cases:
                    raise FailedPrecondition("the server lists no cases")
            group_seed = (self._base_seed + j * g + n * k) & _M64
            return self._all_cases[splitmix64(group_seed) % len(self._all_cases)]
        if self.case_ids is not None:
            return self.case_ids[(i + n * k) % len(self.case_ids)]
        return ""

    def _new_infos(self) -> Dict[str, list]:
        n = self.num_envs
        infos: Dict[str, list] = {"episode_id": list(self._ids), "seed": list(self._seeds),
                                  "case_id": list(self._cases)}
        if self.obs_format == "dict":
            for k in _STEP_KEYS:
                infos[k] = [None] * n
        else:
            infos["response"] = [None] * n
        return infos

    def _start(self, indices: List[int], obs: list, infos: Dict[str, list],
               errors: List[ClinsimError]) -> None:
        """ResetBatch for ``indices`` (their next episode), writing obs and infos in place."""
        opts = self._options_proto
        dict_mode = self.obs_format == "dict"
        for lo in range(0, len(indices), self._max_batch):
            chunk = indices[lo:lo + self._max_batch]
            req = pb.ResetBatchRequest()
            add = req.items.add
            for i in chunk:
                seed = (self._base_seed + i + self.num_envs * self._episode_count[i]) & _M64
                case = self._case_for(i, self._episode_count[i])
                self._seeds[i] = seed
                self._cases[i] = case
                add(case_id=case, seed=seed, options=opts)
            resp = self._call(self.stub.ResetBatch, req)
            for i, item in zip(chunk, resp.items):
                st = item.status
                if st.code:
                    self._ids[i] = self._id_parts[i] = None
                    self._done[i] = True
                    errors.append(error_from_status(st.code, st.message, i))
                    obs[i] = None
                    infos["episode_id"][i] = None
                    continue
                r = item.response
                eid = r.episode_id
                self._ids[i] = eid
                self._id_parts[i] = _len_field(_ID_TAG, eid.encode())
                self._done[i] = False
                infos["episode_id"][i] = eid
                infos["seed"][i] = r.seed
                infos["case_id"][i] = r.case_id
                if dict_mode:
                    obs[i] = cv.obs_to_dict(r.observation)
                    infos["turn"][i] = 0
                    infos["cost_usd"][i] = 0.0
                    infos["step_cost_usd"][i] = 0.0
                    infos["action_kind"][i] = "reset"
                    infos["parsed_action"][i] = ""
                    infos["errors"][i] = []
                    infos["reward_breakdown"][i] = {}
                else:
                    obs[i] = r.observation
                    infos["response"][i] = r

    def _close_ids(self, ids: List[str]) -> None:
        """Closes episodes concurrently, ignoring failures (already gone)."""
        fs = [self.stub.Close.future(pb.CloseRequest(episode_id=e), timeout=self.timeout)
              for e in ids if e]
        for f in fs:
            try:
                f.result()
            except grpc.RpcError:
                pass

    # -- gymnasium vector API -----------------------------------------------------------------
    def reset(self, seed: Optional[int] = None,
              options: cv.OptionsLike = None) -> Tuple[list, Dict[str, list]]:
        """Closes every live episode and starts ``num_envs`` new ones (one ``ResetBatch``).

        Args:
            seed: the base seed: env i plays ``seed + i``. None: continue the sequence of the
                previous reset (``seed + i + num_envs * k``), or draw a random base the first time.
            options: episode options replacing the constructor's (merged over them,
                ``reward_weights`` key by key) for this reset and the autoresets that follow.

        Returns ``(obs, infos)``; per-item failures raise after all envs were processed.
        """
        if options is not None:
            opt_case, opts = cv.split_options(options)
            if opt_case is not None:
                raise ValueError("VectorEnv.reset options may not hold case_id; use case_ids=")
            self._options_proto = cv.options_to_proto(cv.merge_options(self._options, opts))
        if seed is not None:
            self._base_seed = int(seed)
            self._episode_count = [0] * self.num_envs
        elif self._base_seed is None:
            self._base_seed = random.SystemRandom().getrandbits(32)
            self._episode_count = [0] * self.num_envs
        else:
            # A live episode is abandoned: the env moves on to its next one. An ended episode
            # already advanced its env's count when it ended.
            self._episode_count = [c + 1 if self._ids[i] is not None else c
                                   for i, c in enumerate(self._episode_count)]
        self._close_ids([e for e in self._ids if e])
        self._ids = [None] * self.num_envs
        self._id_parts = [None] * self.num_envs
        obs: list = [None] * self.num_envs
        infos = self._new_infos()
        errors: List[ClinsimError] = []
        self._start(list(range(self.num_envs)), obs, infos, errors)
        if errors:
            raise batch_error(errors, (obs, infos))
        return obs, infos

    def step(self, actions: Sequence[Optional[ActionLike]]):
        """Plays one action per env in one ``StepBatch`` RPC.

        Args:
            actions: ``num_envs`` actions (tagged strings, helpers, dicts or protos; see
                :mod:`clinsim.actions`), or ``None`` for an env that should not move this step.

        Returns ``(obs, rewards, terminated, truncated, infos)`` as described in the module
        docstring (autoreset, final observation/info with the score, per-item errors).
        """
        n = self.num_envs
        if len(actions) != n:
            raise ValueError(f"step() needs {n} actions (None to skip an env), got {len(actions)}")
        id_parts = self._id_parts
        active: List[int] = []
        parts: List[bytes] = []
        cache = self._action_parts
        flags = _FLAGS_SCORE_AND_CLOSE if self.fetch_scores else _FLAGS_CLOSE
        self._scores = {}
        for i, a in enumerate(actions):
            if a is None:
                continue
            ip = id_parts[i]
            if ip is None:
                if self._done[i]:
                    raise FailedPrecondition(
                        "episode has ended; pass None as its action or call reset()", index=i)
                raise FailedPrecondition("no episode: call reset() first", index=i)
            ap = cache.get(a) if type(a) is str else None
            if ap is None:
                ap = self._action_part(a)
            m = len(ip) + len(ap) + len(flags)
            parts.append((bytes((_ITEM_TAG, m)) if m < 0x80 else bytes((_ITEM_TAG,)) + _varint(m))
                         + ip + ap + flags)
            active.append(i)

        obs: list = [None] * n
        rewards = [0.0] * n
        terminated = [False] * n
        truncated = [False] * n
        infos = self._new_infos()
        errors: List[ClinsimError] = []
        ended: List[int] = []
        mb = self._max_batch
        for lo in range(0, len(active), mb):
            chunk = active[lo:lo + mb]
            resp = self._call(self._step_raw, b"".join(parts[lo:lo + mb]))
            if self.obs_format == "dict":
                self._convert_dict(chunk, resp, obs, rewards, terminated, truncated, infos,
                                   errors, ended)
            else:
                self._convert_proto(chunk, resp, obs, rewards, terminated, truncated, infos,
                                    errors, ended)
        if ended:
            self._finish(ended, obs, infos, errors)
        result = (obs, rewards, terminated, truncated, infos)
        if errors:
            errors.sort(key=lambda e: e.index)
            raise batch_error(errors, result)
        return result

    def _convert_dict(self, chunk, resp, obs, rewards, terminated, truncated, infos, errors,
                      ended) -> None:
        turn = infos["turn"]
        cost = infos["cost_usd"]
        step_cost = infos["step_cost_usd"]
        kind = infos["action_kind"]
        parsed = infos["parsed_action"]
        errs = infos["errors"]
        rbs = infos["reward_breakdown"]
        finding_to_dict = cv.finding_to_dict
        for i, item in zip(chunk, resp.items):
            code = item.status.code
            if code:
                errors.append(error_from_status(code, item.status.message, i))
                continue
            r = item.response
            o = r.observation
            fs = o.findings
            obs[i] = {
                "messages": [{"role": m.role, "content": m.content} for m in o.messages],
                "findings": [finding_to_dict(f) for f in fs] if fs else [],
            }
            rewards[i] = r.reward
            inf = r.info
            turn[i] = inf.turn
            cost[i] = inf.total_cost_usd
            step_cost[i] = inf.step_cost_usd
            kind[i] = inf.action_kind
            parsed[i] = inf.parsed_action
            e = inf.errors
            errs[i] = list(e) if e else []
            b = r.reward_breakdown
            rbs[i] = {"diagnosis": b.diagnosis, "rubric": b.rubric, "cost": b.cost,
                      "discomfort": b.discomfort, "turns": b.turns,
                      "invalid_actions": b.invalid_actions,
                      "information_gain": b.information_gain}
            if r.terminated or r.truncated:
                if r.terminated:
                    terminated[i] = True
                else:
                    truncated[i] = True
                ended.append(i)
                if r.HasField("score"):
                    self._scores[i] = r.score

    def _convert_proto(self, chunk, resp, obs, rewards, terminated, truncated, infos, errors,
                       ended) -> None:
        responses = infos["response"]
        for i, item in zip(chunk, resp.items):
            code = item.status.code
            if code:
                errors.append(error_from_status(code, item.status.message, i))
                continue
            r = item.response
            obs[i] = r.observation
            responses[i] = r
            rewards[i] = r.reward
            if r.terminated or r.truncated:
                if r.terminated:
                    terminated[i] = True
                else:
                    truncated[i] = True
                ended.append(i)
                if r.HasField("score"):
                    self._scores[i] = r.score

    def _finish(self, ended: List[int], obs: list, infos: Dict[str, list],
                errors: List[ClinsimError]) -> None:
        """Final observations/infos and scores of the envs that ended; close; autoreset."""
        n = self.num_envs
        keys = list(infos)
        final_obs: list = [None] * n
        final_info: list = [None] * n
        mask = [False] * n
        for i in ended:
            final_obs[i] = obs[i]
            final_info[i] = {k: infos[k][i] for k in keys}
            mask[i] = True
        if self.fetch_scores:
            for i in ended:  # the server sent them with the step (include_score)
                final_info[i]["score"] = cv.ScoreDict(self._scores[i])
        # The server already freed them (close_on_end).
        for i in ended:
            self._episode_count[i] += 1
            self._ids[i] = self._id_parts[i] = None
            self._done[i] = True
        infos["final_observation"] = final_obs
        infos["_final_observation"] = mask
        infos["final_info"] = final_info
        infos["_final_info"] = list(mask)
        if self.autoreset:
            self._start(ended, obs, infos, errors)

    def close(self) -> None:
        """Closes every live episode (concurrently, best effort) and the channel if owned."""
        if self._closed:
            return
        self._closed = True
        try:
            self._close_ids([e for e in self._ids if e])
        finally:
            self._ids = [None] * self.num_envs
            self._id_parts = [None] * self.num_envs
            if self._own_channel:
                self._channel.close()

    def __enter__(self) -> "VectorEnv":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self.num_envs

    def __repr__(self) -> str:
        return (f"VectorEnv(target={self.target!r}, num_envs={self.num_envs}, "
                f"group_size={self.group_size}, autoreset={self.autoreset})")
