"""Action plan: every step's figures are the engine's evaluation of its modified plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.drills import actions as actions_mod
from planner.drills.actions import _AccountProbe, _fraction_to_close, _max_leverage_for_move, _max_size_for_move, action_plan
from planner.engine.evaluate import evaluate
from planner.io.plan_files import load_plan
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan


def _cross_plan(wallet: float = 3000.0) -> Plan:
    return Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": wallet},
            "horizon_hours": 24.0,
            "funding_rates": {"BTCUSDT": 0.0003},
            "positions": [
                {
                    "symbol": "BTCUSDT",
                    "side": "long",
                    "quantity": 1.0,
                    "entry_price": 50000.0,
                    "mark_price": 50000.0,
                    "leverage": 20.0,
                    "margin_mode": "cross",
                }
            ],
        }
    )


def test_each_step_reports_the_evaluation_of_its_plan() -> None:
    prof = get_profile("binance-usdm")
    plan, marks = _cross_plan(), {"BTCUSDT": 47200.0}
    ap = action_plan(plan, prof, marks=marks)
    kinds = [s.kind for s in ap.steps]
    assert "top_up" in kinds and "reduce" in kinds and "stop_loss" in kinds and "audit_funding" in kinds
    # Ranked: the deposit to 10 % first, then the cheapest way out of the call (37.80 transfer vs 478.58 realised), then stops.
    assert kinds[:4] == ["top_up_distance", "top_up", "reduce", "stop_loss"]
    for step in ap.steps:
        if step.plan_after is None:
            continue
        ev = evaluate(step.plan_after, prof, marks=marks)
        assert step.liquidation_after == {l.index: l.liquidation_price for l in ev.legs}
    top = next(s for s in ap.steps if s.kind == "top_up")
    ev_top = evaluate(top.plan_after, prof, marks=marks)
    assert ev_top.account.state == "safe"
    assert top.ratio_after == pytest.approx(ev_top.account.margin_ratio)
    # 5 % buffer on top of the exact amount to the call threshold (MM / equity = 0.8 on Binance).
    ev0 = evaluate(plan, prof, marks=marks)
    need = ev0.account.maintenance_margin / ev0.thresholds.margin_call - ev0.account.equity
    assert top.amount == pytest.approx(need * 1.05, rel=1e-9)


def test_funding_audit_uses_plan_rate() -> None:
    """1 BTC long marked at 47,200 paying 0.03 % every 8 h: 14.16 USDT per settlement.

    The first payment takes the cross wallet below its requirement, so funding liquidates it at 8 h
    and the closed leg pays nothing more (14.16, not 3 x 14.16 = 42.48, over 24 h; issue 10 item 10).
    Liquidation is at 47,188.76, 0.02 % below the mark: a stop 4 % below (45,312) would never fire, so the step says so.
    """
    prof = get_profile("binance-usdm")
    ap = action_plan(_cross_plan(), prof, marks={"BTCUSDT": 47200.0})
    audit = next(s for s in ap.steps if s.kind == "audit_funding")
    assert audit.title.startswith("Funding over 24 h: pays")
    assert audit.amount == pytest.approx(14.16)
    assert "liquidate the cross wallet after 8 h" in audit.detail
    stop = next(s for s in ap.steps if s.kind == "stop_loss")
    lp = evaluate(_cross_plan(), prof, marks={"BTCUSDT": 47200.0}).legs[0].liquidation_price
    assert lp == pytest.approx(47188.76, abs=0.01)
    assert stop.title == f"Too late for a stop on #1 BTCUSDT cross: liquidation comes first at {lp:,.2f}"
    assert stop.amount is None and stop.plan_after is None
    dist = next(s for s in ap.steps if s.kind == "top_up_distance")
    assert dist.liquidation_after[0] == pytest.approx(47200.0 * 0.9, rel=1e-6)


def test_safe_plan_still_gets_a_plan_without_trigger() -> None:
    prof = get_profile("binance-usdm")
    ap = action_plan(_cross_plan(wallet=20000.0), prof)
    assert not ap.in_margin_call and "No margin call" in ap.trigger


# ---------------------------------------------------------------------------
# Bisection instead of scans: same answers as the old full-evaluation scans
# ---------------------------------------------------------------------------

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"


def _book() -> Plan:
    return load_plan(PLANS / "book-20-legs.plan.json")


def _all_cross_book(wallet: float = 9000.0) -> Plan:
    """The 20-leg book with every leg cross at 10x on a small wallet (marks x 0.925 put it in a margin call)."""
    data = json.loads((PLANS / "book-20-legs.plan.json").read_text())
    for p in data["positions"]:
        p.update(margin_mode="cross", leverage=10)
    data["account"]["wallet_balance"] = wallet
    return Plan.model_validate(data)


def _shocked(plan: Plan, marks: dict[str, float] | None, i: int, move: float) -> dict[str, float]:
    prof = get_profile(plan.profile_id)
    r = evaluate(plan, prof, marks=marks).legs[i]
    s = 1 if r.side == "long" else -1
    return {**(marks or {}), r.symbol: r.mark_price * max(1 - s * move, 1e-9)}


def _scan_leverage(plan: Plan, marks: dict[str, float] | None, i: int, move: float) -> float | None:
    """The old answer: scan whole leverages from the cap down, full evaluation (with validation) of each."""
    prof = get_profile(plan.profile_id)
    r = evaluate(plan, prof, marks=marks).legs[i]
    shocked = _shocked(plan, marks, i, move)
    for lev in range(int(min(r.max_leverage, 200)), 0, -1):
        cand = actions_mod._replace_leg(plan, i, leverage=float(lev), isolated_margin=None, added_margin=0.0)
        try:
            if evaluate(cand, prof, marks=shocked).legs[i].state == "safe":
                return float(lev)
        except PlannerError:
            continue
    return None


def _bisect_leverage(plan: Plan, marks: dict[str, float] | None, i: int, move: float) -> float | None:
    prof = get_profile(plan.profile_id)
    return _max_leverage_for_move(plan, prof, marks, evaluate(plan, prof, marks=marks).legs[i], move)


def _leg_state(plan: Plan, i: int, lev: float, marks: dict[str, float]) -> str | None:
    """State of leg ``i`` re-margined at ``lev`` at ``marks`` (None: the plan is refused)."""
    cand = actions_mod._replace_leg(plan, i, leverage=lev, isolated_margin=None, added_margin=0.0)
    try:
        return evaluate(cand, get_profile(plan.profile_id), marks=marks).legs[i].state
    except PlannerError:
        return None


def _one_leg(side: str, qty: float, entry: float, mark: float, lev: float, wallet: float, margin: float | None = None) -> Plan:
    return Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": wallet},
            "positions": [
                {
                    "symbol": "BTCUSDT",
                    "side": side,
                    "quantity": qty,
                    "entry_price": entry,
                    "mark_price": mark,
                    "leverage": lev,
                    "margin_mode": "isolated",
                    "isolated_margin": margin,
                }
            ],
        }
    )


@pytest.mark.parametrize("move", [0.001, 0.163, 0.4])
def test_leverage_bisection_equals_the_scan_on_the_book(move: float) -> None:
    plan = _book()
    for i, pos in enumerate(plan.positions):
        if pos.margin_mode.value == "isolated" and i % 2 == 0:  # half the legs keep the scan's cost in check
            assert _bisect_leverage(plan, None, i, move) == _scan_leverage(plan, None, i, move), (i, move)


def test_leverage_answer_is_safe_and_one_more_is_not() -> None:
    """16.3 % (3 sigma at 60 % over 72 h) against the book's ETH long 3 @ 3,060 marked 3,000: 5x holds, 6x does not."""
    plan = _book()
    shocked = _shocked(plan, None, 1, 0.163)
    lev = _bisect_leverage(plan, None, 1, 0.163)
    assert lev == 5.0
    assert _leg_state(plan, 1, lev, shocked) == "safe"
    assert _leg_state(plan, 1, lev + 1, shocked) != "safe"


