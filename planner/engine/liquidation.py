"""Prices at which a position's equity meets a margin level (vectorised).

Every venue's liquidation, bankruptcy and margin-call price is the root of one
equation::

    M + upnl(P) = k * MM(P) + f * value(P)

* ``M``: collateral behind the position (isolated margin, or the cross wallet
  less what the other positions consume), settlement currency.
* ``upnl(P)``: linear ``s*q*(P - E)``; inverse ``s*q*(1/E - 1/P)`` (coin).
* ``MM(P)``: tier rate x value - maintenance amount; the tier is chosen at
  ``P`` ("tested" basis, Binance) or at the entry value ("entry", Bybit).
* ``k``: 1 for liquidation, 0 for bankruptcy, ``1/threshold`` for the
  margin-call price of a Binance-style ratio.
* ``f``: close fee reserved (OKX), 0 otherwise.

Sign convention: ``s`` = +1 long, -1 short. Returned prices are quote per base
unit; ``nan`` means no positive price satisfies the equation (a 1x long cannot
be liquidated), which callers report as "none". Roots above :data:`MAX_MEANINGFUL_PRICE`
(a fully collateralised short whose denominator is a rounding residue) are
reported as none too.

Sources (the venues' own pages; each solver below names the one it follows):

* Binance USDⓈ-M, tier re-selected at the liquidation price:
  https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93
* Binance COIN-M (inverse):
  https://www.binance.com/es-MX/support/faq/how-to-calculate-liquidation-price-of-coin-m-futures-contracts-ceccfcfb4e3a45e3b48b0b1bb1a8ae46
* Bybit, maintenance margin on the entry value:
  https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract
* OKX, margin ratio = equity / (maintenance margin + close fee), tiers without a deduction:
  https://www.okx.com/support/hc/en-us/articles/360053909592
* Deribit, size-scaled maintenance rate:
  https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022
* Kraken Futures (inverse, maintenance margin at the liquidation price):
  https://support.kraken.com/hc/en-us/articles/360022835671-Equity-Protection-Process
* Hyperliquid (maintenance rate = 1 / (2 x max leverage)):
  https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from planner.engine.tiers import TierTable, maintenance_margin, position_value, tier_index, tier_measure
from planner.model.arrays import ArrayLike, BoolArray, FloatArray, IntArray

#: Roots beyond this are rounding artefacts, not prices (1,000x the largest accepted input price).
MAX_MEANINGFUL_PRICE = 1e12


def _valid(price: FloatArray) -> FloatArray:
    return np.where(np.isfinite(price) & (price > 0.0) & (price < MAX_MEANINGFUL_PRICE), price, np.nan)


def closed_form_price(
    s: ArrayLike,
    q: ArrayLike,
    entry: ArrayLike,
    collateral: ArrayLike,
    rate: ArrayLike,
    amount: ArrayLike,
    *,
    k: float = 1.0,
    fee: float = 0.0,
    inverse: bool = False,
) -> FloatArray:
    """Root of the margin equation for one fixed tier (rate, amount).

    Notes
    -----
    Linear: ``P = (M + k*cum - s*q*E) / (q*(k*mmr + f) - s*q)`` (Binance FAQ form,
    https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93).
    Inverse: ``P = q*(k*mmr + f + s) / (M + k*cum + s*q/E)`` (Binance COIN-M,
    https://www.binance.com/es-MX/support/faq/how-to-calculate-liquidation-price-of-coin-m-futures-contracts-ceccfcfb4e3a45e3b48b0b1bb1a8ae46;
    Kraken, https://support.kraken.com/hc/en-us/articles/360022835671-Equity-Protection-Process).

    Examples
    --------
    >>> float(closed_form_price(1, 1.0, 20000.0, 400.0, 0.005, 0.0))  # doctest: +ELLIPSIS
    19698.49...
    """
    s = np.asarray(s, dtype=float)
    q = np.asarray(q, dtype=float)
    entry = np.asarray(entry, dtype=float)
    collateral = np.asarray(collateral, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if inverse:
            price = q * (k * rate + fee + s) / (collateral + k * amount + s * q / entry)
        else:
            price = (collateral + k * amount - s * q * entry) / (q * (k * rate + fee) - s * q)
    return _valid(price)


def _entry_basis_price(
    s: FloatArray, q: FloatArray, entry: FloatArray, collateral: FloatArray, table: TierTable, k: float, fee: float
) -> FloatArray:
    """Bybit classic: maintenance margin fixed at its entry-value amount.

    ``LP_long = Entry - (IM - MM)/Size``, MM on the entry value
    (https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract).
    """
    mm_entry = maintenance_margin(q, entry, table)
    with np.errstate(divide="ignore", invalid="ignore"):
        if table.inverse:
            price = q * (fee + s) / (collateral - k * mm_entry + s * q / entry)
        else:
            price = (collateral - k * mm_entry - s * q * entry) / (q * fee - s * q)
    return _valid(price)


def _size_scaled_price(
    s: FloatArray, q: FloatArray, entry: FloatArray, collateral: FloatArray, table: TierTable, k: float, fee: float
) -> FloatArray:
    """Deribit: MM rate = a + b*size_in_coin; inverse: a quadratic in ``1/P``.

    Rates: https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022
    (BTC: MM 1 % + 0.005 % per BTC of size).
    """
    _, a, b, _ = table.size_scaled  # type: ignore[misc]
    if not table.inverse:
        return closed_form_price(s, q, entry, collateral, a + b * q, 0.0, k=k, fee=fee)
    # x = 1/P:  k*b*q^2 x^2 + (k*a + f + s) q x - (M + s q/E) = 0
    A = k * b * q * q
    B = (k * a + fee + s) * q
    C = -(collateral + s * q / entry)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = B * B - 4.0 * A * C
        root = np.sqrt(np.where(disc >= 0, disc, np.nan))
        # Smaller positive root: the first price reached from the entry side.
        quad = np.where(B > 0, (2.0 * -C) / (B + root), (-B - root) / (2.0 * A))
        x = np.where(A > 0, quad, -C / B)
        price = 1.0 / x
    return _valid(price)


def _tier_price_bounds(q: FloatArray, table: TierTable) -> tuple[FloatArray, FloatArray]:
    """Price interval of every tier for each position (value basis), shape (N, T)."""
    qc = q[:, None]
    with np.errstate(divide="ignore"):
        if table.inverse:  # value = q/P in (floor, cap]  <=>  P in [q/cap, q/floor)
            lo = qc / table.caps[None, :]
            hi = np.where(table.floors[None, :] > 0, qc / np.where(table.floors > 0, table.floors, 1.0)[None, :], np.inf)
        else:
            lo = qc * 0 + table.floors[None, :] / qc
            hi = table.caps[None, :] / qc
    return lo, hi


def _interval_price(
    s: ArrayLike,
    q: ArrayLike,
    entry: ArrayLike,
    collateral: ArrayLike,
    table: TierTable,
    k: float,
    fee: float,
    ref: ArrayLike | None = None,
) -> FloatArray:
    """Exact root for any tier table, continuous or not, by tier intervals.

    Each tier's equation holds only on its own price interval, so the region
    where the position is under-margined is a union of intervals, one piece
    per tier. Without a deduction (OKX, Kraken, DEX bands) that region need not
    be a single half-line: a long can also be under-margined *above* the price
    when a rise lifts its value into a band with a higher rate. The answer is
    the nearest point of the region on the loss side of ``ref`` (the mark;
    default the entry): for a long the highest under-margined price at or
    below ``ref``, for a short the lowest at or above it (issue 15 item 7;
    Kraken liquidates when margin equity falls below maintenance margin,
    https://support.kraken.com/hc/en-us/articles/4844463246100-Margining-Liquidations-Multi-Collateral). If ``ref`` itself is under-margined (the level is
    crossed already), the edge of that under-margined stretch on the profit
    side is returned: the price the mark must regain, which for a continuous
    table is its one root, so isolated prices do not follow the mark. (OKX
    publishes tiers without a deduction, so the price can sit on a tier
    boundary: https://www.okx.com/support/hc/en-us/articles/360053909592.)
    """
    s, q, entry, collateral = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (s, q, entry, collateral)))
    ref = entry if ref is None else np.broadcast_to(np.atleast_1d(np.asarray(ref, dtype=float)), s.shape)
    cols = (s[:, None], q[:, None], entry[:, None], collateral[:, None])
    cand = closed_form_price(*cols, table.mmr[None, :], table.cum[None, :], k=k, fee=fee, inverse=table.inverse)
    lo, hi = _tier_price_bounds(q, table)
    lo = np.maximum(lo, 0.0)
    hi = np.minimum(hi, MAX_MEANINGFUL_PRICE)
    valid = np.isfinite(cand)
    with np.errstate(invalid="ignore", over="ignore"):
        # Which side of each tier's root is under-margined follows from the slope of
        # equity - requirement in the price (a probe beside a root near zero cannot tell):
        # linear q(s - k*mmr - fee); inverse q(s + k*mmr + fee)/P^2. Positive: under below it.
        rate = k * table.mmr[None, :]
        below = (cols[0] + rate + fee > 0) if table.inverse else (cols[0] - rate - fee > 0)
        # Tiers whose equation has no positive root keep one sign on their whole interval.
        probe = np.where(np.isfinite(hi), np.where(lo > 0, np.sqrt(lo * hi), 0.5 * hi), 2.0 * lo + 1.0)
        whole = _under_margined(*cols, table, k, fee, probe)
    # Under-margined piece [a, b) of each tier (empty when a >= b).
    a = np.where(valid, np.where(below, lo, np.maximum(lo, cand)), np.where(whole, lo, np.inf))
    b = np.where(valid, np.where(below, np.minimum(hi, cand), hi), np.where(whole, hi, -np.inf))
    has = a < b
    r = ref[:, None]
    # Strictly on each side: a piece that only touches ``ref`` does not hold it (the
    # case where ``ref`` is under-margined is ``inside`` below).
    down = np.where(has & (a < r), np.minimum(b, r), -np.inf).max(axis=1)
    up = np.where(has & (b > r), np.maximum(a, r), np.inf).min(axis=1)
    # Already under-margined at ``ref``: the edge of that under-margined stretch on
    # the profit side (for a continuous table: its one root), as for any table.
    # Tested in the tier that owns ``ref`` (caps inclusive), not from the pieces' ends:
    # at a boundary the owning tier decides (an inverse leg's price interval is open
    # at its top, a linear leg's at its bottom).
    own = tier_index(tier_measure(q, ref, table), table)
    inside = _under_margined(*cols, table, k, fee, ref[:, None])[np.arange(own.shape[0]), own]
    if inside.any():
        top = np.where(inside, ref, np.nan)
        bottom = top.copy()
        for _ in range(table.n_tiers):
            top = np.fmax(top, np.where(has & (a <= top[:, None]) & (b > top[:, None]), b, -np.inf).max(axis=1))
            bottom = np.fmin(bottom, np.where(has & (a < bottom[:, None]) & (b >= bottom[:, None]), a, np.inf).min(axis=1))
        down = np.where(inside, top, down)
        up = np.where(inside, bottom, up)
    return _valid(np.where(s > 0, down, up))


def _under_margined(
    s: FloatArray,
    q: FloatArray,
    entry: FloatArray,
    collateral: FloatArray,
    table: TierTable,
    k: float,
    fee: float,
    price: FloatArray,
) -> BoolArray:
    """True where equity < k*MM + fee at ``price`` using each column's own tier."""
    value = position_value(q, price, table.inverse)
    upnl = s * q * (1.0 / entry - 1.0 / price) if table.inverse else s * q * (price - entry)
    mm = value * table.mmr[None, :] - table.cum[None, :]
    return collateral + upnl < k * mm + fee * value


#: Rows per block in the tier re-selection loop: small enough to stay in cache.
_CHUNK = 16384


def _tier_root(
    s: FloatArray,
    q: FloatArray,
    a0: FloatArray,
    collateral: FloatArray,
    entry: FloatArray,
    k_rate: FloatArray,
    k_amount: FloatArray,
    fee: float,
    inverse: bool,
) -> FloatArray:
    """Closed-form root for per-row tier values (``k_rate = k*mmr``, ``k_amount = k*cum``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if inverse:
            return q * (k_rate + fee + s) / (collateral + k_amount + s * q / entry)
        return (a0 + k_amount) / (q * (k_rate + fee) - s * q)


def _measure_at(price: FloatArray, q: FloatArray, s: FloatArray, inverse: bool) -> FloatArray:
    """Tier measure (position value) at ``price``; rows without a root take the loss-side limit."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = q / price if inverse else q * price
    ok = price > 0
    if ok.all():
        return value
    limit = np.where((s > 0) == inverse, np.inf, 0.0)
    return np.where(ok, value, limit)


def _count_floors(inner: FloatArray, values: FloatArray) -> IntArray:
    """Tier index = number of inner floors < value (caps inclusive, as
    :func:`planner.engine.tiers.tier_index`); comparison counting beats a
    binary search for the dozen tiers real tables have."""
    if inner.shape[0] > 100:
        return np.searchsorted(inner, values, side="left")
    j = np.zeros(values.shape, dtype=np.int8)
    for floor in inner:
        j += values > floor
    return j.astype(np.intp)


def _iterated_price(
    s: ArrayLike, q: ArrayLike, entry: ArrayLike, collateral: ArrayLike, table: TierTable, k: float, fee: float
) -> FloatArray:
    """Tier re-selection at the candidate price, for continuous tables.

    Binance FAQ: "substitute the maintenance margin rate and maintenance amount of
    the level at the liquidation price and recalculate"
    (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93).

    Start from the tier of the entry value, solve, and move rows whose root
    falls outside their tier to the tier containing it; with continuous
    maintenance margin the root is unique, and real tables settle in one or
    two passes. Rows still moving after ``n_tiers + 1`` passes fall back to
    :func:`_interval_price`. Works in cache-sized blocks.
    """
    s, q, entry, collateral = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (s, q, entry, collateral)))
    inner = table.floors[1:]
    lo = table.floors
    hi = np.concatenate([table.caps[:-1], [np.inf]])
    k_rate, k_amount = k * table.mmr, k * table.cum
    out = np.empty(q.shape, dtype=float)
    stuck: list[IntArray] = []
    for a in range(0, q.shape[0], _CHUNK):
        sl = slice(a, a + _CHUNK)
        ss, qq, ee, mm = s[sl], q[sl], entry[sl], collateral[sl]
        a0 = mm - ss * qq * ee
        j = _count_floors(inner, position_value(qq, ee, table.inverse))
        price = _tier_root(ss, qq, a0, mm, ee, k_rate[j], k_amount[j], fee, table.inverse)
        for _ in range(table.n_tiers + 1):
            v = _measure_at(price, qq, ss, table.inverse)
            bad = ((v <= lo[j]) & (j > 0)) | (v > hi[j])
            if not bad.any():
                break
            idx = np.flatnonzero(bad)
            jn = np.searchsorted(inner, v[idx], side="left")
            j[idx] = jn
            price[idx] = _tier_root(ss[idx], qq[idx], a0[idx], mm[idx], ee[idx], k_rate[jn], k_amount[jn], fee, table.inverse)
        else:
            stuck.append(np.flatnonzero(bad) + a)
        out[sl] = price
    if stuck:
        idx = np.concatenate(stuck)
        out[idx] = _interval_price(s[idx], q[idx], entry[idx], collateral[idx], table, k, fee)
    return _valid(out)


