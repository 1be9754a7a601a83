"""Python client for clinsim, the clinical consultation simulator served by ``clinsim serve``
over gRPC (package ``clinsim.v1``; see proto/clinsim/v1/environment.proto and doctor.proto).

* :class:`Env`: one episode at a time, gymnasium conventions (``reset``, ``step``, ``close``).
* :class:`VectorEnv`: many envs in one ``StepBatch`` RPC per step, autoreset, group rollouts.
* :class:`AsyncEnv`: :class:`Env` on ``grpc.aio``.
* :func:`serve_doctor`: serve a policy as the ``clinsim.v1.Doctor`` service for
  ``clinsim bench --doctor grpc://HOST:PORT``.
* :func:`start_server`: launch ``clinsim serve`` on a free port (tests, examples).
* :class:`Ask`, :class:`Examine`, :class:`Order`, :class:`Diagnose`: structured actions.
* :func:`open_channel`, :func:`open_aio_channel`: TLS and bearer tokens.
* :class:`ClinsimError` and its subclasses (one per gRPC status code the server uses).

The generated stubs are ``clinsim.v1.environment_pb2`` (+``_grpc``) and ``clinsim.v1.doctor_pb2``
(+``_grpc``); the build writes them next to this package. Only the standard library, grpcio and
protobuf are needed.
"""

from clinsim._convert import ScoreDict
from clinsim.actions import Ask, Diagnose, Examine, Order, to_action_proto
from clinsim.async_env import AsyncEnv
from clinsim.channels import open_aio_channel, open_channel
from clinsim.doctor_service import DoctorServicer, serve_doctor
from clinsim.env import Env
from clinsim.errors import (Cancelled, ClinsimError, DeadlineExceeded, FailedPrecondition,
                            Internal, InvalidArgument, NotFound, ResourceExhausted, Unauthenticated,
                            Unavailable, Unimplemented)
from clinsim.server import (ServerProcess, ServerStartError, find_binary, health_check,
                            list_services, start_server)
from clinsim.vector_env import VectorEnv
from clinsim.v1 import doctor_pb2, environment_pb2

__version__ = "0.1.0"

__all__ = [
    "Env", "VectorEnv", "AsyncEnv", "ScoreDict", "open_channel", "open_aio_channel",
    "Ask", "Examine", "Order", "Diagnose", "to_action_proto",
    "serve_doctor", "DoctorServicer",
    "start_server", "ServerProcess", "ServerStartError", "find_binary", "health_check",
    "list_services",
    "ClinsimError", "InvalidArgument", "NotFound", "FailedPrecondition", "ResourceExhausted",
    "Unavailable", "DeadlineExceeded", "Cancelled", "Internal", "Unimplemented", "Unauthenticated",
    "environment_pb2", "doctor_pb2",
]
