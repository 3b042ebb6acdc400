"""Import open positions saved from a venue (offline) into a plan.

Recognised responses (detected by shape; numbers may be JSON numbers or strings):

* Binance USD-M / COIN-M ``GET /fapi/v2/positionRisk`` (and v3, ``/dapi/v1/positionRisk``):
  ``[{"symbol", "positionAmt", "entryPrice", "markPrice", "leverage", "marginType",
  "isolatedWallet" | "isolatedMargin", "positionSide", "unRealizedProfit"}]``; ``positionAmt``
  is signed (short < 0), in base units (USD-M) or contracts (COIN-M);
  v3 has no ``leverage``/``marginType``: leverage = ``|notional| / initialMargin``, isolated when
  ``isolatedWallet`` > 0.
* Bybit ``GET /v5/position/list``: ``{"retCode", "result": {"category", "list": [{"symbol",
  "side": "Buy"|"Sell", "size", "avgPrice", "markPrice", "leverage", "tradeMode": 0 cross | 1
  isolated, "positionBalance"}]}}``.
* OKX ``GET /api/v5/account/positions``: ``{"code", "data": [{"instId", "mgnMode", "posSide":
  "long"|"short"|"net", "pos" (contracts, signed in net mode), "avgPx", "markPx", "lever",
  "margin"}]}``; linear size = contracts x the profile's contract size.
* Hyperliquid ``info`` ``clearinghouseState``: ``{"assetPositions": [{"position": {"coin", "szi"
  (signed), "entryPx", "positionValue", "unrealizedPnl", "marginUsed", "leverage": {"type",
  "value"}}}], "marginSummary": {"accountValue"}}``; mark = positionValue / |szi|; wallet =
  accountValue - total unrealized PnL.
* ccxt ``fetch_positions()``: ``[{"symbol": "BTC/USDT:USDT", "side", "contracts",
  "contractSize", "entryPrice", "markPrice", "leverage", "marginMode", "collateral",
  "unrealizedPnl"}]`` (needs the profile: ccxt does not name the venue).

Zero-size rows are skipped. An isolated leg's margin is the venue's margin
without the unrealized PnL. The wallet comes from the response when it has
one (Hyperliquid), else from ``wallet``; failing both, the least wallet that
holds every leg's margin (isolated margins + cross initial margins) is used
and a note says so. Every error names the field (``data.0.avgPx``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.io.importers import match_symbol
from planner.io.jsonread import read_json_file
from planner.io.registry import get_profile
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.model.symbols import coin_key

__all__ = ["FORMATS", "ImportedPositions", "detect_format", "import_positions", "positions_from_data"]

FORMATS = ("binance", "bybit", "okx", "hyperliquid", "ccxt")


@dataclass(frozen=True)
class ImportedPositions:
    """The plan built from a response, the format recognised, where each leg came from, and notes."""

    plan: Plan
    format: str
    sources: list[str]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Leg:
    where: str
    symbol: str
    side: str
    quantity: float
    entry: float
    mark: float | None
    leverage: float
    mode: str
    margin: float | None
    contracts: float | None = None


class _Reader:
    """Reads fields with their paths, collecting problems."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def num(self, obj: dict[str, Any], key: str, where: str, *, required: bool = True, positive: bool = False) -> float | None:
        path = f"{where}.{key}" if where else key
        if key not in obj or obj[key] in ("", None):
            if required:
                self.problems.append(Problem(path, "is required (a number)"))
            return None
        raw = obj[key]
        try:
            if isinstance(raw, bool):
                raise ValueError
            v = float(raw)
        except (TypeError, ValueError):
            self.problems.append(Problem(path, f"must be a number (got {raw!r})"))
            return None
        if not math.isfinite(v):
            self.problems.append(Problem(path, f"must be finite (got {raw!r})"))
            return None
        if positive and v <= 0:
            self.problems.append(Problem(path, f"must be positive (got {raw!r})"))
            return None
        return v

    def text(self, obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        path = f"{where}.{key}" if where else key
        v = obj.get(key)
        if v is None or v == "":
            if required:
                self.problems.append(Problem(path, "is required (text)"))
            return None
        if not isinstance(v, str):
            self.problems.append(Problem(path, f"must be text (got {v!r})"))
            return None
        return v

    def rows(self, value: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
        if not isinstance(value, list):
            self.problems.append(Problem(where or "(top level)", "must be a list of positions"))
            return []
        out = []
        for i, row in enumerate(value):
            path = f"{where}.{i}" if where else str(i)
            if not isinstance(row, dict):
                self.problems.append(Problem(path, "must be an object"))
                continue
            out.append((path, row))
        return out

    def fail(self) -> None:
        if self.problems:
            raise PlannerError(self.problems, self.source)


def detect_format(data: Any) -> str | None:
    """Which venue's response ``data`` looks like (None: unknown)."""
    if isinstance(data, dict):
        if "assetPositions" in data:
            return "hyperliquid"
        if "retCode" in data and isinstance(data.get("result"), dict):
            return "bybit"
        if "code" in data and isinstance(data.get("data"), list):
            return "okx"
        return None
    if isinstance(data, list):
        first = next((r for r in data if isinstance(r, dict)), None)
        if first is None:
            return None
        if "positionAmt" in first:
            return "binance"
        if "contracts" in first or ("symbol" in first and "/" in str(first.get("symbol", ""))):
            return "ccxt"
    return None


def _side_of(signed: float) -> str:
    return "long" if signed > 0 else "short"


def _binance(data: Any, r: _Reader) -> tuple[list[_Leg], float | None, str]:
    legs = []
    coin_m = False
    for where, row in r.rows(data, ""):
        amt = r.num(row, "positionAmt", where)
        if amt is None or amt == 0:
            continue
        sym = r.text(row, "symbol", where) or ""
        coin_m = coin_m or sym.endswith("_PERP") or "_" in sym
        ps = str(row.get("positionSide", "BOTH")).upper()
        side = "long" if ps == "LONG" else "short" if ps == "SHORT" else _side_of(amt)
        entry = r.num(row, "entryPrice", where, positive=True)
        mark = r.num(row, "markPrice", where, required=False, positive=True)
        lev = r.num(row, "leverage", where, required=False, positive=True)
        if lev is None:
            notional = r.num(row, "notional", where, required=False)
            im = r.num(row, "initialMargin", where, required=False)
            if notional and im:
                lev = abs(notional) / im
            else:
                r.problems.append(Problem(f"{where}.leverage", "is required (or notional and initialMargin to derive it)"))
        mt = str(row.get("marginType", "")).lower()
        iso_wallet = r.num(row, "isolatedWallet", where, required=False)
        isolated = mt == "isolated" if mt else bool(iso_wallet and iso_wallet > 0)
        margin = None
        if isolated:
            if iso_wallet is not None and iso_wallet > 0:
                margin = iso_wallet
            else:
                im_total = r.num(row, "isolatedMargin", where)
                upnl = r.num(row, "unRealizedProfit", where, required=False) or 0.0
                margin = None if im_total is None else im_total - upnl
        if entry is not None and lev is not None:
            legs.append(_Leg(where, sym, side, abs(amt), entry, mark, lev, "isolated" if isolated else "cross", margin))
    return legs, None, "binance-coinm" if coin_m else "binance-usdm"


def _bybit(data: dict[str, Any], r: _Reader) -> tuple[list[_Leg], float | None, str]:
    result = data["result"]
    category = str(result.get("category", "linear")).lower()
    legs = []
    for where, row in r.rows(result.get("list"), "result.list"):
        size = r.num(row, "size", where)
        side_raw = str(row.get("side", ""))
        if size is None or size == 0 or side_raw in ("", "None"):
            continue
        if side_raw not in ("Buy", "Sell"):
            r.problems.append(Problem(f"{where}.side", f"must be Buy or Sell (got {side_raw!r})"))
            continue
        sym = r.text(row, "symbol", where) or ""
        entry = r.num(row, "avgPrice", where, positive=True)
        mark = r.num(row, "markPrice", where, required=False, positive=True)
        lev = r.num(row, "leverage", where, positive=True)
        mode_raw = row.get("tradeMode", 0)
        if mode_raw not in (0, 1, "0", "1"):
            r.problems.append(Problem(f"{where}.tradeMode", f"must be 0 (cross) or 1 (isolated) (got {mode_raw!r})"))
            continue
        isolated = str(mode_raw) == "1"
        margin = r.num(row, "positionBalance", where) if isolated else None
        if entry is not None and lev is not None:
            legs.append(
                _Leg(
                    where,
                    sym,
                    "long" if side_raw == "Buy" else "short",
                    abs(size),
                    entry,
                    mark,
                    lev,
                    "isolated" if isolated else "cross",
                    margin,
                )
            )
    return legs, None, "bybit-inverse" if category == "inverse" else "bybit-linear"


def _okx(data: dict[str, Any], r: _Reader) -> tuple[list[_Leg], float | None, str]:
    legs = []
    for where, row in r.rows(data["data"], "data"):
        pos = r.num(row, "pos", where)
        if pos is None or pos == 0:
            continue
        sym = r.text(row, "instId", where) or ""
        ps = str(row.get("posSide", "net")).lower()
        if ps not in ("long", "short", "net"):
            r.problems.append(Problem(f"{where}.posSide", f"must be long, short or net (got {ps!r})"))
            continue
        side = ps if ps != "net" else _side_of(pos)
        entry = r.num(row, "avgPx", where, positive=True)
        mark = r.num(row, "markPx", where, required=False, positive=True)
        lev = r.num(row, "lever", where, positive=True)
        mode = str(row.get("mgnMode", "cross")).lower()
        if mode not in ("cross", "isolated"):
            r.problems.append(Problem(f"{where}.mgnMode", f"must be cross or isolated (got {mode!r})"))
            continue
        margin = r.num(row, "margin", where) if mode == "isolated" else None
        if entry is not None and lev is not None:
            # contracts here; converted to base units with the profile's contract size below
            legs.append(_Leg(where, sym, side, abs(pos), entry, mark, lev, mode, margin))
    return legs, None, "okx"


def _hyperliquid(data: dict[str, Any], r: _Reader) -> tuple[list[_Leg], float | None, str]:
    legs = []
    upnl_total = 0.0
    for where, row in r.rows(data["assetPositions"], "assetPositions"):
        pos = row.get("position")
        where = f"{where}.position"
        if not isinstance(pos, dict):
            r.problems.append(Problem(where, "must be an object"))
            continue
        szi = r.num(pos, "szi", where)
        if szi is None or szi == 0:
            continue
        sym = r.text(pos, "coin", where) or ""
        entry = r.num(pos, "entryPx", where, positive=True)
        value = r.num(pos, "positionValue", where, required=False)
        upnl = r.num(pos, "unrealizedPnl", where, required=False) or 0.0
        upnl_total += upnl
        lev_obj = pos.get("leverage")
        if not isinstance(lev_obj, dict):
            r.problems.append(Problem(f"{where}.leverage", "must be an object {type, value}"))
            continue
        lev = r.num(lev_obj, "value", f"{where}.leverage", positive=True)
        mode = str(lev_obj.get("type", "cross")).lower()
        if mode not in ("cross", "isolated"):
            r.problems.append(Problem(f"{where}.leverage.type", f"must be cross or isolated (got {mode!r})"))
            continue
        margin = None
        if mode == "isolated":
            used = r.num(pos, "marginUsed", where)
            margin = None if used is None else used - upnl
        mark = abs(value / szi) if value else None
        if entry is not None and lev is not None:
            legs.append(_Leg(where, sym, _side_of(szi), abs(szi), entry, mark, lev, mode, margin))
    wallet = None
    summary = data.get("marginSummary")
    if isinstance(summary, dict):
        acct = r.num(summary, "accountValue", "marginSummary")
        wallet = None if acct is None else acct - upnl_total
    return legs, wallet, "hyperliquid"


def _ccxt(data: Any, r: _Reader) -> tuple[list[_Leg], float | None, str]:
    legs = []
    for where, row in r.rows(data, ""):
        contracts = r.num(row, "contracts", where)
        if contracts is None or contracts == 0:
            continue
        sym = r.text(row, "symbol", where) or ""
        side = str(row.get("side", "")).lower() or _side_of(contracts)
        if side not in ("long", "short"):
            r.problems.append(Problem(f"{where}.side", f"must be long or short (got {side!r})"))
            continue
        size = r.num(row, "contractSize", where, required=False, positive=True) or 1.0
        entry = r.num(row, "entryPrice", where, positive=True)
        mark = r.num(row, "markPrice", where, required=False, positive=True)
        lev = r.num(row, "leverage", where, positive=True)
        mode = str(row.get("marginMode") or "cross").lower()
        if mode not in ("cross", "isolated"):
            r.problems.append(Problem(f"{where}.marginMode", f"must be cross or isolated (got {mode!r})"))
            continue
        margin = None
        if mode == "isolated":
            coll = r.num(row, "collateral", where)
            upnl = r.num(row, "unrealizedPnl", where, required=False) or 0.0
            margin = None if coll is None else coll - upnl
        if entry is not None and lev is not None:
            legs.append(_Leg(where, sym, side, abs(contracts) * size, entry, mark, lev, mode, margin, abs(contracts)))
    return legs, None, ""


def _known_symbols(profile: ExchangeProfile, wanted: str, limit: int = 12) -> str:
    """The profile's symbols for a message: all if few, else the same coin's and a count (as the plan checks word it)."""
    names = sorted(profile.symbols)
    if len(names) <= limit:
        return ", ".join(names)
    coin = coin_key(wanted).coin
    same = [n for n in names if coin_key(n, profile.symbols[n].base).coin == coin][:limit]
    head = ", ".join(same) + "; " if same else ""
    return f"{head}{len(names)} symbols in all (position-planner profiles show {profile.id})"


_PARSERS = {"binance": _binance, "bybit": _bybit, "okx": _okx, "hyperliquid": _hyperliquid, "ccxt": _ccxt}


def positions_from_data(
    data: Any,
    *,
    source: str = "positions",
    profile: ExchangeProfile | None = None,
    wallet: float | None = None,
    user_profiles: dict[str, ExchangeProfile] | None = None,
    name: str | None = None,
) -> ImportedPositions:
    """Build a plan from a parsed positions response (see the module docstring for the shapes)."""
    fmt = detect_format(data)
    if fmt is None:
        raise PlannerError(
            [
                Problem(
                    "",
                    "not a recognised positions response; allowed: Binance positionRisk (list with positionAmt), Bybit "
                    "/v5/position/list (retCode, result.list), OKX /api/v5/account/positions (code, data), Hyperliquid "
                    "clearinghouseState (assetPositions), ccxt fetch_positions (list with contracts)",
                )
            ],
            source,
        )
    r = _Reader(source)
    legs, wallet_found, profile_id = _PARSERS[fmt](data, r)
    r.fail()
    if profile is None:
        if not profile_id:
            raise PlannerError(
                [Problem("--profile", "ccxt positions do not name the venue; give the profile id (e.g. binance-usdm)")], source
            )
        try:
            profile = get_profile(profile_id, user_profiles)
        except KeyError as exc:
            raise PlannerError([Problem("--profile", str(exc.args[0]))], source) from None
    if not legs:
        raise PlannerError([Problem("", "no open positions (every row has size 0)")], source)
    notes: list[str] = []
    positions = []
    need: dict[str, float] = {}
    for leg in legs:
        sym = match_symbol(leg.symbol, profile)
        if sym is None:
            key = "symbol" if fmt in ("binance", "bybit", "ccxt") else "instId" if fmt == "okx" else "coin"
            r.problems.append(
                Problem(
                    f"{leg.where}.{key}",
                    f"'{leg.symbol}' is not listed by profile '{profile.id}'; allowed: {_known_symbols(profile, leg.symbol)}",
                )
            )
            continue
        spec = profile.symbols[sym]
        inverse = spec.contract.value == "inverse"
        qty = leg.quantity
        if fmt == "okx" and not inverse:
            qty = leg.quantity * spec.contract_size  # OKX sizes are contracts
        if fmt == "ccxt" and inverse:
            qty = leg.contracts if leg.contracts is not None else leg.quantity
        q_formula = qty * spec.contract_size if inverse else qty
        im = (q_formula / leg.entry if inverse else q_formula * leg.entry) / leg.leverage
        need[spec.settle] = need.get(spec.settle, 0.0) + (leg.margin if leg.margin is not None else im)
        pos: dict[str, Any] = {
            "symbol": sym,
            "side": leg.side,
            "quantity": qty,
            "entry_price": leg.entry,
            "leverage": leg.leverage,
            "margin_mode": leg.mode,
        }
        if leg.mark is not None:
            pos["mark_price"] = leg.mark
        if leg.mode == "isolated" and leg.margin is not None:
            pos["isolated_margin"] = leg.margin
        positions.append(pos)
    r.fail()
    given = wallet if wallet is not None else wallet_found
    if given is not None and (not math.isfinite(given) or given < 0):
        raise PlannerError([Problem("--wallet", f"must be a non-negative number (got {given!r})")], source)
    balances: dict[str, float] = {}
    if given is None:
        notes.append(
            "the response holds no wallet balance; the wallet is set to the margins in use ("
            + ", ".join(f"{v:,.8g} {c}" for c, v in need.items())
            + "); give --wallet for the real one"
        )
        main_wallet = need.get(profile.settle_currency, 0.0)
        balances = {c: v for c, v in need.items() if c != profile.settle_currency}
    else:
        main_wallet = given
        others = [c for c in need if c != profile.settle_currency]
        if others:
            notes.append(f"the wallet applies to {profile.settle_currency}; {', '.join(others)} wallets set to the margins in use")
            balances = {c: need[c] for c in others}
    doc = {
        "name": name or f"Imported {fmt} positions",
        "profile": profile.id,
        "account": {"wallet_balance": main_wallet, "balances": balances},
        "positions": positions,
    }
    try:
        plan = Plan.model_validate(doc)
    except ValidationError as exc:
        where = [leg.where for leg in legs]
        problems = []
        for p in problems_from_validation(exc):
            parts = p.path.split(".")
            if len(parts) >= 2 and parts[0] == "positions" and parts[1].isdigit() and int(parts[1]) < len(where):
                problems.append(Problem(f"{where[int(parts[1])]} ({'.'.join(parts[2:])})", p.message))
            else:
                problems.append(p)
        raise PlannerError(problems, source) from None
    return ImportedPositions(plan, fmt, [leg.where for leg in legs], notes)


def import_positions(
    path: str | Path,
    *,
    profile: ExchangeProfile | None = None,
    wallet: float | None = None,
    user_profiles: dict[str, ExchangeProfile] | None = None,
) -> ImportedPositions:
    """Read a saved positions response (JSON file) and build a plan; errors name the file and field."""
    data = read_json_file(path)
    return positions_from_data(
        data, source=str(path), profile=profile, wallet=wallet, user_profiles=user_profiles, name=f"Imported from {Path(path).name}"
    )
