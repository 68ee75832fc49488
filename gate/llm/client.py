"""The Anthropic client: one request per `ToolRequest`, forcing its one tool, read into a ToolCallResult.

`ModelClient.call` never raises for API or model problems: a timeout (`timeout` seconds per attempt,
the SDK retrying `max_retries` times), an unreachable API, an error status, a body that is not a
message and every unusable answer become a `failure` text in plain words, with no secret and no
model-authored text. The key is sent only to the Messages API: never printed, logged, cached or put
in a failure (an API message that echoes it is scrubbed). The SDK is imported lazily, on the first
request, so `slo-gate --help` and rules-only runs never load it; one SDK client is built per
ModelClient and reused. With a cache and a request `cache_key`, an answer with a value is stored and
the same key is answered from disk without a request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel

from gate.llm.answer import ToolCallResult, read_answer, request_id_of
from gate.llm.cache import AnswerCache, default_cache_dir
from gate.llm.pricing import PRICES, Price
from gate.llm.tools import ToolSpec

if TYPE_CHECKING:
    import anthropic

__all__ = ["KEY_VARIABLES", "ModelClient", "ToolCaller", "ToolRequest", "model_client_from_env"]

M = TypeVar("M", bound=BaseModel)

# Where the key is read from, first one set wins (the first lets a gate use its own key).
KEY_VARIABLES = ("SLO_GATE_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class ToolRequest(Generic[M]):
    """One request, fully built: nothing is added to it on the way out.

    `cache_key` (sha256 hex of everything the answer depends on, never of the nonce) enables the
    cache for this request; None asks every time.
    """

    model: str
    system: str
    user: str
    tool: ToolSpec[M]
    max_tokens: int = 1024
    cache_key: str | None = None


class ToolCaller(Protocol):
    """What features are given to ask the model (a ModelClient, or a stand-in in tests)."""

    def call(self, request: ToolRequest[M]) -> ToolCallResult[M]: ...


class ModelClient:
    """Asks Claude to call one tool; every request of a run goes through one ModelClient."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
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
            f"ModelClient(timeout={self.timeout!r}, max_retries={self.max_retries!r}, cache={self.cache!r})"
        )

    def call(self, request: ToolRequest[M]) -> ToolCallResult[M]:
        """The cached answer for this request, else one API call; never raises for API/model problems."""
        key = request.cache_key
        if self.cache is not None and key is not None:
            hit = self.cache.get(key, request.model, request.tool.payload)
            if hit is not None:
                return hit
        result = self._ask(request)
        if self.cache is not None and key is not None and result.value is not None:
            self.cache.put(key, result)
        return result

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

    def _ask(self, request: ToolRequest[M]) -> ToolCallResult[M]:
        model = request.model
        if not self._api_key.strip():
            # The SDK would send an empty bearer token and fail with a confusing protocol error.
            return ToolCallResult(model=model, value=None, failure="no Anthropic API key was given")
        tool = request.tool
        try:
            client = self._sdk()
            # No `temperature`: SDK 2.x removed the argument and API version 2026-10-21 (which it sends)
            # answers 400 to any sampling parameter. Determinism comes from the forced, strict tool call.
            message = client.messages.create(
                model=model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=[{"role": "user", "content": request.user}],
                tools=[cast("anthropic.types.ToolParam", tool.definition())],
                tool_choice={"type": "tool", "name": tool.name, "disable_parallel_tool_use": True},
            )
        except Exception as exc:  # KeyboardInterrupt/SystemExit are BaseException and pass through
            return ToolCallResult(model=model, value=None, failure=self._call_failure(exc))
        try:
            return read_answer(message, tool, model=model, max_tokens=request.max_tokens, prices=self.prices)
        except Exception as exc:
            # A 200 whose body is not a message (a proxy's HTML page, a truncated object).
            failure = f"the API answer could not be read ({type(exc).__name__})"
            return ToolCallResult(model=model, value=None, failure=failure, request_id=request_id_of(message))

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


def _retries(headers: Mapping[str, str]) -> str:
    # The SDK stamps each attempt with its retry number, so this is what happened, not the setting.
    try:
        taken = int(headers.get("x-stainless-retry-count", "0"))
    except ValueError:
        return ""
    if taken <= 0:
        return ""
    return f" after {taken} {'retry' if taken == 1 else 'retries'}"


def model_client_from_env(
    env: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT, *, cache: bool = True
) -> tuple[ModelClient | None, str | None]:
    """The client the environment configures, or None and why not (e.g. "no ANTHROPIC_API_KEY").

    The key comes from SLO_GATE_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY only (never argv), the base URL
    from ANTHROPIC_BASE_URL, the answer cache from `default_cache_dir(env)` (`cache=False`: none).
    """
    key = next((env[name] for name in KEY_VARIABLES if env.get(name)), None)
    if key is None:
        return None, "no ANTHROPIC_API_KEY"
    client = ModelClient(
        key,
        base_url=env.get("ANTHROPIC_BASE_URL") or None,
        timeout=timeout,
        cache=AnswerCache(default_cache_dir(env)) if cache else None,
    )
    return client, None
