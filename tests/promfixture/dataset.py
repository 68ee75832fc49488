"""What a fixture backend serves: a named set of counter series on a time grid, written as OpenMetrics.

A `Dataset` is the unit the fixtures cache and start: `tests/promfixture/scenarios.py` is the gate's
(`GATE`); a feature that needs other history (an incident with per-route errors, 90 days of daily
ratios) defines its own dataset in its own module and gets its own cached TSDB and Prometheus, so
features never share, change or evict each other's data. The cache key is the sha256 of the
dataset's `sources` (the files that generate it) and this writer: edit either and the TSDB is rebuilt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import scenarios as sc

Labels = tuple[tuple[str, str], ...]
# One series: metric name, labels in a stable order, and its (unix seconds, value) samples in time order.
SeriesSamples = tuple[str, Labels, Iterable[tuple[int, float]]]

_HERE = Path(__file__).resolve().parent
DAY = 86400


@dataclass(frozen=True)
class Dataset:
    name: str  # a short identifier: the cache folder is tsdb-<name>-<hash>
    end_time: int  # the data's last sample (tests query at this time, never the wall clock)
    sources: tuple[Path, ...]  # the files that generate the data (the cache key)
    series: Callable[[], Iterable[SeriesSamples]] = field(compare=False)
    scenarios: Mapping[str, Any] = field(default_factory=dict, compare=False)  # analytic truth, if any

    @property
    def key_files(self) -> tuple[Path, ...]:
        return (*self.sources, Path(__file__).resolve())


def _labels(labels: Labels) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}"


def write_openmetrics(out_dir: Path, dataset: Dataset) -> list[Path]:
    """Write the dataset as one OpenMetrics file per UTC day (promtool's cost grows with blocks x size)."""
    chunks: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for metric, labels, samples in dataset.series():
        prefix = metric + _labels(labels) + " "
        for t, value in samples:
            chunks[t // DAY][metric].append(f"{prefix}{value!r} {t}")
    files = []
    for day, families in sorted(chunks.items()):
        path = out_dir / f"day-{day}.om"
        with path.open("w") as fh:
            for family, lines in families.items():
                fh.write(f"# TYPE {family} unknown\n")
                fh.write("\n".join(lines))
                fh.write("\n")
            fh.write("# EOF\n")
        files.append(path)
    return files


def _gate_series() -> Iterable[SeriesSamples]:
    times = sc.sample_times()
    for scenario, series in sc.all_series():
        yield series.metric, series.labels, scenario.counter_values(series.what, times)


# The gate's scenarios (tests/promfixture/scenarios.py): the data every gate test and the demo use.
GATE = Dataset(
    name="gate",
    end_time=sc.END_TIME,
    sources=(_HERE / "scenarios.py",),
    series=_gate_series,
    scenarios=sc.SCENARIOS,
)
