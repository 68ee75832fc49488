"""`slo-gate serve`, assembled: clients from the composition root, the group processor
(gate.serve.processor), the queues (gate.serve.workers), the ASGI app (gate.serve.app), run by uvicorn.

The listening socket is bound here, before anything starts, so an address in use is a clear error
(exit 2). SIGTERM or SIGINT stop accepting (uvicorn's graceful shutdown), then the groups already
queued are finished (at most DRAIN seconds) and the process exits 0. The receiver's token comes from
SLO_GATE_RECEIVER_TOKEN only.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from gate.errors import UsageError
from gate.watch.settings import ServeSettings, state_spec

if TYPE_CHECKING:
    from gate.compose import CommandResult, Runtime
    from gate.serve.processor import GroupProcessor
    from gate.serve.workers import JsonLog

__all__ = ["DRAIN", "bind", "build_processor", "receiver_token", "serve"]

DRAIN = 30.0
TOKEN_VARIABLE = "SLO_GATE_RECEIVER_TOKEN"  # noqa: S105 (a variable name, not a secret)


def receiver_token(env: Mapping[str, str]) -> str:
    token = env.get(TOKEN_VARIABLE)
    if token is None or not token.strip():
        raise UsageError(
            f"serve needs a bearer token in {TOKEN_VARIABLE} (Alertmanager's http_config.authorization)"
        )
    if len(token.strip()) < 16:
        raise UsageError(f"{TOKEN_VARIABLE} is too short: use at least 16 random characters")
    return token.strip()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"--listen {host}:{port}: cannot listen there ({exc.strerror or exc})") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def build_processor(settings: ServeSettings, rt: Runtime, log: JsonLog) -> GroupProcessor:
    from gate.compose import load_selected
    from gate.serve.processor import GroupProcessor
    from gate.watch.command import model_for

    loaded = load_selected(settings.policies, settings.services)
    spec = state_spec(settings.state, settings.audit)
    notifiers = rt.notifiers(settings.notify)
    if not notifiers and not settings.dry_run:
        rt.warn(
            "no notifier configured (--slack-webhook-url, --slack-channel, --notify-webhook): groups are only logged"
        )
    return GroupProcessor(
        policies=loaded,
        metrics=lambda: rt.metrics_round(settings.metrics),
        store=rt.incident_store(spec, settings.audit_remote),
        notifiers=notifiers,
        model=model_for(settings.model, rt),
        log=log,
        records=rt.audit_records(settings.audit, settings.audit_remote),
        github=rt.github(),
        clock=rt.clock,
        at=settings.metrics.at,
        dry_run=settings.dry_run,
    )


def serve(settings: ServeSettings, rt: Runtime) -> CommandResult:
    from gate.compose import CommandResult

    token = receiver_token(rt.env)
    try:
        import uvicorn

        from gate.serve.app import build_app
    except ImportError:
        raise UsageError(
            "serve needs the optional extra: pip install 'slo-gate[serve]' (starlette, uvicorn)"
        ) from None
    from gate.serve.workers import Dispatcher, JsonLog
    from gate.watch.loop import stop_on_signals

    log = JsonLog(clock=rt.clock)
    processor = build_processor(settings, rt, log)
    host, port = settings.listen
    sock = bind(host, port)
    dispatcher = Dispatcher(
        processor.handle, workers=settings.workers, size=settings.queue_size, log=log
    ).start()
    app = build_app(token=token, submit=dispatcher.submit, queued=dispatcher.queued, log=log)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    log("listening", address=f"{host}:{sock.getsockname()[1]}", policies=len(processor.policies))
    # uvicorn stops on SIGTERM/SIGINT, restores the handlers it found and raises the signal again;
    # the handlers found are these, so the process goes on to drain its queue and exit 0.
    stopped = threading.Event()
    try:
        with stop_on_signals(stopped):
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        drained = dispatcher.stop(DRAIN)
        log("stopped", drained=drained, handled=dispatcher.handled)
    return CommandResult("", 0)
