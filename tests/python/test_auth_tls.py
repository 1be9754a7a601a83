"""Bearer tokens and TLS from Python (clinsim.open_channel), against `clinsim serve --token-file`
and `--tls-cert/--tls-key`."""
import asyncio
import os
import shutil
import subprocess

import pytest

import clinsim

TOKEN = "tok-" + "5" * 28
CASE = "cardiology_inferior_stemi"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "tokens"
    path.write_text("# test token\n" + TOKEN + "\n")
    srv = clinsim.start_server(args=["--token-file", str(path)])
    yield srv
    srv.stop()


def test_calls_without_the_token_are_unauthenticated(token_server):
    with clinsim.Env(token_server.target) as env:
        with pytest.raises(clinsim.Unauthenticated) as e:
            env.reset(seed=1, options={"case_id": CASE})
    assert "Bearer" in str(e.value)
    with clinsim.Env(channel=clinsim.open_channel(token_server.target, token="x" * 32)) as env:
        with pytest.raises(clinsim.Unauthenticated):
            env.reset(seed=1)


def test_the_token_opens_every_client(token_server):
    env = clinsim.Env(channel=clinsim.open_channel(token_server.target, token=TOKEN))
    obs, info = env.reset(seed=1, options={"case_id": CASE})
    *_, terminated, truncated, info = env.step("DIAGNOSIS: inferior STEMI")
    assert terminated
    assert env.score()["correct"]
    venv = clinsim.VectorEnv(token_server.target, 4, channel=clinsim.open_channel(token_server.target, token=TOKEN))
    venv.reset(seed=0)
    venv.step(["ASK: Where is the pain?"] * 4)
    venv.close()

    async def play():
        aenv = clinsim.AsyncEnv(channel=clinsim.open_aio_channel(token_server.target, token=TOKEN))
        await aenv.reset(seed=2, options={"case_id": CASE})
        out = await aenv.step("ASK: Where is the pain?")
        await aenv.close()
        return out
    assert asyncio.run(play())[0]["messages"]


def test_tls_with_a_self_signed_certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    binary = os.environ.get("CLINSIM_BIN", "build/clinsim")
    proc = subprocess.Popen([binary, "serve", "--address", "127.0.0.1:0", "--tls-cert", str(cert),
                             "--tls-key", str(key)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "TLS on" in line
        target = line.split("listening on ")[1].split()[0]
        ch = clinsim.open_channel(target, root_certificates=cert.read_bytes(), server_name="localhost")
        with clinsim.Env(channel=ch) as env:
            obs, info = env.reset(seed=3, options={"case_id": CASE})
            assert obs["messages"][0]["role"] == "system"
        with clinsim.Env(target, timeout=3) as plain:  # plaintext cannot talk to a TLS server
            with pytest.raises(clinsim.Unavailable):
                plain.reset(seed=3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
