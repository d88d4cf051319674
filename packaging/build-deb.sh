#!/usr/bin/env bash
# Builds the Debian package (both binaries, icons, desktop entry, metainfo,
# MIME type) into target/debian/. Needs cargo-deb (`cargo install cargo-deb`).
# With --install, installs it with apt and checks the installed binaries run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-deb >/dev/null 2>&1; then
    echo "cargo-deb is missing: cargo install cargo-deb" >&2
    exit 1
fi
packaging/linux/validate.sh
# cargo-deb builds the release binaries itself (both are listed as assets).
# Stripped: the release profile keeps line tables for backtraces in development,
# which would make the installed binaries 5-6 times larger.
deb=$(cargo deb --locked --strip --output target/debian 2>&1 | tee /dev/stderr | tail -n 1)
echo "built: $deb"

if [[ "${1:-}" == "--install" ]]; then
    apt-get install -y "./$deb" || apt-get install -y "$deb"
    test "$(command -v fluxdb)" = /usr/bin/fluxdb
    test "$(command -v fluxdb-studio)" = /usr/bin/fluxdb-studio
    fluxdb --version
    fluxdb-studio --version
    db=$(mktemp -d)
    fluxdb --db "$db" insert t '{"installed": true}' >/dev/null
    test "$(fluxdb --db "$db" count t)" = 1
    rm -rf "$db"
    dpkg -L fluxdb | grep -E 'icons|applications|metainfo|mime' 
    echo "installed and checked: /usr/bin/fluxdb, /usr/bin/fluxdb-studio"
fi
