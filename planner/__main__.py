"""``python -m planner``: the headless command line."""

from planner.cli.main import main

raise SystemExit(main())
