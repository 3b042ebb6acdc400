"""Import margin tiers saved from exchanges or ccxt, offline.

Recognised files (detected by shape):

* Binance ``GET /fapi/v1/leverageBracket``: ``[{"symbol", "brackets": [{"bracket",
  "initialLeverage", "notionalCap", "notionalFloor", "maintMarginRatio", "cum"}]}]``;
* ccxt ``fetch_leverage_tiers()`` (``{symbol: [tier, ...]}``) or
  ``fetch_market_leverage_tiers()`` (``[tier, ...]``), tiers ``{"tier", "minNotional",
  "maxNotional", "maintenanceMarginRate", "maxLeverage", "info"}``;
* OKX ``GET /api/v5/public/position-tiers``: ``{"code", "data": [{"instId" | "instFamily" |
  "uly", "tier", "minSz", "maxSz", "mmr", "maxLever"}]}`` (sizes in contracts);
* Bybit ``GET /v5/market/risk-limit``: ``{"retCode", "result": {"list": [{"symbol",
  "riskLimitValue", "maintenanceMargin", "maxLeverage", "mmDeduction"}]}}``.

Where a source has no maintenance amount (ccxt's Bybit tiers, an empty
``mmDeduction``) it is rebuilt with the recurrence; for rules that publish none
it is 0.
"""

from __future__ import annotations

import itertools
import math
from datetime import date
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, overload

from pydantic import ValidationError

from planner.io.jsonread import read_json_file
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.profile import ExchangeProfile, SymbolSpec, Tier, rebuild_maintenance_amounts


class RawTier(TypedDict):
    """One tier as read from a file, before validation (amounts in quote currency or contracts)."""

    floor: float
    cap: float | None
    lev: float
    mmr: float
    cum: float | None
    tier: NotRequired[float]  # OKX: the tier number (rows are sorted by it)
    contracts: NotRequired[float]  # OKX: floor/cap are contract counts


def detect_format(data: Any) -> str:
    """'binance', 'ccxt', 'okx' or 'bybit'; raises PlannerError for anything else."""
    if isinstance(data, dict) and "data" in data and ("code" in data or "msg" in data):
        return "okx"
    if isinstance(data, dict) and "result" in data and ("retCode" in data or "retMsg" in data):
        return "bybit"
    if isinstance(data, list) and data and isinstance(data[0], dict) and "brackets" in data[0]:
        return "binance"
    if isinstance(data, dict) and "brackets" in data:
        return "binance"
    if isinstance(data, list) and data and isinstance(data[0], dict) and "maintenanceMarginRate" in data[0]:
        return "ccxt"
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        first = next(iter(data.values()))
        if not first or (isinstance(first[0], dict) and "maintenanceMarginRate" in first[0]):
            return "ccxt"
    raise PlannerError(
        [
            Problem(
                "",
                "not a recognised tier file: expected a Binance leverageBracket, ccxt leverage-tiers, "
                "OKX position-tiers or Bybit risk-limit response",
            )
        ]
    )


@overload
def _num(value: Any, path: str, *, allow_none: Literal[False] = False) -> float: ...
@overload
def _num(value: Any, path: str, *, allow_none: bool) -> float | None: ...
def _num(value: Any, path: str, *, allow_none: bool = False) -> float | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise PlannerError([Problem(path, "is missing")])
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PlannerError([Problem(path, f"must be a number (got {value!r})")]) from None
    if not math.isfinite(x):
        raise PlannerError([Problem(path, "must be a finite number")])
    return x


def _need(obj: Any, key: str, path: str) -> Any:
    if not isinstance(obj, dict):
        raise PlannerError([Problem(path, "must be an object")])
    if key not in obj:
        raise PlannerError([Problem(f"{path}.{key}", "is missing")])
    return obj[key]


def parse_binance(data: Any) -> dict[str, list[RawTier]]:
    items = data if isinstance(data, list) else [data]
    out: dict[str, list[RawTier]] = {}
    for i, item in enumerate(items):
        sym = str(_need(item, "symbol", f"{i}"))
        brackets = _need(item, "brackets", f"{i}")
        if not isinstance(brackets, list) or not brackets:
            raise PlannerError([Problem(f"{i}.brackets", "must be a non-empty list")])
        rows: list[RawTier] = []
        for j, b in enumerate(brackets):
            p = f"{i}.brackets.{j}"
            rows.append(
                {
                    "floor": _num(_need(b, "notionalFloor", p), f"{p}.notionalFloor"),
                    "cap": _num(_need(b, "notionalCap", p), f"{p}.notionalCap"),
                    "lev": _num(_need(b, "initialLeverage", p), f"{p}.initialLeverage"),
                    "mmr": _num(_need(b, "maintMarginRatio", p), f"{p}.maintMarginRatio"),
                    "cum": _num(b.get("cum"), f"{p}.cum", allow_none=True),
                }
            )
        out[sym] = rows
    return out


