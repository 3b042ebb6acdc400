"""Hostile files and absurd numbers (issue 15 items 1-5, 12-14, 16): no hang, no
out-of-memory, no traceback; one line naming the file and field, exit 2.

The worst files run in a subprocess under ``RLIMIT_AS`` = 1.5 GB and a generous
timeout, so a regression shows as a failure, not as a stalled test run. The
times themselves are measured in ``benchmarks/hostile_files.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from planner.cli.main import main, run_guarded
from planner.io.atomic import STALE_TEMP_SECONDS, WriteError, atomic_write_text
from planner.io.jsonread import MAX_DEPTH, MAX_FILE_BYTES, parse_json_text, read_file_bytes, read_json_file
from planner.io.registry import dump_profile, get_profile
from planner.model.errors import PlannerError, Problem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json"
LIMITED_TIMEOUT_S = 60  # generous: the machine is shared; the runs themselves take about a second

POSIX = os.name == "posix"


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(folder))
    return folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("position-planner: error:"), err


def base_plan() -> dict:
    return json.loads(EXAMPLE.read_text())


def inline_profile_plan(**funding: object) -> dict:
    plan = base_plan()
    prof = json.loads(dump_profile(get_profile("binance-usdm")))
    prof["funding"].update(funding)
    plan["profile"] = prof
    return plan


def write(tmp_path: Path, data: object, name: str = "p.plan.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
from planner.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def run_limited(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process with 1.5 GB of address space and a timeout."""
    full_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", LIMITED, *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=LIMITED_TIMEOUT_S,
    )


# ---------------------------------------------------------------------------
# 1. Counts derived from user numbers are bounded
# ---------------------------------------------------------------------------


def test_1_tiny_funding_interval_refused_with_allowed_range(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, inline_profile_plan(interval_hours=1e-7))
    code, out, err = run(capsys, "drill", str(path), "--scenario", "path")
    assert code == 2 and out == ""
    one_line_error(err)
    assert "profile.funding.interval_hours: must be between 1/60 h (one minute) and 24 h (got 1e-07)" in err


def test_1_symbol_funding_interval_bounded(tmp_path: Path, capsys) -> None:
    plan = inline_profile_plan()
    plan["profile"]["symbols"]["BTCUSDT"]["funding_interval_hours"] = 1e-7
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, plan)))
    assert code == 2
    assert "profile.symbols.BTCUSDT.funding_interval_hours: must be between 1/60 h" in err


def test_1_settlement_hours_bounded(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, inline_profile_plan(settlement_hours_utc=[0.5] * 2000))))
    assert code == 2 and "profile.funding.settlement_hours_utc: must have at most 1440 item(s)" in err
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, inline_profile_plan(settlement_hours_utc=[0, 25]))))
    assert code == 2 and "item 1: must be an hour of the day from 0 to below 24 (got 25" in err


def test_1_one_minute_interval_over_a_year_is_bounded_work(tmp_path: Path) -> None:
    """The smallest interval allowed on the longest horizon: 527,040 settlements, computed, not refused."""
    plan = inline_profile_plan(interval_hours=1 / 60, settlement_hours_utc=[])
    plan["horizon_hours"] = 24 * 366
    plan["funding_rates"] = {"BTCUSDT": 0.0001}
    path = write(tmp_path, plan)
    res = run_limited("drill", str(path), "--scenario", "path", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["hours"][-1] == pytest.approx(24 * 366)


def test_1_settlement_schedule_refuses_billions_of_points() -> None:
    from planner.engine.funding import MAX_SETTLEMENTS, settlement_schedule

    funding = get_profile("binance-usdm").funding
    with pytest.raises(PlannerError, match=f"at most {MAX_SETTLEMENTS:,} are computed"):
        settlement_schedule(funding, 1e-7, 24.0)
    assert settlement_schedule(funding, 8.0, 24.0).hours.tolist() == [8.0, 16.0, 24.0]


def test_1_plan_horizon_and_path_csv_bounded(tmp_path: Path, capsys) -> None:
    plan = base_plan()
    plan["horizon_hours"] = 1e-9
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, plan)))
    assert code == 2 and "horizon_hours: must be at least 0.0166667 (got 1e-09)" in err
    csv_path = tmp_path / "long.csv"
    csv_path.write_text("0,1\n1e300,0.9\n")
    code, _, err = run(capsys, "drill", str(EXAMPLE), "--scenario", "path", "--path", str(csv_path))
    assert code == 2 and "line 2: time must be from 0 to 8784 hours (got 1e+300)" in err
    many = tmp_path / "many.csv"
    many.write_text("".join(f"{i * 0.01:.2f},1\n" for i in range(100_001)))
    code, _, err = run(capsys, "drill", str(EXAMPLE), "--scenario", "path", "--path", str(many))
    assert code == 2 and "line 100001: a path has at most 100,000 rows" in err


