"""Errors raised by the clinsim client.

Every failed call raises a subclass of :class:`ClinsimError` that carries the gRPC status code
(``err.code``, a :class:`grpc.StatusCode`; ``err.code_name``, e.g. ``"INVALID_ARGUMENT"``) and the
server's message (``err.message``). The subclass is chosen from the status code, so callers can
catch exactly what they expect::

    try:
        env.step("ASK: fever?\\nORDER: cbc")      # two actions in one message
    except clinsim.InvalidArgument as e:
        print(e.code_name, e.message)

The status codes the server uses (see proto/clinsim/v1/environment.proto):

=====================  ====================================================================
``InvalidArgument``    malformed request: no action, empty or oversized text, a tagged action
                       that does not parse, bad options (noise, persona, ranges)
``NotFound``           unknown or expired episode id, unknown case id
``FailedPrecondition`` Step after the episode ended; GetScore before it ended
``ResourceExhausted``  the server holds its maximum number of live episodes
``Unavailable``        the server is shutting down or cannot be reached
=====================  ====================================================================

Batch calls (:class:`clinsim.VectorEnv`) raise after the whole batch has been applied; the
exception then also has ``index`` (the first failing env), ``errors`` (every failure, as a list of
per-item errors with their own ``index``) and ``result`` (what the call would have returned, with
``None`` in the failed slots).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import grpc

__all__ = [
    "ClinsimError",
    "InvalidArgument",
    "NotFound",
    "FailedPrecondition",
    "ResourceExhausted",
    "Unavailable",
    "DeadlineExceeded",
    "Cancelled",
    "Internal",
    "Unimplemented",
    "error_from_rpc",
    "error_from_status",
]


class ClinsimError(Exception):
    """A failed clinsim call: a gRPC status code and the server's message.

    Attributes:
        code: the :class:`grpc.StatusCode`.
        code_name: its name, e.g. ``"NOT_FOUND"``.
        message: the server's message (``details()`` of the RPC error).
        index: for a per-item error of a batch call, the env index; otherwise ``None``.
        errors: for a batch call, every per-item error (each a ``ClinsimError`` with ``index``).
        result: for a batch call, the result with ``None`` in the failed slots.
    """

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str = "", code: Optional[grpc.StatusCode] = None,
                 index: Optional[int] = None):
        if code is not None:
            self.code = code
        self.message = message
        self.index = index
        self.errors: List["ClinsimError"] = []
        self.result: Any = None
        super().__init__(self._text())

    @property
    def code_name(self) -> str:
        return self.code.name

    def _text(self) -> str:
        where = "" if self.index is None else f"env {self.index}: "
        return f"{where}{self.code.name}: {self.message}"

    def __str__(self) -> str:  # kept in sync with errors added after construction
        text = self._text()
        if len(self.errors) > 1:
            text += f" (and {len(self.errors) - 1} more failed item(s): " + ", ".join(
                f"env {e.index} {e.code.name}" for e in self.errors[1:6]) + (
                    ", ..." if len(self.errors) > 6 else "") + ")"
        return text


class InvalidArgument(ClinsimError):
    """INVALID_ARGUMENT: the request is malformed (action, text, options)."""
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ClinsimError):
    """NOT_FOUND: unknown or expired episode, unknown case."""
    code = grpc.StatusCode.NOT_FOUND


class FailedPrecondition(ClinsimError):
    """FAILED_PRECONDITION: step after the end, score before the end."""
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(ClinsimError):
    """RESOURCE_EXHAUSTED: the server holds its maximum number of live episodes."""
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(ClinsimError):
    """UNAVAILABLE: the server is shutting down or cannot be reached."""
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(ClinsimError):
    """DEADLINE_EXCEEDED: the call took longer than the client's timeout."""
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Cancelled(ClinsimError):
    """CANCELLED: the call was cancelled."""
    code = grpc.StatusCode.CANCELLED


class Internal(ClinsimError):
    """INTERNAL: a server-side bug."""
    code = grpc.StatusCode.INTERNAL


class Unauthenticated(ClinsimError):
    """UNAUTHENTICATED: the server needs a bearer token (see :func:`clinsim.open_channel`)."""
    code = grpc.StatusCode.UNAUTHENTICATED


class Unimplemented(ClinsimError):
    """UNIMPLEMENTED: the server does not offer this RPC."""
    code = grpc.StatusCode.UNIMPLEMENTED


_BY_CODE: Dict[grpc.StatusCode, type] = {
    c.code: c for c in (InvalidArgument, NotFound, FailedPrecondition, ResourceExhausted,
                        Unavailable, DeadlineExceeded, Cancelled, Internal, Unimplemented,
                        Unauthenticated)
}
_CODE_BY_INT: Dict[int, grpc.StatusCode] = {c.value[0]: c for c in grpc.StatusCode}


def _make(code: grpc.StatusCode, message: str, index: Optional[int] = None) -> ClinsimError:
    cls = _BY_CODE.get(code)
    if cls is None:
        return ClinsimError(message, code=code, index=index)
    return cls(message, index=index)


def error_from_rpc(err: grpc.RpcError) -> ClinsimError:
    """The :class:`ClinsimError` for a :class:`grpc.RpcError` (sync or asyncio)."""
    try:
        code = err.code()
        details = err.details() or ""
    except Exception:  # not a call object: e.g. a bare RpcError
        code, details = grpc.StatusCode.UNKNOWN, str(err)
    if code is None:
        code = grpc.StatusCode.UNKNOWN
    return _make(code, details)


def error_from_status(code: int, message: str, index: Optional[int] = None) -> ClinsimError:
    """The :class:`ClinsimError` for a per-item ``clinsim.v1.Status`` (``code`` as an int)."""
    return _make(_CODE_BY_INT.get(code, grpc.StatusCode.UNKNOWN), message, index)


def batch_error(errors: List[ClinsimError], result: Any) -> ClinsimError:
    """One exception for the per-item failures of a batch call, of the first failure's class."""
    first = errors[0]
    exc = _make(first.code, first.message, first.index)
    exc.errors = list(errors)
    exc.result = result
    exc.args = (str(exc),)
    return exc
