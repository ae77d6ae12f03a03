"""Writing results: whole or not at all, and never over anything capsim did not write.

**Which folders.** capsim writes only into a folder that does not exist yet, an empty one, or
one it wrote itself: each output folder holds a marker, ``.capsim-output.json``, with the
command and scenario that wrote it and the names of its files. :func:`claim` refuses (an
:class:`~capsim.errors.OutputError`, exit 2) a folder that holds anything capsim did not write
or a file changed since capsim wrote it (its SHA-256 in the marker), a file, a symbolic link, a
folder under a file or where the system will not make one, the root, the home folder, the
working directory or a folder above it, and any folder that holds the scenario or one of its
data tables, whatever ``force`` says.
A capsim folder written by another command or scenario is replaced only with ``force``.

**Whole or absent.** Everything is written into a fresh folder beside the target (made with
``os.mkdir``, so permissions follow the umask), which then takes the target's place. On Linux
the two folders are exchanged in one atomic ``renameat2(RENAME_EXCHANGE)``, so at every instant
the target holds either the old or the new results; elsewhere the old folder is renamed aside
first and put back by the next run if a kill struck between the two renames. Temporary and
old folders left by killed runs are removed by the next write beside them.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from capsim.errors import OutputError, Problem

RESOLVED = "scenario.resolved.toml"
MARKER = ".capsim-output.json"
_TEMP, _OLD = "capsim-tmp", "capsim-old"


def write_results(out_dir, tables: dict[str, pd.DataFrame], scenario, blobs: dict | None = None,
                  command: str = "run", force: bool = False) -> list[Path]:
    """Write ``tables`` as CSV, ``blobs`` (name -> bytes) and the resolved scenario (TOML, data
    paths relative to ``out_dir``) into ``out_dir``, claimed for ``command`` on ``scenario``."""
    from capsim.scenario import scenario_to_toml

    out_dir = claim(out_dir, command, scenario.source, protect=scenario_paths(scenario), force=force)
    return write_files(out_dir, tables, texts={RESOLVED: scenario_to_toml(scenario, out_dir)}, blobs=blobs,
                       command=command, scenario=scenario.source, force=True)


def write_files(out_dir, tables: dict, figures: dict | None = None, texts: dict | None = None,
                blobs: dict | None = None, keep_existing: bool = False, command: str = "run",
                scenario: str = "", force: bool = False, keep_edits: bool = True) -> list[Path]:
    """Write CSV tables (UTF-8 with BOM, so Excel shows Chinese), matplotlib figures (PNG),
    text files and byte files into ``out_dir`` (checked by :func:`claim`, ``keep_edits`` as
    there), replacing it whole (``keep_existing``: its other files are carried over)."""
    out_dir = claim(out_dir, command, scenario, force=force, keep_edits=keep_edits)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        _clean_leftovers(out_dir)
        tmp = _new_folder(out_dir, _TEMP)
    except OSError as exc:          # what claim cannot foresee (a system folder, a full disk): said, not a traceback
        _refuse(out_dir, f"cannot be made: {exc.strerror or exc}.", "give a folder you can write in, e.g. --out out/NAME.")
    try:
        if keep_existing and out_dir.is_dir():
            shutil.copytree(out_dir, tmp, dirs_exist_ok=True)
        names = _write_into(tmp, tables, figures or {}, texts or {}, blobs or {})
        old = (read_marker(out_dir) or {}) if keep_existing else {}
        kinds = {key: {**old.get(key, {}), **make(tables)} for key, make in COLUMN_KINDS.items()}
        _mark(tmp, command, scenario, sorted(set(os.listdir(tmp)) - {MARKER}), kinds)
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out_dir / n for n in names]


def _write_into(folder: Path, tables: dict, figures: dict, texts: dict, blobs: dict) -> list[str]:
    names = []
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
        names.append(f"{name}.csv")
    for name, fig in figures.items():
        fig.savefig(folder / name, dpi=150)
        names.append(name)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        names.append(name)
    for name, data in blobs.items():
        (folder / name).write_bytes(data)
        names.append(name)
    return names


def claim(out_dir, command: str, scenario: str = "", protect=(), force: bool = False, keep_edits: bool = True) -> Path:
    """The absolute ``out_dir`` if capsim may write there for ``command`` (see the module
    docstring); otherwise an OutputError naming the folder, why and the fix. ``protect``: paths
    (the scenario and its tables) that no output folder may hold. ``keep_edits``: a file changed
    since capsim wrote it is the user's, never replaced (not for a sweep's folder, whose files are
    written after its marker as its cases finish, nor for ``capsim report``, which checks its own
    inputs and rewrites only the report)."""
    given = Path(out_dir)
    if given.is_symlink():
        _refuse(given, "is a symbolic link; capsim does not write through links.",
                "give the folder the link points to, or a new folder.")
    out = Path(os.path.abspath(given))
    real = Path(os.path.realpath(out))
    _refuse_protected(out, real, protect)
    if not out.exists():
        _refuse_unmakeable(out)
        return out
    if not out.is_dir():
        _refuse(out, "is a file, not a folder.", "give a new folder, e.g. --out out/NAME.")
    entries = set(os.listdir(out))
    if not entries:
        return out
    marker = read_marker(out)
    if marker is None:
        _refuse(out, f"is not empty and was not written by capsim (it holds {_few(entries)}); capsim never "
                     "replaces such a folder.", "give a new or empty folder, e.g. --out out/NAME.")
    files = set(marker.get("files", []))
    foreign = {e for e in entries - files - {MARKER} if not _own_temp(e, files)}
    if foreign:
        _refuse(out, f"was written by capsim but now also holds {_few(foreign)}, which capsim did not write.",
                "move those files out of the folder, or give another --out.")
    edited = [n for n in changed_files(out, marker) if (out / n).is_file()] \
        if keep_edits and marker.get("command") != "sweep" else []
    if edited:
        _refuse(out, f"holds {_few(edited)}, changed since capsim wrote it; capsim never replaces a changed file.",
                "move the changed files out of the folder, or give another --out.")
    same = marker.get("command") == command and marker.get("scenario", "") == str(scenario)
    if not (same or force):
        _refuse(out, f"holds the results of `capsim {marker.get('command')}` on {marker.get('scenario') or '?'}; "
                     f"`capsim {command}` would replace them.",
                f"give another --out, or add --force to replace them.")
    return out


def _refuse_unmakeable(out: Path) -> None:
    """A new folder only where it can be made: its nearest existing parent a folder capsim may
    write in (found now, before any work, not when the results are written)."""
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        _refuse(out, f"cannot be made: {parent} is a file, not a folder.", "give a new folder, e.g. --out out/NAME.")
    if not os.access(parent, os.W_OK | os.X_OK):
        _refuse(out, f"cannot be made: capsim may not write in {parent}.",
                "give a folder you can write in, e.g. --out out/NAME.")


def _refuse_protected(out: Path, real: Path, protect) -> None:
    """Never the root, home, the working directory or above it, nor a folder holding inputs."""
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if real == Path(real.anchor) or real == home:
        _refuse(out, "is the root or the home folder.", "give a new folder, e.g. --out out/NAME.")
    if real == cwd or real in cwd.parents:
        _refuse(out, "is the working directory or a folder above it.", "give a new folder, e.g. --out out/NAME.")
    for path in protect:
        path = Path(os.path.realpath(path))
        if real == path or real in path.parents:
            _refuse(out, f"holds an input of the scenario ({path.name}).",
                    "give a folder outside the scenario's and its tables' folders, e.g. --out out/NAME.")


def default_folder(name: str, command: str) -> Path:
    """``out/NAME`` for ``run``, ``out/NAME-COMMAND`` for the others, so that commands do not
    replace each other's results; ``NAME`` is the scenario's name made safe as one folder name
    (a name is a label: ``..`` or ``/abs/path`` never reach outside ``out/``)."""
    slug = re.sub(r"[^\w.-]+", "_", str(name)).strip("._-")[:80] or "scenario"
    return Path("out") / (slug if command == "run" else f"{slug}-{command}")


def scenario_paths(scenario) -> list[Path]:
    """The scenario file and every data table it names: no output folder may hold them."""
    paths = [Path(scenario.source)] if scenario.source else []
    data = scenario.data
    return paths + [Path(getattr(data, k)) for k in type(data).model_fields if getattr(data, k) is not None]


def _refuse(out: Path, message: str, fix: str):
    raise OutputError([Problem(f"--out {out}", message, None, fix)])


def _own_temp(entry: str, files: set) -> bool:
    """A file being written in place by capsim (``.NAME.PID.tmp``, NAME one of its files)."""
    parts = entry.split(".")
    return entry.startswith(".") and entry.endswith(".tmp") and ".".join(parts[1:-2]) in files


def _few(names, most: int = 5) -> str:
    names = sorted(names)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def read_marker(folder: Path) -> dict | None:
    """The marker of a folder capsim wrote (command, scenario, files, written), or None."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("tool") == "capsim" else None