def test_1_event_drill_work_is_bounded(tmp_path: Path, capsys) -> None:
    plan = base_plan()
    leg = dict(plan["positions"][0], quantity=0.001, margin_mode="cross")
    leg.pop("isolated_margin", None)
    plan["positions"] = [leg] * 500
    path = write(tmp_path, plan)
    t0 = time.perf_counter()
    code, _, err = run(capsys, "drill", str(path), "--scenario", "event")
    assert time.perf_counter() - t0 < LIMITED_TIMEOUT_S
    assert code == 2 and "--paths: 100,000 paths x 500 legs x 96 steps is too much work" in err
    assert "use at most 4,166 paths" in err


# ---------------------------------------------------------------------------
# 2. Linear JSON checks
# ---------------------------------------------------------------------------


def test_2_escaped_quotes_fail_fast(tmp_path: Path) -> None:
    text = '"' + '\\"' * 20000  # 40 KB: 6 s with the old regular-expression pre-scan
    with pytest.raises(PlannerError, match="not valid JSON at line 1, column 1"):
        parse_json_text(text, "x")
    big = tmp_path / "quotes.plan.json"
    big.write_text('"' + '\\"' * (MAX_FILE_BYTES // 2 - 1))  # just under 10 MB
    res = run_limited("evaluate", str(big))
    assert res.returncode == 2 and "not valid JSON" in res.stderr and "Traceback" not in res.stderr


def test_2_depth_limit_exact() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json_text(ok, "x") is not None
    deeper = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(PlannerError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json_text(deeper, "x")
    objects = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(PlannerError, match="nested deeper"):
        parse_json_text(objects, "x")


@pytest.mark.parametrize(
    "content",
    ["[" * (MAX_FILE_BYTES - 10), '{"a":' * (MAX_FILE_BYTES // 5 - 2), "[" + "1," * (MAX_FILE_BYTES // 2 - 2) + "1]"],
    ids=["brackets", "objects", "five-million-numbers"],
)
def test_2_ten_megabyte_shapes_within_limits(tmp_path: Path, content: str) -> None:
    p = tmp_path / "big.plan.json"
    p.write_text(content)
    res = run_limited("evaluate", str(p))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and str(p) in res.stderr


# ---------------------------------------------------------------------------
# 3. Only regular files, never more than the limit + 1 bytes
# ---------------------------------------------------------------------------


@pytest.mark.skipif(not POSIX, reason="FIFOs are POSIX")
def test_3_fifo_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.plan.json"
    os.mkfifo(fifo)
    res = run_limited("evaluate", str(fifo))
    assert res.returncode == 2 and "is a FIFO (named pipe), not a regular file" in res.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_3_link_to_device_refused(tmp_path: Path, device: str) -> None:
    link = tmp_path / "dev.plan.json"
    link.symlink_to(device)
    res = run_limited("evaluate", str(link))
    assert res.returncode == 2 and "is a device, not a regular file" in res.stderr


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_3_reads_at_most_limit_plus_one_even_when_stat_says_zero() -> None:
    assert os.stat("/proc/self/maps").st_size == 0  # stat cannot be trusted here
    with pytest.raises(PlannerError, match="file is over 0.0 MB; the limit is 0 MB"):
        read_file_bytes("/proc/self/maps", limit=16)


def test_3_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(PlannerError, match="is a folder, not a file"):
        read_json_file(tmp_path)


@pytest.mark.skipif(not POSIX, reason="FIFOs are POSIX")
def test_3_13_user_profiles_folder_with_fifo_and_device_does_not_stall(_own_data_dir: Path) -> None:
    folder = _own_data_dir / "profiles"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe.json")
    if Path("/dev/zero").exists():
        (folder / "zero.json").symlink_to("/dev/zero")
    (folder / "broken.json").write_text(json.dumps({"id": "broken", "name": "x"}))
    env = {"POSITION_PLANNER_DATA_DIR": str(_own_data_dir)}
    res = run_limited("evaluate", str(EXAMPLE), env=env)
    assert res.returncode == 0, res.stderr
    res = run_limited("profiles", env=env)
    assert res.returncode == 0, res.stderr
    assert "invalid user profiles (not used; fix or delete the files):" in res.stdout
    assert f"{folder / 'pipe.json'}: is a FIFO (named pipe), not a regular file" in res.stdout
    assert f"{folder / 'broken.json'}: version: is required" in res.stdout


# ---------------------------------------------------------------------------
# 4 and 5. Denormal and absurd magnitudes: refused at validation, one line
# ---------------------------------------------------------------------------


def _profile_plan_with(path: str, value: object) -> dict:
    plan = inline_profile_plan()
    target = plan["profile"]
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return plan


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("symbols.BTCUSDT.tick_size", 5e-324, "profile.symbols.BTCUSDT.tick_size: must be at least 1e-12 (got 5e-324)"),
        ("symbols.BTCUSDT.contract_size", 5e-324, "profile.symbols.BTCUSDT.contract_size: must be at least 1e-12"),
        ("margin_call_ratio", 5e-324, "profile.margin_call_ratio: must be at least 0.01 (got 5e-324)"),
        ("policies.partial_liquidation.cooldown_seconds", 1e400, "cooldown_seconds: must be a finite number"),
    ],
)
def test_4_5_denormal_profile_numbers_refused(tmp_path: Path, capsys, where: str, value: float, message: str) -> None:
    text = json.dumps(_profile_plan_with(where, "__X__")).replace('"__X__"', repr(value) if value != 1e400 else "1e400")
    for cmd in (["evaluate"], ["drill", "--scenario", "shock", "--move", "-0.1"]):
        code, out, err = run(capsys, cmd[0], str(write(tmp_path, text)), *cmd[1:])
        assert code == 2 and out == ""
        one_line_error(err)
        assert message in err, err


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("positions.0.entry_price", 5e-324, "positions.0.entry_price: must be at least 1e-12 (got 5e-324)"),
        ("positions.0.leverage", 5e-324, "positions.0.leverage: must be at least 0.01"),
        ("margin_call_ratio", 5e-324, "margin_call_ratio: must be at least 0.01 (got 5e-324)"),
        ("horizon_hours", 0, "horizon_hours: must be at least 0.0166667 (got 0)"),
        ("positions.0.quantity", 10**400, "positions.0.quantity: "),
    ],
)
def test_4_5_absurd_plan_numbers_refused(tmp_path: Path, capsys, field: str, value: object, message: str) -> None:
    plan = base_plan()
    target = plan
    keys = field.split(".")
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    target[keys[-1]] = value
    for cmd in (["evaluate"], ["drill", "--scenario", "event", "--paths", "100"]):
        code, _, err = run(capsys, cmd[0], str(write(tmp_path, plan)), *cmd[1:])
        assert code == 2
        one_line_error(err)
        assert message in err, err


@pytest.mark.parametrize("horizon", [0, 5e-324, 1e-9])
def test_5_event_horizon_zero_or_denormal(tmp_path: Path, capsys, horizon: float) -> None:
    preset = json.loads((ROOT / "resources" / "events" / "cpi.json").read_text())
    preset["horizon_hours"] = horizon
    p = write(tmp_path, preset, "event.json")
    code, _, err = run(capsys, "drill", str(EXAMPLE), "--scenario", "event", "--event", str(p), "--paths", "100")
    assert code == 2
    one_line_error(err)
    assert f"{p}: horizon_hours: must be at least 0.0166667" in err


def test_5_event_volatility_denormal(capsys) -> None:
    code, _, err = run(capsys, "drill", str(EXAMPLE), "--scenario", "event", "--volatility", "5e-324", "--paths", "100")
    assert code == 2 and "volatility: must be between 0.001 (0.1 % a year) and 20" in err


def test_5_huge_integer_in_tier_dump(tmp_path: Path, capsys) -> None:
    dump = [{"symbol": "BTCUSDT", "brackets": [{"bracket": 1, "initialLeverage": 125, "notionalCap": 10**400, "notionalFloor": 0,
                                                "maintMarginRatio": 0.004, "cum": 0}]}]  # fmt: skip
    p = write(tmp_path, dump, "tiers.json")
    code, _, err = run(capsys, "import-tiers", str(p), "--profile", "binance-usdm", "--dry-run")
    assert code == 2
    one_line_error(err)
    assert "0.brackets.0.notionalCap: must be a finite number of sane size (got 1000000000" in err and "(401 characters)" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0,1\n1,1e308\n", "line 2: relative price (1.0 = today's mark) must be from 1e-12 to 1000 (got 1e+308)"),
        ("0,1\n1," + "9" * 200_000 + "\n", "line 2: not readable as CSV: field larger than field limit"),
        ("0,1\n1,nan\n", "line 2: relative price (1.0 = today's mark) must be from 1e-12 to 1000 (got nan)"),
    ],
    ids=["1e308", "over-field-limit", "nan"],
)
def test_5_path_csv_values(tmp_path: Path, capsys, text: str, message: str) -> None:
    p = tmp_path / "path.csv"
    p.write_text(text)
    code, _, err = run(capsys, "drill", str(EXAMPLE), "--scenario", "path", "--path", str(p))
    assert code == 2
    one_line_error(err)
    assert f"{p}: {message}" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--scenario", "partial", "--price", "nan"], "price: must be a price from 1e-12 to 1e+09 (got nan)"),
        (["--scenario", "partial", "--price", "inf"], "price: must be a price from 1e-12 to 1e+09 (got inf)"),
        (["--scenario", "partial", "--price", "-1000"], "price: must be a price from 1e-12 to 1e+09 (got -1000.0)"),
        (["--scenario", "partial", "--price", "0"], "price: must be a price from 1e-12 to 1e+09 (got 0.0)"),
        (["--scenario", "gap", "--gap-price", "1e308"], "gap_price: must be a price from 1e-12 to 1e+09 (got 1e+308)"),
        (["--scenario", "gap", "--insurance-fund", "nan"], "insurance_fund_capacity: must be zero or more"),
        (["--scenario", "event", "--seed", "-1", "--paths", "100"], "seed: must be a whole number from 0 to 2^63 - 1 (got -1)"),
        (["--scenario", "event", "--paths", "-5"], "paths: must be a whole number from 1 to 10,000,000"),
        (["--scenario", "shock", "--move", "nan"], "shock.move: must be above -100 %"),
    ],
)
def test_5_drill_flags(capsys, flags: list[str], message: str) -> None:
    code, out, err = run(capsys, "drill", str(EXAMPLE), *flags)
    assert code == 2 and out == ""
    one_line_error(err)
    assert message in err, err