def price_at_level(
    s: ArrayLike,
    q: ArrayLike,
    entry: ArrayLike,
    collateral: ArrayLike,
    table: TierTable,
    *,
    k: float = 1.0,
    fee: float = 0.0,
    mm_basis: str = "tested",
    ref: ArrayLike | None = None,
) -> FloatArray:
    """Price where ``collateral + upnl(P) = k*MM(P) + fee*value(P)``; nan if none.

    Parameters
    ----------
    s : +1 long, -1 short.
    q : size in formula units (linear base units; inverse USD notional).
    entry : average entry price.
    collateral : margin behind the position, settlement currency.
    table : the symbol's tiers.
    k : multiple of maintenance margin (1 liquidation, 0 bankruptcy).
    fee : close-fee rate reserved in the requirement.
    mm_basis : "tested" (tier and value at P) or "entry" (at the entry value).
    ref : price the search starts from (the mark; default the entry). Only
        tables without a deduction can have several roots; the one returned
        is the nearest on the loss side of ``ref`` (``ref`` itself when the
        level is already crossed there).
    """
    s, q, entry, collateral = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (s, q, entry, collateral)))
    if k == 0.0:
        zeros = np.zeros_like(q)
        return closed_form_price(s, q, entry, collateral, zeros, zeros, k=0.0, fee=fee, inverse=table.inverse)
    if mm_basis == "entry":
        return _entry_basis_price(s, q, entry, collateral, table, k, fee)
    if table.size_scaled is not None:
        return _size_scaled_price(s, q, entry, collateral, table, k, fee)
    if table.basis == "size" or table.n_tiers == 1:
        j = tier_index(tier_measure(q, entry, table), table)
        return closed_form_price(s, q, entry, collateral, table.mmr[j], table.cum[j], k=k, fee=fee, inverse=table.inverse)
    if table.continuous:
        return _iterated_price(s, q, entry, collateral, table, k, fee)
    return _interval_price(s, q, entry, collateral, table, k, fee, ref)


