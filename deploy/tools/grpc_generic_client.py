"""A generic gRPC client, as an operator's tool would be: it knows nothing about payops.

Given a server address (host:port) and optionally a bearer token, it asks the server's
reflection — once over grpc.reflection.v1 and once over grpc.reflection.v1alpha — which
services it serves, fetches their file descriptors, and calls every method of every listed
service with an empty request message (server-streaming methods are read for at most a moment).
With `--tenant NAME`, every request message that has a `tenant_id` field carries NAME in it
(tenant isolation, SE-03). It prints one JSON object:

    {"v1": [services], "v1alpha": [services],
     "calls": {"/pkg.Service/Method": "STATUS_NAME", ...},
     "tenant_scoped": ["/pkg.Service/Method", ...]}

Used by tests/tests/operability/generic_grpc.rs (make test); also handy by hand:
    deploy/tools/grpc_generic_client.py 127.0.0.1:50051 "$TOKEN" [--tenant NAME]
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2 as rpb

# v1 and v1alpha share one wire format (same messages, same field numbers); only the method
# path differs, so one set of message classes speaks both.
VERSIONS = ("v1", "v1alpha")
REFLECTION = tuple(f"grpc.reflection.{v}.ServerReflection" for v in VERSIONS)


def reflect(channel, version, metadata):
    method = channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=rpb.ServerReflectionRequest.SerializeToString,
        response_deserializer=rpb.ServerReflectionResponse.FromString,
    )

    def ask(**kw):
        answers = list(method(iter([rpb.ServerReflectionRequest(**kw)]), metadata=metadata, timeout=10))
        if len(answers) != 1:
            raise SystemExit(f"{version}: expected one reflection answer to {kw}, got {len(answers)}")
        answer = answers[0]
        if answer.HasField("error_response"):
            raise SystemExit(f"{version}: reflection error for {kw}: {answer.error_response}")
        return answer

    services = sorted(s.name for s in ask(list_services="").list_services_response.service)
    files = {}

    def add(answer):
        for raw in answer.file_descriptor_response.file_descriptor_proto:
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files.setdefault(fd.name, fd)

    for service in services:
        add(ask(file_containing_symbol=service))
    # Dependencies the server did not send along are asked for by name.
    missing = [d for fd in list(files.values()) for d in fd.dependency if d not in files]
    while missing:
        add(ask(file_by_filename=missing.pop()))
        missing = [d for fd in list(files.values()) for d in fd.dependency if d not in files]
    return services, files


def pool_of(files):
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added:
            return
        for dep in files[name].dependency:
            add(dep)
        pool.Add(files[name])
        added.add(name)

    for name in sorted(files):
        add(name)
    return pool


def call_all(channel, services, pool, metadata, tenant=None):
    calls = {}
    scoped = []
    for service in services:
        if service in REFLECTION:
            continue  # exercised above, over both versions
        desc = pool.FindServiceByName(service)
        for m in desc.methods:
            path = f"/{service}/{m.name}"
            request = message_factory.GetMessageClass(m.input_type)()
            if "tenant_id" in m.input_type.fields_by_name:
                scoped.append(path)
                if tenant is not None:
                    request.tenant_id = tenant
            kw = dict(request_serializer=lambda r: r.SerializeToString(), response_deserializer=lambda b: b)
            try:
                if m.client_streaming:
                    calls[path] = "SKIPPED_CLIENT_STREAMING"
                    continue
                if m.server_streaming:
                    stream = channel.unary_stream(path, **kw)(request, metadata=metadata, timeout=2)
                    for _ in stream:
                        break
                    calls[path] = "OK"
                else:
                    channel.unary_unary(path, **kw)(request, metadata=metadata, timeout=10)
                    calls[path] = "OK"
            except grpc.RpcError as e:
                calls[path] = e.code().name
    return calls, scoped


def main():
    args = sys.argv[1:]
    tenant = None
    if "--tenant" in args:
        i = args.index("--tenant")
        if i + 1 >= len(args):
            raise SystemExit("--tenant needs a name")
        tenant = args[i + 1]
        del args[i : i + 2]
    if len(args) not in (1, 2):
        raise SystemExit("usage: grpc_generic_client.py HOST:PORT [BEARER_TOKEN] [--tenant NAME]")
    address = args[0]
    metadata = [("authorization", f"Bearer {args[1]}")] if len(args) == 2 else []
    with grpc.insecure_channel(address) as channel:
        out = {}
        files = {}
        for version in VERSIONS:
            services, fds = reflect(channel, version, metadata)
            out[version] = services
            files.update(fds)
        out["calls"], out["tenant_scoped"] = call_all(channel, out["v1"], pool_of(files), metadata, tenant)
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
