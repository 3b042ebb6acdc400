"""Issue 10 item 1: a leg a venue switch left out, brought back by typing a symbol into its Symbol cell.

The leg's numbers are for the venue it came from: bringing it back converts them at equal USD value
through the switch's own mapping (planner.engine.venues.map_leg_to), carries its funding rate by coin
(same rate per hour) and is one undo step. A symbol the switch could not have chosen (another coin, a
perpetual for a dated leg, not listed) is refused at the cell and nothing is lost. After each step every
Results figure is ``evaluate`` of the plan on screen.

The venue that now lists the coin is a user profile update of Bybit (as Update profiles or Import tiers
would save it): the bundled Bybit profile carries only BTCUSDT, so a switch to it leaves ETH out.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from ui.widgets.positions_table import COLUMNS
from ui.widgets.results_panel import COL
from ui.widgets.results_panel import COLUMNS as RESULT_COLUMNS

FIGURE_COLUMNS = [c.name for c in RESULT_COLUMNS if c.name != "leg"]
SYMBOL = next(i for i, (name, _) in enumerate(COLUMNS) if name == "symbol")


def bybit_listing_eth(interval_hours: float | None = None):
    """Bybit linear as an update that also lists ETHUSDT (BTCUSDT's tiers; ``interval_hours``: its funding interval)."""
    bybit = get_profile("bybit-linear")
    eth = bybit.symbols["BTCUSDT"].model_copy(update={"base": "ETH", "funding_interval_hours": interval_hours})
    return bybit.model_copy(update={"symbols": {**bybit.symbols, "ETHUSDT": eth}})


def type_symbol(qtbot, window, row: int, text: str) -> None:
    """Double-click the Symbol cell of ``row``, select all, type ``text``, press Return."""
    view = window.positions_table.view
    rect = view.visualRect(window.positions_table.model.index(row, SYMBOL))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    editor = view.focusWidget()
    qtbot.keyClick(editor, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return)


def assert_results_are_engine(window) -> None:
    """Every Results figure (leg rows and the account lines) is evaluate(plan on screen); unmapped legs only "—"."""
    doc = window.document
    assert doc.draft is doc.plan and doc.evaluation is not None
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    panel = window.results_panel
    model = panel.model
    n = len(doc.plan.positions)
    assert model.rowCount() == n + len(doc.unmapped) == window.positions_table.model.rowCount()
    assert len(ev.legs) == n
    for r, leg in enumerate(ev.legs):
        assert leg.symbol in doc.profile.symbols
        assert model.data(model.index(r, COL["leg"])).startswith(f"#{r + 1} {leg.symbol} {leg.side}")
        for name in FIGURE_COLUMNS:
            assert model.data(model.index(r, COL[name])) == model.text(name, leg), (r, name)
    for k, gone in enumerate(doc.unmapped):
        r = n + k
        assert model.data(model.index(r, COL["leg"])) == f"— {gone.source_symbol} (was #{gone.index + 1})"
        for name in FIGURE_COLUMNS[1:]:
            assert model.data(model.index(r, COL[name])) == "—"
    assert panel.account_lines == [panel.account_line(acc) for acc in ev.accounts]
    assert not panel.banner.isVisible()
    assert doc.figures.plan is doc.plan
    assert [(l.symbol, l.liquidation_price) for l in doc.figures.evaluation.legs] == [(l.symbol, l.liquidation_price) for l in ev.legs]


def test_same_units_leg_comes_back_with_every_number(window, qtbot, choose_in):
    """Binance USDS-M ETHUSDT (20 ETH at 3,000, 20x cross) left out on Bybit, brought back as Bybit's ETHUSDT: identical."""
    doc = window.document
    original = doc.plan
    eth = original.positions[1]
    choose_in(window.profile_selector.combo, "bybit-linear")
    assert [m.source_symbol for m in doc.unmapped] == ["ETHUSDT"]
    doc.set_user_profiles({"bybit-linear": bybit_listing_eth()})
    depth = doc.undo_stack.index()
    type_symbol(qtbot, window, 1, "ETHUSDT")
    qtbot.waitUntil(lambda: not doc.unmapped, timeout=3000)  # the delegate commits from the event loop
    back = doc.plan.positions[1]
    assert back == eth.model_copy(update={"symbol": "ETHUSDT"})  # same units: quantity, prices, leverage, mode unchanged
    assert (back.quantity, back.entry_price, back.mark_price, back.leverage) == (20.0, 3000.0, 2950.0, 20.0)
    assert doc.plan.funding_rates["ETHUSDT"] == original.funding_rates["ETHUSDT"] == 0.0001  # 8 h on both
    assert doc.undo_stack.index() == depth + 1 and doc.undo_stack.undoText() == "Bring back ETHUSDT leg as ETHUSDT"
    assert_results_are_engine(window)
    doc.undo_stack.undo()
    assert [m.source_symbol for m in doc.unmapped] == ["ETHUSDT"] and [p.symbol for p in doc.plan.positions] == ["BTCUSDT"]
    assert_results_are_engine(window)


@pytest.fixture
def coinm_window(window, tmp_path):
    """A Binance COIN-M plan: 50 BTCUSD_PERP contracts (100 USD each) long, 300 ETHUSD_PERP contracts (10 USD) short isolated."""
    data = {
        "format": "position-plan",
        "version": 2,
        "name": "COIN-M",
        "profile": "binance-coinm",
        "account": {"wallet_balance": 1.0, "balances": {"ETH": 2.0}},
        "positions": [
            {
                "symbol": "BTCUSD_PERP",
                "side": "long",
                "quantity": 50,
                "entry_price": 60000,
                "mark_price": 61000,
                "leverage": 10,
                "margin_mode": "cross",
            },
            {
                "symbol": "ETHUSD_PERP",
                "side": "short",
                "quantity": 300,
                "entry_price": 2500,
                "mark_price": 2450,
                "leverage": 5,
                "margin_mode": "isolated",
                "isolated_margin": 0.3,
            },
        ],
        "funding_rates": {"BTCUSD_PERP": 0.0001, "ETHUSD_PERP": 0.0002},
    }
    path = tmp_path / "coinm.plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    window.document.load(path)
    assert window.document.evaluation is not None
    return window


def test_inverse_leg_comes_back_linear_at_equal_usd_value(coinm_window, qtbot, choose_in):
    """300 ETHUSD_PERP contracts x 10 USD = 3,000 USD at entry 2,500 -> 3,000 / 2,500 = 1.2 ETH of Bybit's ETHUSDT.

    Isolated margin 0.3 ETH x 2,500 (entry) = 750 USDT; funding 0.02 % per 8 h -> 0.01 % per 4 h (same rate per hour).
    Typing another coin first (BTCUSDT) is refused, naming what is allowed.
    """
    win = coinm_window
    doc = win.document
    doc.set_mark("ETHUSD_PERP", 2400.0)  # a what-if mark (as dragged on the plot): it follows the leg
    choose_in(win.profile_selector.combo, "bybit-linear")
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT"] and [m.source_symbol for m in doc.unmapped] == ["ETHUSD_PERP"]
    doc.set_user_profiles({"bybit-linear": bybit_listing_eth(interval_hours=4.0)})
    model = win.positions_table.model
    # Another coin: refused at the cell, the leg kept as it was on Binance COIN-M.
    plan, depth = doc.plan, doc.undo_stack.index()
    type_symbol(qtbot, win, 1, "BTCUSDT")
    qtbot.waitUntil(lambda: bool(doc.problems_at("positions.1.symbol")), timeout=3000)
    tip = model.data(model.index(1, SYMBOL), Qt.ToolTipRole)
    assert tip.startswith("Symbol BTCUSDT: BTCUSDT is BTC, this leg is ETH") and "allowed for this ETH perpetual: ETHUSDT" in tip
    assert model.data(model.index(1, SYMBOL), Qt.BackgroundRole) is not None
    assert doc.plan is plan and doc.undo_stack.index() == depth and [m.source_symbol for m in doc.unmapped] == ["ETHUSD_PERP"]
    assert_results_are_engine(win)
    # Its own coin: converted.
    type_symbol(qtbot, win, 1, "ETHUSDT")
    qtbot.waitUntil(lambda: not doc.unmapped, timeout=3000)
    eth = doc.plan.positions[1]
    assert (eth.symbol, eth.side.value, eth.margin_mode.value, eth.leverage) == ("ETHUSDT", "short", "isolated", 5.0)
    assert eth.quantity == 1.2 and (eth.entry_price, eth.mark_price) == (2500.0, 2450.0)
    assert eth.isolated_margin == pytest.approx(750.0, rel=1e-12)
    assert doc.plan.funding_rates["ETHUSDT"] == pytest.approx(0.0001, rel=1e-12)
    assert doc.plan.funding_rates["BTCUSDT"] == 0.0001  # the switch's, untouched
    assert doc.marks["ETHUSDT"] == 2400.0 and doc.evaluation.legs[1].mark_price == 2400.0
    assert not doc.problems and model.data(model.index(1, SYMBOL), Qt.BackgroundRole) is None
    assert doc.undo_stack.index() == depth + 1 and doc.undo_stack.undoText() == "Bring back ETHUSD_PERP leg as ETHUSDT"
    assert_results_are_engine(win)
    # The figures are Bybit's for 1.2 ETH short: initial margin 3,000 / 5 = 600 USDT, 750 USDT held, funding per 4 h.
    leg = doc.evaluation.legs[1]
    assert (leg.symbol, leg.quantity, leg.funding_interval_hours) == ("ETHUSDT", 1.2, 4.0)
    assert leg.initial_margin == pytest.approx(600.0, rel=1e-12) and leg.collateral == pytest.approx(750.0, rel=1e-12)
    assert leg.funding_rate == pytest.approx(0.0001, rel=1e-12)
    doc.undo_stack.undo()
    assert [m.source_symbol for m in doc.unmapped] == ["ETHUSD_PERP"] and doc.plan is plan
    assert doc.unmapped[0].position.quantity == 300 and doc.unmapped[0].origin.id == "binance-coinm"
    assert_results_are_engine(win)


def test_refused_symbol_loses_nothing(doge_window, qtbot, choose_in):
    """DOGEUSDT left out on Kraken (no DOGE perpetual): PF_SOLUSD is refused, the message at the cell, nothing lost."""
    win = doge_window
    doc = win.document
    choose_in(win.profile_selector.combo, "kraken")
    (gone,) = doc.unmapped
    plan, depth = doc.plan, doc.undo_stack.index()
    model = win.positions_table.model
    type_symbol(qtbot, win, 2, "PF_SOLUSD")
    qtbot.waitUntil(lambda: bool(doc.problems_at("positions.2.symbol")), timeout=3000)
    (problem,) = doc.problems
    assert problem.message == (
        "Symbol PF_SOLUSD: PF_SOLUSD is SOL, this leg is DOGE: a leg comes back only as its own coin; "
        "Kraken Futures perpetuals lists no DOGE perpetual quoted in USD: remove the leg or choose a venue that lists one"
    )
    assert model.data(model.index(2, SYMBOL), Qt.ToolTipRole).startswith(problem.message)
    assert doc.plan is plan and doc.draft is plan and doc.undo_stack.index() == depth
    assert doc.unmapped == [gone] and doc.unmapped[0] is gone
    assert model.data(model.index(2, SYMBOL)) == "DOGEUSDT" and model.headerData(2, Qt.Vertical) == "—"
    assert_results_are_engine(win)
    # Not listed at all: refused too.
    type_symbol(qtbot, win, 2, "PF_DOGEUSD")
    qtbot.waitUntil(lambda: "PF_DOGEUSD" in " ".join(p.message for p in doc.problems), timeout=3000)
    assert doc.problems[0].message.startswith("Symbol PF_DOGEUSD: not listed by Kraken Futures perpetuals;")
    assert doc.plan is plan and doc.unmapped == [gone]
    assert_results_are_engine(win)


def bybit_listing(*coins: str):
    """Bybit linear as an update that also lists ``<COIN>USDT`` for each coin (BTCUSDT's tiers, 8 h funding)."""
    bybit = get_profile("bybit-linear")
    extra = {f"{c}USDT": bybit.symbols["BTCUSDT"].model_copy(update={"base": c, "funding_interval_hours": None}) for c in coins}
    return bybit.model_copy(update={"symbols": {**bybit.symbols, **extra}})


@pytest.fixture
def four_leg_window(window, tmp_path):
    """BTCUSDT long, ETHUSDT long, BTCUSDT short, DOGEUSDT short on Binance USDS-M: Bybit's bundled profile lists only BTC."""
    from pathlib import Path

    from ui.document import EXAMPLE_PLAN

    data = json.loads(Path(EXAMPLE_PLAN).read_text(encoding="utf-8"))
    data["positions"] += [
        {
            "symbol": "BTCUSDT",
            "side": "short",
            "quantity": 0.5,
            "entry_price": 51000,
            "mark_price": 50000,
            "leverage": 10,
            "margin_mode": "cross",
        },
        {
            "symbol": "DOGEUSDT",
            "side": "short",
            "quantity": 10000,
            "entry_price": 0.2,
            "mark_price": 0.21,
            "leverage": 5,
            "margin_mode": "cross",
        },
    ]
    data["funding_rates"]["DOGEUSDT"] = 0.0002
    path = tmp_path / "four.plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    window.document.load(path)
    assert window.document.evaluation is not None
    return window


def test_leg_comes_back_at_its_place(four_leg_window, qtbot, choose_in):
    """#2 ETHUSDT left out on Bybit comes back as #2 of 3 (not appended), #4 DOGEUSDT stays #4; then DOGE comes
    back as #4: the plan is the original order again. Each is one undo step; undo and redo restore plan and
    unmapped legs exactly; the brought-back leg is selected and the plot follows it."""
    win = four_leg_window
    doc = win.document
    original = doc.plan
    choose_in(win.profile_selector.combo, "bybit-linear")
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT", "BTCUSDT"]
    assert [(m.source_symbol, m.index) for m in doc.unmapped] == [("ETHUSDT", 1), ("DOGEUSDT", 3)]
    doc.set_user_profiles({"bybit-linear": bybit_listing("ETH", "DOGE")})
    before_plan, before_unmapped, depth = doc.plan, list(doc.unmapped), doc.undo_stack.index()
    table = win.positions_table
    type_symbol(qtbot, win, 2, "ETHUSDT")  # rows: the 2 legs, then the greyed ETHUSDT and DOGEUSDT
    qtbot.waitUntil(lambda: len(doc.unmapped) == 1, timeout=3000)
    assert [(p.symbol, p.side.value) for p in doc.plan.positions] == [("BTCUSDT", "long"), ("ETHUSDT", "long"), ("BTCUSDT", "short")]
    assert doc.plan.positions[1] == original.positions[1]  # same symbol and units: identical
    assert doc.plan.funding_rates["ETHUSDT"] == 0.0001
    assert [(m.source_symbol, m.index) for m in doc.unmapped] == [("DOGEUSDT", 3)]  # still #4: between the same neighbours
    assert table.model.headerData(1, Qt.Vertical) == "#2" and table.model.headerData(3, Qt.Vertical) == "—"
    qtbot.waitUntil(lambda: table.view.currentIndex().row() == 1, timeout=3000)
    assert doc.focus == "ETHUSDT" and win.position_form.row == 1
    assert doc.undo_stack.index() == depth + 1 and doc.undo_stack.undoText() == "Bring back ETHUSDT leg as ETHUSDT"
    assert_results_are_engine(win)
    after_plan, after_unmapped = doc.plan, list(doc.unmapped)
    # DOGE comes back as #4 of 4: the original order, with the original numbers.
    type_symbol(qtbot, win, 3, "DOGEUSDT")
    qtbot.waitUntil(lambda: not doc.unmapped, timeout=3000)
    assert doc.plan.positions == original.positions
    assert doc.plan.funding_rates == original.funding_rates  # Bybit's 8 h as Binance's: the same rates
    qtbot.waitUntil(lambda: table.view.currentIndex().row() == 3, timeout=3000)
    assert doc.focus == "DOGEUSDT"
    assert_results_are_engine(win)
    # Undo and redo: plan and unmapped legs exactly as they were.
    doc.undo_stack.undo()
    assert doc.plan is after_plan and doc.unmapped == after_unmapped
    assert_results_are_engine(win)
    doc.undo_stack.undo()
    assert doc.plan is before_plan and doc.unmapped == before_unmapped
    assert_results_are_engine(win)
    doc.undo_stack.redo()
    assert doc.plan is after_plan and doc.unmapped == after_unmapped
    assert_results_are_engine(win)


def test_rate_already_in_plan_is_kept_and_said(window, qtbot, choose_in):
    """ETHUSDT (0.01 % per 8 h) comes back where the plan already has an ETHUSDT leg at 0.03 %: one rate per symbol,
    so 0.03 % is kept, 0.01 % dropped, and the status bar says so (as a venue switch's note would)."""
    from planner.model.plan import Position

    doc = window.document
    choose_in(window.profile_selector.combo, "bybit-linear")
    doc.set_user_profiles({"bybit-linear": bybit_listing("ETH")})
    short = Position(symbol="ETHUSDT", side="short", quantity=5, entry_price=3000, leverage=10, margin_mode="cross")
    assert doc.add_position(short)
    assert doc.update_plan(funding_rates={**doc.plan.funding_rates, "ETHUSDT": 0.0003})
    assert [(m.source_symbol, m.index) for m in doc.unmapped] == [("ETHUSDT", 1)]
    type_symbol(qtbot, window, 2, "ETHUSDT")
    qtbot.waitUntil(lambda: not doc.unmapped, timeout=3000)
    assert [(p.symbol, p.side.value) for p in doc.plan.positions] == [("BTCUSDT", "long"), ("ETHUSDT", "long"), ("ETHUSDT", "short")]
    assert doc.plan.funding_rates["ETHUSDT"] == 0.0003
    assert window.statusBar().currentMessage() == (
        "#2 ETHUSDT: funding rate of ETHUSDT already set by another leg (0.030000% kept); its own 0.010000% not used (one rate per symbol)"
    )
    assert [l.funding_rate for l in doc.evaluation.legs] == [0.0001, 0.0003, 0.0003]
    assert_results_are_engine(window)
