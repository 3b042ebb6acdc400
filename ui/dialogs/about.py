"""About dialog: version and third-party license notices."""

from __future__ import annotations

from importlib import metadata

from PySide6.QtWidgets import QMessageBox, QWidget

NOTICES = [
    ("Qt for Python (PySide6) / Qt 6", "LGPLv3", "https://www.qt.io/licensing/ — dynamically linked; you may replace the Qt libraries."),
    ("pyqtgraph", "MIT", "https://github.com/pyqtgraph/pyqtgraph"),
    ("pydantic", "MIT", "https://github.com/pydantic/pydantic"),
    ("NumPy", "BSD-3-Clause", "https://numpy.org/"),
]


def app_version() -> str:
    try:
        return metadata.version("position-planner")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def about_text() -> str:
    rows = "".join(f"<li><b>{n}</b> — {lic} ({url})</li>" for n, lic, url in NOTICES)
    return (
        f"<h3>Position Planner {app_version()}</h3>"
        "<p>Offline position-risk planner for crypto futures: liquidation, margin calls and funding, "
        "computed from exchange profile data. Not financial advice; check figures against your exchange.</p>"
        f"<p>Third-party software:</p><ul>{rows}</ul>"
    )


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About Position Planner", about_text())
