"""Fixtures for the grading tests: progress goes to a temporary file, never ~/.nnlib."""

import pytest

from nnlib.grading import progress, registry


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    """Point NNLIB_PROGRESS_FILE at a fresh temporary file; forget one-time notes."""
    path = tmp_path / "learner" / "progress.json"
    monkeypatch.setenv(progress.ENV_VAR, str(path))
    monkeypatch.setattr(progress, "_said", set())
    return path


@pytest.fixture(autouse=True)
def clean_registry():
    """Exercises declared by a test do not leak into other tests."""
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


@pytest.fixture(scope="module")
def solutions(request):
    """The names the source notebook of the test module's ``CHAPTER`` defines (run once)."""
    return request.module.CHAPTER.solutions()
