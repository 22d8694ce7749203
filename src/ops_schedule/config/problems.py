"""Configuration problems as the operator reads them: ``path: value message``.

pydantic's errors name Python types and internal classes; this module turns each one into a
line that names the JSON path, shows the bad value as JSON and says what is allowed.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ops_schedule.config.secrets import SHOWN_INSTEAD, hides


def aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model = root
    for part in loc:
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        field = fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nested is None:
            return None
        model = nested
    return model


def _field_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> FieldInfo | None:
    parent = _model_at(root, loc[:-1]) if loc else None
    if parent is None:
        return None
    fields = {f.alias or n: f for n, f in parent.model_fields.items()}
    return fields.get(str(loc[-1]))


_MAX_SHOWN = 60


def show(value: object) -> str:
    """A value as the operator wrote it (JSON), shortened when long."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if not text.isprintable() or _has_surrogate(text):  # a NUL or a lone surrogate: escaped
        text = json.dumps(value, default=str)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            key = _key(part)
            path += f".{key}" if path else key
    return path or "(top level)"


def _key(key: str) -> str:
    # A key with a newline or another control character would break the one-line problem (or
    # forge another); such a key, and one with a lone surrogate, is shown as a JSON string.
    if key.isprintable() and not _has_surrogate(key):
        return key
    return json.dumps(key)


# pydantic error type -> what the value is not, or what it must be.
_TYPE_MESSAGES = {
    "bool_type": "is not a boolean (true or false)",
    "bool_parsing": "is not a boolean (true or false)",
    "int_type": "is not an integer",
    "int_parsing": "is not an integer",
    "int_from_float": "is not an integer",
    "float_type": "is not a number",
    "float_parsing": "is not a number",
    "finite_number": "is not a finite number",
    "string_type": "is not a string",
    "string_too_short": "must not be empty",
    "dict_type": "is not a JSON object",
    "model_type": "is not a JSON object",
    "model_attributes_type": "is not a JSON object",
    "tuple_type": "is not a list",
    "list_type": "is not a list",
}
_BOUND_MESSAGES = {
    "greater_than": ("gt", "must be greater than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


def _unquote_hint(value: object) -> str:
    """'; write it without quotes' when a string holds the JSON of a number or boolean."""
    if not isinstance(value, str):
        return ""
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return ""
    if isinstance(decoded, bool | int | float):
        return f" (write {value} without quotes)"
    return ""


def _unknown_key(
    root: type[BaseModel], jobs: type[BaseModel], loc: tuple[int | str, ...], path: str
) -> str:
    parent = _model_at(root, loc[:-1])
    allowed = aliases(parent) if parent else []
    key = str(loc[-1])
    hint = (
        difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        or [
            name
            for name in allowed
            if len(key) >= 3 and name.startswith(key)  # noqa: PLR2004 - too short to guess from
        ][:1]
    )
    what = "unknown job" if parent is jobs else "unknown key"
    did_you_mean = f'; did you mean "{hint[0]}"?' if hint else ""
    return f"{path}: {what}{did_you_mean} (allowed: {', '.join(allowed)})"


def format_error(
    error: Mapping[str, Any],
    env_paths: Mapping[str, str],
    root: type[BaseModel],
    jobs: type[BaseModel],
) -> str:
    """One pydantic error as ``path: value message``.

    ``root`` is the model that was validated, ``jobs`` the model whose keys are job names;
    ``env_paths`` maps a JSON path to the variable that set it.
    """
    loc = tuple(error["loc"])
    path = json_path(loc)
    if path in env_paths:
        path = f"{path} (from {env_paths[path]})"
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(root, jobs, loc, path)
    if kind == "missing":
        return f"{path}: is required"
    shown = SHOWN_INSTEAD if hides(_field_at(root, loc), loc, value) else show(value)
    if kind in _TYPE_MESSAGES:
        message = _TYPE_MESSAGES[kind]
        if kind.startswith(("bool", "int", "float")):
            message += _unquote_hint(value)
    elif kind in _BOUND_MESSAGES:
        key, words = _BOUND_MESSAGES[kind]
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        message = f"{words} {bound}"
    elif kind in {"literal_error", "enum"}:
        allowed = str(ctx.get("expected", "")).replace("'", '"')
        message = f"is not allowed (use {allowed})"
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
    else:  # pragma: no cover - every type the models can produce is listed above
        message = f"is not allowed: {error['msg']}"
    return f"{path}: {shown} {message}"


def file_order(document: object, loc: tuple[int | str, ...]) -> tuple[int, ...]:
    """Where ``loc`` sits in the document, so that problems read from top to bottom."""
    order = []
    for part in loc:
        if isinstance(document, dict) and part in document:
            order.append(list(document).index(part))
            document = document[part]
        elif isinstance(document, list) and isinstance(part, int) and part < len(document):
            order.append(part)
            document = document[part]
        else:
            order.append(sys.maxsize)
            break
    return tuple(order)


class DuplicateKeysDict(dict[str, Any]):
    """A JSON object that remembers the keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def keep_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = DuplicateKeysDict(pairs)
    counts = Counter(key for key, _ in pairs)
    result.duplicates = tuple(key for key, count in counts.items() if count > 1)
    return result


def duplicate_keys(value: object, loc: tuple[int | str, ...] = ()) -> list[str]:
    """JSON keeps only the last of two equal keys; an operator almost never means that."""
    problems: list[str] = []
    if isinstance(value, DuplicateKeysDict):
        problems += [
            f"{json_path((*loc, key))}: appears more than once in the same object "
            "(only the last would count; keep one)"
            for key in value.duplicates
        ]
    if isinstance(value, dict):
        for key, item in value.items():
            problems += duplicate_keys(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += duplicate_keys(item, (*loc, index))
    return problems
