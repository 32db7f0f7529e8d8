"""Export files take the user's umask like any file they write, whatever the format (DuckDB
writes the instruction format itself, Python the others and the manifest)."""

from __future__ import annotations

import os
import stat

import pytest

import jobs
import storage


@pytest.fixture
def umask():
    """Set the process umask for one test, then put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("format", ["instruction", "chat"])
def test_every_export_file_has_the_umask_mode(sample_db, tmp_path, umask, mask, mode, format):
    umask(mask)
    result = jobs.export_training(
        sample_db,
        tmp_path / "out",
        format=format,
        curation=storage.training.Curation(validation_share=0.2),
    )
    written = [*result.files, result.manifest_path]
    assert len(written) == 3
    assert {stat.S_IMODE(path.stat().st_mode) for path in written} == {mode}
