"""Starting a ``clinsim serve`` process, and the gRPC health and reflection services.

    server = clinsim.start_server(args=["--max-episodes", "1000"])
    try:
        env = clinsim.Env(server.target)
        ...
    finally:
        server.stop()

or ``with clinsim.start_server() as server: ...``. The server listens on 127.0.0.1 with a port
the OS picks; :func:`start_server` reads the port from the server's first stdout line and waits
until the health service says SERVING.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from typing import List, Optional, Sequence

import grpc

from clinsim import _convert as cv

__all__ = ["start_server", "ServerProcess", "ServerStartError", "find_binary", "health_check",
           "list_services"]

_LISTEN_RE = re.compile(r"listening on (\S+):(\d+)")
_LIVE: "weakref.WeakSet[ServerProcess]" = weakref.WeakSet()


class ServerStartError(RuntimeError):
    """``clinsim serve`` did not start: the message holds its output and stderr."""


def find_binary(binary: Optional[str] = None) -> str:
    """The ``clinsim`` program: ``binary`` if given; else ``$CLINSIM_BIN``; else ``build/clinsim``
    in the working directory; else ``build/clinsim`` in the repository holding this package."""
    if binary:
        return binary
    env = os.environ.get("CLINSIM_BIN")
    if env:
        return env
    if os.path.exists(os.path.join("build", "clinsim")):
        return os.path.join("build", "clinsim")
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    return os.path.join(repo, "build", "clinsim")


def health_check(target, service: str = "", timeout: float = 2.0) -> str:
    """The serving status (``"SERVING"``, ``"NOT_SERVING"``, ...) from ``grpc.health.v1.Health/
    Check``; raises :class:`grpc.RpcError` when the server cannot answer. Uses the
    ``grpc_health`` package when installed, else built-in minimal messages."""
    target = cv.normalize_target(target)
    try:
        from grpc_health.v1 import health_pb2 as hpb  # type: ignore
        req_cls, resp_cls = hpb.HealthCheckRequest, hpb.HealthCheckResponse
    except ImportError:
        from clinsim import _wellknown as hpb  # type: ignore
        req_cls, resp_cls = hpb.HealthCheckRequest, hpb.HealthCheckResponse
    with grpc.insecure_channel(target) as ch:
        check = ch.unary_unary("/grpc.health.v1.Health/Check",
                               request_serializer=req_cls.SerializeToString,
                               response_deserializer=resp_cls.FromString)
        resp = check(req_cls(service=service), timeout=timeout)
        enum = resp_cls.DESCRIPTOR.fields_by_name["status"].enum_type
        value = enum.values_by_number.get(resp.status)
        return value.name if value is not None else str(resp.status)


def list_services(target, timeout: float = 5.0) -> List[str]:
    """The service names the server lists through gRPC reflection (v1alpha)."""
    target = cv.normalize_target(target)
    try:
        from grpc_reflection.v1alpha import reflection_pb2 as rpb  # type: ignore
    except ImportError:
        from clinsim import _wellknown as rpb  # type: ignore
    with grpc.insecure_channel(target) as ch:
        info = ch.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=rpb.ServerReflectionRequest.SerializeToString,
            response_deserializer=rpb.ServerReflectionResponse.FromString)
        names: List[str] = []
        for resp in info(iter([rpb.ServerReflectionRequest(list_services="*")]), timeout=timeout):
            if resp.HasField("error_response"):
                raise RuntimeError(f"reflection error {resp.error_response.error_code}: "
                                   f"{resp.error_response.error_message}")
            names.extend(s.name for s in resp.list_services_response.service)
        return names


class ServerProcess:
    """A running ``clinsim serve``: ``.target`` ("127.0.0.1:PORT"), ``.port``, ``.process``
    (the :class:`subprocess.Popen`), ``.stdout_lines`` (what it printed), ``.stderr()``, and
    ``.stop()``. Also a context manager (stops on exit)."""

    def __init__(self, process: subprocess.Popen, host: str, port: int, stderr_file,
                 stdout_lines: List[str]):
        self.process = process
        self.host = host
        self.port = port
        self.target = f"{host}:{port}"
        self.stdout_lines = stdout_lines
        self._stderr_file = stderr_file
        self.returncode: Optional[int] = None
        _LIVE.add(self)

    def stderr(self) -> str:
        """What the server wrote to stderr so far."""
        try:
            self._stderr_file.seek(0)
            return self._stderr_file.read().decode("utf-8", "replace")
        except (ValueError, OSError):
            return ""

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait up to ``timeout`` s (then SIGKILL); returns the exit status."""
        p = self.process
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.returncode = p.returncode
        try:
            self._stderr_file.close()
        except OSError:
            pass
        _LIVE.discard(self)
        return p.returncode

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServerProcess(target={self.target!r}, pid={self.process.pid})"