def _btc_tiers() -> tuple[float, float, float]:
    """Binance BTCUSDT: tier 1's notional cap and maximum leverage, tier 2's maximum leverage (from the bundled profile)."""
    tiers = get_profile("binance-usdm").symbols["BTCUSDT"].tiers
    return tiers[0].notional_cap, tiers[0].max_leverage, tiers[1].max_leverage


def test_leverage_answer_at_the_cap() -> None:
    """A 0.1 % move against a short in profit (entry 55,000, mark 49,000) inside tier 1: safe even at tier 1's cap."""
    cap1, lev1, _ = _btc_tiers()
    qty = round(0.5 * cap1 / 55000.0, 3)
    plan = _one_leg("short", qty, 55000.0, 49000.0, 10, wallet=cap1)
    shocked = _shocked(plan, None, 0, 0.001)
    assert _bisect_leverage(plan, None, 0, 0.001) == float(int(min(lev1, 200))) == _scan_leverage(plan, None, 0, 0.001)
    assert _leg_state(plan, 0, lev1, shocked) == "safe"


def test_leverage_answer_limited_by_the_tier_at_entry() -> None:
    """A short entered 10 % above tier 1's cap in value (tier 2 at entry), marked 10 % lower (back in tier 1 at the mark).

    Every leverage is safe after a 0.1 % move, but above tier 2's maximum validation refuses the leg (leverage is
    checked on the value at entry): the answer is tier 2's maximum, one more is refused.
    """
    cap1, lev1, lev2 = _btc_tiers()
    assert lev2 < lev1
    entry, mark = 60000.0, 54000.0
    qty = round(cap1 * 1.1 / entry, 4)  # value at entry 1.1 x cap (tier 2), at the mark 0.99 x cap (tier 1)
    plan = _one_leg("short", qty, entry, mark, 10, wallet=cap1)
    prof = get_profile("binance-usdm")
    assert evaluate(plan, prof).legs[0].max_leverage == lev2  # one basis for max leverage everywhere: the value at entry
    shocked = _shocked(plan, None, 0, 0.001)
    assert _bisect_leverage(plan, None, 0, 0.001) == lev2 == _scan_leverage(plan, None, 0, 0.001)
    assert _leg_state(plan, 0, lev2, shocked) == "safe"
    assert _leg_state(plan, 0, lev2 + 1, shocked) is None  # refused: exceeds tier 2's maximum at entry


