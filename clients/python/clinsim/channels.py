"""Channels to servers started with ``--tls-cert/--tls-key`` and/or ``--token-file``.

    ch = clinsim.open_channel("clinsim.example.org:443", token=os.environ["CLINSIM_TOKEN"],
                              root_certificates=open("ca.pem", "rb").read())
    env = clinsim.Env(channel=ch)            # VectorEnv(..., channel=ch) alike
    aenv = clinsim.AsyncEnv(channel=clinsim.open_aio_channel(target, token=...))

The token travels as the metadata ``authorization: Bearer TOKEN``. Over TLS it is attached as
call credentials; without TLS (loopback, a trusted network) by an interceptor, since gRPC refuses
call credentials on plaintext channels. Never send a token in clear text over a network you do
not trust.
"""

from __future__ import annotations

import collections
from typing import Optional

import grpc

from clinsim import _convert as cv


class _CallDetails(collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                         "compression")), grpc.ClientCallDetails):
    pass


class _TokenInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                        grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    def __init__(self, token: str):
        self._pair = ("authorization", "Bearer " + token)

    def _details(self, d):
        md = list(d.metadata or []) + [self._pair]
        return _CallDetails(d.method, d.timeout, md, d.credentials, getattr(d, "wait_for_ready", None),
                            getattr(d, "compression", None))

    def intercept_unary_unary(self, continuation, d, request):
        return continuation(self._details(d), request)

    def intercept_unary_stream(self, continuation, d, request):
        return continuation(self._details(d), request)

    def intercept_stream_unary(self, continuation, d, it):
        return continuation(self._details(d), it)

    def intercept_stream_stream(self, continuation, d, it):
        return continuation(self._details(d), it)


def _credentials(token, root_certificates):
    creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
    if token:
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
    return creds


def _options(server_name):
    opts = list(cv.CHANNEL_OPTIONS)
    if server_name:
        opts.append(("grpc.ssl_target_name_override", server_name))
    return opts


def open_channel(target: str, token: Optional[str] = None, tls: bool = False,
                 root_certificates: Optional[bytes] = None,
                 server_name: Optional[str] = None) -> grpc.Channel:
    """A ``grpc.Channel`` to ``target``; TLS when ``tls`` or ``root_certificates`` is given
    (``None`` roots: the system's); ``server_name`` overrides the name checked in the
    certificate (tests)."""
    target = cv.normalize_target(target)
    if tls or root_certificates is not None:
        return grpc.secure_channel(target, _credentials(token, root_certificates), options=_options(server_name))
    channel = grpc.insecure_channel(target, options=cv.CHANNEL_OPTIONS)
    return grpc.intercept_channel(channel, _TokenInterceptor(token)) if token else channel


class _AioTokenInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, token: str):
        self._pair = ("authorization", "Bearer " + token)

    async def intercept_unary_unary(self, continuation, d, request):
        md = grpc.aio.Metadata(*(list(d.metadata or []) + [self._pair]))
        d = grpc.aio.ClientCallDetails(d.method, d.timeout, md, d.credentials, d.wait_for_ready)
        return await continuation(d, request)


def open_aio_channel(target: str, token: Optional[str] = None, tls: bool = False,
                     root_certificates: Optional[bytes] = None,
                     server_name: Optional[str] = None) -> grpc.aio.Channel:
    """:func:`open_channel` for ``grpc.aio`` (:class:`clinsim.AsyncEnv`)."""
    target = cv.normalize_target(target)
    if tls or root_certificates is not None:
        return grpc.aio.secure_channel(target, _credentials(token, root_certificates),
                                       options=_options(server_name))
    interceptors = [_AioTokenInterceptor(token)] if token else None
    return grpc.aio.insecure_channel(target, options=cv.CHANNEL_OPTIONS, interceptors=interceptors)
