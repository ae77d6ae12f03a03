"""Writing results: whole or not at all.

Everything is written into a fresh temporary folder beside the target, which then replaces
the target in one rename; an interrupted run leaves the previous results (or nothing), never
a half-written set that looks whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

RESOLVED = "scenario.resolved.toml"


def write_results(out_dir, tables: dict[str, pd.DataFrame], scenario, blobs: dict | None = None) -> list[Path]:
    """Write ``tables`` as CSV, ``blobs`` (name -> bytes) and the resolved scenario (TOML, data
    paths relative to ``out_dir``)."""
    from capsim.scenario import scenario_to_toml

    return write_files(out_dir, tables, texts={RESOLVED: scenario_to_toml(scenario, Path(out_dir).resolve())},
                       blobs=blobs)


def write_files(out_dir, tables: dict, figures: dict | None = None, texts: dict | None = None,
                blobs: dict | None = None, keep_existing: bool = False) -> list[Path]:
    """Write CSV tables (UTF-8 with BOM, so Excel shows Chinese), matplotlib figures (PNG),
    text files and byte files into ``out_dir``, replacing it whole (``keep_existing``: its
    other files are carried over)."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        if keep_existing and out_dir.is_dir():
            shutil.copytree(out_dir, tmp, dirs_exist_ok=True)
        names = []
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
            names.append(f"{name}.csv")
        for name, fig in (figures or {}).items():
            fig.savefig(tmp / name, dpi=150)
            names.append(name)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
            names.append(name)
        for name, data in (blobs or {}).items():
            (tmp / name).write_bytes(data)
            names.append(name)
        _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out_dir / n for n in names]


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``tmp``: the old folder is moved aside first, then removed."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old.{os.getpid()}"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
