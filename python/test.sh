#!/usr/bin/env bash
# The Python package's tests: builds it into a virtual environment under
# target/ (from this checkout, as `pip install ./python` does), checks its
# type hints against the module (mypy's stubtest), then runs the pytest suite.
# Needs python3 with venv and the Rust toolchain; .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-venv
# The package's own build directory, beside the root package's.
export CARGO_TARGET_DIR="$PWD/target/python"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
# As if activated: the build runs the environment's maturin by name.
export PATH="$PWD/$venv/bin:$PATH"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.9.4,<2" "pytest>=7" "mypy>=1.10"
# No build isolation: maturin is already in the environment.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation --force-reinstall --no-deps ./python
"$venv/bin/python" -m mypy.stubtest fluxdb
"$venv/bin/python" -m pytest python/tests "$@"
