"""The risk advisor backed by Claude: one forced `classify_change` call per prompt, as a ModelAnswer.

In: a built Prompt (gate.risk.prompt). Out: a ModelAnswer whose `value` (the verdict) is None exactly when
`failure` says why, which the gate then counts as high risk. The transport, failure texts, pricing and
the answer cache are gate.llm's (`ModelClient`, built by the caller); this module only says which tool is forced and
turns the generic result into the risk path's answer. `classify` never raises for API or model
problems, and neither constructing nor importing this module loads the anthropic SDK.
"""

from __future__ import annotations

from gate.llm.answer import ToolCallResult
from gate.llm.client import ToolCaller, ToolRequest
from gate.risk.verdict import CLASSIFY_CHANGE, ModelVerdict, Prompt

__all__ = ["ClaudeClassifier", "ModelAnswer"]


# The risk path's answer is the generic tool-call result, typed to the classify_change payload.
ModelAnswer = ToolCallResult[ModelVerdict]


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
        return self.client.call(request)
