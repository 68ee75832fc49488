"""The receiver's HTTP side (starlette): answer Alertmanager fast, do the work later.

Routes:
- `POST /alertmanager` (also `/`): the webhook. `Authorization: Bearer TOKEN` is required and compared
  in constant time (401 otherwise, with nothing about the token); the body is read up to MAX_BODY
  (1 MiB; 413 beyond it, also when Content-Length says so up front) and must be an Alertmanager v4
  notification (400 with the reason otherwise); the group is queued for its worker and answered 200
  at once. A full queue answers 503, so Alertmanager retries later: the receiver never blocks a
  response on Prometheus, the model or Slack.
- `GET /healthz`: 200 `{"status": "ok", "queued": N}` (no token: for probes).

Every request is logged as one JSON line (method, path, status, milliseconds, group id), never its
body or headers. The module imports starlette: it is loaded only by `slo-gate serve`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gate.serve.alerts import MAX_BODY, AlertGroup, PayloadError, parse_notification

__all__ = ["TooLarge", "build_app", "read_capped"]


class TooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, or TooLarge as soon as it passes `limit` (never read past it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    candidate = value.strip() if scheme.lower() == "bearer" else ""
    # Compared in constant time whatever the length or scheme (compare_digest on bytes).
    return hmac.compare_digest(candidate.encode("utf-8", "replace"), token.encode("utf-8"))


def build_app(
    *,
    token: str,
    submit: Callable[[AlertGroup], bool],
    queued: Callable[[], int],
    log: Callable[..., None],
) -> Starlette:
    """The ASGI app. `submit(group)` queues a group (False: the queue is full)."""

    async def receive(request: Request) -> JSONResponse:
        started = time.perf_counter()
        group_id: str | None = None
        status, payload = 200, {"status": "queued"}
        if not _authorised(request, token):
            status, payload = 401, {"error": "a valid bearer token is required"}
        else:
            try:
                group = parse_notification(await read_capped(request))
            except TooLarge:
                status, payload = 413, {"error": f"the body is larger than {MAX_BODY} bytes"}
            except PayloadError as exc:
                status, payload = 400, {"error": str(exc)[:300]}
            else:
                group_id = group.group_id
                if not submit(group):
                    status, payload = 503, {"error": "the queue is full; retry later"}
        ms = (time.perf_counter() - started) * 1000
        log(
            "request",
            method=request.method,
            path=request.url.path,
            status=status,
            ms=round(ms, 2),
            group=group_id,
        )
        return JSONResponse(payload, status_code=status)

    async def healthz(request: Request) -> JSONResponse:
        body: dict[str, Any] = {"status": "ok", "queued": queued()}
        return JSONResponse(body)

    return Starlette(
        routes=[
            Route("/alertmanager", receive, methods=["POST"]),
            Route("/", receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
