"""The headless command line, one module per sub-command."""