def parse_ccxt(data: Any) -> dict[str, list[RawTier]]:
    groups: dict[str, list[Any]] = {}
    if isinstance(data, list):
        for i, t in enumerate(data):
            groups.setdefault(str(_need(t, "symbol", f"{i}") if isinstance(t, dict) and "symbol" in t else "?"), []).append(t)
    else:
        groups = data
    out: dict[str, list[RawTier]] = {}
    for sym, tiers in groups.items():
        rows: list[RawTier] = []
        for j, t in enumerate(tiers):
            p = f"{sym}.{j}"
            info = t.get("info") if isinstance(t, dict) else None
            cum = None
            if isinstance(info, dict):
                cum = _num(info.get("cum", info.get("mmDeduction")), f"{p}.info.cum", allow_none=True)
            rows.append(
                {
                    "floor": _num(_need(t, "minNotional", p), f"{p}.minNotional"),
                    "cap": _num(t.get("maxNotional"), f"{p}.maxNotional", allow_none=True),
                    "lev": _num(_need(t, "maxLeverage", p), f"{p}.maxLeverage"),
                    "mmr": _num(_need(t, "maintenanceMarginRate", p), f"{p}.maintenanceMarginRate"),
                    "cum": cum,
                }
            )
        out[sym] = rows
    return out


def parse_okx(data: Any) -> dict[str, list[RawTier]]:
    if str(data.get("code", "0")) != "0":
        raise PlannerError([Problem("code", f"the saved OKX response is an error ({data.get('code')}: {data.get('msg', '')})")])
    rows_by: dict[str, list[RawTier]] = {}
    items = data.get("data")
    if not isinstance(items, list) or not items:
        raise PlannerError([Problem("data", "must be a non-empty list of tiers")])
    for i, t in enumerate(items):
        p = f"data.{i}"
        if not isinstance(t, dict):
            raise PlannerError([Problem(p, "must be an object")])
        inst = t.get("instId") or t.get("instFamily") or t.get("uly")
        if not inst:
            raise PlannerError([Problem(f"{p}.instId", "is missing (also no instFamily/uly)")])
        sym = inst if str(inst).endswith("-SWAP") else f"{inst}-SWAP"
        rows_by.setdefault(sym, []).append(
            {
                "tier": _num(_need(t, "tier", p), f"{p}.tier"),
                "floor": _num(_need(t, "minSz", p), f"{p}.minSz"),
                "cap": _num(_need(t, "maxSz", p), f"{p}.maxSz"),
                "lev": _num(_need(t, "maxLever", p), f"{p}.maxLever"),
                "mmr": _num(_need(t, "mmr", p), f"{p}.mmr"),
                "cum": None,
                "contracts": 1.0,
            }
        )
    for rows in rows_by.values():
        rows.sort(key=lambda r: r["tier"])
        # OKX bands are whole contracts (0-500, 501-1000): the tier starts where the last one ended.
        for prev, row in itertools.pairwise(rows):
            assert prev["cap"] is not None  # OKX rows always carry maxSz (required above)
            row["floor"] = prev["cap"]
    return rows_by


def parse_bybit(data: Any) -> dict[str, list[RawTier]]:
    if data.get("retCode", 0) not in (0, "0"):
        raise PlannerError([Problem("retCode", f"the saved Bybit response is an error ({data.get('retCode')}: {data.get('retMsg', '')})")])
    items = _need(_need(data, "result", ""), "list", "result")
    if not isinstance(items, list) or not items:
        raise PlannerError([Problem("result.list", "must be a non-empty list of risk limits")])
    by: dict[str, list[tuple[int, Any]]] = {}
    for i, t in enumerate(items):
        by.setdefault(str(_need(t, "symbol", f"result.list.{i}")), []).append((i, t))
    out: dict[str, list[RawTier]] = {}
    for sym, pairs in by.items():
        rows: list[RawTier] = []
        for i, t in pairs:  # validate before sorting by the cap
            _num(_need(t, "riskLimitValue", f"result.list.{i}"), f"result.list.{i}.riskLimitValue")
        pairs.sort(key=lambda it: float(it[1]["riskLimitValue"]))
        floor = 0.0
        for i, t in pairs:
            p = f"result.list.{i}"
            cap = _num(_need(t, "riskLimitValue", p), f"{p}.riskLimitValue")
            rows.append(
                {
                    "floor": floor,
                    "cap": cap,
                    "lev": _num(_need(t, "maxLeverage", p), f"{p}.maxLeverage"),
                    "mmr": _num(_need(t, "maintenanceMargin", p), f"{p}.maintenanceMargin"),
                    "cum": _num(t.get("mmDeduction"), f"{p}.mmDeduction", allow_none=True),
                }
            )
            floor = cap
        out[sym] = rows
    return out


PARSERS = {"binance": parse_binance, "ccxt": parse_ccxt, "okx": parse_okx, "bybit": parse_bybit}


def match_symbol(raw: str, profile: ExchangeProfile) -> str | None:
    """The profile symbol a file's symbol names (``BTC/USDT:USDT`` -> ``BTCUSDT``)."""
    if raw in profile.symbols:
        return raw
    if "/" in raw:
        base, rest = raw.split("/", 1)
        quote = rest.split(":")[0]
        for sym, spec in profile.symbols.items():
            if (
                spec.base.upper() in (base.upper(), "XBT" if base.upper() == "BTC" else base.upper())
                and spec.quote.upper() == quote.upper()
            ):
                return sym
    compact = raw.replace("-", "").replace("_", "").replace("/", "").upper()
    for sym in profile.symbols:
        if sym.replace("-", "").replace("_", "").upper() == compact:
            return sym
    return None


