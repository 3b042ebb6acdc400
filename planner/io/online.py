"""Explicit, opt-in update of exchange profiles from the venues' public tier endpoints.

This is the app's ONLY network access. Nothing here runs on import or on its
own: ``position-planner update-profiles`` and the window's
Profiles > Update from exchange... call it after naming every URL and getting
the user's confirmation. Only public, unauthenticated endpoints are called
(no API key, nothing sent but the query):

* Bybit v5 ``GET /v5/market/risk-limit?category=linear|inverse&symbol=BTCUSDT``:
  ``{"retCode": 0, "result": {"category", "list": [{"id", "symbol", "riskLimitValue",
  "maintenanceMargin", "initialMargin", "isLowestRisk", "maxLeverage", "mmDeduction"}]}}``;
  caps in the settlement currency's value (USDT for linear, coin for inverse).
* OKX ``GET /api/v5/public/position-tiers?instType=SWAP&tdMode=cross&instFamily=BTC-USDT``:
  ``{"code": "0", "data": [{"instFamily", "instId", "uly", "tier", "minSz", "maxSz",
  "mmr", "imr", "maxLever"}]}``; sizes in contracts.
* Hyperliquid ``POST https://api.hyperliquid.xyz/info`` with ``{"type": "meta"}``:
  ``{"universe": [{"name", "szDecimals", "maxLeverage", "marginTableId"}],
  "marginTables": [[id, {"description", "marginTiers": [{"lowerBound", "maxLeverage"}]}]]}``;
  a ``marginTableId`` not listed (below 50) is one flat tier at the asset's
  ``maxLeverage``. MM rate = 1 / (2 x tier max leverage) (docs "Margin tiers").
* Kraken Futures ``GET /derivatives/api/v3/instruments``: ``{"result": "success",
  "instruments": [{"symbol", "marginLevels": [{"numNonContractUnits" | "contracts",
  "initialMargin", "maintenanceMargin"}]}]}``; a level starts at that position
  value in USD (flexible ``PF_``) or number of contracts (inverse ``PI_``);
  max leverage = 1 / initial margin.
* Deribit ``GET /api/v2/public/get_instruments?currency=any&kind=future``:
  ``{"result": [{"instrument_name", "contract_size", "tick_size", "max_leverage", ...}]}``.
  It gives contract size, tick size and maximum leverage only; Deribit's
  size-scaled margin rates are not published there and stay as they are.

Binance's ``/fapi/v1/leverageBracket`` needs the user's API key, so it is never
called: save its response and use ``position-planner import-tiers``.
ccxt's ``fetch_leverage_tiers`` would cover more venues but is not bundled
(installer budget); plain HTTPS from the standard library is used instead.

Each response is capped at :data:`MAX_RESPONSE_BYTES`, must arrive within the
timeout (10 s by default) and is parsed with the same safe JSON reader as files.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from planner.io.importers import RawTier, match_symbol, parse_bybit, parse_okx, to_tiers
from planner.io.jsonread import parse_json_text
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.profile import ExchangeProfile, Tier

DEFAULT_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
USER_AGENT = "position-planner (explicit profile update)"

#: Base URLs of the public endpoints, per profile rule (tests point these at 127.0.0.1).
BASE_URLS: dict[str, str] = {
    "bybit": "https://api.bybit.com",
    "okx": "https://www.okx.com",
    "hyperliquid": "https://api.hyperliquid.xyz",
    "kraken": "https://futures.kraken.com",
    "deribit": "https://www.deribit.com",
}

#: Why a rule has no online update (shown instead of calling anything).
NOT_FETCHED: dict[str, str] = {
    "binance": (
        "Binance's leverage-bracket endpoint (/fapi/v1/leverageBracket) needs your API key, so it is not called; "
        "save its response and run 'position-planner import-tiers FILE --profile {id}'"
    ),
    "dex": "a generic model, not a venue: there is nothing to fetch",
}


class OnlineError(PlannerError):
    """A fetch that failed (timeout, DNS, no network, HTTP error, oversized or bad response)."""


@dataclass(frozen=True)
class Request:
    """One public HTTP call: GET ``url``, or POST ``body`` as JSON when a body is given."""

    url: str
    body: Mapping[str, Any] | None = None

    @property
    def method(self) -> str:
        return "GET" if self.body is None else "POST"

    def describe(self) -> str:
        """``GET url`` or ``POST url {json body}`` (what the user confirms)."""
        if self.body is None:
            return f"GET {self.url}"
        return f"POST {self.url} {json.dumps(dict(self.body), separators=(',', ':'))}"


@dataclass(frozen=True)
class VenuePlan:
    """What updating one profile calls; ``not_fetched`` says why nothing is called."""

    profile: ExchangeProfile
    requests: tuple[Request, ...] = ()
    not_fetched: str = ""


@dataclass
class VenueResult:
    """The outcome of one venue: the updated profile and the human-readable diff."""

    plan: VenuePlan
    updated: ExchangeProfile
    changes: dict[str, list[str]] = field(default_factory=dict)  # symbol -> diff lines (empty = unchanged)
    missing: list[str] = field(default_factory=list)  # profile symbols the venue did not return
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.changes.values())

    def diff_lines(self) -> list[str]:
        """The diff as text lines (profile header, then symbol by symbol, tier by tier)."""
        old, new = self.plan.profile, self.updated
        lines = [f"{old.id} ({old.name}): numbers of {old.version.isoformat()} -> {new.version.isoformat()}"]
        for sym, changes in self.changes.items():
            spec = old.symbols[sym]
            unit = spec.settle if spec.tier_basis == "value" else (spec.base if spec.contract.value == "linear" else spec.quote)
            head = "no changes" if not changes else f"{len(changes)} change(s), bounds and amounts in {unit}"
            lines.append(f"  {sym}: {head}")
            lines += [f"    {c}" for c in changes]
        for sym in self.missing:
            lines.append(f"  {sym}: not in the venue's response; kept as it was")
        lines += [f"  note: {n}" for n in self.notes]
        return lines


# ---------------------------------------------------------------------------
# which URLs
# ---------------------------------------------------------------------------


def _okx_family(symbol: str, base: str, quote: str) -> str:
    """OKX instrument family of a swap: ``BTC-USDT-SWAP`` -> ``BTC-USDT``."""
    if symbol.upper().endswith("-SWAP"):
        return symbol[: -len("-SWAP")]
    return f"{base}-{quote}"


def plan_update(profile: ExchangeProfile) -> VenuePlan:
    """The public URLs that updating ``profile`` calls (nothing is called here)."""
    rule = profile.rule
    if rule in NOT_FETCHED:
        return VenuePlan(profile, (), NOT_FETCHED[rule].format(id=profile.id))
    base = BASE_URLS[rule]
    requests: list[Request] = []
    if rule == "bybit":
        for sym, spec in profile.symbols.items():
            query = urllib.parse.urlencode({"category": spec.contract.value, "symbol": sym})
            requests.append(Request(f"{base}/v5/market/risk-limit?{query}"))
    elif rule == "okx":
        families = dict.fromkeys(_okx_family(sym, spec.base, spec.quote) for sym, spec in profile.symbols.items())
        for fam in families:
            query = urllib.parse.urlencode({"instType": "SWAP", "tdMode": "cross", "instFamily": fam})
            requests.append(Request(f"{base}/api/v5/public/position-tiers?{query}"))
    elif rule == "hyperliquid":
        requests.append(Request(f"{base}/info", {"type": "meta"}))
    elif rule == "kraken":
        requests.append(Request(f"{base}/derivatives/api/v3/instruments"))
    elif rule == "deribit":
        requests.append(Request(f"{base}/api/v2/public/get_instruments?currency=any&kind=future"))
    return VenuePlan(profile, tuple(requests))


# ---------------------------------------------------------------------------
# fetching
# ---------------------------------------------------------------------------


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or url


def _reason(exc: BaseException, url: str, timeout: float) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        inner: Any = exc.reason
        if isinstance(inner, BaseException):
            exc = inner
        else:
            return f"cannot reach {_host(url)}: {inner}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {_host(url)} within {timeout:g} s (timed out; is the network up?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {_host(url)} (no network or DNS failure)"
    if isinstance(exc, ConnectionRefusedError):
        return f"{_host(url)} refused the connection (no network, or a firewall/proxy blocks it)"
    if isinstance(exc, ssl.SSLError):
        return f"secure connection to {_host(url)} failed: {exc.reason or exc}"
    if isinstance(exc, OSError):
        return f"cannot reach {_host(url)}: {exc.strerror or exc}"
    return f"cannot reach {_host(url)}: {type(exc).__name__}: {exc}"


def fetch_json(request: Request, timeout: float = DEFAULT_TIMEOUT_S, max_bytes: int = MAX_RESPONSE_BYTES) -> Any:
    """Call one public endpoint and return its parsed JSON.

    Raises
    ------
    OnlineError naming the URL, with a one-line reason: timeout, DNS failure,
    refused connection, HTTP status, response over ``max_bytes``, not UTF-8,
    or not valid JSON.
    """
    data = None if request.body is None else json.dumps(dict(request.body)).encode("utf-8")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(request.url, data=data, headers=headers, method=request.method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise OnlineError([Problem("", f"the server answered HTTP {exc.code} {exc.reason}")], request.url) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        raise OnlineError([Problem("", _reason(exc, request.url, timeout))], request.url) from None
    if len(raw) > max_bytes:
        raise OnlineError([Problem("", f"the response is larger than {max_bytes / 1e6:.0f} MB; refused")], request.url)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OnlineError([Problem("", f"the response is not UTF-8 text (byte {exc.start})")], request.url) from None
    try:
        return parse_json_text(text, request.url)
    except PlannerError as exc:
        raise OnlineError(exc.problems, request.url) from None


# ---------------------------------------------------------------------------
# parsing the venues' answers into raw tiers
# ---------------------------------------------------------------------------


def _f(value: Any, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PlannerError([Problem(where, f"must be a number (got {value!r})")]) from None
    if x != x or x in (float("inf"), float("-inf")):
        raise PlannerError([Problem(where, "must be a finite number")])
    return x


def _banded(starts: list[tuple[float, float, float]], contracts: bool = False) -> list[RawTier]:
    """Tiers from ``(start, max leverage, MM rate)`` rows: each ends where the next starts, the last is open."""
    starts = sorted(starts)
    rows: list[RawTier] = []
    for i, (lo, lev, mmr) in enumerate(starts):
        cap = starts[i + 1][0] if i + 1 < len(starts) else None
        row: RawTier = {"floor": lo, "cap": cap, "lev": lev, "mmr": mmr, "cum": None}
        if contracts:
            row["contracts"] = 1.0
        rows.append(row)
    return rows


def parse_hyperliquid(data: Any) -> dict[str, list[RawTier]]:
    """``{coin: tiers}`` from a Hyperliquid ``meta`` answer (MM rate = 1/(2 x max leverage), amounts rebuilt)."""
    if not isinstance(data, dict) or not isinstance(data.get("universe"), list):
        raise PlannerError([Problem("universe", "is missing: not a Hyperliquid meta response")])
    tables: dict[int, list[Any]] = {}
    for i, entry in enumerate(data.get("marginTables") or []):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
            raise PlannerError([Problem(f"marginTables.{i}", "must be [id, {description, marginTiers}]")])
        tiers = entry[1].get("marginTiers")
        if not isinstance(tiers, list) or not tiers:
            raise PlannerError([Problem(f"marginTables.{i}.marginTiers", "must be a non-empty list")])
        tables[int(_f(entry[0], f"marginTables.{i}.0"))] = tiers
    out: dict[str, list[RawTier]] = {}
    for i, asset in enumerate(data["universe"]):
        p = f"universe.{i}"
        if not isinstance(asset, dict) or "name" not in asset:
            raise PlannerError([Problem(p, "must be an object with a name")])
        if asset.get("isDelisted"):
            continue
        table = tables.get(int(_f(asset.get("marginTableId", -1), f"{p}.marginTableId")))
        if table is None:  # a flat table: one tier at the asset's max leverage
            lev = _f(asset.get("maxLeverage"), f"{p}.maxLeverage")
            out[str(asset["name"])] = _banded([(0.0, lev, 1.0 / (2.0 * lev))])
            continue
        rows = []
        for j, t in enumerate(table):
            q = f"marginTables[{asset.get('marginTableId')}].marginTiers.{j}"
            if not isinstance(t, dict):
                raise PlannerError([Problem(q, "must be an object")])
            lev = _f(t.get("maxLeverage"), f"{q}.maxLeverage")
            if lev <= 0:
                raise PlannerError([Problem(f"{q}.maxLeverage", "must be greater than 0")])
            rows.append((_f(t.get("lowerBound"), f"{q}.lowerBound"), lev, 1.0 / (2.0 * lev)))
        out[str(asset["name"])] = _banded(rows)
    return out


def parse_kraken(data: Any) -> dict[str, list[RawTier]]:
    """``{SYMBOL: tiers}`` from Kraken Futures ``instruments`` (max leverage = 1 / initial margin, no deduction)."""
    if not isinstance(data, dict) or not isinstance(data.get("instruments"), list):
        raise PlannerError([Problem("instruments", "is missing: not a Kraken Futures instruments response")])
    if data.get("result", "success") != "success":
        raise PlannerError([Problem("result", f"Kraken answered an error ({data.get('error') or data.get('errors')})")])
    out: dict[str, list[RawTier]] = {}
    for i, inst in enumerate(data["instruments"]):
        p = f"instruments.{i}"
        if not isinstance(inst, dict) or "symbol" not in inst:
            continue
        levels = inst.get("marginLevels")
        if not isinstance(levels, list) or not levels:
            continue
        rows = []
        contracts = False
        for j, lv in enumerate(levels):
            q = f"{p}.marginLevels.{j}"
            if not isinstance(lv, dict):
                raise PlannerError([Problem(q, "must be an object")])
            if "contracts" in lv:
                contracts = True
                start = _f(lv["contracts"], f"{q}.contracts")
            else:
                start = _f(lv.get("numNonContractUnits", 0), f"{q}.numNonContractUnits")
            im = _f(lv.get("initialMargin"), f"{q}.initialMargin")
            if im <= 0:
                raise PlannerError([Problem(f"{q}.initialMargin", "must be greater than 0")])
            rows.append((start, round(1.0 / im, 2), _f(lv.get("maintenanceMargin"), f"{q}.maintenanceMargin")))
        out[str(inst["symbol"]).upper()] = _banded(rows, contracts)
    return out


def parse_deribit(data: Any) -> dict[str, dict[str, float]]:
    """``{instrument: {contract_size, tick_size, max_leverage}}`` from Deribit ``get_instruments``."""
    if not isinstance(data, dict):
        raise PlannerError([Problem("", "not a Deribit get_instruments response")])
    if "error" in data:
        raise PlannerError([Problem("error", f"Deribit answered an error ({data['error']})")])
    items = data.get("result")
    if not isinstance(items, list):
        raise PlannerError([Problem("result", "must be a list of instruments")])
    out: dict[str, dict[str, float]] = {}
    for i, inst in enumerate(items):
        p = f"result.{i}"
        if not isinstance(inst, dict) or "instrument_name" not in inst:
            continue
        spec = {
            "contract_size": _f(inst.get("contract_size"), f"{p}.contract_size"),
            "tick_size": _f(inst.get("tick_size"), f"{p}.tick_size"),
        }
        if inst.get("max_leverage") is not None:
            spec["max_leverage"] = _f(inst["max_leverage"], f"{p}.max_leverage")
        out[str(inst["instrument_name"])] = spec
    return out


# ---------------------------------------------------------------------------
# building the updated profile and its diff
# ---------------------------------------------------------------------------


def _amount(x: float | None) -> str:
    """A tier bound or amount for people: ``4,000,000``, ``2.25``, ``unbounded``."""
    return "unbounded" if x is None else f"{x:,.10g}"


def _tier_text(t: Tier) -> str:
    return (
        f"{_amount(t.notional_floor)} to {_amount(t.notional_cap)}, max {t.max_leverage:g}x, "
        f"MM rate {t.maintenance_rate * 100:.4g} %, MM amount {_amount(t.maintenance_amount)}"
    )


def tier_diff(old: list[Tier], new: list[Tier]) -> list[str]:
    """Tier-by-tier differences: floor, cap, max leverage, MM rate (in %), MM amount; empty = identical.

    Amounts are in the symbol's tier-basis units (quote currency value, coin, or
    contracts x contract size); rates are shown in percent.
    """
    lines: list[str] = []
    for i in range(max(len(old), len(new))):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        if a is None and b is not None:
            lines.append(f"tier {i + 1} added: {_tier_text(b)}")
            continue
        if b is None and a is not None:
            lines.append(f"tier {i + 1} removed: {_tier_text(a)}")
            continue
        assert a is not None and b is not None
        diffs: list[str] = []
        if not math.isclose(a.notional_floor, b.notional_floor, rel_tol=1e-9, abs_tol=1e-12):
            diffs.append(f"floor {_amount(a.notional_floor)} -> {_amount(b.notional_floor)}")
        if a.notional_cap != b.notional_cap and not (
            a.notional_cap is not None and b.notional_cap is not None and math.isclose(a.notional_cap, b.notional_cap, rel_tol=1e-9)
        ):
            diffs.append(f"cap {_amount(a.notional_cap)} -> {_amount(b.notional_cap)}")
        if not math.isclose(a.max_leverage, b.max_leverage, rel_tol=1e-9):
            diffs.append(f"max leverage {a.max_leverage:g}x -> {b.max_leverage:g}x")
        if not math.isclose(a.maintenance_rate, b.maintenance_rate, rel_tol=1e-9, abs_tol=1e-12):
            diffs.append(f"MM rate {a.maintenance_rate * 100:.4g} % -> {b.maintenance_rate * 100:.4g} %")
        if not math.isclose(a.maintenance_amount, b.maintenance_amount, rel_tol=1e-9, abs_tol=1e-9):
            diffs.append(f"MM amount {_amount(round(a.maintenance_amount, 8))} -> {_amount(round(b.maintenance_amount, 8))}")
        if diffs:
            lines.append(f"tier {i + 1}: " + ", ".join(diffs))
    return lines


def _spec_changes(old: ExchangeProfile, new: ExchangeProfile, sym: str) -> list[str]:
    a, b = old.symbols[sym], new.symbols[sym]
    return [
        f"{name} {getattr(a, f):g} -> {getattr(b, f):g}"
        for name, f in (("contract size", "contract_size"), ("tick size", "tick_size"))
        if getattr(a, f) != getattr(b, f)
    ]


def build_update(plan: VenuePlan, responses: list[tuple[Request, Any]], today: date | None = None) -> VenueResult:
    """The updated profile (tiers of the symbols it lists, ``version`` = today, every URL in ``sources``) and its diff.

    Raises
    ------
    PlannerError naming the URL when a response is an error or not the expected shape.
    """
    profile = plan.profile
    today = today or date.today()
    rule = profile.rule
    new_tiers: dict[str, list[Tier]] = {}
    spec_updates: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    for req, data in responses:
        try:
            if rule == "deribit":
                for raw_sym, values in parse_deribit(data).items():
                    if raw_sym not in profile.symbols:
                        continue
                    spec = profile.symbols[raw_sym]
                    spec_updates[raw_sym] = {"contract_size": values["contract_size"], "tick_size": values["tick_size"]}
                    if "max_leverage" in values and spec.size_scaled is None:
                        first = spec.tiers[0].model_copy(update={"max_leverage": values["max_leverage"]})
                        new_tiers[raw_sym] = [first, *spec.tiers[1:]]
                    elif "max_leverage" in values and values["max_leverage"] != spec.tiers[0].max_leverage:
                        notes.append(
                            f"{raw_sym}: the venue lists {values['max_leverage']:g}x maximum leverage; the size-scaled "
                            f"margin keeps {spec.tiers[0].max_leverage:g}x (its rates are not in this response)"
                        )
                notes.append("Deribit's instruments give contract size, tick size and max leverage; margin rates stay as bundled")
                continue
            if rule == "bybit" or rule == "okx":
                if not isinstance(data, dict):
                    raise PlannerError([Problem("", "must be a JSON object")])
                raw = parse_bybit(data) if rule == "bybit" else parse_okx(data)
            elif rule == "hyperliquid":
                raw = parse_hyperliquid(data)
            else:
                raw = parse_kraken(data)
        except PlannerError as exc:
            raise PlannerError(exc.problems, req.url) from None
        for raw_sym, rows in raw.items():
            sym = match_symbol(raw_sym, profile)
            if sym is None or not rows:
                continue
            new_tiers[sym] = to_tiers(rows, profile.symbols[sym], profile, req.url, raw_sym)
    if rule == "kraken":
        notes.append("Kraken's last margin level is open-ended in the response (no cap)")
    updated = apply_update(profile, new_tiers, spec_updates, [r.url for r, _ in responses], today)
    got = set(new_tiers) | set(spec_updates)
    result = VenueResult(plan, updated, notes=list(dict.fromkeys(notes)))
    for sym in profile.symbols:
        if sym not in got:
            result.missing.append(sym)
            continue
        result.changes[sym] = _spec_changes(profile, updated, sym) + tier_diff(profile.symbols[sym].tiers, updated.symbols[sym].tiers)
    return result


def apply_update(
    profile: ExchangeProfile,
    tiers: Mapping[str, list[Tier]],
    spec_updates: Mapping[str, Mapping[str, float]],
    urls: list[str],
    today: date,
) -> ExchangeProfile:
    """A copy of ``profile`` with new tiers/spec fields, dated ``today``, each URL added to ``sources``."""
    data = profile.model_dump(mode="json")
    for sym, spec in data["symbols"].items():
        if sym in tiers:
            spec["tiers"] = [t.model_dump(mode="json") for t in tiers[sym]]
        spec.update(spec_updates.get(sym, {}))
    data["version"] = today.isoformat()
    sources = [s for s in data["sources"] if s["url"] not in urls]
    sources += [{"url": u, "title": "public API, fetched by update-profiles", "captured": today.isoformat()} for u in urls]
    data["sources"] = sources
    fetched = ", ".join(sym for sym in profile.symbols if sym in tiers or sym in spec_updates)
    data["notes"] = (profile.notes + f"\nUpdated from the venue's public API on {today.isoformat()}: {fetched}.").strip()
    try:
        return ExchangeProfile.model_validate(data)
    except ValidationError as exc:
        raise PlannerError(problems_from_validation(exc), f"updated profile {profile.id}") from None


def run_update(
    plan: VenuePlan,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    fetch: Callable[[Request, float], Any] = fetch_json,
    on_request: Callable[[Request], None] | None = None,
    cancel: threading.Event | None = None,
    today: date | None = None,
) -> VenueResult | None:
    """Fetch every URL of ``plan`` in order and build the result; ``None`` if ``cancel`` was set.

    ``on_request`` is told of each call just before it is made (progress).
    Raises OnlineError / PlannerError on the first failure (nothing is saved here).
    """
    responses: list[tuple[Request, Any]] = []
    for req in plan.requests:
        if cancel is not None and cancel.is_set():
            return None
        if on_request is not None:
            on_request(req)
        responses.append((req, fetch(req, timeout)))
    if cancel is not None and cancel.is_set():
        return None
    return build_update(plan, responses, today)
