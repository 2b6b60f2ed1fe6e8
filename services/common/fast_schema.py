"""A fast acceptance check for the event contracts, compiled from a JSON Schema into plain Python.

jsonschema validates an event in about 100 microseconds (it builds a validator per keyword and
instance); a bulk write of 200,000 events spent more time validating than writing. The contracts use
a small set of keywords, so each schema is compiled once into the source of a Python function that
only answers "valid or not" (as fastjsonschema does for older drafts). It is sound by construction:
a schema that uses any keyword outside that set is not compiled (``compile_schema`` returns None),
and every test is at least as strict as the keyword's definition in draft 2020-12. The registry
still asks jsonschema whenever this check does not accept, so the error messages and any case it
did not handle come from jsonschema itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

# annotations only: they never make an instance invalid (format is not asserted: no FormatChecker)
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "format", "deprecated"}
)


class _Unsupported(Exception):
    pass


def _is_text_set(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


_TYPE_TESTS = {
    "string": "isinstance({v}, str)",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    # a JSON integer: no bool, and a float only when it is whole (as jsonschema has it)
    "integer": "((isinstance({v}, int) and not isinstance({v}, bool))"
    " or (isinstance({v}, float) and {v}.is_integer()))",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
}


class _Writer:
    """Writes a function's body: each keyword a test that returns False when the instance fails it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self.names = 0

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"C[{len(self.constants) - 1}]"

    def variable(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def fail_if(self, condition: str, indent: int) -> None:
        self.lines.append(" " * indent + f"if {condition}: return False")

    def schema(self, schema: Any, v: str, indent: int) -> None:
        if schema is True or schema == {}:
            return
        if schema is False:
            self.lines.append(" " * indent + "return False")
            return
        if not isinstance(schema, dict):
            raise _Unsupported
        for keyword, value in schema.items():
            if keyword not in ANNOTATIONS:
                self.keyword(keyword, value, schema, v, indent)

    def keyword(self, keyword: str, value: Any, schema: dict[str, Any], v: str, indent: int) -> None:
        if keyword == "type":
            names = [value] if isinstance(value, str) else value
            if not _is_text_set(names) or any(n not in _TYPE_TESTS for n in names):
                raise _Unsupported
            self.fail_if("not (" + " or ".join(_TYPE_TESTS[n].format(v=v) for n in names) + ")", indent)
        elif keyword in ("enum", "const"):
            # strings only: JSON equality of other values (1 vs true, 1 vs 1.0) is left to jsonschema
            allowed = value if keyword == "enum" else [value]
            if not _is_text_set(allowed):
                raise _Unsupported
            self.fail_if(f"not (isinstance({v}, str) and {v} in {self.constant(frozenset(allowed))})", indent)
        elif keyword == "pattern":
            self.fail_if(f"isinstance({v}, str) and {self.constant(re.compile(value))}.search({v}) is None", indent)
        elif keyword in ("maxLength", "minLength", "maxItems", "minItems"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise _Unsupported
            of = "str" if keyword.endswith("Length") else "list"
            sign = ">" if keyword.startswith("max") else "<"
            self.fail_if(f"isinstance({v}, {of}) and len({v}) {sign} {value}", indent)
        elif keyword in ("minimum", "maximum"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _Unsupported
            sign = "<" if keyword == "minimum" else ">"
            self.fail_if(f"{_TYPE_TESTS['number'].format(v=v)} and {v} {sign} {value!r}", indent)
        elif keyword == "required":
            if not _is_text_set(value):
                raise _Unsupported
            self.fail_if(f"isinstance({v}, dict) and not ({v}.keys() >= {self.constant(frozenset(value))})", indent)
        elif keyword == "properties":
            if not isinstance(value, dict) or not value:
                raise _Unsupported
            self.lines.append(" " * indent + f"if isinstance({v}, dict):")
            self.lines.append(" " * (indent + 1) + "pass")
            for name, sub in value.items():
                inner = self.variable()
                key = self.constant(name)
                self.lines.append(" " * (indent + 1) + f"if {key} in {v}:")
                self.lines.append(" " * (indent + 2) + f"{inner} = {v}[{key}]")
                self.schema(sub, inner, indent + 2)
        elif keyword == "additionalProperties":
            if "patternProperties" in schema:
                raise _Unsupported
            known = self.constant(frozenset(schema.get("properties", {})))
            if value is False:
                self.fail_if(f"isinstance({v}, dict) and not ({v}.keys() <= {known})", indent)
            else:
                key, inner = self.variable(), self.variable()
                self.lines.append(" " * indent + f"if isinstance({v}, dict):")
                self.lines.append(" " * (indent + 1) + f"for {key}, {inner} in {v}.items():")
                self.lines.append(" " * (indent + 2) + f"if {key} in {known}: continue")
                self.schema(value, inner, indent + 2)
        elif keyword == "items":
            inner = self.variable()
            self.lines.append(" " * indent + f"if isinstance({v}, list):")
            self.lines.append(" " * (indent + 1) + f"for {inner} in {v}:")
            self.lines.append(" " * (indent + 2) + "pass")
            self.schema(value, inner, indent + 2)
        elif keyword == "uniqueItems" and value is True:
            # strings only (JSON equality of mixed values is left to jsonschema)
            self.fail_if(
                f"isinstance({v}, list) and not (all(isinstance(i, str) for i in {v}) and len(set({v})) == len({v}))",
                indent,
            )
        else:
            raise _Unsupported


def compile_schema(schema: Any) -> Check | None:
    """A check that accepts only instances the schema accepts, or None if the schema uses a keyword
    this module does not handle (then ask jsonschema)."""
    writer = _Writer()
    try:
        writer.schema(schema, "v0", 1)
    except (_Unsupported, re.error, TypeError):
        return None
    source = "def check(v0):\n" + "\n".join(writer.lines) + "\n return True\n"
    namespace: dict[str, Any] = {"C": writer.constants}
    exec(compile(source, "<contract check>", "exec"), namespace)  # our own generated code, from our own schemas
    check: Check = namespace["check"]
    return check
