#!/usr/bin/env bash
# Smoke test of the built Linux installers (slow: not part of the default test run).
# 1. .deb: unpacked into a temporary root (dpkg-deb -x, no root needed); checks the
#    /usr/bin symlink, desktop entry, icon, MIME type and license texts, then runs the
#    installed app through packaging/smoke_bundle.py: --version, evaluate --json
#    (figures equal to the source tree's engine), --screenshot offscreen, a drill and
#    the PDF report.
# 2. .tar.gz: unpacked and run from the folder (--version, evaluate).
# Usage, from the repository root or from packaging/:
#   bash packaging/build.sh && bash packaging/smoke_test.sh
# Needs the repository's venv (.venv, `pip install -e .`) for the source-tree figures;
# set PYTHON=... to use another interpreter that can import planner.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$ROOT/packaging/dist"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
DEB="$(ls -t "$DIST"/position-planner_*.deb | head -1)"
TAR="$(ls -t "$DIST"/position-planner-*-linux-*.tar.gz | head -1)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

dpkg-deb -x "$DEB" "$TMP/root"
R="$TMP/root"
APP="$R/opt/position-planner/position-planner"
[ "$(readlink "$R/usr/bin/position-planner")" = /opt/position-planner/position-planner ] || fail "/usr/bin/position-planner symlink"
[ -f "$R/usr/share/applications/position-planner.desktop" ] || fail "desktop entry missing"
[ -f "$R/usr/share/icons/hicolor/256x256/apps/position-planner.png" ] || fail "256 px icon missing"
[ -f "$R/usr/share/icons/hicolor/scalable/apps/position-planner.svg" ] || fail "SVG icon missing"
[ -f "$R/usr/share/mime/packages/position-planner.xml" ] || fail "MIME type missing"
for lic in NOTICE.md PySide6_Essentials-*/LGPL-3.0.txt PySide6_Essentials-*/GPL-3.0.txt shiboken6-*/LGPL-3.0.txt \
           numpy-*/LICENSE.txt pydantic-*/LICENSE pydantic_core-*/LICENSE pyqtgraph-*/LICENSE.txt platformdirs-*/LICENSE \
           typing_extensions-*/LICENSE annotated-types-*/LICENSE Python-*/LICENSE.txt; do
  compgen -G "$R/usr/share/doc/position-planner/licenses/$lic" >/dev/null || fail "$lic missing in /usr/share/doc"
  compgen -G "$R/opt/position-planner/licenses/$lic" >/dev/null || fail "$lic missing next to the executable"
done
grep -q "GCC Runtime Library Exception\|libgfortran" "$R"/opt/position-planner/licenses/numpy-*/LICENSE.txt || fail "numpy's bundled OpenBLAS/gfortran notices"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$R/usr/share/applications/position-planner.desktop"
fi
echo "deb layout, desktop entry, icons and license texts present"

# Unpacked from the .deb: the first run after unpacking counts as the cold start.
"$PY" "$ROOT/packaging/smoke_bundle.py" "$APP" "$ROOT/resources/examples/btc-10x-isolated.plan.json"

mkdir "$TMP/tar" && tar -C "$TMP/tar" -xzf "$TAR"
TAPP="$TMP/tar/position-planner/position-planner"
[ "$("$TAPP" --version)" = "$("$APP" --version)" ] || fail ".tar.gz --version"
"$TAPP" evaluate "$TMP/tar/position-planner/_internal/resources/examples/btc-10x-isolated.plan.json" > /dev/null || fail ".tar.gz evaluate on the bundled example"
echo ".tar.gz folder runs (bundled example evaluated)"

echo "sizes: installed $(du -sh "$R/opt/position-planner" | cut -f1), .deb $(du -h "$DEB" | cut -f1), .tar.gz $(du -h "$TAR" | cut -f1)"
echo "SMOKE TEST PASSED"
