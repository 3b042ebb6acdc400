#!/usr/bin/env bash
# Build the Linux installers: one-folder bundle, .tar.gz and .deb, in packaging/dist/.
# Usage (from anywhere): bash packaging/build.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/packaging"
BUILD="$PKG/build"
DIST="$PKG/dist"
VERSION="$(grep -m1 '^version' "$ROOT/pyproject.toml" | sed 's/.*"\(.*\)".*/\1/')"
ARCH_DEB="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
ARCH="$(uname -m)"
start=$(date +%s)

mkdir -p "$BUILD" "$DIST"
if [ ! -x "$BUILD/venv/bin/python" ]; then
  python3 -m venv "$BUILD/venv"
fi
"$BUILD/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$ROOT[package]"

"$BUILD/venv/bin/python" "$PKG/make_icons.py"

rm -rf "$DIST/position-planner"
(cd "$ROOT" && "$BUILD/venv/bin/python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$BUILD/work" "$PKG/position-planner.spec")

BUNDLE="$DIST/position-planner"
# Unused Qt modules, plugins, translations and the libraries only they need are
# left out by the spec; it also writes licenses/ next to the executable.

# Debug symbols (libpython from pyenv, OpenBLAS) are dead weight in an installer.
if command -v strip >/dev/null 2>&1; then
  # Not the auditwheel-patched libraries in *.libs/ (stripping breaks their page alignment).
  find "$BUNDLE/_internal" -type f \( -name "*.so" -o -name "*.so.*" \) -not -path "*.libs/*" \
    -exec strip --strip-unneeded {} + 2>/dev/null || true
fi

# .tar.gz
TAR="$DIST/position-planner-$VERSION-linux-$ARCH.tar.gz"
tar -C "$DIST" -czf "$TAR" position-planner

# .deb: /opt/position-planner, /usr/bin/position-planner, desktop entry, icon, licenses
DEBROOT="$BUILD/deb"
rm -rf "$DEBROOT"
mkdir -p "$DEBROOT/DEBIAN" "$DEBROOT/opt" "$DEBROOT/usr/bin" "$DEBROOT/usr/share/applications" \
         "$DEBROOT/usr/share/icons/hicolor/scalable/apps" "$DEBROOT/usr/share/doc/position-planner" \
         "$DEBROOT/usr/share/mime/packages"
cp -a "$BUNDLE" "$DEBROOT/opt/position-planner"
ln -s /opt/position-planner/position-planner "$DEBROOT/usr/bin/position-planner"
cp "$PKG/linux/position-planner.desktop" "$DEBROOT/usr/share/applications/"
for s in 16 32 48 64 128 256 512; do
  mkdir -p "$DEBROOT/usr/share/icons/hicolor/${s}x${s}/apps"
  cp "$ROOT/resources/icons/position-planner-$s.png" "$DEBROOT/usr/share/icons/hicolor/${s}x${s}/apps/position-planner.png"
done
cp "$PKG/linux/position-planner.xml" "$DEBROOT/usr/share/mime/packages/position-planner.xml"
cp "$ROOT/resources/icons/position-planner.svg" "$DEBROOT/usr/share/icons/hicolor/scalable/apps/position-planner.svg"
cp -a "$BUNDLE/licenses" "$DEBROOT/usr/share/doc/position-planner/licenses"
cat > "$DEBROOT/usr/share/doc/position-planner/copyright" <<COPY
Position Planner $VERSION, MIT license. Bundled third-party software: see licenses/NOTICE.md.
COPY
SIZE_KB=$(du -sk "$DEBROOT" | cut -f1)
cat > "$DEBROOT/DEBIAN/control" <<CONTROL
Package: position-planner
Version: $VERSION
Section: misc
Priority: optional
Architecture: $ARCH_DEB
Installed-Size: $SIZE_KB
Depends: libc6 (>= 2.34), libgl1, libegl1, libxcb1, libxkbcommon0, libfontconfig1, libdbus-1-3, fontconfig-config, fonts-dejavu-core | fonts-freefont-ttf
Recommends: libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, libxcb-xkb1, libxkbcommon-x11-0, libxcb-shape0, libxcb-randr0, libwayland-client0, libwayland-cursor0, libwayland-egl1
Maintainer: Position Planner developers <dev@position-planner.local>
Description: Desktop position-risk planner for crypto futures
 Plan leveraged futures positions offline: liquidation, bankruptcy and
 margin-call prices per exchange and margin mode, funding over days,
 gap drills with the loss waterfall, and a margin-call action plan.
CONTROL
DEB="$DIST/position-planner_${VERSION}_${ARCH_DEB}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$DEBROOT" "$DEB" >/dev/null

end=$(date +%s)
echo "built in $((end - start)) s"
echo "bundle:  $(du -sh "$BUNDLE" | cut -f1)  $BUNDLE"
echo "tar.gz:  $(du -sh "$TAR" | cut -f1)  $TAR"
echo "deb:     $(du -sh "$DEB" | cut -f1)  $DEB"