def test_5_import_tiers_out_into_missing_or_unwritable_folder(tmp_path: Path, capsys, monkeypatch) -> None:
    sample = ROOT / "tests" / "data" / "importers" / "binance-leverageBracket.json"
    missing = tmp_path / "nope" / "out.json"
    code, _, err = run(capsys, "import-tiers", str(sample), "--profile", "binance-usdm", "--out", str(missing))
    assert code == 2
    one_line_error(err)
    assert f"{missing}: the folder {missing.parent} does not exist" in err and ".tmp" not in err
    if Path("/proc/self").is_dir():  # read-only even for root
        target = "/proc/self/out.json"
        code, _, err = run(capsys, "import-tiers", str(sample), "--profile", "binance-usdm", "--out", target)
        assert code == 2 and err.startswith(f"position-planner: error: {target}: ") and ".tmp" not in err
    # A full disk: the write fails half-way.
    import errno

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "out.json"
    code, _, err = run(capsys, "import-tiers", str(sample), "--profile", "binance-usdm", "--out", str(out))
    assert code == 2 and f"{out}: cannot write: No space left on device; the file was not changed" in err
    assert not out.exists() and list(tmp_path.glob(".*.tmp")) == []


def test_5_uncreatable_user_data_folder(tmp_path: Path, capsys, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(blocker / "data"))
    code, out, err = run(capsys, "evaluate", str(EXAMPLE))  # does not need the folder
    assert code == 0 and err == "" and "Plan:" in out
    assert run(capsys, "profiles")[0] == 0
    sample = ROOT / "tests" / "data" / "importers" / "binance-leverageBracket.json"
    code, _, err = run(capsys, "import-tiers", str(sample), "--profile", "binance-usdm")  # needs it
    assert code == 2
    one_line_error(err)
    assert f"the user data folder {blocker / 'data'} cannot be used" in err and "POSITION_PLANNER_DATA_DIR" in err
    assert len(err.strip().splitlines()) == 1


