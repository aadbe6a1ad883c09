#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The JSON Schema and op25bc validate agree: every example and good fixture
passes both; every structurally bad corpus case fails both; semantically bad
cases pass the schema (it cannot see them) and fail op25bc. What validate
--format json prints for each validates against schemas/op25bc-validate.schema.json."""
import copy
import json
import pathlib
import subprocess
import sys
import tempfile

import jsonschema

import corpus


def good_fixtures():
    """Valid policies beyond the examples: minimal and maximal forms."""
    base = corpus.base_policy()
    minimal = {k: base[k] for k in ("version", "timezone", "services", "pools", "phases")}
    minimal["phases"] = [{"id": "all", "effective": "2006-10-01", "block": "all"}]
    maximal = copy.deepcopy(base)
    maximal["$schema"] = "../schemas/op25bc-policy.schema.json"
    maximal["description"] = "every optional key"
    maximal["enforcement"] = {"ports": [25, 2525], "action": "icmp", "log": {"rate": "1/second"}}
    maximal["exemptions"][0]["effective"] = "2006-09-01T12:00:00.5+09:00"
    maximal["phases"][1]["until"] = "2030-01-01T00:00:00Z"
    maximal["phases"][1]["scope"]["regions"] = ["tokyo"]
    maximal["phases"][1]["scope"]["pools"] = ["tokyo-flets-b"]
    maximal["smarthosts"][0]["regions"] = ["tokyo"]
    maximal["submission"]["hostname"] = "submit.example.ne.jp"
    drop = copy.deepcopy(base)
    drop["enforcement"]["action"] = "drop"
    return {"minimal": minimal, "maximal": maximal, "drop": drop}


def main():
    a = corpus.arguments()
    root = a.root
    schema = json.loads((root / "schemas/op25bc-policy.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    tally = corpus.Tally()
    expect = tally.expect

    # A drop-in exemption file: the policy's exemption item, by reference.
    # (Resolved here, not through a registry: Debian 12's jsonschema predates one.)
    dropin_schema = json.loads((root / "schemas/op25bc-exemption.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(dropin_schema)
    expect(dropin_schema["$ref"] == "op25bc-policy.schema.json#/$defs/exemption",
           "the drop-in schema is not the policy's exemption")
    dropin_validator = jsonschema.Draft202012Validator(
        {"$defs": schema["$defs"], "$ref": "#/$defs/exemption"})
    dropins = sorted((root / "examples/exemptions.d").glob("*.json"))
    expect(dropins, "examples/exemptions.d holds no example drop-in")
    for path in dropins:
        errors = [e.message for e in dropin_validator.iter_errors(json.loads(path.read_text()))]
        expect(not errors, f"{path.name}: the drop-in schema rejects the example: {errors}")
    for bad in ({"id": "x"}, {"id": "x", "prefixes": ["198.18.0.1"], "pools": []}, [],
                {"id": "x", "prefixes": ["198.18.0.1"], "subscriber": "ppp-user-1"}):
        expect(not dropin_validator.is_valid(bad), f"the drop-in schema accepts {bad}")

    output_schema = json.loads((root / "schemas/op25bc-validate.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(output_schema)
    output_validator = jsonschema.Draft202012Validator(output_schema)

    def op25bc_ok(path):
        plain = subprocess.run([a.op25bc, "validate", str(path)], capture_output=True)
        out = subprocess.run([a.op25bc, "validate", str(path), "--format", "json"],
                             capture_output=True, text=True)
        report = json.loads(out.stdout)
        errors = [e.message for e in output_validator.iter_errors(report)]
        expect(not errors, f"{path.name}: validate --format json breaks its schema: {errors}")
        expect(report["ok"] == (plain.returncode == 0),
               f"{path.name}: validate --format json says ok={report['ok']}, "
               f"exit status {plain.returncode}")
        return plain.returncode == 0

    with tempfile.TemporaryDirectory() as directory:
        goods = {p.name: p for p in sorted((root / "examples").glob("*.json"))}
        for name, policy in good_fixtures().items():
            path = pathlib.Path(directory) / f"good-{name}.json"
            path.write_text(json.dumps(policy))
            goods[name] = path
        for name, path in goods.items():
            errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
            expect(not errors, f"{name}: schema rejects a valid policy: {errors}")
            expect(op25bc_ok(path), f"{name}: op25bc validate rejects a valid policy")
        for case in corpus.load_cases():
            if case["schema"] == "n/a":
                continue
            path = corpus.write_case(case, directory)
            schema_ok = validator.is_valid(json.loads(path.read_text()))
            expected = case["schema"] == "accept"
            expect(schema_ok == expected,
                   f"{case['name']}: schema {'accepts' if schema_ok else 'rejects'} it, "
                   f"expected it to {case['schema']}")
            expect(not op25bc_ok(path), f"{case['name']}: op25bc validate accepts it")
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
