"""The risk advisor backed by Claude: one forced `classify_change` call per prompt, as a ModelAnswer.

In: a built Prompt (gate.risk.prompt). Out: a ModelAnswer whose `verdict` is None exactly when
`failure` says why, which the gate then counts as high risk. The transport, failure texts, pricing and
the answer cache are gate.llm's (`ModelClient`, built by the caller); this module only says which tool is forced and
turns the generic result into the risk path's answer. `classify` never raises for API or model
problems, and neither constructing nor importing this module loads the anthropic SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.llm.answer import ToolCallResult
from gate.llm.client import ToolCaller, ToolRequest
from gate.risk.verdict import CLASSIFY_CHANGE, ModelVerdict, Prompt

__all__ = ["ClaudeClassifier", "ModelAnswer"]


@dataclass(frozen=True)
class ModelAnswer:
    """What one classification produced; `verdict` is None exactly when `failure` says why."""

    model: str
    verdict: ModelVerdict | None
    failure: str | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached: bool = False
    request_id: str | None = None

    @classmethod
    def from_result(cls, result: ToolCallResult[ModelVerdict]) -> ModelAnswer:
        return cls(
            model=result.model,
            verdict=result.value,
            failure=result.failure,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=result.cost_usd,
            cached=result.cached,
            request_id=result.request_id,
        )


class ClaudeClassifier:
    """Asks Claude to classify a change through `client` (a ModelClient); a RiskAdvisor."""

    def __init__(self, client: ToolCaller) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"ClaudeClassifier({self.client!r})"

    def classify(self, prompt: Prompt) -> ModelAnswer:
        """The cached answer for this prompt, else one API call; never raises for API/model problems."""
        request = ToolRequest(
            model=prompt.model,
            system=prompt.system,
            user=prompt.user,
            tool=CLASSIFY_CHANGE,
            max_tokens=prompt.max_tokens,
            cache_key=prompt.cache_key,
        )
        return ModelAnswer.from_result(self.client.call(request))