def liquidation_price(
    s: ArrayLike,
    q: ArrayLike,
    entry: ArrayLike,
    collateral: ArrayLike,
    table: TierTable,
    *,
    fee: float = 0.0,
    mm_basis: str = "tested",
    ref: ArrayLike | None = None,
) -> FloatArray:
    """Price where equity equals maintenance margin (+ reserved close fee); arrays in, arrays out.

    ``ref`` (the mark; default the entry) picks the nearest root on its loss
    side where a table without a deduction has several (:func:`price_at_level`).

    The rule per venue and its source are listed in the module docstring
    (Binance: https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93).
    :func:`planner.liquidation_price` is the scalar-friendly front door.

    >>> from planner.engine.tiers import TierTable
    >>> from planner.model.profile import Tier
    >>> table = TierTable.from_tiers([Tier(notional_floor=0.0, notional_cap=None, max_leverage=125, maintenance_rate=0.004, maintenance_amount=0.0)])
    >>> liquidation_price(1, 1.0, 50_000.0, 5_000.0, table)
    array([45180.72289157])
    """
    return price_at_level(s, q, entry, collateral, table, k=1.0, fee=fee, mm_basis=mm_basis, ref=ref)


def bankruptcy_price(
    s: ArrayLike, q: ArrayLike, entry: ArrayLike, collateral: ArrayLike, table: TierTable, *, fee: float = 0.0
) -> FloatArray:
    """Price where equity reaches zero (after the reserved close fee, if any).

    Notes
    -----
    Linear: ``BP = (q*E - s*M) / (q*(1 - s*f))``; inverse: ``BP = q*(s + f) / (M + s*q/E)``.
    Bybit "Bankruptcy Price": ``BP_long = Entry*(1 - IMR)``
    (https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract);
    with the close fee reserved (OKX/Gate):
    https://www.gate.io/help/futures/futures/27724/liquidation-price-bankruptcy-price
    """
    return price_at_level(s, q, entry, collateral, table, k=0.0, fee=fee)