def test_leverage_none_when_even_1x_fails() -> None:
    """A short at 1x loses 150 % of its margin on a 150 % rise: liquidated at every leverage."""
    plan = _one_leg("short", 0.5, 50000.0, 50000.0, 10, wallet=30000.0)
    assert _bisect_leverage(plan, None, 0, 1.5) is None
    assert _scan_leverage(plan, None, 0, 1.5) is None
    assert _leg_state(plan, 0, 1.0, _shocked(plan, None, 0, 1.5)) == "liquidation"


def test_leverage_none_when_the_wallet_cannot_fund_the_safe_margin() -> None:
    """1 BTC long at 50x on a 1,000 USDT wallet: 16.3 % needs 5x (10,000 margin), which the wallet cannot fund."""
    plan = _one_leg("long", 1.0, 50000.0, 50000.0, 50, wallet=1000.0)
    shocked = _shocked(plan, None, 0, 0.163)
    assert _leg_state(plan, 0, 5.0, {**shocked}) is None  # refused: isolated margins exceed the wallet
    assert _bisect_leverage(plan, None, 0, 0.163) is None
    assert _scan_leverage(plan, None, 0, 0.163) is None
    rich = _one_leg("long", 1.0, 50000.0, 50000.0, 50, wallet=12000.0)
    assert _bisect_leverage(rich, None, 0, 0.163) == 5.0 == _scan_leverage(rich, None, 0, 0.163)


def test_account_probe_state_equals_evaluate() -> None:
    """The probe's account state is evaluate's, on both sides of the boundary, for size and wallet changes."""
    plan = _all_cross_book()
    prof = get_profile(plan.profile_id)
    marks = {p.symbol: p.mark * 0.93 for p in plan.positions}
    probe = _AccountProbe(plan, prof, marks)
    seen = set()
    for i in (0, 6, 11):
        for k in range(41):
            frac = k / 20.0
            cand = actions_mod._replace_leg(plan, i, quantity=plan.positions[i].quantity * max(frac, 1e-6))
            cand = actions_mod._with_wallet(cand, -200.0 * frac, "USDT", prof)
            want = evaluate(cand, prof, marks=marks, validate=False).account.state
            assert probe.state(cand, i) == want, (i, frac)
            seen.add(want)
    assert {"safe", "margin_call"} <= seen


