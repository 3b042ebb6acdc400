"""Console entry point ``position-planner``.

Routes to the headless CLI (``planner.cli.main``) when the first argument is a
sub-command or ``--version``; otherwise opens the window (``ui.app``). Qt is
imported only on the window path, so CLI commands start fast and work
without a display.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from planner.cli.main import command_names
    from planner.cli.main import main as cli_main

    if args and args[0] == "report":  # needs Qt's PDF writer, so it lives on the ui side
        from ui.report import main as report_main

        return report_main(args[1:])

    if args and (args[0] in command_names() or args[0] in ("--version", "-V")):
        if args[0] == "-V":
            args[0] = "--version"
        try:
            return cli_main(args)
        except SystemExit as exc:  # argparse --version / usage errors
            return int(exc.code or 0)
    from ui.app import main as gui_main

    return gui_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
