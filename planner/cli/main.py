"""Headless command line: ``position-planner evaluate|profiles|schema|drill|import-tiers``.

This module assembles the parser from one module per sub-command (each exposes
``register(subparsers)`` and sets ``func``) and runs every command through
:func:`run_guarded`, the single handler: every failure a user can cause ends
with one clear line on stderr and exit code 2; never a traceback. Input files
are only read.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib import import_module

import numpy as np

from planner import __version__
from planner.cli.common import EXIT_BAD_INPUT, load_and_resolve, print_warnings
from planner.io.atomic import WriteError
from planner.io.userdata import UserDataError
from planner.model.errors import PlannerError

__all__ = [
    "COMMAND_MODULES",
    "EXIT_BAD_INPUT",
    "build_parser",
    "command_names",
    "load_and_resolve",
    "main",
    "print_warnings",
    "run_guarded",
]

#: One module per sub-command, in the order ``--help`` lists them.
COMMAND_MODULES: list[str] = [
    "planner.cli.evaluate",
    "planner.cli.profiles",
    "planner.cli.schema",
    "planner.cli.drill",
    "planner.cli.import_tiers",
    "planner.cli.update_profiles",
    "planner.cli.size",
    "planner.cli.ladder",
    "planner.cli.import_positions",
    "planner.cli.safe_size",
    "planner.cli.payoff",
]

EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"position-planner: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="position-planner", description="Plan leveraged futures positions offline: liquidation, margin calls, funding.")
    parser.add_argument("--version", action="version", version=f"position-planner {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


COMMANDS = (
    "evaluate",
    "profiles",
    "schema",
    "drill",
    "import-tiers",
    "update-profiles",
    "size",
    "ladder",
    "import-positions",
    "safe-size",
    "payoff",
)


def command_names() -> set[str]:
    """Names of every sub-command (used by the launcher to route to the CLI)."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set(COMMANDS)


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one sub-command; the single last-line handler of every command.

    Returns the command's exit code, or 2 with one ``position-planner: error:``
    line for bad input (:class:`PlannerError`, a file that cannot be read or
    written, a number out of range), 0 on a closed pipe, 130 on Ctrl-C and 1
    with one ``internal error`` line for anything unexpected. numpy floating
    point warnings never reach stderr (results are checked for finiteness where
    they matter).
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return func(args)
    except PlannerError as exc:
        _say(f"error: {exc.describe()}")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except (WriteError, UserDataError) as exc:  # their message names the target file or folder
        _say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _say(f"error: {where}{exc.strerror or exc}")
        return EXIT_BAD_INPUT
    except (OverflowError, ZeroDivisionError, RecursionError, MemoryError) as exc:
        _say(f"error: the numbers are beyond what can be computed ({type(exc).__name__}: {exc}); check the magnitudes in the input")
        return EXIT_BAD_INPUT
    except Exception as exc:
        _say(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(f"position-planner: {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 unexpected)."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    func: Callable[[argparse.Namespace], int] = args.func
    return run_guarded(func, args)


if __name__ == "__main__":
    raise SystemExit(main())
