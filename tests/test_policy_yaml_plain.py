"""The fast path of policy YAML (`_plain_parse`) gives exactly what composing nodes gives, or steps aside.

Differential: the same text through both paths must give equal data and equal line maps; and for
everything the full path reports as a problem the fast path must give up (None), so the report is
unchanged.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.errors import PolicyErrors
from gate.policy_yaml import _composed_parse, _plain_parse, parse_yaml, parse_yaml_documents

ROOT = Path(__file__).resolve().parent.parent


def repository_yaml() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.yaml", "*.yml"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed]


def both(text: str) -> tuple[Any, Any]:
    plain = _plain_parse(text)
    try:
        composed: Any = _composed_parse(text, "p.yaml")
    except PolicyErrors as exc:
        composed = exc
    return plain, composed


def test_every_policy_in_the_repository_takes_the_fast_path_with_the_same_result() -> None:
    texts = {}
    for file in repository_yaml():
        try:
            texts[file] = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError:  # a fixture that is not UTF-8 on purpose
            continue
    files = [f for f, text in texts.items() if len(text) <= 64 * 1024]
    assert len(files) > 20
    fast = 0
    for file in files:
        plain, composed = both(texts[file])
        if plain is None:
            continue
        fast += 1
        assert plain == composed, file
    # Sound policies all take it (broken ones, workflows with an `on:` key and multi-document
    # manifests are the full path's to report).
    policies = [f for f in files if "policies" in f.parts and "broken" not in f.parts]
    assert len(policies) >= 6
    assert all(_plain_parse(texts[f]) is not None for f in policies)
    assert fast >= len(policies)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
    | st.sampled_from(
        ["yes", "no", "on", "~", "1e3", "0x1f", "2026-11-26", "12:30", "<<", "=", "*a", "&b", "!t"]
    )
)
documents = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
        max_leaves=25,
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([False, True, None]))
def test_dumped_data_reads_the_same_both_ways(data: dict[str, Any], flow: bool | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    plain, composed = both(text)
    if plain is not None:
        assert plain == composed
        assert plain.data == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: !custom x\n",
        "base: &b {k: 1}\nother:\n  <<: *b\n",
        "a: {<<: {k: 1}}\n",
        "a: 1\na: 2\n",
        "1: a\n",
        "null: a\n",
        "true: a\n",
        "? [a, b]\n: c\n",
        "a: 1\n---\nb: 2\n",
        "- a\n- b\n",
        "just a scalar\n",
        "",
        "a: [1, 2\n",
        "a:\n\tb: 1\n",
        "a: " + "[" * 70 + "]" * 70 + "\n",
        "a: b: c\n",
        "a: 2026-13-45\n",
        "- 2026-02-30\n",
    ],
)
def test_anything_the_full_path_reports_makes_the_fast_path_step_aside(text: str) -> None:
    assert _plain_parse(text) is None
    with pytest.raises(PolicyErrors):
        parse_yaml(text.encode(), "p.yaml")


def test_a_value_key_is_left_to_the_full_path() -> None:
    assert _plain_parse("= : 1\n") is None
    assert parse_yaml(b"= : 1\n", "p.yaml").data == {"=": 1}


def test_the_fast_path_keeps_the_lines_of_keys_and_items() -> None:
    parsed = _plain_parse("a: 1\nb:\n  - x\n  -\n    c: 2\nd: 'q'\n")
    assert parsed is not None
    assert parsed.data == {"a": 1, "b": ["x", {"c": 2}], "d": "q"}
    assert parsed.lines == {
        (): 1,
        ("a",): 1,
        ("b",): 2,
        ("b", 0): 3,
        ("b", 1): 5,
        ("b", 1, "c"): 5,
        ("d",): 6,
    }


def test_a_date_that_is_none_is_a_located_error_not_a_traceback() -> None:
    text = b"apiVersion: slo-gate/v1\nadjustments:\n  - start: 2026-13-45T00:00:00Z\n2026-02-30: x\n"
    with pytest.raises(PolicyErrors) as caught:
        parse_yaml(text, "p.yaml")
    shown = [str(error) for error in caught.value.errors]
    assert shown == [
        "p.yaml:3: adjustments[0].start: '2026-13-45T00:00:00Z' reads as a date YAML cannot hold "
        "(month must be in 1..12); quote it if it is text",
        "p.yaml:4: '2026-02-30' reads as a date YAML cannot hold (day is out of range for month); "
        "quote it if it is text",
    ]
    with pytest.raises(PolicyErrors, match=re.escape("spec.yaml:2: slos[0].since: '2026-99-01'")):
        parse_yaml_documents(b"version: x\nslos: [{since: 2026-99-01}]\n", "spec.yaml")
