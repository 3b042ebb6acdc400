"""Profiles > Update from exchange...: the dialog, driven like a user, with replayed responses (no network)."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from planner.io.online import OnlineError, Request
from planner.io.registry import get_profile
from planner.model.errors import Problem

DATA = Path(__file__).resolve().parents[1] / "data" / "online"
FIXTURE = {"kraken": "kraken-instruments.json", "hyperliquid": "hyperliquid-meta.json"}


def _replay(req: Request, timeout: float) -> Any:
    name = "hyperliquid-meta.json" if req.body is not None else "kraken-instruments.json"
    return json.loads((DATA / name).read_text())


def _profiles() -> dict[str, Any]:
    return {pid: get_profile(pid) for pid in ("kraken", "hyperliquid", "binance-usdm")}


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    return tmp_path


def _dialog(qtbot, **kw):  # type: ignore[no-untyped-def]
    from ui.dialogs.update_profiles import UpdateProfilesDialog

    dlg = UpdateProfilesDialog(None, _profiles(), **kw)
    qtbot.addWidget(dlg)
    return dlg


def test_lists_every_url_before_anything_is_called(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network connection attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from ui.dialogs.update_profiles import UpdateProfilesDialog

    dlg = UpdateProfilesDialog(None)  # every bundled + user profile
    qtbot.addWidget(dlg)
    text = dlg.urls.toPlainText()
    assert "[kraken] GET https://futures.kraken.com/derivatives/api/v3/instruments" in text
    assert '[hyperliquid] POST https://api.hyperliquid.xyz/info {"type":"meta"}' in text
    assert "[bybit-linear] GET https://api.bybit.com/v5/market/risk-limit?category=linear&symbol=BTCUSDT" in text
    assert "binance-usdm: Binance's leverage-bracket endpoint (/fapi/v1/leverageBracket) needs your API key" in text
    binance = next(
        dlg.venues.item(i) for i in range(dlg.venues.count()) if dlg.venues.item(i).data(Qt.ItemDataRole.UserRole) == "binance-usdm"
    )
    assert not binance.flags() & Qt.ItemFlag.ItemIsUserCheckable and not binance.flags() & Qt.ItemFlag.ItemIsEnabled


def test_untick_with_space_updates_the_urls(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = _dialog(qtbot, fetch=_replay)
    dlg.show()
    dlg.venues.setFocus()
    dlg.venues.setCurrentRow(0)  # kraken
    qtbot.keyClick(dlg.venues, Qt.Key.Key_Space)
    assert "kraken] GET" not in dlg.urls.toPlainText()
    assert [p.profile.id for p in dlg.chosen_plans()] == ["hyperliquid"]
    dlg.venues.setCurrentRow(1)
    qtbot.keyClick(dlg.venues, Qt.Key.Key_Space)
    assert dlg.chosen_plans() == [] and not dlg.fetch_button.isEnabled()


def test_fetch_shows_diff_then_save_writes_user_profiles(qtbot, data_dir) -> None:  # type: ignore[no-untyped-def]
    from planner.io.user_profiles import load_user_profiles

    calls: list[str] = []

    def fetch(req: Request, timeout: float) -> Any:
        calls.append(req.url)
        return _replay(req, timeout)

    dlg = _dialog(qtbot, fetch=fetch)
    assert calls == [] and not dlg.save_button.isEnabled()
    qtbot.mouseClick(dlg.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.save_button.isEnabled, timeout=5000)
    assert calls == ["https://futures.kraken.com/derivatives/api/v3/instruments", "https://api.hyperliquid.xyz/info"]
    diff = dlg.diff.toPlainText()
    # Against the bundled PF_XBTUSD levels (instruments answer recorded 2026-09-25: 0 / 1M / 3M USD, MM 0.5 / 1 / 2 %).
    assert "  PF_XBTUSD: 4 change(s), bounds and amounts in USD" in diff
    assert "    tier 3: floor 3,000,000 -> 2,000,000, cap unbounded -> 5,000,000, max leverage 25x -> 10x, MM rate 2 % -> 5 %" in diff
    assert "  BTC: no changes" in diff
    assert dlg.progress.value() == dlg.progress.maximum() == 2
    assert not list((data_dir / "profiles").glob("*.json"))  # nothing saved before Save
    with qtbot.waitSignal(dlg.saved) as sig:
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert sig.args == [["kraken", "hyperliquid"]]
    saved = load_user_profiles()
    assert saved["kraken"].symbols["PF_XBTUSD"].tiers[0].notional_cap == 500_000.0
    assert saved["hyperliquid"].sources[-1].url == "https://api.hyperliquid.xyz/info"


def test_cancel_stops_and_saves_nothing(qtbot, data_dir) -> None:  # type: ignore[no-untyped-def]
    gate = threading.Event()
    calls: list[str] = []

    def slow(req: Request, timeout: float) -> Any:
        calls.append(req.url)
        gate.wait(5)
        return _replay(req, timeout)

    dlg = _dialog(qtbot, fetch=slow)
    qtbot.mouseClick(dlg.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.status.text().startswith("Fetching https://futures.kraken.com"), timeout=5000)
    assert dlg.cancel_button.isEnabled() and not dlg.fetch_button.isEnabled()
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: dlg.status.text() == "Cancelled: nothing was saved.", timeout=5000)
    assert calls == ["https://futures.kraken.com/derivatives/api/v3/instruments"]  # hyperliquid never called
    assert not dlg.save_button.isEnabled() and dlg.fetch_button.isEnabled()
    assert not list((data_dir / "profiles").glob("*.json"))


def test_network_failure_is_one_line(qtbot, data_dir) -> None:  # type: ignore[no-untyped-def]
    def offline(req: Request, timeout: float) -> Any:
        raise OnlineError([Problem("", "cannot resolve futures.kraken.com (no network or DNS failure)")], req.url)

    dlg = _dialog(qtbot, fetch=offline)
    qtbot.mouseClick(dlg.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.status.text().startswith("Fetch failed"), timeout=5000)
    assert dlg.status.text() == (
        "Fetch failed, nothing saved: https://futures.kraken.com/derivatives/api/v3/instruments: "
        "cannot resolve futures.kraken.com (no network or DNS failure)"
    )
    assert not dlg.save_button.isEnabled() and dlg.fetch_button.isEnabled()
