"""``position-planner size``: the quantity whose loss at the stop equals the risk, with Max Open and targets."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import asdict

from planner.drills.sizing import DEFAULT_SLIPPAGE, SizeResult, size_from_risk
from planner.model.errors import PlannerError, Problem
from planner.present.format import fmt_money, fmt_pct, fmt_price

RISK_HELP = (
    "risk per trade: a fraction of the wallet if <= 1 (0.01 = 1 %%), a percent ('1%%'), "
    "an amount in the settlement currency if > 1 (250), or an amount with its currency ('0.05BTC', always an amount)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "size",
        help="size a trade from the risk: quantity, liquidation, margin, Max Open, targets",
        description=(
            "Quantity whose loss at the stop, taker fee on entry and exit included, equals the risk. "
            "Isolated margin (value at entry / leverage). Without --leverage the largest whole leverage whose "
            "liquidation lies beyond the stop's gap fill (stop moved by --slippage) is used. Refuses (exit 2) when liquidation would come before the stop, "
            "naming the leverage to use. Risk: " + RISK_HELP + ". The gap loss assumes the stop fills --slippage beyond "
            "the stop price (profiles publish no slippage)."
        ),
    )
    p.add_argument("--profile", required=True, help="profile id (bundled or user), e.g. binance-usdm")
    p.add_argument("--symbol", required=True, help="symbol as listed in the profile, e.g. BTCUSDT")
    p.add_argument("--side", required=True, help="long or short")
    p.add_argument("--entry", required=True, type=_number("--entry"), help="entry price, quote currency")
    p.add_argument("--stop", required=True, type=_number("--stop"), help="stop price, quote currency")
    p.add_argument("--wallet", required=True, type=_number("--wallet"), help="wallet balance, settlement currency")
    p.add_argument("--risk", required=True, help=RISK_HELP)
    p.add_argument(
        "--leverage", type=_number("--leverage"), help="leverage (default: largest whole leverage with liquidation beyond the stop)"
    )
    p.add_argument(
        "--slippage",
        type=_number("--slippage"),
        default=DEFAULT_SLIPPAGE,
        help=f"assumed fill beyond a gapped stop, fraction of the stop price (default {DEFAULT_SLIPPAGE:g} = 0.2 %%)",
    )
    p.add_argument("--take-profit", default="", help="take-profit prices, comma-separated (R:R, PnL, ROE at each)")
    p.add_argument("--target-roe", default="", help="target ROEs as fractions, comma-separated (0.5 = +50 %%): the price for each")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run_size)


def _number(flag: str) -> Callable[[str], float]:
    def conv(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"must be a finite number (got '{text}')")
        return v

    conv.__name__ = flag
    return conv


def number_list(text: str, flag: str) -> list[float]:
    """``"52000,55000"`` -> floats; one-line error naming ``flag``."""
    out = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        try:
            v = float(item)
        except ValueError:
            raise PlannerError([Problem(flag, f"'{item}' is not a number")]) from None
        if not math.isfinite(v):
            raise PlannerError([Problem(flag, f"'{item}' must be finite")])
        out.append(v)
    return out


def run_size(args: argparse.Namespace) -> int:
    from planner.cli.common import lookup_profile as _lookup_profile

    profile = _lookup_profile(args.profile)
    try:
        r = size_from_risk(
            profile,
            args.symbol,
            args.side,
            entry=args.entry,
            stop=args.stop,
            wallet=args.wallet,
            risk=args.risk,
            leverage=args.leverage,
            slippage=args.slippage,
            take_profits=number_list(args.take_profit, "--take-profit"),
            target_roes=number_list(args.target_roe, "--target-roe"),
        )
    except PlannerError as exc:
        # Name the command-line option the problem is about.
        raise PlannerError([Problem(_flag(p.path), p.message) for p in exc.problems], "size") from None
    if args.json:
        print(json.dumps(_clean(asdict(r)), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(size_text(r, profile.symbols[r.symbol].tick_size))
    return 0


def _flag(path: str) -> str:
    return {"take_profit": "--take-profit"}.get(path, f"--{path}" if path and not path.startswith("-") else path)


def _clean(obj: object) -> object:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def size_text(r: SizeResult, tick: float) -> str:
    """Readable answer of ``size``."""
    s = 1 if r.side == "long" else -1
    c = r.settle
    lines = [
        f"{r.side} {r.symbol} on {r.profile}: entry {fmt_price(r.entry, tick)}, stop {fmt_price(r.stop, tick)}, wallet {fmt_money(r.wallet, c)}",
        f"risk {fmt_money(r.risk_amount, c)} ({fmt_pct(r.risk_fraction)} of the wallet), taker fee {fmt_pct(r.taker_fee, 3)} on entry and exit",
        f"quantity {r.quantity:.8g} {r.quantity_unit} (rounded down to the contract step: {r.quantity_rounded:.8g}, loss at stop {fmt_money(r.loss_at_stop_rounded, c)})",
        f"position value {fmt_money(r.position_value, c)} at {r.leverage:g}x{' (chosen)' if r.leverage_chosen else ''}: "
        f"initial margin {fmt_money(r.initial_margin, c)}, opening fee {fmt_money(r.entry_fee, c)}",
        f"loss at the stop {fmt_money(r.loss_at_stop, c)} (closing fee {fmt_money(r.exit_fee_at_stop, c)} included)",
        f"liquidation {fmt_price(r.liquidation_price, tick, s)}; liquidation stays beyond the stop up to {r.max_safe_leverage:.4g}x"
        + ("" if not r.liquidation_before_gap_fill else " (WARNING: a gapped stop would fill beyond the liquidation price)"),
        f"stop gapping {fmt_pct(r.slippage)} to {fmt_price(r.gap_fill_price, tick)}: loss {fmt_money(r.loss_at_gap, c)}",
        f"Max Open at {r.leverage:g}x: {r.max_quantity:.8g} {r.quantity_unit} (value {fmt_money(r.max_position_value, c)})",
    ]
    for t in r.targets:
        rr = "" if t.reward_risk is None else f", R:R {t.reward_risk:.2f}"
        lines.append(f"  {t.kind:<11} {fmt_price(t.price, tick)}: PnL {fmt_money(t.pnl, c)} after fees, ROE {fmt_pct(t.roe)}{rr}")
    for roe, price in r.target_roe_prices.items():
        lines.append(f"  ROE {fmt_pct(float(roe))} at {fmt_price(price, tick)}")
    return "\n".join(lines)
