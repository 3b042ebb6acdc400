"""PDF report: rendered from the document without a main window or settings, written whole or not at all,
and every failure is one line (CLI, exit 2 or 1) or a message box (window)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.io.plan_files import load_plan
from planner.io.registry import get_profile
from planner.model.errors import PlannerError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources/examples/btc-10x-isolated.plan.json"


def _run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "ui", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)


def test_report_builds_no_window_and_touches_no_settings(tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    code = f"""
import sys
from PySide6.QtCore import QSettings
def boom(*a, **k):
    raise AssertionError("report touched QSettings")
QSettings.__init__ = boom
from ui.report import main
rc = main([{str(EXAMPLE)!r}, "--out", {str(out)!r}])
print(rc, "ui.main_window" in sys.modules, "ui.app" in sys.modules)
"""
    res = _run(code=code)
    assert res.stdout.strip().splitlines()[-1] == "0 False False", res.stderr
    data = out.read_bytes()
    assert data[:5] == b"%PDF-" and b"%%EOF" in data[-64:] and len(data) > 20000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("missing/r.pdf", "does not exist"),
        (".", "is a folder"),
    ],
)
def test_report_refuses_bad_targets_in_one_line(tmp_path: Path, target: str, expected: str) -> None:
    res = _run("report", str(EXAMPLE), "--out", str(tmp_path / target))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and lines[0].startswith("position-planner: error: ")
    assert "wrote" not in res.stdout


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs a read-only folder even root cannot write (/sys)")
def test_report_into_read_only_place_exits_2() -> None:
    res = _run("report", str(EXAMPLE), "--out", "/sys/report.pdf")
    assert res.returncode == 2 and "/sys/report.pdf" in res.stderr and "cannot write" in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_report_usage_error_and_unexpected_error_are_one_line(tmp_path: Path) -> None:
    res = _run("report", str(EXAMPLE))
    assert res.returncode == 2 and "--out" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    # Issue 15 item 4: a denormal tick size crashed report with a traceback and exit 139; now the CLI's handler answers.
    plan = json.loads(EXAMPLE.read_text())
    profile = json.loads(get_profile(plan["profile"]).model_dump_json())
    used = {leg["symbol"] for leg in plan["positions"]}
    profile["symbols"] = {sym: spec for sym, spec in profile["symbols"].items() if sym in used}
    for spec in profile["symbols"].values():
        spec["tick_size"] = 5e-324
    plan["profile"] = profile
    path = tmp_path / "denormal.plan.json"
    path.write_text(json.dumps(plan))
    res = _run("report", str(path), "--out", str(tmp_path / "r.pdf"))
    assert res.returncode == 2, res.stderr  # refused at validation now (issue 15 item 4)
    lines = res.stderr.strip().splitlines()
    assert "Traceback" not in res.stderr and lines[0].startswith("position-planner: error: ")
    assert all(line.startswith("  - ") and "tick_size: must be at least 1e-12" in line for line in lines[1:])
    assert not (tmp_path / "r.pdf").exists()


def test_failed_write_keeps_the_previous_report(tmp_path: Path, monkeypatch) -> None:
    from ui.files import targets

    out = tmp_path / "r.pdf"
    out.write_bytes(b"previous report")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(targets.os, "fsync", full_disk)
    with pytest.raises(PlannerError) as err:
        targets.write_bytes_atomic(out, b"%PDF-new")
    assert str(out) in err.value.describe() and "No space left on device" in err.value.describe()
    assert ".tmp" not in err.value.describe()  # the message names the target, not the temporary file
    assert out.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_incomplete_pdf_is_refused(qtbot, tmp_path: Path, monkeypatch) -> None:
    from ui import report
    from ui.document import PlanDocument

    doc = PlanDocument(load_plan(EXAMPLE))
    out = tmp_path / "r.pdf"
    out.write_bytes(b"previous report")
    monkeypatch.setattr(report, "plot_images", lambda figures, payoff=None: {})
    pdf = report.render_pdf(doc.figures)
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    # A writer whose output stops half-way (what a failing device gives) is caught before anything is written.
    monkeypatch.setattr(report, "_qt_pdf", lambda figures, drills=(), payoff=None: pdf[: len(pdf) // 2])
    with pytest.raises(PlannerError, match="did not produce a complete PDF"):
        report.write_report(doc.figures, out)
    assert out.read_bytes() == b"previous report"


def test_window_export_report_shows_an_error_box(window, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from ui.files import exports

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(exports.QMessageBox, "warning", staticmethod(lambda parent, title, text: shown.append((title, text))))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(tmp_path), "")))
    action = next(a for a in window.menu("File").actions() if a.menu() is not None and a.text() == "&Export")
    report_action = next(a for a in action.menu().actions() if a.text().startswith("Report"))
    report_action.trigger()
    assert shown and shown[-1][0] == "Cannot write report" and "is a folder" in shown[-1][1]
    assert exports.export_report(window, window.document, tmp_path / "missing" / "r.pdf") is None
    assert "does not exist" in shown[-1][1]
    written = exports.export_report(window, window.document, tmp_path / "ok.pdf")
    assert written is not None and written.read_bytes()[:5] == b"%PDF-"
