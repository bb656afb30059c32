"""Shared fixtures for the library tests."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator: every test's randomness is reproducible."""
    return np.random.default_rng(0)
