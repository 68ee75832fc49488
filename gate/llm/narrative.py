"""The tool for one paragraph of prose about given facts (a daily report's narrative, a postmortem's
"what the data shows", an objective recommendation's reasoning), for `gate.llm.phrase`.

The answer is one `text` of at most NARRATIVE_MAX characters; strict schemas carry no length keyword,
so the limit is stated in the description and enforced by `Narrative`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gate.llm.tools import ToolSpec, strict_object

__all__ = ["NARRATIVE", "NARRATIVE_MAX", "Narrative"]

NARRATIVE_MAX = 1200


class Narrative(BaseModel):
    """The `write_narrative` input, re-validated."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    text: str = Field(min_length=1, max_length=NARRATIVE_MAX)


NARRATIVE: ToolSpec[Narrative] = ToolSpec(
    name="write_narrative",
    description="Record one paragraph that states what the facts show. Call exactly once.",
    input_schema=strict_object(
        {
            "text": {
                "type": "string",
                "description": f"Plain sentences citing only the facts given; at most {NARRATIVE_MAX} characters.",
            }
        }
    ),
    payload=Narrative,
    task="write the narrative",
)
