"""Canonical coin keys: one name for the same coin across venues (pure, no I/O).

Venues spell the same market differently: ``BTCUSDT`` (Binance, Bybit),
``BTC-USDT-SWAP`` (OKX), ``BTC`` (Hyperliquid), ``PF_XBTUSD`` (Kraken),
``BTCUSD_PERP`` (Binance COIN-M), ``BTC-PERPETUAL`` (Deribit), ``BTC-PERP``
(generic DEX). Small coins are often listed per 1,000 or 1,000,000 units
(``1000PEPEUSDT``, ``kPEPE``, ``1MBABYDOGEUSDT``): the *multiplier* says how
many coins one unit of the symbol's base stands for, so prices and quantities
convert as ``price_coin = price_symbol / multiplier`` and
``quantity_coin = quantity_symbol x multiplier``.

Quotes: USDT, USDC, USD (and the older BUSD/FDUSD) are all "USD" for mapping;
their prices are taken as equal (a stated approximation: a stablecoin can
trade a little away from 1 USD).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["STABLE_QUOTES", "CoinKey", "ParsedSymbol", "canonical_coin", "coin_key", "is_stable", "parse_symbol"]

#: Quote / settlement currencies counted as one US dollar.
STABLE_QUOTES: tuple[str, ...] = ("USDT", "USDC", "USD", "BUSD", "FDUSD")

#: Venue spellings of a coin mapped to one canonical name.
COIN_ALIASES: dict[str, str] = {"XBT": "BTC"}

_MULTIPLIER_PREFIXES: tuple[tuple[str, float], ...] = (
    ("1000000", 1e6),
    ("100000", 1e5),
    ("10000", 1e4),
    ("1000", 1e3),
    ("1M", 1e6),
    ("k", 1e3),  # Hyperliquid: kPEPE, kSHIB (lower-case k only)
)

# Venue decorations around "<base><quote>", longest first.
_PREFIXES = ("PF_", "PI_", "FI_")
_SUFFIXES = ("-PERPETUAL", "_PERPETUAL", "-SWAP", "_PERP", "-PERP", "PERP", ".P")
#: Expiry suffixes of dated futures: Binance ``BTCUSDT_261225`` / ``BTCUSD_261225`` (YYMMDD),
#: Deribit ``BTC-25DEC26`` (DDMONYY).
_DATED_SUFFIX = re.compile(r"(?:_\d{6}|-\d{1,2}[A-Z]{3}\d{2})$")


@dataclass(frozen=True)
class CoinKey:
    """A coin as the mapping sees it.

    Attributes
    ----------
    coin : canonical coin name, upper case (``BTC`` for XBT, ``PEPE`` for 1000PEPE).
    multiplier : coins per unit of the symbol's base (1 for BTC, 1000 for 1000PEPE).
    """

    coin: str
    multiplier: float = 1.0


@dataclass(frozen=True)
class ParsedSymbol:
    """A symbol name split into base and quote (quote "" when the name has none)."""

    base: str
    quote: str


def canonical_coin(base: str) -> CoinKey:
    """Canonical key of a base currency as a venue writes it (``XBT`` -> BTC, ``1000PEPE`` -> PEPE x 1000)."""
    b = base.strip()
    mult = 1.0
    for prefix, m in _MULTIPLIER_PREFIXES:
        rest = b[len(prefix) :]
        # Only a real multiplier: the rest must be a coin name (a letter first), e.g. not "1INCH".
        if b.startswith(prefix) and len(rest) >= 2 and rest[0].isalpha() and (prefix != "k" or rest.isupper()):
            mult = m
            b = rest
            break
    up = b.upper()
    return CoinKey(COIN_ALIASES.get(up, up), mult)


def parse_symbol(symbol: str) -> ParsedSymbol:
    """Split a venue symbol into base and quote by its spelling alone.

    ``BTCUSDT`` -> (BTC, USDT); ``BTC-USDT-SWAP`` -> (BTC, USDT); ``PF_XBTUSD``
    -> (XBT, USD); ``BTCUSD_PERP`` -> (BTC, USD); ``BTC-PERPETUAL`` -> (BTC, "");
    ``BTC_USDC-PERPETUAL`` -> (BTC, USDC); ``BTC`` -> (BTC, ""). Dated futures
    drop their expiry first: ``BTCUSDT_261225`` -> (BTC, USDT), ``BTC-25DEC26`` -> (BTC, "").
    """
    s = _DATED_SUFFIX.sub("", symbol.strip().upper()) if _DATED_SUFFIX.search(symbol.strip().upper()) else symbol.strip()
    for p in _PREFIXES:
        if s.upper().startswith(p):
            s = s[len(p) :]
            break
    for suf in _SUFFIXES:
        if s.upper().endswith(suf) and len(s) > len(suf):
            s = s[: -len(suf)]
            break
    parts = [p for p in re.split(r"[-_/:]", s) if p]
    if len(parts) >= 2:
        return ParsedSymbol(parts[0], parts[1].upper())
    body = parts[0] if parts else s
    for q in sorted(STABLE_QUOTES, key=len, reverse=True):
        if body.upper().endswith(q) and len(body) > len(q):
            return ParsedSymbol(body[: -len(q)], q)
    return ParsedSymbol(body, "")


def coin_key(symbol: str, base: str | None = None) -> CoinKey:
    """Canonical coin of a symbol: from its profile ``base`` when known, else from its name."""
    return canonical_coin(base if base else parse_symbol(symbol).base)


def is_stable(currency: str) -> bool:
    """True for currencies counted as one US dollar (USDT, USDC, USD, ...)."""
    return currency.upper() in STABLE_QUOTES