def test_4_single_handler_maps_failures_to_one_line(capsys) -> None:
    ns = argparse.Namespace()

    def overflow(_: argparse.Namespace) -> int:
        raise OverflowError("math range error")

    def bug(_: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    def bad(_: argparse.Namespace) -> int:
        raise PlannerError([Problem("x", "is wrong")], "f.json")

    def noisy(_: argparse.Namespace) -> int:
        np.log(np.zeros(3))
        np.float64(1e308) * 10
        warnings.warn("numpy-like", RuntimeWarning, stacklevel=1)
        return 0

    assert run_guarded(overflow, ns) == 2
    assert "beyond what can be computed" in capsys.readouterr().err
    assert run_guarded(bug, ns) == 1
    assert capsys.readouterr().err == "position-planner: internal error: RuntimeError: boom\n"
    assert run_guarded(bad, ns) == 2
    assert capsys.readouterr().err == "position-planner: error: f.json: x: is wrong\n"
    assert run_guarded(noisy, ns) == 0
    assert capsys.readouterr().err == ""  # 16: numpy RuntimeWarnings never reach stderr


# ---------------------------------------------------------------------------
# 12. Saves
# ---------------------------------------------------------------------------


def test_12_failed_backup_aborts_the_save(tmp_path: Path) -> None:
    target = tmp_path / "p.plan.json"
    target.write_text("old")
    (tmp_path / "p.plan.json.bak").mkdir()  # the .bak copy cannot replace a folder
    with pytest.raises(WriteError) as exc:
        atomic_write_text(target, "new")
    assert str(exc.value).startswith(f"{target}: cannot keep the previous version as p.plan.json.bak")
    assert "nothing was saved" in str(exc.value)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(not POSIX, reason="symlinks and modes are POSIX")
def test_12_save_through_symlink_keeps_link_and_mode(tmp_path: Path) -> None:
    real = tmp_path / "real.plan.json"
    real.write_text("old")
    os.chmod(real, 0o664)
    link = tmp_path / "link.plan.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o664
    assert (tmp_path / "real.plan.json.bak").read_text() == "old"


@pytest.mark.skipif(not POSIX, reason="umask is POSIX")
def test_12_new_file_gets_umask_default(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "n.json", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n.json").stat().st_mode) == 0o640


@pytest.mark.skipif(not POSIX, reason="modes are POSIX")
def test_12_read_only_plan_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "ro.plan.json"
    target.write_text("keep me")
    os.chmod(target, 0o444)
    with pytest.raises(WriteError, match="the file is read-only; not overwritten"):
        atomic_write_text(target, "new")
    assert target.read_text() == "keep me"
    atomic_write_text(target, "new", overwrite_read_only=True)
    assert target.read_text() == "new"


def test_12_stale_temp_files_cleaned(tmp_path: Path) -> None:
    target = tmp_path / "p.plan.json"
    stale = tmp_path / ".p.plan.json.abc123xy.tmp"
    stale_bak = tmp_path / ".p.plan.json.zz99qq11.bak.tmp"
    fresh = tmp_path / ".p.plan.json.fresh001.tmp"
    other = tmp_path / ".other.json.abc123xy.tmp"
    for p in (stale, stale_bak, fresh, other):
        p.write_text("partial")
    old = time.time() - STALE_TEMP_SECONDS - 60
    for p in (stale, stale_bak, other):
        os.utime(p, (old, old))
    atomic_write_text(target, "x")
    assert not stale.exists() and not stale_bak.exists()
    assert fresh.exists()  # may belong to a save in progress
    assert other.exists()  # another file's temp is not ours to remove


# ---------------------------------------------------------------------------
# 13. Invalid user profiles are listed and explained
# ---------------------------------------------------------------------------


def test_13_invalid_user_profiles_listed_and_explained(_own_data_dir: Path, capsys) -> None:
    folder = _own_data_dir / "profiles"
    folder.mkdir(parents=True)
    prof = json.loads(dump_profile(get_profile("binance-usdm")))
    prof.update(id="mine", name="Mine")
    prof["symbols"]["BTCUSDT"]["tick_size"] = 0
    (folder / "mine.json").write_text(json.dumps(prof))
    code, out, err = run(capsys, "profiles")
    assert code == 0
    assert f"  {folder / 'mine.json'}: symbols.BTCUSDT.tick_size: must be at least 1e-12 (got 0)" in out
    code, out, err = run(capsys, "profiles", "show", "mine")
    assert code == 2 and "user profile 'mine' is invalid and not used" in err
    assert "symbols.BTCUSDT.tick_size: must be at least 1e-12" in err
    code, out, err = run(capsys, "profiles", "--json")
    assert code == 0 and all(p["origin"] in ("bundled", "user") for p in json.loads(out))
    assert "warning: invalid user profile, not used: " in err and "mine.json" in err


# ---------------------------------------------------------------------------
# 14. Recovery: every crashed session, none deleted silently, PID reuse
# ---------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_14_every_crashed_session_offered() -> None:
    from planner.io.plan_files import load_plan
    from planner.io.recovery import recoverable_sessions, write_autosave

    plan = load_plan(EXAMPLE)
    write_autosave(plan.model_copy(update={"name": "first"}), None, pid=_dead_pid())
    time.sleep(0.01)
    write_autosave(plan.model_copy(update={"name": "second"}), None, pid=_dead_pid())
    found = recoverable_sessions()
    assert [r.plan.name for r in found] == ["second", "first"]
    assert recoverable_sessions() == found  # looking does not delete


def test_14_pid_reuse_detected() -> None:
    """An autosave whose pid now belongs to a live process started at another time is offered."""
    from planner.io.plan_files import load_plan
    from planner.io.recovery import process_start, recoverable_sessions, write_autosave

    if process_start(os.getpid()) is None:
        pytest.skip("needs /proc for process start times")
    path = write_autosave(load_plan(EXAMPLE), None)
    assert recoverable_sessions() == []  # this very session is alive
    doc = json.loads(path.read_text())
    doc["process_start"] = "1"  # written by an earlier process that had our pid
    path.write_text(json.dumps(doc))
    assert [r.path for r in recoverable_sessions()] == [path]


# ---------------------------------------------------------------------------
# 16. Duplicate keys, long problem lists, Infinity
# ---------------------------------------------------------------------------


def test_16_duplicate_keys_refused_with_path(tmp_path: Path, capsys) -> None:
    text = EXAMPLE.read_text().replace('"side": "long"', '"side": "long", "side": "short"', 1)
    assert text != EXAMPLE.read_text()
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, text)))
    assert code == 2 and "positions.0.side: appears more than once in the same object; keep one" in err


def test_16_many_problems_capped(tmp_path: Path, capsys) -> None:
    plan = base_plan()
    plan["positions"][0].update({f"k{i}": 1 for i in range(5000)})
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, plan)))
    assert code == 2 and "5000 problems:" in err and "  ... and 4,980 more" in err
    assert len(err.splitlines()) == 22
    plan = base_plan()
    plan.update({f"k{i}": 1 for i in range(600_000)})
    code, _, err = run(capsys, "evaluate", str(write(tmp_path, plan)))
    assert code == 2 and "an object has 600,008 keys; at most 20,000 are allowed" in err and len(err) < 300


def test_16_profile_json_never_prints_infinity() -> None:
    prof = get_profile("binance-usdm")
    funding = prof.funding.model_construct(**{**prof.funding.__dict__, "cap_per_interval": float("inf")})  # unvalidated
    text = dump_profile(prof.model_copy(update={"funding": funding}))
    assert "Infinity" not in text and '"cap_per_interval": null' in text
