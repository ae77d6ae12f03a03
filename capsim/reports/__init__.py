"""Reports: plots, ``report.html``, the Excel workbook and the CSV tables of a run.

``capsim.report(results, out_dir)`` writes everything; ``capsim report DIR`` rebuilds the
report from a folder saved by ``capsim run``. Writing is atomic (see :mod:`capsim.outputs`).
"""

from __future__ import annotations

from pathlib import Path

from capsim.reports.tables import ReportTables, from_folder, from_results

STEPS = ("figures", "workbook", "page")


def build(t: ReportTables, progress: bool = False) -> dict[str, bytes]:
    """File name -> bytes: the PNGs, ``capsim_tables.xlsx`` and ``report.html``."""
    import matplotlib

    matplotlib.use("Agg")
    from tqdm.auto import tqdm

    from capsim.reports.excel import workbook_bytes
    from capsim.reports.figures import png_bytes, report_figures
    from capsim.reports.html import render

    bar = tqdm(total=len(STEPS), desc="report", disable=not progress or None, leave=False)
    images = {name: png_bytes(fig) for name, fig in report_figures(t).items()}
    bar.update()
    files = dict(images)
    files["capsim_tables.xlsx"] = workbook_bytes(t)
    bar.update()
    files["report.html"] = render(t, images).encode("utf-8")
    bar.update()
    bar.close()
    return files


def report(results, out_dir, progress: bool = False, force: bool = False) -> list[Path]:
    """Write the tables (CSV), the plots (PNG), the workbook and ``report.html`` of a
    ``capsim.run`` result to ``out_dir``, replacing it whole; returns the paths written.
    ``out_dir`` must be new, empty or a run of the same scenario (``force``: any capsim folder);
    see :func:`capsim.outputs.claim`."""
    from capsim.outputs import write_results

    return write_results(out_dir, results.tables(), results.scenario,
                         blobs=build(from_results(results), progress), force=force)


def report_folder(folder, progress: bool = False) -> list[Path]:
    """Rebuild the report inside a folder saved by ``capsim run`` (its tables are kept)."""
    from capsim.errors import OutputError, Problem
    from capsim.outputs import RESOLVED, changed_files, claim, read_marker, write_files

    marker = read_marker(Path(folder))
    if marker is None or marker.get("command") not in ("run", "plan"):
        raise OutputError([Problem(str(folder), "is not a folder written by `capsim run` (it has no capsim marker of a "
                                                "run).", None, "give the folder written by `capsim run SCENARIO --out DIR`.")])
    claim(folder, marker["command"], marker.get("scenario", ""), keep_edits=False)   # before any work: no foreign files
    changed = [n for n in changed_files(folder, marker) if n.endswith(".csv") or n == RESOLVED]  # the inputs
    if changed:
        raise OutputError([Problem(f"{folder}/{name}", "is missing or was changed after capsim wrote it.", None,
                                   "run `capsim run` again to remake the folder.") for name in changed])
    tables = from_folder(folder)
    return write_files(folder, {}, blobs=build(tables, progress), keep_existing=True,
                       command=marker["command"], scenario=marker.get("scenario", ""), keep_edits=False)
