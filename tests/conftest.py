"""Shared fixtures."""

import shutil
from pathlib import Path

import pytest

from capsim.examples import tiny_path


@pytest.fixture
def tiny(tmp_path) -> Path:
    """A fresh copy of the tiny example's folder."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_path().parent, folder)
    return folder
