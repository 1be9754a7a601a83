"""Serving a doctor agent as the ``clinsim.v1.Doctor`` service, so that
``clinsim bench --doctor grpc://HOST:PORT`` can benchmark it.

    def policy(request):            # a clinsim.v1.ActRequest
        if request.turn == 0:
            return "ASK: When did it start?"
        return clinsim.Diagnose("migraine")

    server, port = clinsim.serve_doctor(policy, "127.0.0.1:0")
    # build/clinsim bench --doctor grpc://127.0.0.1:PORT --case ... --seeds 3
    server.stop(grace=None)

For each turn of each episode bench sends an ``ActRequest``: ``episode_key`` (the same on every
turn of one episode), ``seed``, ``turn`` (turns used so far, 0 at the first call), ``history``
(every message so far, oldest first: the presentation, then for each turn the doctor's action in
tagged form and what it revealed), ``findings`` (all so far), ``last_observation``,
``last_info`` (how the previous action was understood; unset at turn 0), ``cost_usd``,
``max_turns`` and ``action_grammar``. The policy answers with one action in any form
:func:`clinsim.actions.to_action_proto` accepts (a tagged string, ``Ask``/``Examine``/``Order``/
``Diagnose``, a dict, a ``clinsim.v1.Action``) or a whole ``clinsim.v1.ActResponse``. An action
that does not parse is played as an invalid turn (the reason comes back in the next request's
``last_info.errors``). A policy that raises makes the call fail with INTERNAL, which fails the
bench run. The policy is called from a thread pool (``max_workers`` calls at once): keep it
thread-safe, ideally stateless (a function of the request).
"""

from __future__ import annotations

import traceback
from concurrent import futures
from typing import Any, Callable, Tuple

import grpc

from clinsim.actions import to_action_proto
from clinsim.v1 import doctor_pb2 as dpb
from clinsim.v1 import doctor_pb2_grpc as dpb_grpc

__all__ = ["serve_doctor", "DoctorServicer"]


class DoctorServicer(dpb_grpc.DoctorServicer):
    """A ``clinsim.v1.Doctor`` servicer around ``policy(request) -> action``."""

    def __init__(self, policy: Callable[[dpb.ActRequest], Any]):
        self.policy = policy

    def Act(self, request: dpb.ActRequest, context: grpc.ServicerContext) -> dpb.ActResponse:
        try:
            action = self.policy(request)
            if isinstance(action, dpb.ActResponse):
                return action
            return dpb.ActResponse(action=to_action_proto(action))
        except Exception as e:  # report the policy's failure to the caller, not just in a log
            context.abort(grpc.StatusCode.INTERNAL,
                          f"doctor policy failed: {e!r}\n{traceback.format_exc(limit=5)}"[:4000])


def serve_doctor(policy: Callable[[dpb.ActRequest], Any], address: str = "127.0.0.1:0",
                 max_workers: int = 8) -> Tuple[grpc.Server, int]:
    """Starts a ``clinsim.v1.Doctor`` gRPC server calling ``policy(request) -> action``.

    Args:
        policy: called once per turn with the ``clinsim.v1.ActRequest``.
        address: ``HOST:PORT`` to listen on; port 0 picks a free port.
        max_workers: threads answering calls (bench runs episodes on several threads).

    Returns ``(server, port)``: the started :class:`grpc.Server` (``server.stop(grace)`` ends it,
    ``server.wait_for_termination()`` blocks) and the port it listens on.
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers,
                                                    thread_name_prefix="clinsim-doctor"))
    dpb_grpc.add_DoctorServicer_to_server(DoctorServicer(policy), server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"cannot listen on {address}")
    server.start()
    return server, port
