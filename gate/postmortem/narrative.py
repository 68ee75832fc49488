"""A paragraph of prose about measured facts, from the model when it stays grounded, else facts-only.

In: the run's model client (None: no key, or --no-llm, and `without_model` says which), the facts as
`name: value` strings already formatted as they may be cited ("18.3%", "03:13 UTC"), untrusted values
(label values, actors) and the facts-only paragraph. Out: a `NarrativeInfo` saying which text is used,
why, and what the call cost. Everything goes through gate.llm.phrase: the untrusted values are
scrubbed (gate.risk.material.scrub) and sent inside a nonce-delimited block, the answer is checked
for citations that are not in the facts, and any failure or ungrounded answer gives the fallback.
The daily report and the postmortem draft share this one path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gate.llm.client import ToolCaller
from gate.llm.narrative import NARRATIVE, Narrative
from gate.llm.phrase import FactValue, PhraseRequest, phrase
from gate.postmortem.model import NarrativeInfo

__all__ = ["narrate"]


def narrate(
    client: ToolCaller | None,
    *,
    purpose: str,
    model: str,
    instructions: str,
    facts: Mapping[str, FactValue],
    untrusted: Mapping[str, str | Sequence[str]],
    fallback: str,
    without_model: str,
) -> NarrativeInfo:
    def scrub(text: str) -> str:  # the redaction module loads only when a model will read the values
        from gate.risk.material import scrub as redact

        return redact(text)

    phrased = phrase(
        client,
        PhraseRequest(
            purpose=purpose,
            model=model,
            instructions=instructions,
            facts=facts,
            untrusted=untrusted,
            tool=NARRATIVE,
            fallback=Narrative(text=fallback),
        ),
        scrub=scrub,
        without_model=without_model,
    )
    return NarrativeInfo(
        source=phrased.source,
        text=phrased.value.text,
        note=phrased.note,
        model=phrased.model,
        input_tokens=phrased.input_tokens,
        output_tokens=phrased.output_tokens,
        cost_usd=phrased.cost_usd,
        cached=phrased.cached,
    )
