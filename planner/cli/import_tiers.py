"""``position-planner import-tiers FILE --profile ID``: update a profile's tiers from a saved exchange response."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.io.atomic import atomic_write_text
from planner.io.importers import apply_tiers, import_tiers, tier_changes
from planner.io.registry import dump_profile


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-tiers", help="import margin tiers from a Binance/ccxt/OKX/Bybit response saved as JSON")
    p.add_argument("file", help="the saved response (JSON)")
    p.add_argument("--profile", required=True, help="profile to update (bundled or user)")
    p.add_argument("--symbol", help="only this symbol")
    p.add_argument("--dry-run", action="store_true", help="show the changes, save nothing")
    p.add_argument("--out", help="write the updated profile here instead of the user profile folder")
    p.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from planner.cli.main import _lookup_profile

    profile = _lookup_profile(args.profile)
    fmt, tiers = import_tiers(args.file, profile, args.symbol)
    updated = apply_tiers(profile, tiers, Path(args.file).name)
    from planner.cli.main import print_warnings

    print_warnings(updated.warnings_for(tiers))
    print(f"{args.file}: {fmt} format; {len(tiers)} symbol(s) for profile '{profile.id}'")
    for sym, new in tiers.items():
        changes = tier_changes(profile.symbols[sym].tiers, new)
        print(f"  {sym}: " + ("no changes" if not changes else f"{len(changes)} change(s)"))
        for line in changes:
            print(f"    {line}")
    if args.dry_run:
        print("dry run: nothing saved")
        return 0
    if args.out:
        atomic_write_text(args.out, dump_profile(updated))
        print(f"saved {args.out}")
    else:
        from planner.io.user_profiles import save_user_profile

        path = save_user_profile(updated)
        print(f"saved user profile {path} (it now shadows the bundled '{profile.id}')")
    return 0