def to_tiers(rows: list[RawTier], spec: SymbolSpec, profile: ExchangeProfile, source: str, symbol: str) -> list[Tier]:
    """Validated tiers for ``spec`` (contract counts converted; amounts rebuilt where absent)."""
    tiers = []
    unit = spec.contract_size if any(r.get("contracts") for r in rows) else 1.0
    for i, r in enumerate(rows):
        cap = None if r["cap"] is None or (i == len(rows) - 1 and r["cap"] <= 0) else r["cap"] * unit
        try:
            tiers.append(
                Tier(
                    notional_floor=0.0 if i == 0 else r["floor"] * unit,
                    notional_cap=cap,
                    max_leverage=r["lev"],
                    maintenance_rate=r["mmr"],
                    maintenance_amount=r["cum"] or 0.0,
                )
            )
        except ValidationError as exc:
            raise PlannerError(
                [Problem(f"{symbol}.tiers.{i}.{p.path}", p.message) for p in problems_from_validation(exc)], source
            ) from None
    if profile.traits.deduction == "recurrence" and any(r["cum"] is None for r in rows):
        tiers = rebuild_maintenance_amounts(tiers)
    if profile.traits.deduction == "none":
        tiers = [t.model_copy(update={"maintenance_amount": 0.0}) for t in tiers]
    return tiers


def import_tiers(path: str | Path, profile: ExchangeProfile, symbol: str | None = None) -> tuple[str, dict[str, list[Tier]]]:
    """Read a tier file and return ``(format, {profile symbol: tiers})`` for symbols the profile lists."""
    source = str(path)
    data = read_json_file(path)
    try:
        fmt = detect_format(data)
        raw = PARSERS[fmt](data)
    except PlannerError as exc:
        raise PlannerError(exc.problems, source) from None
    out: dict[str, list[Tier]] = {}
    for raw_sym, rows in raw.items():
        sym = match_symbol(raw_sym, profile)
        if sym is None or (symbol and sym != symbol):
            continue
        out[sym] = to_tiers(rows, profile.symbols[sym], profile, source, raw_sym)
    if not out:
        wanted = symbol or ", ".join(profile.symbols)
        raise PlannerError(
            [
                Problem(
                    "symbols", f"the file has no tiers for {wanted} (it lists {', '.join(list(raw)[:8])}{'...' if len(raw) > 8 else ''})"
                )
            ],
            source,
        )
    return fmt, out


def apply_tiers(profile: ExchangeProfile, tiers: dict[str, list[Tier]], source_name: str) -> ExchangeProfile:
    """A copy of ``profile`` with new tiers (validated as a whole profile), dated today."""
    symbols = {sym: spec.model_copy(update={"tiers": tiers.get(sym, spec.tiers)}) for sym, spec in profile.symbols.items()}
    data = profile.model_dump(mode="json")
    data["symbols"] = {k: v.model_dump(mode="json") for k, v in symbols.items()}
    data["version"] = date.today().isoformat()
    data["notes"] = (profile.notes + f"\nTiers of {', '.join(tiers)} imported from {source_name} on {date.today().isoformat()}.").strip()
    try:
        return ExchangeProfile.model_validate(data)
    except ValidationError as exc:
        raise PlannerError(problems_from_validation(exc), source_name) from None


def tier_changes(old: list[Tier], new: list[Tier]) -> list[str]:
    """Human-readable differences between two tier tables (empty = identical)."""
    lines = []
    for i in range(max(len(old), len(new))):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        if a == b:
            continue
        if a is None:
            assert b is not None  # a == b was skipped above, so not both are None
            lines.append(f"tier {i + 1} added: {_tier_text(b)}")
        elif b is None:
            lines.append(f"tier {i + 1} removed: {_tier_text(a)}")
        else:
            diffs = [
                f"{name} {getattr(a, f):,.6g} -> {getattr(b, f):,.6g}"
                for name, f in (
                    ("floor", "notional_floor"),
                    ("max leverage", "max_leverage"),
                    ("MM rate", "maintenance_rate"),
                    ("MM amount", "maintenance_amount"),
                )
                if not math.isclose(getattr(a, f), getattr(b, f), rel_tol=1e-9, abs_tol=1e-12)
            ]
            if a.notional_cap != b.notional_cap:
                diffs.append(f"cap {_cap(a)} -> {_cap(b)}")
            lines.append(f"tier {i + 1}: " + ", ".join(diffs))
    return lines


def _cap(t: Tier) -> str:
    return "unbounded" if t.notional_cap is None else f"{t.notional_cap:,.6g}"


def _tier_text(t: Tier) -> str:
    return f"{t.notional_floor:,.6g}-{_cap(t)}, {t.max_leverage:g}x, MM {t.maintenance_rate:.4%}, amount {t.maintenance_amount:,.6g}"
