#!/usr/bin/env bash
# Builds "FluxDB Studio.app" (and, with --dmg, a disk image) on macOS:
#
#   packaging/macos/build-app.sh [--dmg]
#
# The bundle holds fluxdb-studio as its executable, the fluxdb command line
# beside it (Contents/MacOS/fluxdb; link it into PATH to use it), the icon
# (assets/icon/fluxdb-studio.icns, made by packaging/render-icons.sh) and
# Info.plist with the version from Cargo.toml. It is not signed: sign and
# notarize with your Developer ID (codesign --deep -s ..., xcrun notarytool)
# before giving it to others.
#
# BIN_DIR=path skips the build and bundles the binaries found there (this is
# how the bundle's layout is checked on Linux, where no macOS build exists).
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
if [[ -z "${BIN_DIR:-}" ]]; then
    [[ "$(uname -s)" == Darwin ]] || { echo "build-app: builds on macOS only (or set BIN_DIR)" >&2; exit 1; }
    cargo build --locked --release --bins
    BIN_DIR=target/release
fi

app="target/macos/FluxDB Studio.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp "$BIN_DIR/fluxdb-studio" "$BIN_DIR/fluxdb" "$app/Contents/MacOS/"
cp assets/icon/fluxdb-studio.icns "$app/Contents/Resources/"
sed "s/@VERSION@/$version/g" packaging/macos/Info.plist >"$app/Contents/Info.plist"
printf 'APPL????' >"$app/Contents/PkgInfo"
if command -v plutil >/dev/null; then plutil -lint "$app/Contents/Info.plist"; fi
echo "built: $app"

if [[ "${1:-}" == "--dmg" ]]; then
    dmg="target/macos/FluxDB-Studio-$version.dmg"
    rm -f "$dmg"
    hdiutil create -volname "FluxDB Studio" -srcfolder "$app" -ov -format UDZO "$dmg"
    echo "built: $dmg"
fi
