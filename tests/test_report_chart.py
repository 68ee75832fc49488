"""The budget chart under the Markdown report: a value outside the -100..100 axis is drawn at the
edge, and the chart says so with the true extreme (an overspent budget must not look merely empty)."""

from __future__ import annotations

import pytest

from gate.demo import demo_run
from gate.models import ServiceResult
from gate.report import history_chart

T0 = 1792497600.0


def with_history(fractions: list[float]) -> ServiceResult:
    result = demo_run().services[0]
    points = [(T0 + 3600.0 * i, value) for i, value in enumerate(fractions)]
    return result.model_copy(update={"history": {"availability": points}})


def chart(fractions: list[float]) -> str:
    return "\n".join(history_chart(with_history(fractions)))


def test_values_below_the_axis_are_drawn_at_its_edge_and_the_chart_says_so() -> None:
    text = chart([0.4, -0.5, -2.187, -1.3])
    assert "  line [40.0, -50.0, -100.0, -100.0]" in text
    assert "Values below -100% are drawn at -100%; the lowest is -218.7%" in text
    assert "above 100%" not in text
    # the note sits inside the collapsed block, under the chart
    assert text.index("```\n") < text.index("the lowest is") < text.index("</details>")


def test_values_above_the_axis_are_noted_too() -> None:
    text = chart([1.25, 0.9])
    assert "  line [100.0, 90.0]" in text
    assert "Values above 100% are drawn at 100%; the highest is 125.0%" in text


@pytest.mark.parametrize("fractions", [[1.0, 0.5, -1.0], [0.2, 0.1]], ids=["on-the-edges", "inside"])
def test_no_note_when_nothing_was_clamped(fractions: list[float]) -> None:
    text = chart(fractions)
    assert "drawn at" not in text
    assert text.rstrip().endswith("</details>")
