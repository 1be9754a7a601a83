"""Conversions between clinsim.v1 protos and the plain Python values the envs return.

Kept free of classes and with the hot paths written out field by field: these run once per env
per step in :class:`clinsim.VectorEnv`.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from clinsim.v1 import environment_pb2 as pb

OPTION_FIELDS = tuple(f.name for f in pb.EpisodeOptions.DESCRIPTOR.fields)
WEIGHT_FIELDS = tuple(f.name for f in pb.RewardWeights.DESCRIPTOR.fields)
OptionsLike = Union[None, Mapping[str, Any], pb.EpisodeOptions]

# Channel arguments: large responses (scores with many rubric items, big batches) must fit.
CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
)


def normalize_target(target: Any) -> str:
    """``HOST:PORT`` from ``"HOST:PORT"``, ``"grpc://HOST:PORT"`` or an object with ``.target``."""
    t = getattr(target, "target", target)
    if not isinstance(t, str):
        raise TypeError(f"target must be 'HOST:PORT' or have a .target, not {type(target).__name__}")
    if t.startswith("grpc://"):
        t = t[len("grpc://"):]
    return t


def split_options(options: OptionsLike) -> Tuple[Optional[str], Dict[str, Any]]:
    """(case_id or None, the episode options as a dict) from a reset options dict or proto."""
    if options is None:
        return None, {}
    if isinstance(options, pb.EpisodeOptions):
        return None, {"_proto": options}
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict or a clinsim.v1.EpisodeOptions, not "
                        f"{type(options).__name__}")
    d = dict(options)
    case_id = d.pop("case_id", None)
    unknown = [k for k in d if k not in OPTION_FIELDS]
    if unknown:
        raise ValueError(f"unknown episode option(s) {unknown}; options are 'case_id' and "
                         f"{list(OPTION_FIELDS)}")
    if "reward_weights" in d and isinstance(d["reward_weights"], Mapping):
        bad = [k for k in d["reward_weights"] if k not in WEIGHT_FIELDS]
        if bad:
            raise ValueError(f"unknown reward weight(s) {bad}; weights are {list(WEIGHT_FIELDS)}")
    return case_id, d


def merge_options(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    """``override`` over ``base``; reward_weights dicts are merged key by key."""
    if "_proto" in override:
        return override
    if "_proto" in base:
        base = {k: v for k, v in _proto_to_option_dict(base["_proto"]).items()}
    out = dict(base)
    for k, v in override.items():
        if (k == "reward_weights" and isinstance(v, Mapping)
                and isinstance(out.get(k), Mapping)):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def _proto_to_option_dict(p: pb.EpisodeOptions) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    for f, v in p.ListFields():
        if f.name == "reward_weights":
            d[f.name] = {wf.name: wv for wf, wv in v.ListFields()}
        else:
            d[f.name] = v
    return d


def options_to_proto(d: Dict[str, Any]) -> pb.EpisodeOptions:
    """The ``clinsim.v1.EpisodeOptions`` for an options dict (unset keys: server defaults)."""
    if "_proto" in d:
        return d["_proto"]
    p = pb.EpisodeOptions()
    for k, v in d.items():
        if v is None:
            continue
        if k == "reward_weights":
            if isinstance(v, pb.RewardWeights):
                p.reward_weights.CopyFrom(v)
            else:
                for wk, wv in v.items():
                    if wv is not None:
                        setattr(p.reward_weights, wk, float(wv))
        elif k in ("budget_usd", "visit_fee_usd"):
            setattr(p, k, float(v))
        else:
            setattr(p, k, v)
    return p


def finding_to_dict(f: pb.Finding) -> Dict[str, Any]:
    return {
        "kind": f.kind,
        "name": f.name,
        "catalog_id": f.catalog_id,
        "result": f.result,
        "abnormal": f.abnormal,
        "value": f.value if f.HasField("value") else None,
        "unit": f.unit,
        "reference_range": f.reference_range,
        "cost_usd": f.cost_usd,
        "discomfort": f.discomfort,
    }


def obs_to_dict(o: pb.Observation) -> Dict[str, Any]:
    """``{"messages": [{"role", "content"}...], "findings": [finding dict...]}``."""
    fs = o.findings
    return {
        "messages": [{"role": m.role, "content": m.content} for m in o.messages],
        "findings": [finding_to_dict(f) for f in fs] if fs else [],
    }


def breakdown_to_dict(b: pb.RewardBreakdown) -> Dict[str, float]:
    return {
        "diagnosis": b.diagnosis,
        "rubric": b.rubric,
        "cost": b.cost,
        "discomfort": b.discomfort,
        "turns": b.turns,
        "invalid_actions": b.invalid_actions,
        "information_gain": b.information_gain,
    }


def step_info_dict(episode_id: str, seed: int, r: pb.StepResponse) -> Dict[str, Any]:
    """The ``info`` dict of one step."""
    i = r.info
    return {
        "episode_id": episode_id,
        "seed": seed,
        "turn": i.turn,
        "cost_usd": i.total_cost_usd,
        "step_cost_usd": i.step_cost_usd,
        "step_discomfort": i.step_discomfort,
        "visit_opened": i.visit_opened,
        "action_kind": i.action_kind,
        "parsed_action": i.parsed_action,
        "errors": list(i.errors),
        "reward_breakdown": breakdown_to_dict(r.reward_breakdown),
    }


def reset_info_dict(r: pb.ResetResponse) -> Dict[str, Any]:
    """The ``info`` dict of a reset (``case_id`` only when the request named the case)."""
    d = {
        "episode_id": r.episode_id,
        "seed": r.seed,
        "turn": 0,
        "cost_usd": 0.0,
        "max_turns": r.max_turns,
        "budget_usd": r.budget_usd,
    }
    if r.case_id:
        d["case_id"] = r.case_id
    return d


class ScoreDict(dict):
    """The evaluation of an ended episode: ``json.loads(Score.json)`` (the exact dict that
    ``clinsim bench --json`` writes per episode), with the ``clinsim.v1.Score`` proto as
    ``.proto`` (e.g. ``score.proto.rubric.items``)."""

    __slots__ = ("proto",)

    def __init__(self, proto: pb.Score):
        super().__init__(json.loads(proto.json) if proto.json else {})
        self.proto = proto
