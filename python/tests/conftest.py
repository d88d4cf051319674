"""Shared fixtures: every test works in its own temporary folder."""

import json
import shutil
from pathlib import Path

import pytest

from fluxdb import FluxDB

# Folders written by the Python FluxDB 0.1.1 library itself (the repository's
# fixtures; tests copy them before opening them).
LEGACY = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "legacy-v0.1"


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def db(db_path):
    database = FluxDB(str(db_path))
    yield database
    database.close()


def legacy_copy(tmp_path, name="basic"):
    """A copy of a folder the Python library wrote, and what it read there."""
    target = tmp_path / name
    shutil.copytree(LEGACY / name, target)
    expected = json.loads((LEGACY / f"{name}.expected.json").read_text(encoding="utf-8"))
    return target, expected


@pytest.fixture
def legacy(tmp_path):
    return legacy_copy(tmp_path)
