"""Check a STIX object against the JSON Schema of its Accord type, without a library.

The shipped schemas are the one statement of each type's properties: exports carry
them in the extension definitions, and ingest checks objects against them here. Only
the JSON Schema (2020-12) keywords those schemas use are understood; `schema_error`
returns the first problem as a sentence a person can act on, or None.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import orjson

from accord.intel import timestamps

Schema = dict[str, Any]

_TYPE_WORDS = {
    "string": "a string",
    "array": "a list",
    "object": "an object",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}


def _is_type(value: object, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False  # JSON booleans are not numbers
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return name == "number" and isinstance(value, int | float)


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _resolve(schema: Schema, root: Schema) -> Schema:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        raise ValueError(f"only local $defs references are supported, not {ref!r}")
    return dict(root["$defs"][ref.removeprefix("#/$defs/")])


def _described(schema: Schema, fallback: str) -> str:
    """A schema's title says what a value must be better than its regular expression."""
    return str(schema.get("title") or fallback)


def _scalar_error(value: Any, schema: Schema, where: str) -> str | None:
    if "const" in schema and value != schema["const"]:
        return f"{where} must be {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of {', '.join(map(str, schema['enum']))}"
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return f"{where} must not be empty"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{where} must be at most {schema['maxLength']} characters"
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            return f"{where} must be {_described(schema, 'of the form ' + schema['pattern'])}"
        if schema.get("format") == "date-time":
            try:
                timestamps.parse(value)
            except ValueError as exc:
                return f"{where}: {exc}"
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where} must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where} must be at most {schema['maximum']}"
    return None


def _array_error(value: list[Any], schema: Schema, root: Schema, where: str) -> str | None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        return f"{where} must hold at least {schema['minItems']} item(s)"
    if schema.get("uniqueItems"):
        distinct = {orjson.dumps(v, option=orjson.OPT_SORT_KEYS) for v in value}
        if len(distinct) != len(value):
            return f"{where} must not repeat an item"
    items = schema.get("items")
    if items is not None:
        for index, item in enumerate(value):
            error = _error(item, items, root, f"{where}[{index}]")
            if error:
                return error
    return None


def _object_error(value: dict[str, Any], schema: Schema, root: Schema, where: str) -> str | None:
    prefix = f"{where}." if where else ""
    for name in schema.get("required", ()):
        if name not in value:
            return f"property {prefix}{name} is required"
    for name, needs in schema.get("dependentRequired", {}).items():
        if name in value:
            for other in needs:
                if other not in value:
                    return f"{prefix}{name} needs {prefix}{other} too"
    properties: dict[str, Schema] = schema.get("properties", {})
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            return f"{where or 'the object'} has unknown properties: {', '.join(unknown)}"
    for name, sub in properties.items():
        if name in value:
            error = _error(value[name], sub, root, f"{prefix}{name}")
            if error:
                return error
    return None


def _combined_error(value: Any, schema: Schema, root: Schema, where: str) -> str | None:
    for sub in schema.get("allOf", ()):
        error = _error(value, sub, root, where)
        if error:
            return error
    if "if" in schema:
        branch = "then" if _error(value, schema["if"], root, where) is None else "else"
        if branch in schema:
            error = _error(value, schema[branch], root, where)
            if error:
                return _described(schema[branch], error)
    if "not" in schema and _error(value, schema["not"], root, where) is None:
        return f"{where or 'the object'} is not allowed here"
    return None


def _error(value: Any, schema: Schema, root: Schema, where: str) -> str | None:
    schema = _resolve(schema, root)
    expected = schema.get("type")
    if expected is not None and not _is_type(value, expected):
        return f"{where} must be {_TYPE_WORDS[expected]}"
    error = _scalar_error(value, schema, where)
    if error is None and isinstance(value, list):
        error = _array_error(value, schema, root, where)
    if error is None and isinstance(value, dict):
        error = _object_error(value, schema, root, where)
    return error or _combined_error(value, schema, root, where)


def schema_error(obj: dict[str, Any], schema: Schema) -> str | None:
    """The first way `obj` breaks `schema`, or None when it conforms."""
    return _error(obj, schema, schema, "")
