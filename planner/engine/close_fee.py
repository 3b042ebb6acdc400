"""Bybit's estimated fee to close, valued at the bankruptcy price.

Bybit's position margin holds the estimated fee to close the position, and
its maintenance margin holds it too ("Initial Margin = Position Value /
Leverage + Estimated Fee to Close Position; Maintenance Margin = Position
Value x MMR - MM Deduction + Estimated Fee to Close Position", Bybit help
center "Liquidation Price Calculation under Isolated Mode (Unified Trading
Account)"). The fee is the taker rate on the position value at the
bankruptcy price ("Fee to close = Quantity x Bankruptcy Price x Taker Fee",
Bybit "Order Cost (USDT Contract)"; inverse: Quantity / Bankruptcy Price x
Taker Fee, Bybit "Order Cost (Inverse Contract)" and the legacy inverse cross
liquidation example, where ``BP = 1.00075 x Qty / (Qty/Entry + Balance)``).

Units: ``q`` in formula units (linear base units, inverse USD notional),
prices in quote per base unit, money in the settlement currency (quote for
linear, coin for inverse); ``s`` = +1 long, -1 short; ``taker`` a fraction.
"""

from __future__ import annotations

import math


def leverage_bankruptcy_price(s: int, entry: float, leverage: float, inverse: bool) -> float:
    """Bankruptcy price of a position holding exactly its initial margin (no fee).

    Linear ``E x (1 - s/L)`` (Bybit "Bankruptcy Price (USDT Contract)": long 10,000 at 50x -> 9,800);
    inverse ``E x L / (L + s)`` (Bybit ADL example: 7,890.08 at 50x -> 7,735.37).
    ``inf`` for an inverse 1x short, 0 for a linear 1x long.
    """
    if inverse:
        den = leverage + s
        return entry * leverage / den if den > 0 else math.inf
    return max(entry * (1.0 - s / leverage), 0.0)


def fee_at_price(q: float, price: float, inverse: bool, taker: float) -> float:
    """Taker fee for closing ``q`` at ``price``: linear ``q x P x f``, inverse ``q / P x f``; 0 when no such price."""
    if not math.isfinite(price) or price <= 0.0:
        return 0.0
    return taker * (q / price if inverse else q * price)


def default_close_fee(s: int, q: float, entry: float, leverage: float, inverse: bool, taker: float) -> float:
    """Estimated fee to close held in a fresh position margin (initial margin at ``leverage``).

    Bybit "Order Cost (USDT Contract)" example: long 1 BTC at 10,000, 50x, taker
    0.075 % -> bankruptcy 9,800, fee to close 7.35 USDT.
    """
    return fee_at_price(q, leverage_bankruptcy_price(s, entry, leverage, inverse), inverse, taker)


def bankruptcy_close_fee(s: int, q: float, entry: float, collateral: float, inverse: bool, taker: float) -> float:
    """Fee to close at the bankruptcy price of ``collateral`` with that fee reserved.

    The bankruptcy price solves ``collateral + upnl(BP) = taker x value(BP)``:
    linear ``BP = (q E - s M) / (q (1 - s f))``, inverse ``BP = q (s + f) / (M + s q / E)``
    (Bybit legacy inverse cross example: 0.5 BTC, long 10,000 at 8,000, f 0.075 %
    -> BP 5,718.57). A position margin of initial margin + :func:`default_close_fee`
    gives back the leverage bankruptcy price, so both functions agree on it.
    """
    if inverse:
        den = collateral + s * q / entry
        bp = q * (s + taker) / den if den > 0 else math.inf
    else:
        den = q * (1.0 - s * taker)
        bp = (q * entry - s * collateral) / den if den > 0 else math.inf
    return fee_at_price(q, bp, inverse, taker)
