"""``position-planner schema plan|profile``: the JSON Schema of a file format."""

from __future__ import annotations

import argparse

from planner.cli.common import print_json
from planner.io.registry import profile_json_schema
from planner.model.plan import Plan


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a file format")
    p.add_argument("kind", choices=["plan", "profile"])
    p.set_defaults(func=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    if args.kind == "plan":
        print_json(Plan.model_json_schema())
    else:
        print_json(profile_json_schema())
    return 0
