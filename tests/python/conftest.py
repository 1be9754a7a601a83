"""Fixtures for the Python client tests.

    cd /work/main && CLINSIM_BIN=build/clinsim PYTHONPATH=clients/python \\
        /usr/bin/python3 -m pytest -q tests/python

Servers bind 127.0.0.1 on a port the OS picks; each is stopped when its fixture ends.
"""

import os
import sys

import pytest

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLIENT_DIR = os.path.join(REPO, "clients", "python")
EXAMPLES_DIR = os.path.join(CLIENT_DIR, "examples")
for p in (CLIENT_DIR, EXAMPLES_DIR):
    if p not in sys.path:
        sys.path.insert(0, p)

import clinsim  # noqa: E402

CASE = "cardiology_inferior_stemi"


@pytest.fixture(scope="session")
def clinsim_bin():
    """The clinsim program ($CLINSIM_BIN, else build/clinsim); waits while a build relinks it."""
    path = os.environ.get("CLINSIM_BIN") or os.path.join(REPO, "build", "clinsim")
    if not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(REPO, path)
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def start(clinsim_bin):
    """start(*flags) -> a started ServerProcess; every one is stopped at the end of the session
    (or earlier by the caller)."""
    started = []

    def _start(*flags):
        s = clinsim.start_server(clinsim_bin, list(flags), timeout=60, binary_wait=90)
        started.append(s)
        return s

    yield _start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def server(start):
    """A default server shared by the tests that do not need special flags."""
    return start()


@pytest.fixture(scope="session")
def target(server):
    return server.target


@pytest.fixture
def env(target):
    with clinsim.Env(target, case_id=CASE) as e:
        yield e
