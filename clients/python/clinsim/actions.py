"""Actions: small helpers for the four structured actions, and conversion of anything a caller
may pass as an action into a ``clinsim.v1.Action``.

An action may be given as

* a tagged string, parsed by the server (grammar in ``Spec.action_grammar``)::

      "ASK: When did it start?"        "EXAMINE: heart, lungs"      "ORDER: ecg, troponin"
      "DIAGNOSIS: inferior STEMI\\nICD10: I21.19\\nDIFFERENTIAL: aortic dissection\\nCONFIDENCE: 0.8"

  (untagged text is a question to the patient);
* a helper: ``Ask(q)``, ``Examine("heart, lungs")`` or ``Examine(["heart", "lungs"])``,
  ``Order(["ecg", "troponin"])``, ``Diagnose(dx, icd10=None, differential=None, confidence=None)``;
* a dict with one action key: ``{"ask": q}``, ``{"examine": "heart"}``,
  ``{"order": ["cbc"]}``, ``{"diagnose": dx, "icd10": ..., "differential": [...],
  "confidence": 0.8}`` (or ``{"diagnose": {"diagnosis": dx, ...}}``), ``{"text": "ASK: ..."}``;
* a ``clinsim.v1.Action`` proto, used as is.

The structured and the tagged forms are equivalent: ``Order(["ecg", "troponin"])`` and
``"ORDER: ecg, troponin"`` play the same turn.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Union

from clinsim.v1 import environment_pb2 as pb

__all__ = ["Ask", "Examine", "Order", "Diagnose", "to_action_proto", "ActionLike"]


class _Action:
    __slots__ = ("_proto",)

    def to_proto(self) -> pb.Action:
        """The ``clinsim.v1.Action`` (built once, then reused: do not mutate it)."""
        p = self._proto
        if p is None:
            p = self._proto = self._build()
        return p

    def _build(self) -> pb.Action:  # pragma: no cover - abstract
        raise NotImplementedError

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Action) and self.to_proto() == other.to_proto()

    def __hash__(self) -> int:
        return hash(self.to_proto().SerializeToString(deterministic=True))


class Ask(_Action):
    """Ask the patient one or more questions: ``Ask("When did it start? Any fever?")``."""
    __slots__ = ("question",)

    def __init__(self, question: str):
        self.question = question
        self._proto = None

    def _build(self) -> pb.Action:
        return pb.Action(ask=pb.Ask(question=self.question))

    def __str__(self) -> str:
        return f"ASK: {self.question}"

    def __repr__(self) -> str:
        return f"Ask({self.question!r})"


class Examine(_Action):
    """Examine one or more systems: ``Examine("heart, lungs")`` or ``Examine(["heart", "lungs"])``."""
    __slots__ = ("system",)

    def __init__(self, system: Union[str, Sequence[str]]):
        self.system = system if isinstance(system, str) else ", ".join(system)
        self._proto = None

    def _build(self) -> pb.Action:
        return pb.Action(examine=pb.Examine(system=self.system))

    def __str__(self) -> str:
        return f"EXAMINE: {self.system}"

    def __repr__(self) -> str:
        return f"Examine({self.system!r})"


class Order(_Action):
    """Order tests, all in one turn: ``Order(["ecg", "troponin"])`` (a single name may be a str)."""
    __slots__ = ("tests",)

    def __init__(self, tests: Union[str, Iterable[str]]):
        self.tests = [tests] if isinstance(tests, str) else list(tests)
        self._proto = None

    def _build(self) -> pb.Action:
        return pb.Action(order=pb.Order(tests=self.tests))

    def __str__(self) -> str:
        return "ORDER: " + ", ".join(self.tests)

    def __repr__(self) -> str:
        return f"Order({self.tests!r})"


class Diagnose(_Action):
    """Commit to a diagnosis; ends the episode.

    ``Diagnose("inferior STEMI", icd10="I21.19", differential=["aortic dissection"],
    confidence=0.8)``; ``confidence`` must be in [0, 1].
    """
    __slots__ = ("diagnosis", "icd10", "differential", "confidence")

    def __init__(self, diagnosis: str, icd10: Optional[str] = None,
                 differential: Optional[Iterable[str]] = None, confidence: Optional[float] = None):
        self.diagnosis = diagnosis
        self.icd10 = icd10 or ""
        self.differential = [differential] if isinstance(differential, str) else list(differential or ())
        self.confidence = confidence
        self._proto = None

    def _build(self) -> pb.Action:
        d = pb.Diagnose(diagnosis=self.diagnosis, icd10=self.icd10, differential=self.differential)
        if self.confidence is not None:
            d.confidence = float(self.confidence)
        return pb.Action(diagnose=d)

    def __str__(self) -> str:
        s = f"DIAGNOSIS: {self.diagnosis}"
        if self.icd10:
            s += f"\nICD10: {self.icd10}"
        if self.differential:
            s += "\nDIFFERENTIAL: " + "; ".join(self.differential)
        if self.confidence is not None:
            s += f"\nCONFIDENCE: {self.confidence}"
        return s

    def __repr__(self) -> str:
        return (f"Diagnose({self.diagnosis!r}, icd10={self.icd10!r}, "
                f"differential={self.differential!r}, confidence={self.confidence!r})")


ActionLike = Union[str, _Action, dict, pb.Action]

_DIAG_KEYS = {"diagnose", "diagnosis", "icd10", "differential", "confidence"}


def _from_dict(d: dict) -> pb.Action:
    keys = set(d)
    if len(keys) == 1:
        (k, v), = d.items()
        if k == "text":
            return pb.Action(text=v)
        if k == "ask":
            return Ask(v).to_proto()
        if k == "examine":
            return Examine(v).to_proto()
        if k == "order":
            return Order(v).to_proto()
    if keys and keys <= _DIAG_KEYS and ("diagnose" in keys or "diagnosis" in keys):
        dx = d.get("diagnose", d.get("diagnosis"))
        if isinstance(dx, dict):
            if len(keys) != 1 or not set(dx) <= _DIAG_KEYS - {"diagnose"}:
                raise ValueError(f"action dict {d!r}: use {{'diagnose': {{'diagnosis': ..., 'icd10': "
                                 "..., 'differential': [...], 'confidence': ...}}")
            return Diagnose(dx.get("diagnosis", ""), icd10=dx.get("icd10"),
                            differential=dx.get("differential"),
                            confidence=dx.get("confidence")).to_proto()
        if "diagnose" in keys and "diagnosis" in keys:
            raise ValueError(f"action dict {d!r} has both 'diagnose' and 'diagnosis'")
        return Diagnose(dx, icd10=d.get("icd10"), differential=d.get("differential"),
                        confidence=d.get("confidence")).to_proto()
    raise ValueError(
        f"action dict {d!r} must hold one of 'ask', 'examine', 'order', 'text', or 'diagnose' "
        "(with optional 'icd10', 'differential', 'confidence')")


# Tagged strings are usually drawn from a small set (policies that cycle questions, LLM replies
# are the exception); caching their protos saves building one per step.
_TEXT_CACHE: dict = {}
_TEXT_CACHE_MAX = 4096


def to_action_proto(action: ActionLike) -> pb.Action:
    """A ``clinsim.v1.Action`` for any accepted action form (see the module docstring).

    The returned proto may be shared (cached): copy it before mutating it.
    """
    if isinstance(action, str):
        p = _TEXT_CACHE.get(action)
        if p is None:
            p = pb.Action(text=action)
            if len(_TEXT_CACHE) < _TEXT_CACHE_MAX and len(action) <= 512:
                _TEXT_CACHE[action] = p
        return p
    if isinstance(action, _Action):
        return action.to_proto()
    if isinstance(action, pb.Action):
        return action
    if isinstance(action, dict):
        return _from_dict(action)
    raise TypeError(f"an action must be a tagged str, Ask/Examine/Order/Diagnose, a dict or a "
                    f"clinsim.v1.Action, not {type(action).__name__}")
