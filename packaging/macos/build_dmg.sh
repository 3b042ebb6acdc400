#!/usr/bin/env bash
# macOS: "Position Planner.app" + .dmg. NOT built or tested here (no macOS machine;
# see packaging/README.md); written for macOS 11+ with Python 3.11 and Xcode's
# command line tools (iconutil, hdiutil ship with macOS).
# Run on macOS from anywhere: bash packaging/macos/build_dmg.sh
# Output: packaging/dist/Position Planner.app and packaging/dist/position-planner-VERSION-macos.dmg
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
VERSION="$(grep -m1 '^version' pyproject.toml | sed 's/.*"\(.*\)".*/\1/')"
PY=packaging/build/venv/bin/python
[ -x "$PY" ] || python3 -m venv packaging/build/venv
"$PY" -m pip install --quiet ".[package]"
"$PY" packaging/make_icons.py

# .icns from the Qt-rendered PNGs (iconutil wants these exact names).
ICONSET="packaging/build/position-planner.iconset"
I=resources/icons/position-planner
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
cp "$I-16.png"  "$ICONSET/icon_16x16.png";    cp "$I-32.png"  "$ICONSET/icon_16x16@2x.png"
cp "$I-32.png"  "$ICONSET/icon_32x32.png";    cp "$I-64.png"  "$ICONSET/icon_32x32@2x.png"
cp "$I-128.png" "$ICONSET/icon_128x128.png";  cp "$I-256.png" "$ICONSET/icon_128x128@2x.png"
cp "$I-256.png" "$ICONSET/icon_256x256.png";  cp "$I-512.png" "$ICONSET/icon_256x256@2x.png"
cp "$I-512.png" "$ICONSET/icon_512x512.png"
iconutil -c icns "$ICONSET" -o packaging/macos/position-planner.icns

# The spec's BUNDLE step writes "Position Planner.app"; its Info.plist keys
# (CFBundleIdentifier org.positionplanner.app, CFBundleShortVersionString,
# NSHighResolutionCapable, LSMinimumSystemVersion 11.0, document type) are in the spec.
rm -rf "packaging/dist/Position Planner.app" packaging/dist/position-planner
"$PY" -m PyInstaller --noconfirm --distpath packaging/dist --workpath packaging/build/work packaging/position-planner.spec

# Signing and notarisation need an Apple Developer ID (not available here):
#   codesign --deep --force --options runtime --sign "Developer ID Application: ..." "packaging/dist/Position Planner.app"
#   xcrun notarytool submit packaging/dist/position-planner-$VERSION-macos.dmg --wait ...; xcrun stapler staple ...
# Unsigned, Gatekeeper asks the user to confirm the first start (right-click > Open).
STAGE=packaging/build/dmg
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "packaging/dist/Position Planner.app" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Position Planner" -srcfolder "$STAGE" -ov -format UDZO \
  "packaging/dist/position-planner-$VERSION-macos.dmg"
echo "built packaging/dist/position-planner-$VERSION-macos.dmg"
