"""gRPC health checking and server reflection of `clinsim serve`.

Debian bookworm's python3-grpcio has neither grpc_health nor grpc_reflection; the client then
uses built-in minimal messages with the services' wire format (clinsim._wellknown), so these
tests run either way. When the packages are installed, the tests also check through them.
"""

import grpc
import pytest

import clinsim


def test_health_serving(target):
    assert clinsim.health_check(target) == "SERVING"
    assert clinsim.health_check(target, service="clinsim.v1.Environment") == "SERVING"


def test_health_with_grpc_health_package(target):
    health_pb2 = pytest.importorskip("grpc_health.v1.health_pb2")
    health_pb2_grpc = pytest.importorskip("grpc_health.v1.health_pb2_grpc")
    with grpc.insecure_channel(target) as ch:
        r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert r.status == health_pb2.HealthCheckResponse.SERVING


def test_health_goes_away_after_stop(start):
    server = start()
    assert clinsim.health_check(server) == "SERVING"
    assert server.stop() == 0
    assert server.stdout_lines[-1] == "clinsim serve: stopped"
    with pytest.raises(grpc.RpcError):
        clinsim.health_check(server, timeout=1)


def test_reflection_lists_services(target):
    names = clinsim.list_services(target)
    assert "clinsim.v1.Environment" in names
    assert "grpc.health.v1.Health" in names


def test_reflection_with_grpc_reflection_package(target):
    pytest.importorskip("grpc_reflection.v1alpha.proto_reflection_descriptor_database")
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase)
    with grpc.insecure_channel(target) as ch:
        assert "clinsim.v1.Environment" in ProtoReflectionDescriptorDatabase(ch).get_services()


def test_start_server_reports_failures(clinsim_bin):
    with pytest.raises(clinsim.ServerStartError) as e:
        clinsim.start_server(clinsim_bin, ["--no-such-flag"], timeout=20)
    assert "no-such-flag" in str(e.value)
    with pytest.raises(clinsim.ServerStartError):
        clinsim.start_server("/nonexistent/clinsim")
