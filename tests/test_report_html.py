"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) loads the file offline,
takes a screenshot with no console error, draws every chart with the right number of points, and
prints it on A4. The report itself comes from the real CLI against the incident dataset's Prometheus.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gate.daily.build import series_step
from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow  # a real Prometheus and a browser

POLICIES = Path(__file__).resolve().parent / "data" / "reports"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
HARNESS = """<script>
const found = [...document.querySelectorAll('path.budget')].map(p => ({
  points: Number(p.dataset.points),
  drawn: (p.getAttribute('d').match(/[ML]/g) || []).length,
  length: p.getTotalLength(),
  width: p.getBBox().width,
}));
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify(found);
document.body.appendChild(pre);
</script>"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return path


def browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def report_html(incident_prometheus: FixturePrometheus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = run_cli(
        "report",
        "--policy",
        str(POLICIES),
        "--prometheus-url",
        incident_prometheus.url,
        "--at",
        str(incident_prometheus.end_time),
        "--format",
        "html",
        "--out",
        str(out),
        "--no-llm",
    )
    assert result.exit_code == 0, result.output
    return out


def test_the_file_is_self_contained_and_small(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    assert len(text.encode()) <= 300 * 1024
    assert "<script" not in text and "http://" not in text.split("</header>")[1]
    assert "default-src 'none'" in text  # the browser is told to fetch nothing


def test_chromium_renders_it_offline_without_console_errors(report_html: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = browse(
        tmp_path,
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1000,2400",
        f"--screenshot={shot}",
        report_html.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000  # a page with text and charts, not a blank one
    console = [
        line
        for line in done.stderr.splitlines()
        if "CONSOLE" in line or "Refused to" in line or "net::ERR" in line
    ]
    assert console == []


def test_every_chart_is_drawn_with_one_point_per_measured_step(report_html: Path, tmp_path: Path) -> None:
    # A copy with a measuring script (the report itself allows none): it reads the laid-out SVG.
    text = report_html.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text).replace(
        "</body>", HARNESS + "</body>"
    )
    harness = tmp_path / "harness.html"
    harness.write_text(text, encoding="utf-8")
    done = browse(tmp_path, "--dump-dom", harness.as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, flags=re.S)
    assert found is not None, done.stderr[-2000:]
    charts = json.loads(found.group(1))
    steps = int(86400 // series_step(86400)) + 1  # 24 h at the report's step, both ends included
    assert len(charts) == 4  # the rolling SLOs: billing, checkout availability, legacy, search
    for chart in charts:
        assert chart["points"] == chart["drawn"] == steps
        assert chart["length"] > 300 and chart["width"] > 300


def test_it_prints_on_a4(report_html: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    done = browse(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", report_html.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes)
