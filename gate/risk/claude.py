"""The Claude client: one forced `classify_change` call per prompt, turned into a ModelAnswer.

`classify` never raises for API or model problems: every way the call can go wrong becomes a
`failure` text (plain words, no secrets, no model text), which the gate counts as high risk.
The SDK is imported lazily so `slo-gate --help` and rules-only runs never load it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from gate.risk.verdict import TOOL_NAME, ModelVerdict, Prompt, tool_definition

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message

    from gate.risk.cache import AnswerCache

__all__ = [
    "PRICES",
    "ClaudeClassifier",
    "ModelAnswer",
    "Price",
    "estimate_cost",
    "price_for",
]


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


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input_per_mtok: float
    output_per_mtok: float


# List prices by model family; a dated id (claude-haiku-4-5-20251001) is priced by its family.
PRICES: Mapping[str, Price] = {
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4-1": Price(15.0, 75.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-3-5-haiku": Price(0.8, 4.0),
}

# What may follow a family id: a snapshot date, "-latest", or the "-0" alias of the 4.0 models.
# Anything else (claude-opus-4-6) is a different model and must not inherit claude-opus-4's price.
_VERSION_SUFFIX = re.compile(r"-(?:\d{8}|latest|0)")


def price_for(model: str, prices: Mapping[str, Price] = PRICES) -> Price | None:
    """The price of `model`: an exact id, else the longest family id it is a dated version of."""
    if model in prices:
        return prices[model]
    families = [f for f in prices if model.startswith(f) and _VERSION_SUFFIX.fullmatch(model[len(f) :])]
    return prices[max(families, key=len)] if families else None


def estimate_cost(
    model: str, input_tokens: int, output_tokens: int, prices: Mapping[str, Price] = PRICES
) -> float | None:
    """USD for one call by list price (no prompt-caching discounts); None for an unknown model."""
    price = price_for(model, prices)
    if price is None:
        return None
    return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1_000_000


class ClaudeClassifier:
    """Asks Claude to classify a change; one SDK client per classifier, reused across calls."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        cache: AnswerCache | None = None,
        prices: Mapping[str, Price] = PRICES,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url  # None: the SDK reads ANTHROPIC_BASE_URL itself
        self.timeout = timeout
        self.max_retries = max_retries
        self.cache = cache
        self.prices = prices
        self._client: anthropic.Anthropic | None = None

    def __repr__(self) -> str:
        # The key is deliberately absent: reprs end up in logs and tracebacks.
        return (
            f"ClaudeClassifier(timeout={self.timeout!r}, max_retries={self.max_retries!r}, "
            f"cache={self.cache!r})"
        )

    def classify(self, prompt: Prompt) -> ModelAnswer:
        """The cached answer for this prompt, else one API call; never raises for API/model problems."""
        if self.cache is not None:
            hit = self.cache.get(prompt.cache_key, prompt.model)
            if hit is not None:
                return hit
        answer = self._ask(prompt)
        if self.cache is not None and answer.verdict is not None:
            self.cache.put(prompt.cache_key, answer)
        return answer

    # -- the call ------------------------------------------------------------------------------
    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None:
            import anthropic  # lazy: keeps the SDK out of every run that does not ask the model

            self._client = anthropic.Anthropic(
                api_key=self._api_key,
                base_url=self._base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client

    def _ask(self, prompt: Prompt) -> ModelAnswer:
        if not self._api_key.strip():
            # The SDK would send an empty bearer token and fail with a confusing protocol error.
            return ModelAnswer(model=prompt.model, verdict=None, failure="no Anthropic API key was given")
        try:
            client = self._sdk()
            # No `temperature`: SDK 2.x removed the argument and API version 2026-10-21 (which it sends)
            # answers 400 to any sampling parameter. Determinism comes from the forced, strict tool call.
            message = client.messages.create(
                model=prompt.model,
                max_tokens=prompt.max_tokens,
                system=prompt.system,
                messages=[{"role": "user", "content": prompt.user}],
                tools=[cast("anthropic.types.ToolParam", tool_definition())],
                tool_choice={"type": "tool", "name": TOOL_NAME, "disable_parallel_tool_use": True},
            )
        except Exception as exc:  # KeyboardInterrupt/SystemExit are BaseException and pass through
            return ModelAnswer(model=prompt.model, verdict=None, failure=self._call_failure(exc))
        try:
            return self._read(prompt, message)
        except Exception as exc:
            # A 200 whose body is not a message (a proxy's HTML page, a truncated object).
            failure = f"the API answer could not be read ({type(exc).__name__})"
            return ModelAnswer(
                model=prompt.model, verdict=None, failure=failure, request_id=_request_id(message)
            )

    def _call_failure(self, exc: Exception) -> str:
        """Why the request produced no message, in words safe to print (no key, no body echo)."""
        if isinstance(exc, ImportError):  # checked first: importing the SDK again would raise again
            return f"the anthropic SDK could not be loaded ({type(exc).__name__})"
        import anthropic

        if isinstance(exc, anthropic.APITimeoutError):
            return f"no answer within {self.timeout:g} s{_retries(exc.request.headers)}"
        if isinstance(exc, anthropic.APIConnectionError):
            cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "no response"
            return f"could not reach the API ({cause}){_retries(exc.request.headers)}"
        if isinstance(exc, anthropic.APIStatusError):
            kind = f" ({exc.type})" if isinstance(exc.type, str) and exc.type else ""
            text = f"the API answered {exc.status_code}{kind}{_retries(exc.response.request.headers)}"
            detail = self._api_detail(exc)
            return f"{text}: {detail}" if detail else text
        if isinstance(exc, anthropic.AnthropicError):
            return f"the API call failed ({type(exc).__name__})"
        if isinstance(exc, json.JSONDecodeError):  # the SDK decoding a 200 body that is not JSON
            return f"the API answer could not be read ({type(exc).__name__})"
        return f"the API call failed unexpectedly ({type(exc).__name__})"

    def _api_detail(self, exc: anthropic.APIStatusError) -> str | None:
        # A 4xx message names the bad request field (model, schema) and is what the user must fix;
        # 5xx/429 messages add nothing. Shortened, and the key scrubbed in case anything echoes it.
        if exc.status_code >= 500 or exc.status_code == 429 or not exc.api_message:
            return None
        detail = " ".join(str(exc.api_message).split())[:200]
        return detail.replace(self._api_key, "[redacted]") if self._api_key else detail

    def _read(self, prompt: Prompt, message: Message) -> ModelAnswer:
        usage = getattr(message, "usage", None)
        input_tokens = _int_or_none(getattr(usage, "input_tokens", None))
        output_tokens = _int_or_none(getattr(usage, "output_tokens", None))
        cost = None
        if input_tokens is not None and output_tokens is not None:
            cost = estimate_cost(prompt.model, input_tokens, output_tokens, self.prices)
            answered_by = getattr(message, "model", None)
            if cost is None and isinstance(answered_by, str):
                cost = estimate_cost(answered_by, input_tokens, output_tokens, self.prices)
        verdict, failure = _interpret(message, prompt.max_tokens)
        return ModelAnswer(
            model=prompt.model,
            verdict=verdict,
            failure=failure,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=cost,
            request_id=_request_id(message),
        )


def _interpret(message: Message, max_tokens: int) -> tuple[ModelVerdict | None, str | None]:
    """The verdict in a message, or why there is none. Text blocks next to one good call are ignored."""
    stop = message.stop_reason
    if stop == "refusal":
        return None, "the model refused to classify the change (stop_reason refusal)"
    if stop == "max_tokens":
        # Even if a tool block is present its input may be cut short: never trust it.
        return None, f"the answer was cut off at max_tokens ({max_tokens}) before the tool call was complete"
    if stop == "model_context_window_exceeded":
        return None, "the prompt did not fit the model's context window"
    content = message.content if isinstance(message.content, list) else []
    calls = [block for block in content if getattr(block, "type", None) == "tool_use"]
    if not calls:
        return None, f"the model answered without calling {TOOL_NAME} (stop_reason {stop or 'missing'})"
    if len(calls) > 1:
        return None, f"the model made {len(calls)} tool calls; exactly one {TOOL_NAME} call is allowed"
    call = calls[0]
    if getattr(call, "name", None) != TOOL_NAME:
        return None, f"the model called a tool other than {TOOL_NAME}"  # its name is model text: not echoed
    raw = getattr(call, "input", None)
    try:
        # JSON mode: strict typing as the schema says, with enum values given as strings.
        return ModelVerdict.model_validate_json(json.dumps(raw)), None
    except ValidationError as exc:
        return None, f"the {TOOL_NAME} input failed validation: {_describe(exc)}"
    except (TypeError, ValueError):
        return None, f"the {TOOL_NAME} input is not JSON"


_KNOWN_FIELDS = frozenset(ModelVerdict.model_fields)


def _describe(exc: ValidationError) -> str:
    """Where validation failed and how (pydantic error codes), never with the model's values."""
    parts: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        if error["type"] == "extra_forbidden":
            text = "unexpected field"  # its name is chosen by the model: do not repeat it
        else:
            where = ".".join(
                str(p) if isinstance(p, int) or p in _KNOWN_FIELDS else "?" for p in error["loc"]
            )
            if error["type"] == "value_error":
                # Raised by ModelVerdict's own checks, so the message is ours, not the model's.
                message = error["msg"].removeprefix("Value error, ")
                text = f"{where}: {message}" if where else message
            else:
                text = f"{where or 'input'} ({error['type']})"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts)


def _retries(headers: Mapping[str, str]) -> str:
    # The SDK stamps each attempt with its retry number, so this is what happened, not the setting.
    try:
        taken = int(headers.get("x-stainless-retry-count", "0"))
    except ValueError:
        return ""
    if taken <= 0:
        return ""
    return f" after {taken} {'retry' if taken == 1 else 'retries'}"


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _request_id(message: Any) -> str | None:
    request_id = getattr(message, "_request_id", None)  # set by the SDK from the request-id header
    return request_id if isinstance(request_id, str) else None
