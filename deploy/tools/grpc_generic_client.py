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
    deploy/tools/grpc_generic_client.py 127.0.0.1:50051 "$TOKEN" --fuzz CASES SEED
With `--fuzz CASES SEED` it instead sends CASES generated requests to every method (SE-07) and
prints {"fuzz": {"/pkg.Service/Method": {"STATUS": count, ...}}}; statuses that must never
occur (INTERNAL, UNKNOWN, UNAVAILABLE, DATA_LOSS, a unary DEADLINE_EXCEEDED) carry their message.
"""
import json
import random
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


# SE-07: generated input. Values chosen to break handlers: empty, huge, control characters,
# invalid-looking ids, extreme numbers, unknown enum values, deep and repeated messages.
STRINGS = ["", " ", "x", "\u0000", "\n\r\t", "../../etc/passwd", "' OR 1=1 --", "-1", "9" * 40,
           "00000000-0000-0000-0000-000000000000", "ÄÖÜ€😀", "<script>alert(1)</script>", "%s%n", "CHF", "EUR"]
INTS = [0, 1, -1, 2**31 - 1, -2**31, 2**53, 2**63 - 1, -2**63]
UINTS = [0, 1, 2**32 - 1, 2**64 - 1]


def random_string(rng):
    pick = rng.random()
    if pick < 0.6:
        return rng.choice(STRINGS)
    if pick < 0.8:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 200)))
    return "A" * rng.choice([1000, 70000, 1000000])


def fill(msg, rng, depth=0):
    from google.protobuf.descriptor import FieldDescriptor as F
    for field in msg.DESCRIPTOR.fields:
        if rng.random() < 0.25:
            continue
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == F.LABEL_REPEATED
        count = (rng.choice([1, 2, 3, 500]) if repeated else 1)
        for _ in range(count):
            if field.type == F.TYPE_MESSAGE:
                if depth > 4 or field.message_type.GetOptions().map_entry:
                    break
                target = getattr(msg, field.name).add() if repeated else getattr(msg, field.name)
                if not repeated:
                    target.SetInParent()
                fill(target, rng, depth + 1)
                continue
            if field.type == F.TYPE_STRING:
                value = random_string(rng)
            elif field.type == F.TYPE_BYTES:
                value = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
            elif field.type == F.TYPE_BOOL:
                value = rng.random() < 0.5
            elif field.type == F.TYPE_ENUM:
                value = rng.choice([0, 1, 2, 3, -1, 99, 2**31 - 1])
            elif field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
                value = rng.choice([0.0, -1.5, 1e300, float("inf"), float("nan")])
            elif field.type in (F.TYPE_UINT32, F.TYPE_FIXED32):
                value = rng.choice(UINTS[:3])
            elif field.type in (F.TYPE_UINT64, F.TYPE_FIXED64):
                value = rng.choice(UINTS)
            elif field.type in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
                value = rng.choice(INTS[:5])
            else:
                value = rng.choice(INTS)
            try:
                if repeated:
                    getattr(msg, field.name).append(value)
                else:
                    setattr(msg, field.name, value)
            except (ValueError, TypeError):
                pass
            if not repeated:
                break


def fuzz_all(channel, services, pool, metadata, cases, seed):
    """Per method: {status name: count} over `cases` generated requests."""
    rng = random.Random(seed)
    out = {}
    for service in services:
        if service in REFLECTION or service.startswith("grpc."):
            continue
        desc = pool.FindServiceByName(service)
        for m in desc.methods:
            if m.client_streaming:
                continue
            path = f"/{service}/{m.name}"
            counts = {}
            cls = message_factory.GetMessageClass(m.input_type)
            for _ in range(cases):
                request = cls()
                fill(request, rng)
                kw = dict(request_serializer=lambda r: r.SerializeToString(), response_deserializer=lambda b: b)
                try:
                    if m.server_streaming:
                        for _ in channel.unary_stream(path, **kw)(request, metadata=metadata, timeout=2):
                            break
                    else:
                        channel.unary_unary(path, **kw)(request, metadata=metadata, timeout=20)
                    status = "OK"
                except grpc.RpcError as e:
                    status = e.code().name
                    if status in ("INTERNAL", "UNKNOWN", "UNAVAILABLE", "DATA_LOSS") or (
                        status == "DEADLINE_EXCEEDED" and not m.server_streaming
                    ):
                        status = f"{status}: {e.details()[:200]}"
                counts[status] = counts.get(status, 0) + 1
            out[path] = counts
    return out


def main():
    args = sys.argv[1:]
    fuzz = None
    if "--fuzz" in args:
        i = args.index("--fuzz")
        fuzz = (int(args[i + 1]), int(args[i + 2]))
        del args[i : i + 3]
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
        if fuzz is not None:
            out["fuzz"] = fuzz_all(channel, out["v1"], pool_of(files), metadata, *fuzz)
        else:
            out["calls"], out["tenant_scoped"] = call_all(channel, out["v1"], pool_of(files), metadata, tenant)
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
