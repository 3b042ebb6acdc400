"""The same plan on another venue: one mapping used by the CLI, the comparison and the window.

:func:`map_plan` maps each leg to the target venue's perpetual of the same
coin (:mod:`planner.model.symbols`: BTC = XBT, USDT/USDC/USD quotes equal,
``1000PEPE`` = 1,000 PEPE) and converts it at **equal USD value at entry**:

* linear target: quantity (base units) = USD value / entry price;
* inverse target: contracts = USD value / contract size (USD per contract);
* prices scale by the symbols' multipliers (``1000PEPE`` at 0.012 = PEPE at 0.000012);
* leverage and margin mode are kept; a leverage above the target's maximum at
  that size is *reported* (never clamped here);
* isolated margin and added margin keep the same USD value at the entry price
  (equivalently: the same ratio to the initial margin);
* funding rates are carried by coin at the same rate *per hour*
  (``rate_target = rate_source x interval_target / interval_source``);
* wallets: a wallet in a currency the target uses is carried as is; another
  stablecoin is carried 1:1 into the target's stablecoin; the rest is valued in
  USD (coins at the plan's mark of that coin) and shared between the target's
  settlement currencies in proportion to the margin its legs use there (coin
  wallets converted at the mark).

A dated future maps only to the target's future of the same coin with the same
expiry (and keeps ``roll`` / ``roll_basis``); if the target lists none it stays
unmapped with a reason, never silently turned into a perpetual (nor a
perpetual into a dated future).

A leg that cannot be mapped keeps its place in :attr:`VenueMapping.legs` with a
reason, the leg as the plan held it, the venue it was written for and its
funding rate; it is left out of :attr:`VenueMapping.plan`, never dropped silently.
Such legs can be handed to the next :func:`map_plan` as ``carried``: they join
the plan's legs at their place and map from their own venue (exactly as they
were when that venue is the target), so switching on never loses them.
:func:`map_leg_to` puts one such leg under a symbol the user chose (the window's
"bring it back"), by the same conversion, refusing a symbol a switch could not
have chosen (another coin, a perpetual for a dated future, not listed).
Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from planner.engine.funding import symbol_interval_hours
from planner.engine.tiers import TierTable, max_leverage_at, position_value
from planner.engine.validation import default_isolated_margin, formula_quantity
from planner.model.enums import ContractKind, MarginMode
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Account, Plan, Position
from planner.model.profile import ExchangeProfile, SymbolSpec
from planner.model.symbols import CoinKey, coin_key, is_stable

__all__ = ["LegMapping", "LegRemap", "VenueMapping", "map_leg_to", "map_plan", "map_symbol", "symbol_coin"]


@dataclass(frozen=True)
class LegMapping:
    """How one leg of the source plan lands on the target venue.

    Attributes
    ----------
    index : position of the leg in the source plan (0-based); with ``carried`` legs, in the
        source plan with the carried legs put back at their places.
    source_symbol, target_symbol : symbols on each venue; ``target_symbol`` is
        None when the leg could not be mapped (``reason`` says why).
    target_index : position of the leg in the mapped plan, None when unmapped.
    quantity : mapped quantity (linear: base units; inverse: contracts).
    usd_value : position value at entry in USD, the quantity kept equal.
    leverage_max : the target's maximum leverage at this size, set only when
        the plan's leverage exceeds it.
    notes : human-readable conversion notes (quote, contract kind, funding interval...).
    position : the source leg as the plan holds it, set when the leg is unmapped
        (the window shows it greyed and can bring it back under another symbol).
    origin : the venue ``position`` is written for (its quantity, prices and margin are in
        that venue's units), set with ``position``.
    funding_rate : the plan's funding rate of the unmapped leg's symbol (fraction per
        ``origin``'s interval, positive: longs pay), None when the plan gave none.
    price_scale : mapped legs: target price per source price (1 unless the price unit
        changes, 1000PEPE -> PEPE: 0.001).
    carried : the leg came from ``carried`` (an earlier switch left it out), not from the plan.
    """

    index: int
    source_symbol: str
    target_symbol: str | None
    target_index: int | None = None
    quantity: float | None = None
    usd_value: float | None = None
    leverage_max: float | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    position: Position | None = field(default=None, hash=False)
    origin: ExchangeProfile | None = field(default=None, hash=False, compare=False, repr=False)
    funding_rate: float | None = None
    price_scale: float = 1.0
    carried: bool = False

    @property
    def mapped(self) -> bool:
        return self.target_symbol is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "source_symbol": self.source_symbol,
            "target_symbol": self.target_symbol,
            "quantity": self.quantity,
            "usd_value": self.usd_value,
            "leverage_max": self.leverage_max,
            "reason": self.reason,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class VenueMapping:
    """The plan mapped to a target venue, with one :class:`LegMapping` per source leg."""

    plan: Plan
    source_id: str
    target_id: str
    legs: list[LegMapping]
    account_notes: list[str] = field(default_factory=list)

    @property
    def identity(self) -> bool:
        return self.source_id == self.target_id

    @property
    def unmapped(self) -> list[LegMapping]:
        return [m for m in self.legs if not m.mapped]

    @property
    def over_max_leverage(self) -> list[LegMapping]:
        return [m for m in self.legs if m.leverage_max is not None]

    def to_dict(self) -> dict[str, object]:
        return {
            "from": self.source_id,
            "to": self.target_id,
            "legs": [m.to_dict() for m in self.legs],
            "account": list(self.account_notes),
        }


def symbol_coin(symbol: str, profile: ExchangeProfile | None) -> CoinKey:
    """Canonical coin of ``symbol`` using the profile's ``base`` when it lists the symbol."""
    spec = profile.symbols.get(symbol) if profile is not None else None
    return coin_key(symbol, spec.base if spec is not None else None)


def _usd_quoted(spec: SymbolSpec) -> bool:
    return is_stable(spec.quote)


def map_symbol(
    symbol: str,
    source_spec: SymbolSpec | None,
    target: ExchangeProfile,
) -> tuple[str | None, str | None]:
    """The target's symbol for the same coin, or ``(None, reason)``.

    Preference among several candidates: same contract kind, then the same
    quote, then the same settlement currency, then the profile's order. A dated
    future maps only to a dated future with the same expiry; a perpetual only
    to a perpetual.
    """
    expiry = source_spec.expiry if source_spec is not None and source_spec.is_dated else None
    if (
        symbol in target.symbols
        and (source_spec is None or target.symbols[symbol].contract == source_spec.contract)
        and target.symbols[symbol].expiry == expiry
    ):
        return symbol, None
    key = coin_key(symbol, source_spec.base if source_spec is not None else None)
    candidates = _same_coin(key.coin, expiry, target)
    if not candidates:
        if expiry is not None:
            return (
                None,
                f"{target.name} lists no {key.coin} future quoted in USD expiring {expiry:%Y-%m-%d %H:%M} UTC (a dated leg is never mapped to a perpetual)",
            )
        return None, f"{target.name} lists no {key.coin} perpetual quoted in USD"

    def rank(item: tuple[str, SymbolSpec]) -> tuple[int, int, int]:
        spec = item[1]
        if source_spec is None:
            return (0, 0, 0)
        return (
            spec.contract != source_spec.contract,
            spec.quote.upper() != source_spec.quote.upper(),
            spec.settle.upper() != source_spec.settle.upper(),
        )

    best = min(candidates, key=rank)  # min is stable: profile order breaks ties
    return best[0], None


def _same_coin(coin: str, expiry: datetime | None, target: ExchangeProfile) -> list[tuple[str, SymbolSpec]]:
    """The target's USD-quoted symbols of ``coin`` with expiry ``expiry`` (None: perpetuals), in profile order."""
    return [
        (sym, spec)
        for sym, spec in target.symbols.items()
        if coin_key(sym, spec.base).coin == coin and _usd_quoted(spec) and (spec.expiry if spec.is_dated else None) == expiry
    ]


def _usd_value(pos: Position, spec: SymbolSpec) -> float:
    """Position value at entry in USD (stable quotes = 1 USD)."""
    if spec.contract is ContractKind.INVERSE:
        return pos.quantity * spec.contract_size
    return pos.quantity * pos.entry_price


def _wallets(plan: Plan, profile: ExchangeProfile) -> dict[str, float]:
    out = {profile.settle_currency: plan.account.wallet_balance}
    out.update(plan.account.balances)
    return out


def _money(x: float, ccy: str) -> str:
    return f"{x:,.2f} {ccy}" if is_stable(ccy) else f"{x:,.6g} {ccy}"


def map_plan(
    plan: Plan,
    target: ExchangeProfile,
    source: ExchangeProfile | None = None,
    carried: Sequence[LegMapping] = (),
) -> VenueMapping:
    """Map ``plan`` (written for ``source``) to ``target``; see the module docstring for every rule.

    ``source`` defaults to the plan's inline profile; a plan naming a profile
    by id needs it passed. Mapping to the plan's own venue returns the plan unchanged.

    ``carried``: unmapped legs of an earlier mapping (each with ``position`` and
    ``origin``). Each joins the plan's legs at its ``index`` (at the end when the
    plan has fewer legs now) and maps from its own ``origin`` with its own
    ``funding_rate``; when ``origin`` is ``target`` it comes back exactly as it
    was. One still unmapped keeps its position, origin and rate, with the
    target's reason. The plan's wallets stay in ``source``'s terms: only the legs'
    margin shares move (a carried leg counts where it lands).
    """
    if source is None:
        if not isinstance(plan.profile, ExchangeProfile):
            raise ValueError(f"map_plan: the plan names profile '{plan.profile}'; pass that profile as source")
        source = plan.profile
    back = [(m.index, m.position, m.origin, m.funding_rate) for m in carried if m.position is not None and m.origin is not None]
    if source.id == target.id and not back:
        same = [
            LegMapping(
                i, p.symbol, p.symbol, i, p.quantity, _usd_value(p, source.symbols[p.symbol]) if p.symbol in source.symbols else None
            )
            for i, p in enumerate(plan.positions)
        ]
        return VenueMapping(plan, source.id, target.id, same)

    # The legs to map, in order: the plan's, each carried leg put back at its place.
    items: list[tuple[Position, ExchangeProfile, float | None, bool]] = [
        (p, source, plan.funding_rates.get(p.symbol), False) for p in plan.positions
    ]
    for at, pos, origin, rate in sorted(back, key=lambda b: b[0]):
        items.insert(min(at, len(items)), (pos, origin, rate, True))

    # USD price of one coin, from the legs' marks (used to value coin wallets).
    coin_usd: dict[str, float] = {}
    for pos, src, _rate, _c in items:
        spec = src.symbols.get(pos.symbol)
        if spec is not None and _usd_quoted(spec):
            key = coin_key(pos.symbol, spec.base)
            coin_usd.setdefault(key.coin, pos.mark / key.multiplier)

    legs: list[LegMapping] = []
    positions: list[Position] = []
    rates: dict[str, float] = dict(plan.funding_rates) if source.id == target.id else {}
    margin_usd: dict[str, float] = {}  # target settle currency -> USD margin its legs use
    for i, (pos, src, src_rate, was_carried) in enumerate(items):
        sspec = src.symbols.get(pos.symbol)
        found: str | None = None
        if sspec is None:
            why = f"'{pos.symbol}' is not listed by " + (target.name if src.id == target.id else f"the plan's profile '{src.id}'")
        elif src.id == target.id:
            found, why = pos.symbol, None
        elif not _usd_quoted(sspec):
            why = f"{pos.symbol} is quoted in {sspec.quote}, not in USD: no equal-value mapping"
        else:
            found, why = map_symbol(pos.symbol, sspec, target)
        if found is None or sspec is None:
            reason = (why or "cannot be mapped") + (f"; the leg is kept as it was on {src.name}" if was_carried else "")
            legs.append(
                LegMapping(i, pos.symbol, None, reason=reason, position=pos, origin=src, funding_rate=src_rate, carried=was_carried)
            )
            continue
        if src.id == target.id:
            # Back on the venue it was kept from: exactly as it was.
            tsym, tspec, tpos, scale, usd, lev_max = pos.symbol, sspec, pos, 1.0, _usd_value(pos, sspec), None
            notes = [f"back on {src.name} as it was there"] if was_carried else []
            if src_rate is not None:
                rates.setdefault(tsym, src_rate)
        else:
            tsym = found
            tspec = target.symbols[tsym]
            tpos, scale, usd, lev_max, notes = _map_leg(pos, sspec, tsym, tspec, target)
            if was_carried:
                notes.insert(0, f"mapped from {src.name}, as it was there ({source.name} does not list it)")
            if src_rate is not None:
                rate, rate_notes = _carry_rate(src, pos.symbol, src_rate, target, tsym)
                if tsym in rates and abs(rates[tsym] - rate) > 1e-15:
                    notes.append(f"funding rate of {tsym} already set by another leg ({rates[tsym]:.6%}); {rate:.6%} not used")
                else:
                    rates[tsym] = rate
                    notes += rate_notes
        if pos.margin_mode is MarginMode.ISOLATED:
            m = (default_isolated_margin(pos, sspec) if pos.isolated_margin is None else pos.isolated_margin) + pos.added_margin
            im_usd = m if is_stable(sspec.settle) else m * pos.entry_price
        else:
            im_usd = usd / pos.leverage
        margin_usd[tspec.settle] = margin_usd.get(tspec.settle, 0.0) + max(im_usd, 0.0)
        tkey = coin_key(tsym, tspec.base)
        coin_usd.setdefault(tkey.coin, tpos.mark / tkey.multiplier)
        legs.append(
            LegMapping(
                i, pos.symbol, tsym, len(positions), tpos.quantity, usd, lev_max, None, tuple(notes), price_scale=scale, carried=was_carried
            )
        )
        positions.append(tpos)

    account_notes: list[str] = []
    if source.id == target.id:
        account = plan.account  # the wallets are this venue's already
    else:
        account, account_notes = _map_wallets(plan, source, target, margin_usd, coin_usd)
    missing = [m for m in legs if not m.mapped]
    if missing and positions:
        names = ", ".join(f"#{m.index + 1} {m.source_symbol}" for m in missing)
        account_notes.append(f"{names} not listed on {target.name}: left out, so shared (cross) figures cover only the mapped legs")
    mapped = plan.model_copy(update={"profile": target.id, "positions": positions, "funding_rates": rates, "account": account})
    return VenueMapping(mapped, source.id, target.id, legs, account_notes)


@dataclass(frozen=True)
class LegRemap:
    """One leg put under a symbol the user chose, by :func:`map_leg_to`.

    Attributes
    ----------
    position : the leg on the chosen symbol, in the target's units (linear: base units;
        inverse: contracts; prices in the target's quote currency per unit of its base).
    funding_rate : the leg's funding rate carried over by coin, fraction per the chosen
        symbol's funding interval (positive: longs pay); None when the leg had none.
    usd_value : position value at entry in USD, kept equal.
    price_scale : target price per source price (1 unless the price unit changes).
    leverage_max : the target's maximum leverage at this size when the leg's leverage is
        above it (reported, never clamped), else None.
    notes : conversion notes, as a venue switch gives them.
    """

    position: Position
    funding_rate: float | None
    usd_value: float
    price_scale: float = 1.0
    leverage_max: float | None = None
    notes: tuple[str, ...] = ()


def map_leg_to(
    pos: Position,
    source: ExchangeProfile,
    target: ExchangeProfile,
    symbol: str,
    funding_rate: float | None = None,
) -> LegRemap:
    """``pos`` (a leg written for ``source``) as a leg of ``target``'s ``symbol``, by the rules of :func:`map_plan`.

    The leg keeps its USD value at entry, converted by the same code as a venue switch
    (linear <-> inverse, ``1000PEPE`` <-> ``PEPE``, USDT <-> USD 1:1); ``funding_rate``
    (fraction per ``source``'s interval of ``pos.symbol``) is carried at the same rate per
    hour. Back on its own venue under its own symbol it is returned exactly as it was.

    Only a symbol the switch itself could have chosen is accepted: listed by ``target``,
    the same coin, quoted in USD, and a perpetual for a perpetual or a future with the same
    expiry for a dated future. Anything else raises :class:`PlannerError` with one problem at
    ``symbol`` saying why and which symbols are allowed. Pure: no I/O.
    """
    sspec = source.symbols.get(pos.symbol)
    tspec = target.symbols.get(symbol)

    def refuse(why: str) -> PlannerError:
        return PlannerError([Problem("symbol", f"Symbol {symbol or '(empty)'}: {why}")])

    if sspec is None:
        raise refuse(
            f"this leg's own symbol {pos.symbol} is not listed by {source.name}, the venue its numbers are for, "
            "so they cannot be converted; remove the leg"
        )
    if not _usd_quoted(sspec):
        raise refuse(f"this leg is quoted in {sspec.quote} on {source.name}, not in USD: no equal-value mapping; remove the leg")
    skey = coin_key(pos.symbol, sspec.base)
    expiry = sspec.expiry if sspec.is_dated else None
    kind = f"{skey.coin} future expiring {expiry:%Y-%m-%d %H:%M} UTC" if expiry is not None else f"{skey.coin} perpetual"
    allowed = [s for s, _spec in _same_coin(skey.coin, expiry, target)]
    allow = (
        f"allowed for this {kind}: {', '.join(allowed[:6])}" + (f" and {len(allowed) - 6} more" if len(allowed) > 6 else "")
        if allowed
        else f"{target.name} lists no {kind} quoted in USD: remove the leg or choose a venue that lists one"
    )
    if tspec is None:
        raise refuse(f"not listed by {target.name}; {allow}")
    tkey = coin_key(symbol, tspec.base)
    if tkey.coin != skey.coin:
        raise refuse(f"{symbol} is {tkey.coin}, this leg is {skey.coin}: a leg comes back only as its own coin; {allow}")
    if not _usd_quoted(tspec):
        raise refuse(f"{symbol} is quoted in {tspec.quote}, not in USD: no equal-value mapping; {allow}")
    texpiry = tspec.expiry if tspec.is_dated else None
    if texpiry != expiry:
        what = "a perpetual" if texpiry is None else f"a future expiring {texpiry:%Y-%m-%d %H:%M} UTC"
        raise refuse(f"{symbol} is {what}, this leg is a {kind}: a perpetual stays a perpetual, a future keeps its expiry; {allow}")
    if source.id == target.id and symbol == pos.symbol:
        return LegRemap(pos, funding_rate, _usd_value(pos, sspec))
    tpos, scale, usd, lev_max, notes = _map_leg(pos, sspec, symbol, tspec, target)
    rate = None
    if funding_rate is not None:
        rate, rate_notes = _carry_rate(source, pos.symbol, funding_rate, target, symbol)
        notes += rate_notes
    return LegRemap(tpos, rate, usd, scale, lev_max, tuple(notes))


def _carry_rate(source: ExchangeProfile, ssym: str, rate: float, target: ExchangeProfile, tsym: str) -> tuple[float, list[str]]:
    """Funding ``rate`` of ``ssym`` (fraction per ``source``'s interval, positive: longs pay) as a rate of
    ``tsym`` per ``target``'s interval at the same rate per hour, with the notes a switch gives."""
    si, ti = symbol_interval_hours(source, ssym), symbol_interval_hours(target, tsym)
    out = rate * ti / si
    notes: list[str] = []
    if si != ti:
        notes.append(f"funding {rate:.4%} per {si:g} h -> {out:.4%} per {ti:g} h (same rate per hour)")
    if abs(out) > target.funding.cap_per_interval:
        notes.append(f"funding {out:.4%} per interval is beyond {target.name}'s cap {target.funding.cap_per_interval:.4%}")
    return out, notes


def _map_leg(
    pos: Position, sspec: SymbolSpec, tsym: str, tspec: SymbolSpec, target: ExchangeProfile
) -> tuple[Position, float, float, float | None, list[str]]:
    """``pos`` (on ``sspec``) as a leg of ``tsym`` at equal USD value at entry.

    Returns the mapped leg, the price scale (target price per source price), the USD
    value at entry, the target's maximum leverage when the leg's leverage exceeds it
    (else None) and the conversion notes.
    """
    skey, tkey = coin_key(pos.symbol, sspec.base), coin_key(tsym, tspec.base)
    scale = tkey.multiplier / skey.multiplier  # target price per source price
    entry = pos.entry_price * scale
    mark = None if pos.mark_price is None else pos.mark_price * scale
    usd = _usd_value(pos, sspec)
    if tspec.contract is ContractKind.INVERSE:
        qty = usd / tspec.contract_size
    elif sspec.contract is ContractKind.LINEAR:
        qty = pos.quantity / scale  # = usd / entry, exact when the units do not change (BTCUSDT -> PF_XBTUSD)
    else:
        qty = usd / entry
    notes: list[str] = []
    if tspec.contract != sspec.contract:
        notes.append(
            f"{sspec.contract.value} -> {tspec.contract.value} at equal USD value {usd:,.2f}: "
            + (
                f"{qty:,.6g} contracts of {tspec.contract_size:g} USD"
                if tspec.contract is ContractKind.INVERSE
                else f"{qty:,.6g} {tspec.base}"
            )
        )
        if tspec.contract is ContractKind.INVERSE and abs(qty - round(qty)) > 1e-9:
            notes.append(f"{qty:,.6g} is not a whole number of contracts; the venue would trade {max(1, round(qty)):,d}")
    if scale != 1.0:
        notes.append(f"price x {scale:g} ({sspec.base} -> {tspec.base})")
    if tspec.quote.upper() != sspec.quote.upper():
        notes.append(f"{sspec.quote} price taken as {tspec.quote} 1:1")
    tpos_probe = pos.model_copy(update={"symbol": tsym, "quantity": qty, "entry_price": entry, "mark_price": mark})
    table = TierTable.from_spec(tspec)
    q = formula_quantity(tpos_probe, tspec)
    cap = float(max_leverage_at(q, entry, table))
    lev_max = cap if pos.leverage > cap + 1e-9 else None
    if lev_max is not None:
        notes.append(f"leverage {pos.leverage:g}x is above {target.name}'s maximum {cap:g}x at this size")
    value_t = float(position_value(q, entry, table.inverse))
    if table.size_scaled is None and table.basis == "value" and math.isfinite(table.caps[-1]) and value_t > table.caps[-1]:
        notes.append(f"position value {value_t:,.6g} {tspec.settle} is above the largest tier cap {table.caps[-1]:,.6g}")
    update: dict[str, object] = {"symbol": tsym, "quantity": qty, "entry_price": entry, "mark_price": mark}
    # The trader's exits move with the price unit (1000PEPE -> PEPE), so they stay on their side of the entry.
    for exit_field in ("stop_price", "take_profit_price"):
        if getattr(pos, exit_field) is not None:
            update[exit_field] = getattr(pos, exit_field) * scale
    if pos.isolated_margin is not None or pos.added_margin:
        # Same USD value at entry == same ratio to the default initial margin.
        ratio = default_isolated_margin(tpos_probe, tspec) / default_isolated_margin(pos, sspec)
        if pos.isolated_margin is not None:
            update["isolated_margin"] = pos.isolated_margin * ratio
        if pos.added_margin:
            update["added_margin"] = pos.added_margin * ratio
        if tspec.settle != sspec.settle and pos.isolated_margin is not None:
            notes.append(
                f"isolated margin {_money(pos.isolated_margin, sspec.settle)} -> {_money(pos.isolated_margin * ratio, tspec.settle)}"
                " (same USD value at entry)"
            )
    return pos.model_copy(update=update), scale, usd, lev_max, notes


def _map_wallets(
    plan: Plan,
    source: ExchangeProfile,
    target: ExchangeProfile,
    margin_usd: dict[str, float],
    coin_usd: dict[str, float],
) -> tuple[Account, list[str]]:
    needed = sorted(set(margin_usd) | {target.settle_currency}, key=lambda c: (c != target.settle_currency, c))
    out: dict[str, float] = {}
    notes: list[str] = []
    pool = 0.0
    for ccy, amount in _wallets(plan, source).items():
        if ccy in needed:
            out[ccy] = out.get(ccy, 0.0) + amount
        elif is_stable(ccy):
            pool += amount
            if amount:
                notes.append(f"wallet {_money(amount, ccy)} counted as {amount:,.2f} USD")
        elif coin_key(ccy).coin in coin_usd:
            px = coin_usd[coin_key(ccy).coin]
            pool += amount * px
            if amount:
                notes.append(f"wallet {_money(amount, ccy)} valued at the mark {px:,.2f} = {amount * px:,.2f} USD")
        elif amount:
            notes.append(f"wallet {_money(amount, ccy)} not carried over: no leg of the plan prices {ccy}")
    if pool > 0:
        weights = {c: w for c, w in margin_usd.items() if w > 0 and c not in out}
        if not weights:
            free = [c for c in needed if c not in out and is_stable(c)] or [c for c in needed if c not in out] or [target.settle_currency]
            weights = {free[0]: 1.0}
        total = sum(weights.values())
        for ccy, w in weights.items():
            usd = pool * w / total
            if is_stable(ccy):
                amount = usd
            else:
                px = coin_usd.get(coin_key(ccy).coin, 0.0)
                if not px:
                    notes.append(f"{usd:,.2f} USD for {ccy} not carried over: no leg prices {ccy}")
                    continue
                amount = usd / px
            out[ccy] = out.get(ccy, 0.0) + amount
            notes.append(
                f"{ccy} wallet {_money(amount, ccy)}"
                + (f" = {usd:,.2f} USD at the mark" if not is_stable(ccy) else "")
                + (f" ({w / total:.0%} of {pool:,.2f} USD, shared by margin used)" if len(weights) > 1 else "")
            )
    wallet = out.pop(target.settle_currency, 0.0)
    account = plan.account.model_copy(update={"wallet_balance": wallet, "balances": out})
    return account, notes