def _drain(stream, first: "queue.Queue[Optional[str]]", lines: List[str]) -> None:
    sent = False
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        if not sent:
            first.put(line)
            sent = True
    if not sent:
        first.put(None)
    stream.close()


def start_server(binary: Optional[str] = None, args: Sequence[str] = (), timeout: float = 30.0,
                 binary_wait: float = 0.0, env: Optional[dict] = None) -> ServerProcess:
    """Launches ``BINARY serve --address 127.0.0.1:0 ARGS...`` and returns a :class:`ServerProcess`
    once it is listening and its health service says SERVING.

    Args:
        binary: the ``clinsim`` program (default: :func:`find_binary`).
        args: more ``serve`` flags, e.g. ``["--max-episodes", "3"]``; an ``--address`` here
            replaces the default one.
        timeout: seconds to wait for the listening line and for SERVING.
        binary_wait: seconds to wait for the binary to appear (e.g. while a build relinks it).
        env: the environment of the process (default: this one's).

    Raises :class:`ServerStartError` (with the server's stdout and stderr) when it fails.
    """
    binary = find_binary(binary)
    deadline = time.monotonic() + binary_wait
    while not os.path.exists(binary) and time.monotonic() < deadline:
        time.sleep(1.0)
    if not os.path.exists(binary):
        raise ServerStartError(f"no clinsim binary at '{binary}' (build it, or set CLINSIM_BIN)")
    args = [str(a) for a in args]
    cmd = [binary, "serve"]
    if not any(a == "--address" or a.startswith("--address=") for a in args):
        cmd += ["--address", "127.0.0.1:0"]
    cmd += args
    stderr_file = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr_file,
                            stdin=subprocess.DEVNULL, env=env)
    lines: List[str] = []
    first: "queue.Queue[Optional[str]]" = queue.Queue()
    threading.Thread(target=_drain, args=(proc.stdout, first, lines), daemon=True,
                     name=f"clinsim-serve-{proc.pid}-stdout").start()

    def fail(why: str) -> ServerStartError:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        stderr_file.seek(0)
        err = stderr_file.read().decode("utf-8", "replace").strip()
        stderr_file.close()
        return ServerStartError(
            f"{why}\n  command: {' '.join(cmd)}\n  exit status: {proc.returncode}\n"
            f"  stdout: {lines!r}\n  stderr: {err or '(empty)'}")

    t0 = time.monotonic()
    try:
        line = first.get(timeout=timeout)
    except queue.Empty:
        raise fail(f"clinsim serve printed no listening line within {timeout:g} s") from None
    if line is None:
        raise fail("clinsim serve exited before printing its listening line")
    m = _LISTEN_RE.search(line)
    if not m:
        raise fail(f"cannot parse the port from clinsim serve's first line {line!r}")
    server = ServerProcess(proc, m.group(1), int(m.group(2)), stderr_file, lines)
    status = None
    while True:
        try:
            status = health_check(server.target, timeout=1.0)
            if status == "SERVING":
                return server
        except grpc.RpcError as e:
            status = f"{e.code().name}: {e.details()}"
        if proc.poll() is not None or time.monotonic() - t0 > timeout:
            _LIVE.discard(server)
            raise fail(f"clinsim serve at {server.target} is not SERVING (last health: {status})")
        time.sleep(0.05)


@atexit.register
def _stop_all() -> None:  # never leave servers behind, even when a test run is interrupted
    for s in list(_LIVE):
        try:
            s.stop(timeout=5)
        except Exception:
            pass