def test_size_and_close_fraction_bisections_equal_full_evaluation() -> None:
    """The all-cross book at marks x 0.925 (margin call): the probe-driven bisections give the old answers bit for bit."""
    plan = _all_cross_book()
    prof = get_profile(plan.profile_id)
    marks = {p.symbol: p.mark * 0.925 for p in plan.positions}
    ev = evaluate(plan, prof, marks=marks)
    assert ev.account.state == "margin_call"

    def old_fraction(r) -> float | None:
        def safe(frac: float) -> bool:
            q = plan.positions[r.index].quantity * (1 - frac)
            if q <= 0:
                return True
            realised = r.unrealized_pnl * frac - prof.fees.taker * r.position_value * frac
            cand = actions_mod._with_wallet(actions_mod._replace_leg(plan, r.index, quantity=q), realised, r.settle, prof)
            try:
                return evaluate(cand, prof, marks=marks).account.state == "safe"
            except PlannerError:
                return False

        if not safe(0.999999):
            return None
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if safe(mid) else (mid, hi)
        return hi

    def old_size(r, move: float, marks: dict[str, float]) -> float:
        shocked = _shocked(plan, marks, r.index, move)

        def safe(frac: float) -> bool:
            cand = actions_mod._replace_leg(plan, r.index, quantity=plan.positions[r.index].quantity * frac)
            return frac <= 0 or evaluate(cand, prof, marks=shocked, validate=False).account.state == "safe"

        if safe(1.0):
            return 1.0
        lo, hi = 0.0, 1.0
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if safe(mid) else (lo, mid)
        return lo

    worst = min(ev.legs, key=lambda r: r.unrealized_pnl)
    frac = _fraction_to_close(plan, prof, marks, worst, ev)
    assert frac is not None and 0.5 < frac < 1.0
    assert frac == old_fraction(worst)
    # The size audit at marks x 0.95 (safe): a further 10 % against BTC leaves 13 % of leg 7 (BTC long 0.15) fundable,
    # 10 % against ETH at marks x 0.935 leaves 84 % of leg 2 (ETH long 3).
    for factor, i, lo, hi in ((0.95, 6, 0.10, 0.15), (0.935, 1, 0.80, 0.90), (0.95, 0, 0.0, 0.0), (0.95, 1, 1.0, 1.0)):
        size_marks = {p.symbol: p.mark * factor for p in plan.positions}
        r = evaluate(plan, prof, marks=size_marks).legs[i]
        got = _max_size_for_move(plan, prof, size_marks, r, 0.10)
        assert lo <= got <= hi
        assert got == old_size(r, 0.10, size_marks)


def test_book_action_plan_costs_a_few_book_evaluations(monkeypatch: pytest.MonkeyPatch) -> None:
    """20-leg book: one evaluation of the book, one per step that changes the plan, one per cross leg (size audit)
    and per losing cross leg (average-down); the leverage audits touch one leg at a time (was ~1,500 book evaluations)."""
    plan = _book()
    prof = get_profile(plan.profile_id)
    calls: list[int] = []
    real = actions_mod.evaluate

    def counting(p: Plan, *a: object, **k: object):  # type: ignore[no-untyped-def]
        calls.append(len(p.positions))
        return real(p, *a, **k)

    monkeypatch.setattr(actions_mod, "evaluate", counting)
    ap = action_plan(plan, prof)
    ev = real(plan, prof)
    cross = [r for r in ev.legs if r.margin_mode == "cross"]
    losing_cross = [r for r in cross if r.unrealized_pnl < 0]
    changing = [s for s in ap.steps if s.plan_after is not None]
    assert calls.count(20) == 1 + len(changing) + len(cross) + len(losing_cross)
    iso = [r for r in ev.legs if r.margin_mode == "isolated"]
    assert calls.count(1) <= len(iso) * 9 + len(iso)  # <= 1 + log2(125) per leverage audit, 1 per average-down
    assert len(calls) < 150


# ---------------------------------------------------------------------------
# Advice a trader can act on: stops before liquidation, ranking, leg names
# ---------------------------------------------------------------------------


def _two_btc_legs(mark: float = 90680.0, btc_rate: float = 0.0001) -> Plan:
    """A cross book (BTC 0.1 long, ETH 2 long, SOL 10 short) plus #4, an isolated BTC 0.5 long at 20x from 95,000.

    #4's liquidation price is 90,612.45 (Binance tiers); at 90,680 it is 0.07 % away and in a margin call
    (MM / equity 84 % >= 80 %); the cross wallet (20,000 USDT) is safe.
    """
    return Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 20000.0},
            "horizon_hours": 24.0,
            "funding_rates": {"BTCUSDT": btc_rate},
            "positions": [
                {"symbol": "BTCUSDT", "side": "long", "quantity": 0.1, "entry_price": 95000.0, "mark_price": mark, "leverage": 10, "margin_mode": "cross"},
                {"symbol": "ETHUSDT", "side": "long", "quantity": 2.0, "entry_price": 3000.0, "mark_price": 3000.0, "leverage": 10, "margin_mode": "cross"},
                {"symbol": "SOLUSDT", "side": "short", "quantity": 10.0, "entry_price": 150.0, "mark_price": 150.0, "leverage": 5, "margin_mode": "cross"},
                {"symbol": "BTCUSDT", "side": "long", "quantity": 0.5, "entry_price": 95000.0, "mark_price": mark, "leverage": 20, "margin_mode": "isolated"},
            ],
        }
    )  # fmt: skip


