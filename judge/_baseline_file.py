"""A baseline model as a file: plain NumPy arrays in one ``.npz``, no pickle anywhere.

The file holds the vocabulary (terms, idf, mean product length), the grades, the feature
names, each fold's standardisation and coefficients, and a ``meta`` entry: a JSON text with
the format name and the settings. Loading uses ``allow_pickle=False``, so a file from
elsewhere can hold numbers and strings but no code. The bytes are a function of the model
alone (zip entries carry a fixed date), so the same model always has the same sha256, which
a run records as its ``model_sha256``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ._baseline import BaselineModel, BaselineSettings
from ._baseline_features import Vocabulary
from ._exceptions import ModelFileError

__all__ = ["load_baseline", "save_baseline"]

FORMAT = "workbench-baseline/1"
_ARRAYS = ("mean", "scale", "coef", "intercept")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def save_baseline(
    model: BaselineModel, folder: str | Path, prefix: str = "baseline"
) -> tuple[Path, str]:
    """Write ``model`` to ``folder/<prefix>-<sha12>.npz``; its path and the file's sha256.

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    meta = {"format": FORMAT, "settings": dataclasses.asdict(model.settings)}
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "terms": model.vocabulary.terms.astype(str),
        "idf": model.vocabulary.idf,
        "mean_product_terms": np.array(model.vocabulary.mean_product_terms),
        "grades": np.asarray(model.grades, dtype=np.int64),
        "feature_names": np.asarray(model.feature_names, dtype=str),
        **{name: getattr(model, name) for name in _ARRAYS},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asarray(array), allow_pickle=False)
    data = buffer.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}-{sha256[:12]}.npz"
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path, sha256


def load_baseline(path: str | Path) -> BaselineModel:
    """The model saved at ``path``; ModelFileError when it is not a baseline model file."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelFileError(
            f"{path} is not a readable baseline model file ({exc}): train a new one with "
            "`cli.py judge --backend baseline`"
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} holds format {meta.get('format')!r}, not {FORMAT!r}: train a new model "
            "with `cli.py judge --backend baseline`"
        )
    vocabulary = Vocabulary(
        terms=arrays["terms"],
        idf=arrays["idf"],
        mean_product_terms=float(arrays["mean_product_terms"]),
    )
    return BaselineModel(
        vocabulary=vocabulary,
        grades=tuple(int(g) for g in arrays["grades"]),
        feature_names=tuple(str(n) for n in arrays["feature_names"]),
        settings=BaselineSettings(**meta["settings"]),
        **{name: arrays[name] for name in _ARRAYS},
    )
