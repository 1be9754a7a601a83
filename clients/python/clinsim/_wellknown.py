"""Minimal message classes for grpc.health.v1 and grpc.reflection.v1alpha, built at run time
from descriptors, for when the ``grpc_health`` / ``grpc_reflection`` packages are not installed
(Debian bookworm ships neither with python3-grpcio). Only the fields the client uses are
declared; the wire format is the services' own, so they talk to any gRPC server. They live in a
private descriptor pool, so they never clash with the real packages.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _field(msg, name, number, ftype, label=_F.LABEL_OPTIONAL, type_name=None, oneof=None):
    f = msg.field.add(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    return f


def _build():
    pool = descriptor_pool.DescriptorPool()

    h = descriptor_pb2.FileDescriptorProto(name="clinsim_client/health_min.proto",
                                           package="grpc.health.v1", syntax="proto3")
    req = h.message_type.add(name="HealthCheckRequest")
    _field(req, "service", 1, _F.TYPE_STRING)
    resp = h.message_type.add(name="HealthCheckResponse")
    e = resp.enum_type.add(name="ServingStatus")
    for i, n in enumerate(("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")):
        e.value.add(name=n, number=i)
    _field(resp, "status", 1, _F.TYPE_ENUM,
           type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus")
    pool.Add(h)

    r = descriptor_pb2.FileDescriptorProto(name="clinsim_client/reflection_min.proto",
                                           package="grpc.reflection.v1alpha", syntax="proto3")
    rq = r.message_type.add(name="ServerReflectionRequest")
    rq.oneof_decl.add(name="message_request")
    _field(rq, "host", 1, _F.TYPE_STRING)
    _field(rq, "file_by_filename", 3, _F.TYPE_STRING, oneof=0)
    _field(rq, "file_containing_symbol", 4, _F.TYPE_STRING, oneof=0)
    _field(rq, "list_services", 7, _F.TYPE_STRING, oneof=0)
    svc = r.message_type.add(name="ServiceResponse")
    _field(svc, "name", 1, _F.TYPE_STRING)
    lst = r.message_type.add(name="ListServiceResponse")
    _field(lst, "service", 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED,
           ".grpc.reflection.v1alpha.ServiceResponse")
    fdr = r.message_type.add(name="FileDescriptorResponse")
    _field(fdr, "file_descriptor_proto", 1, _F.TYPE_BYTES, _F.LABEL_REPEATED)
    err = r.message_type.add(name="ErrorResponse")
    _field(err, "error_code", 1, _F.TYPE_INT32)
    _field(err, "error_message", 2, _F.TYPE_STRING)
    rs = r.message_type.add(name="ServerReflectionResponse")
    rs.oneof_decl.add(name="message_response")
    _field(rs, "valid_host", 1, _F.TYPE_STRING)
    _field(rs, "file_descriptor_response", 4, _F.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.FileDescriptorResponse", oneof=0)
    _field(rs, "list_services_response", 6, _F.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.ListServiceResponse", oneof=0)
    _field(rs, "error_response", 7, _F.TYPE_MESSAGE,
           type_name=".grpc.reflection.v1alpha.ErrorResponse", oneof=0)
    pool.Add(r)

    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is None:  # protobuf < 4.24
        factory = message_factory.MessageFactory(pool)
        get_class = factory.GetPrototype
    names = ["grpc.health.v1.HealthCheckRequest", "grpc.health.v1.HealthCheckResponse",
             "grpc.reflection.v1alpha.ServerReflectionRequest",
             "grpc.reflection.v1alpha.ServerReflectionResponse"]
    return [get_class(pool.FindMessageTypeByName(n)) for n in names]


(HealthCheckRequest, HealthCheckResponse, ServerReflectionRequest,
 ServerReflectionResponse) = _build()

HEALTH_CHECK_METHOD = "/grpc.health.v1.Health/Check"
REFLECTION_METHOD = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
