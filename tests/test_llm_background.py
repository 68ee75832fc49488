"""Running one callable on a daemon thread (gate.llm.background)."""

from __future__ import annotations

import threading

import pytest

from gate.llm.background import in_background


def test_the_result_comes_back_from_a_named_daemon_thread() -> None:
    seen: list[threading.Thread] = []

    def work() -> int:
        seen.append(threading.current_thread())
        return 42

    assert in_background(work, name="slo-gate-test")() == 42
    (thread,) = seen
    assert thread is not threading.main_thread()
    assert thread.daemon
    assert thread.name == "slo-gate-test"


def test_the_work_starts_before_anyone_waits() -> None:
    started = threading.Event()
    release = threading.Event()

    def work() -> str:
        started.set()
        release.wait()
        return "done"

    wait = in_background(work)
    assert started.wait(timeout=10)  # running while this thread does other work
    release.set()
    assert wait() == "done"


@pytest.mark.parametrize("error", [ValueError("bad"), KeyboardInterrupt()])
def test_what_the_work_raised_is_raised_by_the_wait(error: BaseException) -> None:
    def work() -> None:
        raise error

    wait = in_background(work)
    with pytest.raises(type(error)) as raised:
        wait()
    assert raised.value is error
