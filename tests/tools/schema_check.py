#!/usr/bin/env python3
"""schema_check.py: checks JSON files against appctl's JSON Schemas with a real
validator (python3-jsonschema), for tests/cli/schema.sh.

Usage:
  schema_check.py --schema SCHEMA           the schema is valid draft 2020-12,
                                            has $id and title, and every
                                            property has a description
  schema_check.py SCHEMA FILE...            one line per file: "valid FILE" or
                                            "invalid FILE: <path>: <message>"

Exit status: 0 when every file (or the schema) is valid, 1 when one is not,
2 when the validator is missing or the usage is wrong.
"""
import json
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.stderr.write("schema_check: python3-jsonschema is missing "
                     "(install it with scripts/install-deps.sh)\n")
    sys.exit(2)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def undocumented(node, where, out):
    """Collects the paths of properties without a description."""
    if isinstance(node, dict):
        for key in ("properties",):
            for name, sub in node.get(key, {}).items():
                if not isinstance(sub, dict) or "description" not in sub:
                    out.append(where + "/" + key + "/" + name)
        for name, sub in node.items():
            undocumented(sub, where + "/" + name, out)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            undocumented(sub, where + "/" + str(i), out)


def check_schema(path):
    schema = load(path)
    Draft202012Validator.check_schema(schema)
    problems = []
    for key in ("$id", "title", "description"):
        if key not in schema:
            problems.append("no " + key)
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        problems.append("not draft 2020-12")
    missing = []
    undocumented(schema, "#", missing)
    problems += ["no description: " + m for m in missing]
    for p in problems:
        print("schema %s: %s" % (path, p))
    return 1 if problems else 0


def check_files(schema_path, files):
    validator = Draft202012Validator(load(schema_path),
                                     format_checker=jsonschema.FormatChecker())
    status = 0
    for path in files:
        try:
            doc = load(path)
        except (ValueError, OSError) as e:
            print("invalid %s: $: not JSON (%s)" % (path, e))
            status = 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if not errors:
            print("valid %s" % path)
            continue
        status = 1
        first = errors[0]
        where = "$" + "".join("[%d]" % p if isinstance(p, int) else "." + str(p)
                              for p in first.absolute_path)
        print("invalid %s: %s: %s" % (path, where, first.message.replace("\n", " ")[:200]))
    return status


def main(argv):
    if len(argv) == 3 and argv[1] == "--schema":
        return check_schema(argv[2])
    if len(argv) >= 3 and not argv[1].startswith("-"):
        return check_files(argv[1], argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