def find_roots_near(
    func: Callable[[FloatArray], FloatArray], ref: float, *, down: bool, span: float = 1000.0, n_grid: int = 2001, levels: int = 3
) -> float:
    """Nearest root of a scalar function of price on one side of ``ref``; nan if none.

    Scans a log-spaced grid from ``ref`` outwards (``ref/span`` .. ``ref*span``)
    for the first sign change (to negative), then refines the bracket with finer
    grids (each level divides it by ``n_grid``) and finishes with a secant
    step. Every level is one vectorised call of ``func`` (numpy array of
    prices in, array out), so a many-leg account costs a handful of array
    passes instead of a scalar bisection loop.
    """
    if down:
        grid = ref * np.logspace(0.0, -np.log10(span), n_grid)
    else:
        grid = ref * np.logspace(0.0, np.log10(span), n_grid)
    return _first_root_on_grid(func, grid, n_grid, levels)


#: A function of price evaluated on a numpy array of prices (equity minus requirement, settlement currency).
PriceFunction = Callable[[FloatArray], FloatArray]

#: The lowest price :func:`nearest_root` searches, as a fraction of the start price.
MIN_PRICE_FRACTION = 1e-12


def nearest_root(
    func: PriceFunction, ref: float, *, down: bool, breaks: ArrayLike | None = None, n_grid: int = 401, levels: int = 3
) -> float:
    """Nearest price on one side of ``ref`` where ``func`` turns negative; nan if none exists.

    Unlike :func:`find_roots_near` the search is not limited to a span around
    ``ref``: it covers every meaningful price on that side (down to
    ``ref * MIN_PRICE_FRACTION``, up to :data:`MAX_MEANINGFUL_PRICE`). The
    grid is log-spaced and also holds ``breaks``, the prices where ``func``
    changes form (tier boundaries). Between two breaks an account's equity
    minus requirement is linear in the price (linear contracts) or in its
    reciprocal (inverse), so it changes sign at most once there and the grid
    cannot step over a root. ``nan`` therefore means "no root", not "not
    found". Returns ``ref`` when ``func(ref) < 0`` (the level is crossed now).
    """
    if not (math.isfinite(ref) and ref > 0):
        return float("nan")
    end = ref * MIN_PRICE_FRACTION if down else MAX_MEANINGFUL_PRICE
    if not down and ref >= end:
        return float("nan")
    b = np.zeros(0) if breaks is None else np.asarray(breaks, dtype=float).ravel()
    key = (ref, down, n_grid, b.tobytes())
    grid = _GRIDS.get(key)
    if grid is None:
        grid = ref * np.logspace(0.0, np.log10(end / ref), n_grid)
        b = b[np.isfinite(b) & ((b < ref) & (b > end) if down else (b > ref) & (b < end))]
        if b.size:
            grid = np.unique(np.concatenate([grid, b, b * (1 - 1e-12) if down else b * (1 + 1e-12)]))
            grid = grid[::-1] if down else grid
            grid = grid[(grid <= ref) if down else (grid >= ref)]
        grid.flags.writeable = False
        if len(_GRIDS) > 64:
            _GRIDS.clear()
        _GRIDS[key] = grid
    return _first_root_on_grid(func, grid, n_grid, levels)