def test_margin_call_header_names_the_leg_and_steps_tell_the_btc_legs_apart() -> None:
    prof = get_profile("binance-usdm")
    plan = _two_btc_legs()
    ev = evaluate(plan, prof)
    assert ev.legs[3].state == "margin_call" and ev.legs[0].state == "safe"
    assert ev.legs[3].liquidation_price == pytest.approx(90612.45, abs=0.01)
    ap = action_plan(plan, prof)
    assert ap.in_margin_call and ap.legs_in_call == (3,)
    assert ap.trigger.startswith("Margin call on #4 BTCUSDT isolated (0.07 % from liquidation): margin ratio = MM / equity")
    titles = [s.title for s in ap.steps]
    assert len(titles) == len(set(titles))  # no step twice
    for s in ap.steps:
        if "BTCUSDT" in s.title:
            assert "#1 BTCUSDT cross" in s.title or "#4 BTCUSDT isolated" in s.title, s.title
    assert {s.legs for s in ap.steps if s.kind == "audit_size"} == {(0,), (1,), (2,), (3,)}
    # Every step that changes the plan reports evaluate's figures of that plan.
    for s in ap.steps:
        if s.plan_after is not None:
            after = evaluate(s.plan_after, prof)
            assert s.liquidation_after == {l.index: l.liquidation_price for l in after.legs}
            assert s.state_after in ("safe", "margin_call", "liquidation")


def test_stop_loss_is_never_past_liquidation() -> None:
    """At 90,680 the old rule put #4's stop 4 % below the mark, at 87,052.80: 3,559.65 below its liquidation price."""
    prof = get_profile("binance-usdm")
    ap = action_plan(_two_btc_legs(), prof)
    stop4 = next(s for s in ap.steps if s.kind == "stop_loss" and s.legs == (3,))
    assert stop4.title == "Too late for a stop on #4 BTCUSDT isolated: liquidation comes first at 90,612.45"
    assert "0.07 %" in stop4.detail and "0.5 % buffer" in stop4.detail
    lp = evaluate(_two_btc_legs(), prof).legs[3].liquidation_price
    assert lp is not None and lp - 90680.0 * (1 - 0.04) == pytest.approx(3559.65, abs=0.01)  # the old stop, past liquidation
    # 1.5 % above liquidation (mark 92,000): the stop moves in to liquidation + 0.5 % of the mark = 90,612.45 + 460.
    moved = next(s for s in action_plan(_two_btc_legs(92000.0), prof).steps if s.kind == "stop_loss" and s.legs == (3,))
    assert moved.amount == pytest.approx(90612.45 + 460.0, abs=0.01)
    assert "moved in from 4%" in moved.title and moved.title.startswith("Stop-loss for #4 BTCUSDT isolated at 91,072.45")
    # Far from liquidation (mark 99,000, 8.5 % away) the usual 4 % stop stands: 95,040.
    far = next(s for s in action_plan(_two_btc_legs(99000.0), prof).steps if s.kind == "stop_loss" and s.legs == (3,))
    assert far.amount == pytest.approx(95040.0)
    # Invariant over a sweep of marks: every proposed stop sits between liquidation + buffer and the mark.
    for mark in (90650.0, 90900.0, 91500.0, 93000.0, 95000.0, 100000.0):
        plan = _two_btc_legs(mark)
        ev = evaluate(plan, prof)
        for s in action_plan(plan, prof, evaluation=ev).steps:
            if s.kind != "stop_loss" or s.title.startswith("Too late"):
                continue
            r = ev.legs[s.legs[0]]
            sign = 1 if r.side == "long" else -1
            assert s.amount is not None and (r.mark_price - s.amount) * sign > 0
            if r.liquidation_price is not None:
                assert (s.amount - r.liquidation_price) * sign >= 0.005 * r.mark_price - 1e-6, (mark, s.title)


