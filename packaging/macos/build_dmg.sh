#!/usr/bin/env bash
# macOS: .app bundle + .dmg (NOT built or tested here; see packaging/README.md).
# Run on macOS from the repository root: bash packaging/macos/build_dmg.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
python3 -m venv packaging/build/venv
packaging/build/venv/bin/python -m pip install --quiet ".[package]"
packaging/build/venv/bin/python packaging/make_icons.py
# .icns from the rendered PNGs (iconutil ships with macOS).
ICONSET="packaging/build/position-planner.iconset"
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
for s in 16 32 128 256 512; do
  cp "resources/icons/position-planner-$s.png" "$ICONSET/icon_${s}x${s}.png"
done
cp resources/icons/position-planner-64.png "$ICONSET/icon_32x32@2x.png"
cp resources/icons/position-planner-512.png "$ICONSET/icon_256x256@2x.png"
iconutil -c icns "$ICONSET" -o packaging/macos/position-planner.icns
packaging/build/venv/bin/python -m PyInstaller --noconfirm --distpath packaging/dist --workpath packaging/build/work packaging/position-planner.spec
# The spec's BUNDLE step writes "Position Planner.app" (Info.plist keys are in the spec).
# Signing and notarisation need an Apple Developer ID: codesign --deep --options runtime --sign "Developer ID Application: …"
hdiutil create -volname "Position Planner" -srcfolder "packaging/dist/Position Planner.app" -ov -format UDZO \
  "packaging/dist/position-planner-0.1.0-macos.dmg"