def _first_negative(values: FloatArray) -> int:
    """Index of the first negative value (nan is not negative); -1 when there is none."""
    hit = np.flatnonzero(values < 0)
    return int(hit[0]) if hit.size else -1


#: Search grids of :func:`nearest_root` by (start price, side, points, break prices): the levels of one search share them.
_GRIDS: dict[tuple[float, bool, int, bytes], FloatArray] = {}


def _first_root_on_grid(func: PriceFunction, grid: FloatArray, n_grid: int, levels: int) -> float:
    """First sign change (to negative) of ``func`` along ``grid``, refined; ``grid[0]`` if negative there."""
    vals = func(grid)
    i = _first_negative(vals)
    if i <= 0:
        return float(grid[0]) if i == 0 else float("nan")
    a, b, fa, fb = grid[i - 1], grid[i], vals[i - 1], vals[i]
    for _ in range(levels):
        if b == a:
            break
        sub = np.linspace(a, b, n_grid)
        sv = func(sub)
        k = np.flatnonzero(sv < 0)
        j = int(k[0]) if k.size else n_grid - 1
        a, b, fa, fb = sub[j - 1], sub[j], sv[j - 1], sv[j]
    if fa != fb and np.isfinite(fa) and np.isfinite(fb):
        root = a + (b - a) * fa / (fa - fb)
        return float(min(max(root, min(a, b)), max(a, b)))
    return float(0.5 * (a + b))


