"""Offline checks the operability tests delegate to Python tools (run with the venv of
deploy/tools/ops-tools.sh). Rust keeps the assertions; this script only parses and validates.

  opscheck.py yaml FILE...             every YAML document of every file, as JSON on stdout
  opscheck.py k8s -k 1.30.0 ... FILE   validate every object of a rendered manifest (multi-document
                                       YAML) against the Kubernetes schemas (kubernetes-validate,
                                       strict: unknown fields are errors) and prometheus-operator
                                       kinds against their CRD schemas made strict the same way;
                                       a kind without a schema is an error, never a warning.
                                       Prints a JSON report; exit 1 when any object fails.
  opscheck.py prometheusrule FILE...   the PrometheusRule (prometheus-operator) carrying every rule
                                       group of FILE..., as YAML on stdout: how
                                       k8s/base/common/prometheusrule.yaml is made from
                                       deploy/prometheus/rules/*.yml (the tests keep them equal).
"""

import argparse
import json
import sys

import yaml


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def cmd_yaml(args):
    json.dump({path: load_all(path) for path in args.files}, sys.stdout)
    return 0


def strict(schema):
    """Rejects properties a schema does not name, like `kubectl apply --validate=strict`."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            strict(value)
    elif isinstance(schema, list):
        for value in schema:
            strict(value)
    return schema


def crd_validators():
    import jsonschema
    from cloudcoil.models.prometheus_operator import v1

    out = {}
    for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
        schema = strict(getattr(v1, kind).model_json_schema(by_alias=True))
        out[("monitoring.coreos.com/v1", kind)] = jsonschema.Draft202012Validator(schema)
    return out


def cmd_k8s(args):
    import kubernetes_validate

    crds = crd_validators()
    report, failed = [], False
    for doc in load_all(args.file):
        kind, api = doc.get("kind"), doc.get("apiVersion")
        name = (doc.get("metadata") or {}).get("name")
        entry = {"apiVersion": api, "kind": kind, "name": name, "validated": [], "errors": []}
        if (api, kind) in crds:
            errs = sorted(crds[(api, kind)].iter_errors(doc), key=lambda e: list(e.path))
            entry["errors"] += ["%s: %s" % (".".join(map(str, e.path)), e.message) for e in errs]
            entry["validated"].append("crd:" + api)
        else:
            for version in args.k:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                    entry["validated"].append(version)
                except kubernetes_validate.ValidationError as e:
                    path = ".".join(str(p) for p in e.path)
                    entry["errors"].append("k8s %s: %s: %s" % (version, path, e.message))
                except Exception as e:  # noqa: BLE001 - a missing schema must fail, not warn
                    entry["errors"].append("k8s %s: %s: %s" % (version, type(e).__name__, e))
        failed |= bool(entry["errors"])
        report.append(entry)
    json.dump(report, sys.stdout, indent=1)
    return 1 if failed else 0


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (PromQL) as literal blocks, as a person would write them."""

    def ignore_aliases(self, data):
        return True


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def cmd_prometheusrule(args):
    groups = []
    for path in sorted(args.files):
        for doc in load_all(path):
            groups += doc.get("groups", [])
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "payops", "labels": {"app.kubernetes.io/name": "payops"}},
        "spec": {"groups": groups},
    }
    sys.stdout.write(
        "# GENERATED from deploy/prometheus/rules/*.yml by tests/ops/opscheck.py prometheusrule; do not\n"
        "# edit. After changing the rules run:\n"
        "#   PAYOPS_BLESS=1 cargo test -p tests --test operability prometheus_rule\n"
    )
    sys.stdout.write(yaml.dump(rule, Dumper=_BlockDumper, sort_keys=False, width=1000))
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("yaml")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_yaml)
    p = sub.add_parser("k8s")
    p.add_argument("-k", action="append", required=True, help="Kubernetes version, e.g. 1.30.0")
    p.add_argument("file")
    p.set_defaults(run=cmd_k8s)
    p = sub.add_parser("prometheusrule")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_prometheusrule)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
