"""Smoke-test a built Position Planner executable against the source tree's engine.

``python packaging/smoke_bundle.py EXECUTABLE [PLAN]`` (run with a Python that can
import ``planner`` from this repository). Runs the bundled app's ``--version``,
``evaluate PLAN --json`` (every leg's liquidation, bankruptcy and margin figures and
the account must equal ``python -m planner evaluate PLAN --json`` run from the
source tree), ``--screenshot`` offscreen (a 1600x1000 PNG), a ``drill`` and the PDF
``report``. Prints the start-up times. Exit status 0 only if everything matched.
Used by ``packaging/smoke_test.sh`` (Linux) and the Windows/macOS CI jobs.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json"
LEG_KEYS = (
    "liquidation_price",
    "bankruptcy_price",
    "margin_call_price",
    "initial_margin",
    "maintenance_margin",
    "margin_ratio",
    "unrealized_pnl",
)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc, took


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"FAIL: {path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print("usage: smoke_bundle.py EXECUTABLE [PLAN]", file=sys.stderr)
        return 2
    app = str(Path(sys.argv[1]).resolve())
    plan = str(Path(sys.argv[2]).resolve() if len(sys.argv) == 3 else EXAMPLE)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", POSITION_PLANNER_NO_DIALOG="1")

    proc, t_version = _run([app, "--version"], env)
    version = proc.stdout.strip()
    print(f"--version: {version} ({t_version:.2f} s)")

    bundle = json.loads(_run([app, "evaluate", plan, "--json"], env)[0].stdout)
    source = json.loads(_run([sys.executable, "-m", "planner", "evaluate", plan, "--json"], dict(env, PYTHONPATH=str(ROOT)))[0].stdout)
    if len(bundle["positions"]) != len(source["positions"]) or not bundle["positions"]:
        raise SystemExit("FAIL: leg count differs from the source tree")
    for i, (got, want) in enumerate(zip(bundle["positions"], source["positions"], strict=False), start=1):
        for key in LEG_KEYS:
            if got.get(key) != want.get(key):
                raise SystemExit(f"FAIL: leg {i} {key}: bundle {got.get(key)} != source {want.get(key)}")
    if bundle["account"] != source["account"]:
        raise SystemExit("FAIL: account figures differ from the source tree")
    liqs = ", ".join(str(p["liquidation_price"]) for p in bundle["positions"])
    print(f"evaluate --json: {len(bundle['positions'])} legs identical to the source tree (liquidation {liqs})")

    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "shot.png"
        _, t_shot = _run([app, "--screenshot", str(shot), plan], env)
        size = _png_size(shot)
        if size != (1600, 1000):
            raise SystemExit(f"FAIL: screenshot is {size}, expected (1600, 1000)")
        print(f"--screenshot: {size[0]}x{size[1]} PNG ({t_shot:.2f} s)")
        _run([app, "drill", plan, "--scenario", "gap"], env)
        pdf = Path(tmp) / "report.pdf"
        _run([app, "report", plan, "--out", str(pdf)], env)
        if pdf.read_bytes()[:5] != b"%PDF-":
            raise SystemExit("FAIL: report is not a PDF")
        print("drill and PDF report ran")
    print(f"start-up: --version {t_version:.2f} s, --screenshot {t_shot:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
