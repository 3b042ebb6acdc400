"""Hostile files: wall time and peak memory of each CLI run on the worst inputs (issue 15).

Every case runs ``python -m planner ...`` in its own process under
``RLIMIT_AS`` = 1.5 GB; the figures are the wall time and the child's peak
resident memory. The bar: under 10 s and under 1 GB each, on files up to the
10 MB limit.

``python benchmarks/hostile_files.py`` prints a table; ``--json`` one JSON
object ``{case: {"seconds", "peak_mb", "exit"}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json"
LIMIT = 10 * 1024 * 1024


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


def run_case(args: list[str]) -> dict[str, float | int]:
    """Run the CLI once; wall seconds, the child's peak RSS (MB) and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        preexec_fn=_limit,
        timeout=600,
        check=False,
    )
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": round(seconds, 2), "peak_mb": round(max(peak, before) / 1024, 1), "exit": res.returncode}


def _base() -> dict:
    return json.loads(EXAMPLE.read_text())


def build_cases(folder: Path) -> dict[str, list[str]]:
    """Write the hostile files into ``folder``; returns case name -> CLI arguments."""
    from planner.io.registry import dump_profile, get_profile

    def put(name: str, text: str) -> str:
        p = folder / name
        p.write_text(text)
        return str(p)

    cases: dict[str, list[str]] = {}
    cases["quotes_40kb"] = ["evaluate", put("q40k.json", '"' + '\\"' * 20000)]
    cases["quotes_10mb"] = ["evaluate", put("q10m.json", '"' + '\\"' * (LIMIT // 2 - 1))]
    cases["brackets_10mb"] = ["evaluate", put("b10m.json", "[" * (LIMIT - 10))]
    cases["numbers_5m"] = ["evaluate", put("n5m.json", "[" + "1," * (LIMIT // 2 - 2) + "1]")]
    keys = _base()
    keys.update({f"k{i}": 1 for i in range(600_000)})
    cases["keys_600k"] = ["evaluate", put("keys.json", json.dumps(keys))]
    prof = json.loads(dump_profile(get_profile("binance-usdm")))
    prof["funding"].update(interval_hours=1e-7)
    tiny = _base() | {"profile": prof}
    cases["interval_1e-7_path"] = ["drill", put("tiny.plan.json", json.dumps(tiny)), "--scenario", "path"]
    prof = json.loads(dump_profile(get_profile("binance-usdm")))
    prof["funding"].update(interval_hours=1 / 60, settlement_hours_utc=[])
    minute = _base() | {"profile": prof, "horizon_hours": 24 * 366, "funding_rates": {"BTCUSDT": 0.0001}}
    minute_path = put("minute.plan.json", json.dumps(minute))
    cases["interval_1min_year_path"] = ["drill", minute_path, "--scenario", "path"]
    cases["interval_1min_year_evaluate"] = ["evaluate", minute_path]
    leg = dict(_base()["positions"][0], quantity=0.001, margin_mode="cross")
    leg.pop("isolated_margin", None)
    many = minute | {"positions": [leg] * 500, "account": {"wallet_balance": 1e7}}
    many_path = put("legs500.plan.json", json.dumps(many))
    rows = "".join(f"{i * 0.08:.2f},{1 - 1e-7 * i:.7f}\n" for i in range(100_000))
    csv_100k = put("path100k.csv", "time_hours,price\n" + rows)
    cases["legs500_1min_path_100k_rows"] = ["drill", many_path, "--scenario", "path", "--path", csv_100k]
    cases["legs500_event_default_paths"] = ["drill", many_path, "--scenario", "event"]
    cases["legs500_event_4166_paths"] = ["drill", many_path, "--scenario", "event", "--paths", "4166"]
    cases["path_csv_10mb"] = [
        "drill",
        str(EXAMPLE),
        "--scenario",
        "path",
        "--path",
        put("p10m.csv", "".join(f"{i * 0.001:.3f},1\n" for i in range(900_000))),
    ]
    if hasattr(os, "mkfifo"):
        fifo = folder / "fifo.plan.json"
        os.mkfifo(fifo)
        cases["fifo"] = ["evaluate", str(fifo)]
    if Path("/dev/zero").exists():
        (folder / "zero.plan.json").symlink_to("/dev/zero")
        cases["link_to_dev_zero"] = ["evaluate", str(folder / "zero.plan.json")]
    return cases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-k", help="only cases whose name contains this")
    args = ap.parse_args()
    out: dict[str, dict[str, float | int]] = {}
    with tempfile.TemporaryDirectory(prefix="pp-hostile-") as tmp:
        cases = build_cases(Path(tmp))
        show: Callable[[str], None] = (lambda s: None) if args.json else print
        show(f"{'case':<32} {'seconds':>8} {'peak MB':>8} {'exit':>5}")
        for name, argv in cases.items():
            if args.k and args.k not in name:
                continue
            # Peak RSS of children is a running maximum: run each case in a fresh helper process.
            code = (
                f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks.hostile_files import run_case; "
                "print(json.dumps(run_case(json.loads(sys.argv[1]))))"
            )
            res = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True, check=True)
            out[name] = json.loads(res.stdout)
            r = out[name]
            show(f"{name:<32} {r['seconds']:>8.2f} {r['peak_mb']:>8.1f} {r['exit']:>5}")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
