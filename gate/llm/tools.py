"""The one tool a request forces the model to call: its name, a strict JSON schema, and the pydantic
model that validates the call's input a second time.

A `ToolSpec` is checked when it is built (a programming error raises ValueError at import time):
the schema must be one strict mode accepts, and the payload model must forbid extra fields. Strict
tool schemas do not support length or range keywords (maxLength, maxItems, minimum...), so limits
are stated in the field descriptions for the model and enforced by the payload model afterwards.
Validation failures are described by field and pydantic error code, never with the model's values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["STRICT_UNSUPPORTED", "ToolSpec", "describe_validation", "strict_object", "strict_problems"]

M = TypeVar("M", bound=BaseModel)

# Keywords strict tool schemas may not use (the documented structured-output limits).
STRICT_UNSUPPORTED = frozenset(
    {
        "minLength",
        "maxLength",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minProperties",
        "maxProperties",
        "patternProperties",
    }
)


def strict_problems(schema: Any) -> list[str]:
    """Why strict mode would refuse `schema`: unsupported keywords, and objects that are not closed."""
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, Mapping):
            return
        bad = sorted(k for k in node if k in STRICT_UNSUPPORTED)
        if "minItems" in node and node["minItems"] not in (0, 1):
            bad.append("minItems")
        if bad:
            problems.append(f"{where}: {', '.join(bad)} not supported in strict mode")
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            problems.append(f"{where}: additionalProperties must be false")
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, f"{where}.{name}")
        walk(node.get("items"), f"{where}[]")
        for combinator in ("anyOf", "allOf"):
            for i, sub in enumerate(node.get(combinator) or []):
                walk(sub, f"{where}.{combinator}.{i}")
        for name, sub in (node.get("$defs") or {}).items():
            walk(sub, f"{where}.$defs.{name}")

    walk(schema, "input_schema")
    return problems


def strict_object(properties: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A closed object schema in which every property is required (what strict mode expects)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": {name: dict(spec) for name, spec in properties.items()},
    }


@dataclass(frozen=True)
class ToolSpec(Generic[M]):
    """One tool: what the API is sent (`definition()`) and how its input is read (`parse`).

    `task` completes "the model refused to ..." in failure texts ("classify the change").
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    payload: type[M]
    task: str

    def __post_init__(self) -> None:
        problems = strict_problems(self.input_schema)
        if problems:
            raise ValueError(f"tool {self.name}: {'; '.join(problems)}")
        if self.payload.model_config.get("extra") != "forbid":
            raise ValueError(f"tool {self.name}: {self.payload.__name__} must forbid extra fields")

    def definition(self) -> dict[str, Any]:
        """The tool as the Messages API takes it; `strict` asks the API to enforce the schema as well."""
        return {
            "name": self.name,
            "description": self.description,
            "strict": True,
            "input_schema": json.loads(json.dumps(self.input_schema)),  # a fresh copy, plain JSON
        }

    def parse(self, raw: Any) -> tuple[M | None, str | None]:
        """The validated payload, or why `raw` (a tool call's input) is not one."""
        try:
            # JSON mode: strict typing as the schema says, with enum values given as strings.
            return self.payload.model_validate_json(json.dumps(raw)), None
        except ValidationError as exc:
            fields = frozenset(self.payload.model_fields)
            return None, f"the {self.name} input failed validation: {describe_validation(exc, fields)}"
        except (TypeError, ValueError):
            return None, f"the {self.name} input is not JSON"


def describe_validation(exc: ValidationError, known_fields: frozenset[str]) -> str:
    """Where validation failed and how (pydantic error codes), never with the model's values."""
    parts: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        if error["type"] == "extra_forbidden":
            text = "unexpected field"  # its name is chosen by the model: do not repeat it
        else:
            where = ".".join(str(p) if isinstance(p, int) or p in known_fields else "?" for p in error["loc"])
            if error["type"] == "value_error":
                # Raised by the payload model's own checks, so the message is ours, not the model's.
                message = error["msg"].removeprefix("Value error, ")
                text = f"{where}: {message}" if where else message
            else:
                text = f"{where or 'input'} ({error['type']})"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts)
