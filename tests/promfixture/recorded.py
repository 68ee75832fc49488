"""Recorded series over backfilled data: a dataset's TSDB plus what `slo-gate rules` would have recorded.

`promtool tsdb create-blocks-from rules` evaluates recording rules (it ignores alerts) against a
running Prometheus and writes blocks, but a rule that reads another rule of the same file sees nothing:
the blocks are not in that Prometheus yet. So the rules are split by dependency level (a rule's level is
one more than the highest level of the recorded series it reads) and each level is backfilled against a
Prometheus that already holds the levels below it (restarted between levels). `spans` says from when
each recorded series is backfilled (cost grows with span x rules), always up to the dataset's end.

The result is cached like the raw TSDB (tests/promfixture/server.py), keyed by the dataset's generator,
the rule text, the spans and promtool's version, and served by `running_recorded_prometheus`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import yaml

from .dataset import Dataset
from .server import (
    PROMETHEUS_CONFIG,
    FixturePrometheus,
    FixtureUnavailable,
    _stop,
    _wait_ready,
    cache_root,
    cached_tsdb,
    find_binaries,
    generator_hash,
    serve_tsdb,
)

_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def rule_levels(text: str) -> list[list[dict[str, object]]]:
    """The recording rules of a rule file, grouped by dependency level (level 1 reads raw series only)."""
    data = yaml.safe_load(text)
    rules = [r for g in data["groups"] for r in g["rules"] if "record" in r]
    recorded = {r["record"] for r in rules}
    level: dict[int, int] = {}
    names_read = [set(_NAME.findall(str(r["expr"]))) & recorded for r in rules]
    while len(level) < len(rules):
        progressed = False
        for i in range(len(rules)):
            if i in level:
                continue
            deps = [j for j, other in enumerate(rules) if other["record"] in names_read[i] and j != i]
            if all(j in level for j in deps):
                level[i] = 1 + max((level[j] for j in deps), default=0)
                progressed = True
        if not progressed:
            raise ValueError("recording rules depend on each other in a cycle")
    out: list[list[dict[str, object]]] = [[] for _ in range(max(level.values(), default=0))]
    for i, rule in enumerate(rules):
        out[level[i] - 1].append(rule)
    return out


def _start_serving(prometheus: str, tsdb: Path, work: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    config = work / "prometheus.yml"
    config.write_text(PROMETHEUS_CONFIG)
    log = work / f"prometheus-{time.monotonic_ns()}.log"
    proc, url = serve_tsdb(prometheus, config, tsdb, log)
    try:
        _wait_ready(url, proc, log, 60)
    except FixtureUnavailable:
        _stop(proc)
        raise
    return proc, url, log


def _backfill(tsdb: Path, rule_text: str, spans: Callable[[str], int], end: int, work: Path) -> None:
    binaries = find_binaries()
    for index, rules in enumerate(rule_levels(rule_text), 1):
        by_start: dict[int, list[dict[str, object]]] = {}
        for rule in rules:
            by_start.setdefault(spans(str(rule["record"])), []).append(rule)
        proc, url, _ = _start_serving(binaries.prometheus, tsdb, work)
        try:
            for start, chosen in sorted(by_start.items()):
                rules_file = work / f"level{index}-{start}.yml"
                rules_file.write_text(
                    yaml.safe_dump({"groups": [{"name": f"l{index}", "interval": "1m", "rules": chosen}]})
                )
                out = work / f"blocks-{index}-{start}"
                done = subprocess.run(
                    [
                        binaries.promtool, "tsdb", "create-blocks-from", "rules", "-q",
                        f"--start={start}", f"--end={end}", f"--url={url}", f"--output-dir={out}", str(rules_file),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=1800,
                )  # fmt: skip
                if done.returncode != 0:
                    raise FixtureUnavailable(f"promtool rules backfill failed: {done.stderr[-2000:]}")
                blocks = [b for b in out.iterdir() if (b / "meta.json").exists()] if out.exists() else []
                for block in blocks:
                    shutil.move(str(block), tsdb / block.name)
        finally:
            _stop(proc)
            for leftover in ("lock", "queries.active"):
                (tsdb / leftover).unlink(missing_ok=True)


def recorded_tsdb(dataset: Dataset, rule_text: str, spans: Mapping[str, int], default_start: int) -> Path:
    """The dataset's TSDB with the rules' recordings backfilled (cached; process-safe).

    `spans` maps a recorded series name to the time its backfill starts; others start at `default_start`.
    """
    binaries = find_binaries()
    raw = cached_tsdb(binaries, dataset)
    key = hashlib.sha256()
    key.update(generator_hash(binaries.promtool, dataset).encode())
    key.update(rule_text.encode())
    key.update(repr(sorted(spans.items())).encode() + str(default_start).encode())
    key.update(Path(__file__).read_bytes())
    root = cache_root()
    final = root / f"tsdb-{dataset.name}-recorded-{key.hexdigest()[:32]}"
    if (final / ".complete").exists():
        return final
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / ".complete").exists():
            return final
        staging = Path(tempfile.mkdtemp(prefix="building-", dir=root))
        try:
            tsdb = staging / "tsdb"
            shutil.copytree(raw, tsdb, ignore=shutil.ignore_patterns(".complete"))
            _backfill(tsdb, rule_text, lambda name: spans.get(name, default_start), dataset.end_time, staging)
            (tsdb / ".complete").write_text(str(time.time()))
            shutil.rmtree(final, ignore_errors=True)
            tsdb.rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for stale in root.glob(f"tsdb-{dataset.name}-recorded-*"):
            if stale != final:
                shutil.rmtree(stale, ignore_errors=True)
    return final


@contextlib.contextmanager
def running_recorded_prometheus(
    dataset: Dataset, rule_text: str, spans: Mapping[str, int], default_start: int
) -> Iterator[FixturePrometheus]:
    """A Prometheus serving a private copy of `recorded_tsdb(...)`; stopped on exit."""
    source = recorded_tsdb(dataset, rule_text, spans, default_start)
    binaries = find_binaries()
    with tempfile.TemporaryDirectory(prefix="slo-gate-recorded-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns(".complete"))
        proc, url, _ = _start_serving(binaries.prometheus, data, Path(tmp))
        try:
            yield FixturePrometheus(
                url=url,
                end_time=float(dataset.end_time),
                scenarios=dict(dataset.scenarios),
                tsdb_path=data,
                dataset=dataset,
            )
        finally:
            _stop(proc)
