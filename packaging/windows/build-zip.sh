#!/usr/bin/env bash
# Cross-builds the Windows zip from Linux: fluxdb-studio.exe and fluxdb.exe
# (x86_64, MinGW), each with the icon and version resource of fluxdb.rc,
# plus README and LICENSE, into target/windows/fluxdb-<version>-windows-x86_64.zip.
#
# Needs: rustup target add x86_64-pc-windows-gnu; Debian packages
# gcc-mingw-w64-x86-64 (linker and windres) and zip. On Windows itself,
# `cargo build --release` works as it is; only the icon resource is missing
# (compile fluxdb.rc with rc.exe and pass it with -C link-arg).
set -euo pipefail
cd "$(dirname "$0")/../.."

target=x86_64-pc-windows-gnu
for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres x86_64-w64-mingw32-strip zip; do
    command -v "$tool" >/dev/null || { echo "build-zip: $tool is missing (Debian: gcc-mingw-w64-x86-64, zip)" >&2; exit 1; }
done
rustup target list --installed 2>/dev/null | grep -qx "$target" \
    || { echo "build-zip: the Rust target is missing: rustup target add $target" >&2; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
IFS=. read -r major minor patch <<<"$version"
out=target/windows
mkdir -p "$out"

# The resource object is linked into each executable by the last link step only.
resource="$PWD/$out/fluxdb-resources.o"
(cd packaging/windows && x86_64-w64-mingw32-windres \
    -D FLUXDB_VERSION_MAJOR="$major" -D FLUXDB_VERSION_MINOR="$minor" -D FLUXDB_VERSION_PATCH="${patch%%-*}" \
    -D FLUXDB_VERSION_TEXT="\\\"$version\\\"" \
    fluxdb.rc -O coff -o "$resource")

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
cargo rustc --locked --release --target "$target" --bin fluxdb-studio -- -C link-arg="$resource"
# The CLI without the app's feature: the MinGW link keeps the whole GUI in a
# binary of a crate built with it (25 MB instead of a few).
cargo rustc --locked --release --target "$target" --no-default-features --bin fluxdb -- -C link-arg="$resource"

stage="$out/fluxdb-$version-windows-x86_64"
rm -rf "$stage" "$stage.zip"
mkdir -p "$stage"
for bin in fluxdb-studio fluxdb; do
    # Stripped: the release profile's line tables would triple the size.
    x86_64-w64-mingw32-strip -o "$stage/$bin.exe" "target/$target/release/$bin.exe"
done
cp README.md LICENSE "$stage/"
(cd "$out" && zip -qr "$(basename "$stage").zip" "$(basename "$stage")")

# The icon and version must be in the executables, not only in the .rc.
for exe in "$stage"/*.exe; do
    x86_64-w64-mingw32-objdump -h "$exe" | grep -q '\.rsrc' \
        || { echo "build-zip: $exe has no resource section" >&2; exit 1; }
done
echo "built: $stage.zip"
