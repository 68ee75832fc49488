"""The generic JSON webhook: POST one JSON document per notification to a URL the user gives
(`--notify-webhook`, `SLO_GATE_NOTIFY_WEBHOOK`), for chat tools other than Slack and for glue code.

The URL is treated as a credential (chat webhooks carry their token in the path): an
`Endpoint(secret_url=True)`, shown as `scheme://host/***` and masked in every message. Any 2xx is
delivery; a 429 waits for Retry-After (bounded) and is sent again; any other failure is a
`NotifyError`, and a POST that may have arrived is not sent twice. The body is the caller's JSON
(gate.watch.render.incident_payload: schema_version, event, incident).
"""

from __future__ import annotations

from typing import Any

from gate.http import Endpoint, HttpClient, HttpFailure, Pacing, RetryPolicy
from gate.notify.slack import NotifyError

__all__ = ["JsonWebhook"]


class JsonWebhook:
    """POSTs JSON documents to one URL; close it after use."""

    def __init__(
        self, url: str, *, timeout: float = 30.0, max_wait: float = 60.0, pacing: Pacing | None = None
    ) -> None:
        endpoint = Endpoint(
            url=url,
            name="webhook",
            secret_url=True,
            read_timeout=timeout,
            retry=RetryPolicy(retries=3, backoff=1.0, max_backoff=10.0, max_wait=max_wait),
            max_response_bytes=256 * 1024,
        )
        self._http = HttpClient(endpoint, call_deadline=timeout + max_wait * 3, pacing=pacing)
        self.where = f"the webhook {endpoint.display_base}"

    def __repr__(self) -> str:
        return f"JsonWebhook({self._http.endpoint!r})"

    def close(self) -> None:
        self._http.close()

    def send(self, document: dict[str, Any]) -> None:
        try:
            self._http.send("POST", "", json=document, headers={"Content-Type": "application/json"})
        except HttpFailure as exc:
            raise NotifyError(f"notification to {self.where} failed: {exc.message}") from None