def test_steps_ranked_by_distance_restored_for_cost() -> None:
    """#4 in a margin call: 4,482.22 USDT puts it 10 % from liquidation; the 12.29 USDT minimum leaves it 0.10 % away.

    The minimum used to come first; now the deposit that restores the wanted distance ranks first, the minimum after it.
    """
    prof = get_profile("binance-usdm")
    ap = action_plan(_two_btc_legs(), prof)
    first, second = ap.steps[0], ap.steps[1]
    assert first.kind == "top_up_distance" and first.amount == pytest.approx(4482.22, abs=0.01)
    assert evaluate(first.plan_after, prof).legs[3].distance_to_liquidation == pytest.approx(0.10, rel=1e-6)
    assert second.kind == "top_up" and second.amount == pytest.approx(12.29, abs=0.01)
    d_min = evaluate(second.plan_after, prof).legs[3].distance_to_liquidation
    assert d_min == pytest.approx(0.0010, abs=0.0001)
    assert "0.10 % from liquidation" in second.detail
    # restored: capped distance gained by #4 (0.07 % -> 10 %, 0.07 % -> 0.10 %); cost: the deposit.
    assert first.restored == pytest.approx(0.10 - 0.000745, abs=1e-5) and first.cost == first.amount
    assert second.restored == pytest.approx(d_min - 0.000745, abs=1e-5)
    changing = [s for s in ap.steps if s.plan_after is not None]
    assert ap.steps[: len(changing)] == changing  # plan changes first, then stops, notes, audits
    assert [s.number for s in ap.steps] == list(range(1, len(ap.steps) + 1))
    assert "restore" in ap.ranking and "cost" in ap.ranking


def test_zero_funding_is_not_a_step() -> None:
    prof = get_profile("binance-usdm")
    ap = action_plan(_two_btc_legs(btc_rate=0.0), prof)
    assert not [s for s in ap.steps if s.kind == "audit_funding"]
    assert [s.title for s in action_plan(_two_btc_legs(), prof).steps if s.kind == "audit_funding"] == [
        "Funding over 24 h: pays 16.32 USDT"
    ]


def test_hedge_leg_stop_is_not_blocked_by_the_groups_liquidation_on_its_winning_side() -> None:
    """Five-leg book: the cross BTC group (2 long, 0.5 short) liquidates at 36,554.36, below the mark 61,000.

    That price lies where the short hedge #2 gains, so its stop is the usual 4 % above the mark (63,440), not
    "too late"; the long #1's stop 4 % below (58,560) sits far above that liquidation.
    """
    plan = load_plan(PLANS / "cross-book-5legs.plan.json")
    prof = get_profile(plan.profile_id)
    ev = evaluate(plan, prof)
    assert ev.legs[1].liquidation_price == pytest.approx(36554.36, abs=0.01)
    stops = {s.legs[0]: s for s in action_plan(plan, prof, evaluation=ev).steps if s.kind == "stop_loss"}
    assert stops[1].title == "Stop-loss for #2 BTCUSDT cross at 63,440.00 (4% beyond the mark)"
    assert stops[1].amount == pytest.approx(63440.0) and stops[0].amount == pytest.approx(58560.0)
    # #5 ETH isolated long, liquidation 2,891.57: the 4 % stop (2,928) is 1.2 % of the mark above it, and a 2 % gap
    # past the stop (2,869.44) would cross the liquidation price, which the step says.
    assert stops[4].amount == pytest.approx(2928.0) and stops[4].amount - 0.005 * 3050.0 > ev.legs[4].liquidation_price
    assert "would reach liquidation at 2,891.57 first" in stops[4].detail


def test_a_stop_on_the_profit_side_says_what_it_keeps() -> None:
    """A short 0.25 BTC from 63,000 with the mark at 60,000: the stop 4 % above the mark (62,400) is still
    below the entry, so filled there it keeps 0.25 x 600 - 0.05 % x 0.25 x 62,400 = 150 - 7.80 = 142.20 USDT
    (it once read "Loses about -142.20 USDT")."""
    from planner.model.plan import Plan

    plan = Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 10000.0},
            "positions": [
                {"symbol": "BTCUSDT", "side": "short", "quantity": 0.25, "entry_price": 63000.0, "mark_price": 60000.0, "leverage": 5}
            ],
        }
    )
    prof = get_profile("binance-usdm")
    assert prof.fees.taker == 0.0005
    stops = [s for s in action_plan(plan, prof).steps if s.kind == "stop_loss"]
    assert len(stops) == 1 and "62,400.00" in stops[0].title
    assert stops[0].detail.startswith("Keeps about 142.20 USDT of profit if filled at the stop.")
    assert "-142.20" not in stops[0].detail
