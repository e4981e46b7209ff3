"""gRPC reflection from a client nobody here wrote: Python grpcio + grpcio-reflection against
the running `licensed demo`.

1. Lists the services over reflection v1 (grpcio-reflection ships the v1alpha messages; the v1
   service is wire-identical, so they are sent to the v1 method path) and checks the license
   service and health are there.
2. Resolves every message type through grpcio-reflection's descriptor database (v1alpha) — no
   .proto file and no generated code on this side.
3. Gets a token with IssueToken and calls QueryCertInfo with `authorization: Bearer` metadata;
   the same call without a token fails UNAUTHENTICATED with return code 11 in the trailers.

usage: python_grpc_client.py HOST:PORT CLIENT_ID CLIENT_SECRET USERNAME PASSWORD IDENTIFIER
"""

import sys

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message_factory import GetMessageClass
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

SERVICE = "license.v1.LicenseService"


def main(target, client_id, client_secret, username, password, identifier):
    channel = grpc.insecure_channel(target)

    v1 = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    answer = next(v1(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    names = sorted(s.name for s in answer.list_services_response.service)
    print("reflection v1 lists:", ", ".join(names))
    assert SERVICE in names and "grpc.health.v1.Health" in names, names

    database = ProtoReflectionDescriptorDatabase(channel)
    assert SERVICE in database.get_services()
    pool = DescriptorPool(database)
    service = pool.FindServiceByName(SERVICE)
    print("methods:", ", ".join(m.name for m in service.methods))

    def call(method, fields, token=None):
        m = service.FindMethodByName(method)
        request_type = GetMessageClass(m.input_type)
        response_type = GetMessageClass(m.output_type)
        stub = channel.unary_unary(
            f"/{SERVICE}/{method}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        metadata = [("authorization", f"Bearer {token}")] if token else []
        return stub(json_format.ParseDict(fields, request_type()), metadata=metadata)

    grant = call(
        "IssueToken",
        {
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "read write",
            "username": username,
            "password": password,
        },
    )
    assert grant.token_type == "bearer" and grant.access_token, grant
    query = {
        "certificate_id": identifier,
        "interface_type": "1",
        "context": {
            "system_name": "Python 客户端",
            "call_category": "0",
            "matter_name": "反射调用",
            "event_code": "PY0001",
            "copy_cause": "验证 gRPC 反射",
        },
    }
    records = call("QueryCertInfo", query, grant.access_token)
    faces = json_format.MessageToDict(records, preserving_proto_field_name=True)
    print("QueryCertInfo:", faces)
    assert faces["library"] == "LIBRARY_CITY", faces
    assert faces["city"]["total"] == "1", faces

    try:
        call("QueryCertInfo", query)
        raise AssertionError("a call without a token must fail")
    except grpc.RpcError as e:
        trailers = dict(e.trailing_metadata() or ())
        print("without a token:", e.code(), trailers.get("license-return-code"))
        assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
        assert trailers.get("license-return-code") == "11", trailers
    print("grpcio reflection: ok")


if __name__ == "__main__":
    main(*sys.argv[1:7])
