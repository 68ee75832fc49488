"""What the model may answer: one `classify_change` tool call (a gate.llm ToolSpec), validated twice
(API schema, then pydantic).

The schema is the whole vocabulary the model has: a risk level, a category from a fixed list, a short
rationale and a few signals. Nothing it says is executed or trusted beyond raising the risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.llm.tools import ToolSpec, strict_object
from gate.models import Category

TOOL_NAME = "classify_change"
RATIONALE_MAX = 600
SIGNAL_MAX = 200
SIGNALS_MAX = 10


class ModelVerdict(BaseModel):
    """The `classify_change` input, re-validated: anything outside the schema is a failed answer."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    risk: Literal["low", "medium", "high"]
    category: Category = Field(strict=False)  # the enum value arrives as a JSON string
    rationale: str = Field(max_length=RATIONALE_MAX)
    signals: list[Annotated[str, Field(max_length=SIGNAL_MAX)]] = Field(max_length=SIGNALS_MAX)


# Strict tool schemas do not support length keywords (maxLength, maxItems), so the limits are stated
# in the descriptions for the model and enforced by ModelVerdict afterwards.
CLASSIFY_CHANGE: ToolSpec[ModelVerdict] = ToolSpec(
    name=TOOL_NAME,
    description="Record the deployment risk of the change described in the data block. Call exactly once.",
    input_schema=strict_object(
        {
            "risk": {"type": "string", "enum": ["low", "medium", "high"]},
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "rationale": {
                "type": "string",
                "description": f"Why, in plain sentences; at most {RATIONALE_MAX} characters.",
            },
            "signals": {
                "type": "array",
                "description": f"At most {SIGNALS_MAX} short phrases, each at most {SIGNAL_MAX} characters.",
                "items": {"type": "string"},
            },
        }
    ),
    payload=ModelVerdict,
    task="classify the change",
)


def tool_definition() -> dict[str, Any]:
    """The one tool the model gets, as sent to the API (`strict`: the API enforces the schema too)."""
    return CLASSIFY_CHANGE.definition()


@dataclass(frozen=True)
class Prompt:
    """One request to the model, fully built: nothing is added to it on the way out.

    `cache_key` is the sha256 of prompt version, model and the condensed input (not the nonce),
    so the same commit asks the model once.
    """

    version: str
    model: str
    system: str
    user: str
    cache_key: str
    max_tokens: int = 1024
