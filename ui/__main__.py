"""``python -m ui``: the console entry point (window, or CLI sub-commands)."""

from ui.launcher import main

raise SystemExit(main())
