"""A seed for the tests: `colonio seed` from $COLONIO_CLI (default: the debug build of this checkout)."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bindings" / "testing"))
from local_seed import LocalSeed  # noqa: E402


@pytest.fixture(scope="session")
def seed_url():
    colonio = os.environ.get("COLONIO_CLI", str(ROOT / ".build" / "debug" / "colonio"))
    seed = LocalSeed(colonio)
    yield seed.url
    seed.stop()
