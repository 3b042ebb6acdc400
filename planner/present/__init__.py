"""Presentation shared by the CLI, the report and the window: number formats, glossary, tables."""
