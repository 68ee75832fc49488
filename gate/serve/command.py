"""`slo-gate serve`, assembled: two processes, so that answering Alertmanager never competes with the
work of enriching its alerts.

- The receiver (this process): the ASGI app (gate.serve.app) run by uvicorn. It checks each request
  and puts the group on a bounded queue shared with the worker process; a full queue is a 503.
- The worker process (forked before uvicorn starts): the clients built by its own composition root,
  the group processor (gate.serve.processor) and its threads (gate.serve.workers.Dispatcher), which
  measure, gather context, summarise and post to Slack. Python runs one thread at a time per process:
  in one process, busy workers would hold up the event loop's answers by tens of milliseconds.

Before anything starts, the policies and notification settings are checked and the listening socket is
bound, so a bad policy or an address in use is a clear error (exit 2). SIGTERM or SIGINT stop
accepting (uvicorn's graceful shutdown); the worker process then finishes the queued groups (DRAIN
seconds at most), writes the state, and the process exits 0. The receiver's token comes from
SLO_GATE_RECEIVER_TOKEN only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gate.errors import GateError, UsageError
from gate.watch.settings import ServeSettings, state_spec

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from gate.compose import CommandResult, Runtime
    from gate.serve.processor import GroupProcessor
    from gate.serve.workers import JsonLog

__all__ = ["DRAIN", "bind", "build_processor", "receiver_token", "serve"]

DRAIN = 30.0
READY_TIMEOUT = 120.0
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
    # IPPROTO_TCP stated outright: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets
    # that say they are TCP; without it every answer waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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
    from gate.serve.groups import GroupStates
    from gate.serve.processor import GroupProcessor
    from gate.watch.command import model_for

    loaded = load_selected(settings.policies, settings.services)
    spec = state_spec(settings.state, settings.audit)
    return GroupProcessor(
        policies=loaded,
        metrics=lambda: rt.metrics_round(settings.metrics),
        groups=GroupStates(rt.incident_store(spec, settings.audit_remote), log=log).start(),
        notifiers=rt.notifiers(settings.notify),
        model=model_for(settings.model, rt),
        log=log,
        records=rt.audit_records(settings.audit, settings.audit_remote),
        github=rt.github(),
        clock=rt.clock,
        at=settings.metrics.at,
        dry_run=settings.dry_run,
    )


def _check(settings: ServeSettings, rt: Runtime) -> int:
    """Everything that can be wrong with the input, found before anything starts (exit 2)."""
    from gate.compose import load_selected

    loaded = load_selected(settings.policies, settings.services)
    if not rt.notifiers(settings.notify) and not settings.dry_run:
        rt.warn(
            "no notifier configured (--slack-webhook-url, --slack-channel, --notify-webhook): "
            "groups are only logged"
        )
    if settings.metrics.snapshot is None and not settings.metrics.prometheus_url:
        raise UsageError("--prometheus-url (or SLO_GATE_PROMETHEUS_URL) is required")
    return len(loaded)


def worker_main(settings: ServeSettings, groups: Queue[Any], ready: Any) -> None:
    """The worker process: its own clients, the processor and its threads, fed from `groups` until
    None arrives; then the queued groups are finished and the state written."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the receiver decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from gate.compose import Runtime
    from gate.serve.workers import Dispatcher, JsonLog

    log = JsonLog()
    rt = Runtime(dict(os.environ), warn=lambda text: log("warning", level="warning", message=text))
    try:
        processor = build_processor(settings, rt, log)
        size = max(1, settings.queue_size // max(1, settings.workers))
        dispatcher = Dispatcher(processor.handle, workers=settings.workers, size=size, log=log).start()
        ready.set()
        while True:
            group = groups.get()
            if group is None:
                break
            dispatcher.submit(group, block=True)  # a full worker leaves the groups on the shared queue
        drained = dispatcher.stop(DRAIN)
        written = processor.groups.stop()
        log("workers_stopped", drained=drained, handled=dispatcher.handled, state_written=written)
    except GateError as exc:
        log("workers_failed", level="error", error=exc.message[:500])
    finally:
        rt.close()


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
    from gate.serve.workers import JsonLog
    from gate.watch.loop import stop_on_signals

    log = JsonLog(clock=rt.clock)
    policies = _check(settings, rt)
    host, port = settings.listen
    sock = bind(host, port)
    context: Any = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    groups: Queue[Any] = context.Queue(maxsize=settings.queue_size)
    ready = context.Event()
    worker = context.Process(
        target=worker_main, args=(settings, groups, ready), name="slo-gate-serve-workers"
    )
    worker.start()
    if not ready.wait(READY_TIMEOUT):
        worker.terminate()
        sock.close()
        raise UsageError("serve: the worker process did not start (see the log above)")

    def submit(group: Any) -> bool:
        try:
            groups.put_nowait(group)
        except queue.Full:
            return False
        return True

    app = build_app(token=token, submit=submit, queued=groups.qsize, log=log)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    log("listening", address=f"{host}:{sock.getsockname()[1]}", policies=policies, worker=worker.pid)
    # uvicorn stops on SIGTERM/SIGINT, restores the handlers it found and raises the signal again;
    # the handlers found are these, so the process goes on to drain the queue and exit 0.
    stopped = threading.Event()
    try:
        with stop_on_signals(stopped):
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        with contextlib.suppress(queue.Full, OSError, ValueError):  # a worker gone or stuck is ended below
            groups.put(None, timeout=DRAIN)
        worker.join(DRAIN + 15)
        drained = worker.exitcode == 0
        if worker.is_alive():
            worker.terminate()
            worker.join(10)
        log("stopped", drained=drained, exit=worker.exitcode)
    return CommandResult("", 0)