#: Relative distance of the two grid points that straddle a break (tier boundary): far above rounding, far below a tick.
BREAK_SIDE = 1e-12


def piecewise_grid(ref: float, breaks: ArrayLike, *, down: bool, end: float) -> FloatArray:
    """Prices from ``ref`` outward to ``end`` that split the way at every break (quote per base unit).

    The grid holds ``ref``, both sides of each break strictly between ``ref``
    and ``end`` (``break * (1 -/+ BREAK_SIDE)``) and ``end``, ordered outward
    from ``ref``. A function that changes form only at the breaks is then one
    piece between neighbouring points; the jump at a break lies between its two
    sides. Empty when ``end`` is not beyond ``ref`` on that side.
    """
    lo, hi = (end, ref) if down else (ref, end)
    if not (math.isfinite(ref) and ref > 0 and lo < hi):
        return np.zeros(0)
    b = np.asarray(breaks, dtype=float).ravel()
    b = b[np.isfinite(b)]
    # A break at ``ref`` itself (a leg exactly on a tier cap) still splits the way just beyond ``ref``.
    sides = np.concatenate([b * (1.0 - BREAK_SIDE), b * (1.0 + BREAK_SIDE)])
    points = np.unique(np.concatenate([[lo, hi], sides[(sides > lo) & (sides < hi)]]))
    out: FloatArray = points[::-1] if down else points
    return out


def first_crossing(grid: FloatArray, values: FloatArray, *, reciprocal: bool) -> float:
    """Exact first price along ``grid`` where a piecewise-linear function turns negative; nan if it never does.

    ``values`` are the function on ``grid`` (from :func:`piecewise_grid`);
    between neighbouring points it is linear in the price (``reciprocal``
    False: linear contracts) or in its reciprocal (True: inverse contracts,
    whose uPnL and value go with ``1/P``), so the root is one interpolation,
    exact to rounding. Returns ``grid[0]`` when the function is negative there
    already (the level is crossed now), as :func:`nearest_root` does.
    """
    i = _first_negative(values)
    if i <= 0:
        return float(grid[0]) if i == 0 else float("nan")
    a, b, fa, fb = float(grid[i - 1]), float(grid[i]), float(values[i - 1]), float(values[i])
    if not (math.isfinite(fa) and math.isfinite(fb)) or fa == fb:
        return 0.5 * (a + b)
    xa, xb = (1.0 / a, 1.0 / b) if reciprocal else (a, b)
    x = xa + (xb - xa) * (fa / (fa - fb))
    root = 1.0 / x if reciprocal else x
    return min(max(root, min(a, b)), max(a, b))