def text_columns(tables: dict) -> dict:
    """CSV name -> its text columns, so that a reader knows an empty cell there is '' (not a
    missing number) and ``007`` is an id (not 7)."""
    return {f"{name}.csv": [c for c in frame.columns if _is_kind(frame[c], str)] for name, frame in tables.items()}


def flag_columns(tables: dict) -> dict:
    """CSV name -> its yes/no columns that may be unknown (True, False or None: written as
    ``True``, ``False`` or an empty cell), so that a reader gives None back, not NaN."""
    return {f"{name}.csv": [c for c in frame.columns if frame[c].dtype == object and _is_kind(frame[c], bool)]
            for name, frame in tables.items()}


def _is_kind(column: pd.Series, kind: type) -> bool:
    if column.dtype == object:
        values = column.dropna()
        return len(values) > 0 and all(isinstance(v, (kind, np.bool_) if kind is bool else kind) for v in values)
    return kind is str and pd.api.types.is_string_dtype(column)


COLUMN_KINDS = {"text_columns": text_columns, "flag_columns": flag_columns}


def _mark(folder: Path, command: str, scenario: str, files: list[str], kinds: dict | None = None) -> None:
    """The marker: who wrote the folder, its file names, a SHA-256 of each file written and the
    text and yes/no columns of each table (:data:`COLUMN_KINDS`)."""
    digests = {name: _digest(folder / name) for name in files if (folder / name).is_file()}
    record = {"tool": "capsim", "command": command, "scenario": str(scenario), "files": files,
              "sha256": digests, "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "pid": os.getpid(), **(kinds or {})}
    (folder / MARKER).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def changed_files(folder, marker: dict) -> list[str]:
    """The files of ``folder`` that are missing or differ from what capsim wrote there."""
    folder = Path(folder)
    return [name for name, digest in marker.get("sha256", {}).items()
            if not (folder / name).is_file() or _digest(folder / name) != digest]


def mark_folder(folder, command: str, scenario: str = "", files=()) -> None:
    """Write the marker of a folder capsim fills in place (a sweep's), listing what is in it
    and the ``files`` it will write there."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _mark(folder, command, scenario, sorted((set(os.listdir(folder)) | set(files)) - {MARKER}))


def write_atomic(path: Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write one file in place, whole or not at all (a file beside it, synced, then renamed over it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode(encoding))
            f.flush()
            os.fsync(f.fileno())            # on disk before the rename, so a crash leaves old or new
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_folder(out_dir: Path, kind: str) -> Path:
    """A new folder beside ``out_dir`` named for this process (``os.mkdir``: the umask holds)."""
    path = out_dir.parent / f".{out_dir.name}.{kind}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    os.mkdir(path)
    return path


def swap_in(tmp: Path, out_dir: Path) -> None:
    """Put ``tmp`` at ``out_dir``: an atomic exchange where the system has one, else two renames."""
    if not out_dir.exists():
        os.replace(tmp, out_dir)
        return
    if _exchange(tmp, out_dir):
        shutil.rmtree(tmp, ignore_errors=True)      # tmp now holds the old results
        return
    old = _new_folder(out_dir, _OLD)
    os.rmdir(old)
    os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def _clean_leftovers(out_dir: Path) -> None:
    """Remove what killed runs left beside ``out_dir``: temporary folders of dead processes, and
    old results (put back at ``out_dir`` if a kill struck between the two renames)."""
    prefix = f".{out_dir.name}."
    for path in out_dir.parent.glob(f"{prefix}*"):
        kind, _, rest = path.name[len(prefix):].partition(".")
        pid = rest.partition(".")[0]
        if kind not in (_TEMP, _OLD) or not pid.isdigit() or _alive(int(pid)) or not path.is_dir():
            continue
        if kind == _OLD and not out_dir.exists() and read_marker(path) is not None:
            os.replace(path, out_dir)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
