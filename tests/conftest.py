"""Shared test settings: a derandomized hypothesis profile for CI, no deadlines; the small test project."""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture()
def project(tmp_path) -> Path:
    """A copy of the small test project ``tests/fixtures/base`` (4 units, 2020-2022) to write into."""
    folder = tmp_path / "p"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "base", folder)
    return folder
