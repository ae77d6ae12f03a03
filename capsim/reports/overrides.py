"""What a scenario file's named overrides do, for ``capsim validate --list``: each override's
name, the file that defines it, the comment beside its table headers and the keys it sets."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

_HEADER = re.compile(r"^\s*\[\s*overrides\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+)*)\s*\]\s*(?:#\s*(.*))?$")


def describe_overrides(path) -> list[dict]:
    """One dict per override of ``path`` and its ``extends`` chain (the file's own last):
    name, file, description (the comments beside its headers, joined) and keys (dotted paths
    with their values). A file that cannot be read is skipped: ``validate`` names the problem."""
    out: dict[str, dict] = {}
    for file in _chain(Path(path)):
        text = file.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        notes = _notes(text)
        for name, table in raw.get("overrides", {}).items():
            if isinstance(table, dict):
                out[name] = {"name": name, "file": file.name, "description": "; ".join(notes.get(name, [])),
                             "keys": dict(_flatten(table))}
    return list(out.values())


def _notes(text: str) -> dict[str, list[str]]:
    """Override name -> the comment beside each of its table headers, with the comments beside
    the keys right below it that continue it (until a line without a comment); a header without
    a comment takes the comment lines right above it."""
    notes: dict[str, list[str]] = {}
    name, above = None, []
    for line in text.splitlines():
        m = _HEADER.match(line)
        code, _, comment = line.partition("#")
        if m:
            name, note = m.group(1), (m.group(3) or " ".join(above)).strip()
            if note:
                notes.setdefault(name, []).append(note)
            name = name if m.group(3) else None
        elif name and comment and code.strip():
            notes[name][-1] += " " + comment.strip()
        else:
            name = None
        above = above + [comment.strip()] if comment and not code.strip() and not m else []
    return notes


def overrides_text(path) -> str:
    """The list as ``capsim validate --list`` prints it."""
    if not Path(path).is_file():
        from capsim.errors import Problem, ScenarioError

        raise ScenarioError([Problem(str(path), "scenario file not found.", str(path), "check the path and spelling.")])
    items = describe_overrides(path)
    if not items:
        return f"{path}: no named overrides ([overrides.NAME] tables)."
    lines = [f"{path}: {len(items)} named override(s); switch one on with --use NAME"]
    for item in items:
        lines.append(f"  {item['name']}" + (f"  ({item['file']})" if item["file"] != Path(path).name else ""))
        if item["description"]:
            lines.append(f"      {item['description']}")
        lines += [f"      sets {key} = {value!r}" for key, value in item["keys"].items()]
    return "\n".join(lines)


def _chain(path: Path) -> list[Path]:
    """``path`` after its ``extends`` ancestors, oldest first (stops at a loop or a missing file)."""
    files: list[Path] = []
    while path.is_file() and path.resolve() not in [f.resolve() for f in files]:
        files.insert(0, path)
        try:
            parent = tomllib.loads(path.read_text(encoding="utf-8")).get("extends")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            break
        if not isinstance(parent, str):
            break
        path = path.parent / parent
    return files


def _flatten(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict) and value and not all(str(k).isdigit() for k in value):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
