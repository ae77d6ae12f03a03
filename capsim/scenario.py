"""Scenario files: TOML with ``extends``, named ``[overrides.NAME]``, and ``--set``.

Priority, lowest first: schema defaults < the ``extends`` chain (the farthest ancestor first)
< this file < overrides in the order given by ``use`` < ``set``. Two overrides that set the
same key are an error, and so are cycles in ``extends`` and unknown override names. Relative
paths under ``[data]`` are taken relative to the file (or, for ``--set``, the working
directory) that wrote them. Every problem is collected and raised at once as a
:class:`~capsim.errors.ScenarioError` naming the file, the key, the value and the fix.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path

import pydantic

from capsim.errors import Problems, ScenarioError
from capsim.schema import Scenario

OVERRIDES = "overrides"
ROOT_MARKER = ".capsim-root"


def load_scenario(path, use=(), set=None, data_roots=()) -> Scenario:  # noqa: A002 - pinned API name
    """Read, merge and validate a scenario (see the module docstring).

    ``use`` names overrides to switch on, in order; ``set`` maps ``"key.path"`` to a value
    (a string is parsed as a TOML value when it is one, so ``"3e9"`` is a number). Every file
    the scenario files name (``extends``, ``[data]``) must lie inside the scenario's folder
    tree (:func:`scenario_tree`) or one of ``data_roots``; paths given in ``set`` are the
    caller's own and may lie anywhere.
    """
    problems = Problems()
    path = Path(path)
    roots = [scenario_tree(path)] + [Path(r).resolve() for r in data_roots]
    merged, origin, overrides = _read_chain(path, problems, seen=(), roots=roots)
    problems.raise_if_any(ScenarioError)
    _apply_overrides(merged, origin, overrides, list(use), problems)
    for key, raw in (set or {}).items():
        value = parse_value(raw) if isinstance(raw, str) else raw
        if key.split(".")[0] == "data" and isinstance(value, str):
            value = str(Path(value).resolve())
        _assign(merged, origin, key.split("."), value, "--set", problems)
    problems.raise_if_any(ScenarioError)
    merged["source"] = str(path)
    try:
        scenario = Scenario.model_validate(merged)
    except pydantic.ValidationError as exc:
        raise ScenarioError(_explain(exc, origin, str(path))) from None
    cross_checks(scenario, origin).raise_if_any(ScenarioError)
    return scenario


def without_plan(scenario: Scenario) -> str:
    """What a scenario's forecast and assessment depend on: the scenario but its ``[plan]``
    section (scenarios alike here may share one forecast and assessment)."""
    return json.dumps(scenario.model_dump(mode="json", exclude={"plan"}), sort_keys=True, default=str)


def cross_checks(scenario: Scenario, origin: dict) -> Problems:
    """Rules spanning several keys; each problem names the key to change."""
    problems = Problems()
    step, open_age = scenario.demography.step, scenario.demography.open_age

    def where(key):
        return f"{origin.get(key, scenario.source)}: {key}"

    if scenario.end_year <= scenario.base_year:
        problems.add(where("end_year"), f"end_year {scenario.end_year} must come after base_year "
                     f"{scenario.base_year}.", scenario.end_year, f"set end_year to a year after {scenario.base_year}.")
    elif (scenario.end_year - scenario.base_year) % step:
        problems.add(where("end_year"), f"end_year - base_year = {scenario.end_year - scenario.base_year} is "
                     f"not a multiple of demography.step = {step}.", scenario.end_year,
                     f"choose an end_year that is base_year plus a multiple of {step}.")
    first = scenario.plan.first_year
    if first is not None and not scenario.base_year < first <= scenario.end_year:
        problems.add(where("plan.first_year"), f"must fall after base_year {scenario.base_year} and by end_year "
                     f"{scenario.end_year}.", first, f"choose a year from {scenario.base_year + 1} to {scenario.end_year}.")
    std = scenario.standards
    if std.teacher_review_from is not None and std.teacher_review_years is None:
        problems.add(where("standards.teacher_review_from"), "is the first year posts are re-set, but "
                     "standards.teacher_review_years does not say how often.", std.teacher_review_from,
                     "set standards.teacher_review_years (e.g. 3), or leave teacher_review_from out.")
    elif std.teacher_review_from is not None and not scenario.base_year <= std.teacher_review_from <= scenario.end_year:
        problems.add(where("standards.teacher_review_from"), f"must fall from base_year {scenario.base_year} to "
                     f"end_year {scenario.end_year}, or no year has posts.", std.teacher_review_from,
                     f"choose a year from {scenario.base_year} to {scenario.end_year}.")
    if open_age % step:
        problems.add(where("demography.open_age"), f"open_age {open_age} is not a multiple of step {step}.",
                     open_age, f"use a multiple of {step}, e.g. {open_age - open_age % step}.")
    return problems


def parse_value(text: str):
    """``"3e9"`` -> 3e9, ``"true"`` -> True, ``"[1, 2]"`` -> [1, 2]; anything else stays text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def scenario_tree(path) -> Path:
    """The folder whose tree a scenario may read from: the nearest folder at or above the
    scenario file that holds a ``.capsim-root`` file (a project's root, e.g. this repository's,
    where ``scenarios/`` and ``data/`` sit side by side), else the scenario file's own folder.
    A scenario received from elsewhere thus reads only what lies beside or below it."""
    folder = Path(path).resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ROOT_MARKER).is_file():
            return candidate
    return folder


def _outside(path: Path, roots) -> bool:
    path = path.resolve()
    return not any(path == root or root in path.parents for root in roots)


def _outside_problem(problems: Problems, where: str, value, roots) -> None:
    problems.add(where, f"lies outside the scenario's folder tree ({roots[0]}); capsim reads no file outside it.",
                 str(value), f"move the file inside {roots[0]}, put an empty {ROOT_MARKER} file in a folder above "
                             "both, or name its folder with --data-root DIR.")


def _read_chain(path: Path, problems: Problems, seen: tuple, referrer: str | None = None, roots=()):
    """Merge ``path`` over its ``extends`` ancestors; returns (dict, key origins, overrides)."""
    where = str(path)
    if referrer is not None and _outside(path, roots):
        _outside_problem(problems, f"{referrer}: extends", path, roots)
        return {}, {}, {}
    if path.resolve() in seen:
        chain = " -> ".join(str(p) for p in seen + (path.resolve(),))
        problems.add(where, "the 'extends' chain loops back on itself.", chain,
                     "remove 'extends' from one of these files.")
        return {}, {}, {}
    if not path.is_file():
        at = f"{referrer}: extends" if referrer else where
        problems.add(at, "scenario file not found.", str(path), "check the path and spelling.")
        return {}, {}, {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.add(where, f"is not valid TOML: {exc}.", fix="correct the syntax at that line.")
        return {}, {}, {}
    merged, origin, overrides = {}, {}, {}
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            problems.add(f"{where}: extends", "must be a path to another scenario.", parent,
                         'write extends = "other.toml".')
        else:
            merged, origin, overrides = _read_chain(path.parent / parent, problems, seen + (path.resolve(),),
                                                   referrer=where, roots=roots)
    for name, table in raw.pop(OVERRIDES, {}).items():
        if not isinstance(table, dict):
            problems.add(f"{where}: {OVERRIDES}.{name}", "must be a table of keys to set.", table,
                         f"write [{OVERRIDES}.{name}] followed by key = value lines.")
            continue
        overrides[name] = (where, _absolute_data_paths(table, path.parent, f"{where}: {OVERRIDES}.{name}.data",
                                                       roots, problems))
    _merge(merged, origin, _absolute_data_paths(raw, path.parent, f"{where}: data", roots, problems), where)
    return merged, origin, overrides


def _absolute_data_paths(table: dict, folder: Path, where: str, roots, problems: Problems) -> dict:
    """``table`` with its ``data`` paths made absolute (relative to ``folder``); a path outside
    ``roots`` is a problem."""
    data = table.get("data")
    if isinstance(data, dict):
        resolved = {k: (folder / v).resolve() if isinstance(v, str) else v for k, v in data.items()}
        for key, value in resolved.items():
            if isinstance(value, Path) and _outside(value, roots):
                _outside_problem(problems, f"{where}.{key}", data[key], roots)
        table = dict(table, data={k: str(v) if isinstance(v, Path) else v for k, v in resolved.items()})
    return table


def _merge(into: dict, origin: dict, new: dict, where: str, prefix=()) -> list[tuple]:
    """Deep-merge ``new`` into ``into``; record each leaf's file; return the leaf keys set."""
    leaves = []
    for key, value in new.items():
        keys = prefix + (key,)
        if isinstance(value, dict) and isinstance(into.get(key), dict) and not _is_year_path(value):
            leaves += _merge(into[key], origin, value, where, keys)
        else:
            into[key] = value
            origin[".".join(keys)] = where
            leaves.append(keys)
    return leaves


def _is_year_path(value: dict) -> bool:
    return bool(value) and all(str(k).isdigit() for k in value)


def _apply_overrides(merged, origin, overrides, use, problems: Problems):
    setter: dict[tuple, str] = {}
    for name in use:
        if name not in overrides:
            close = difflib.get_close_matches(name, overrides, n=1)
            problems.add(f"--use {name}", "no override of that name.", name,
                         f"use one of {sorted(overrides)}" + (f" (did you mean '{close[0]}'?)" if close else "") + ".")
            continue
        where, table = overrides[name]
        for keys in _merge(merged, origin, table, f"{where} [{OVERRIDES}.{name}]"):
            if keys in setter:
                problems.add(f"{where}: {OVERRIDES}.{name}", f"sets '{'.'.join(keys)}', which override "
                             f"'{setter[keys]}' also sets.", None, "switch on only one of them, or "
                             "move the shared key into a third override.")
            setter[keys] = name


def _assign(merged, origin, keys, value, where, problems: Problems):
    node = merged
    for k in keys[:-1]:
        nxt = node.setdefault(k, {})
        if not isinstance(nxt, dict):
            problems.add(f"{where} {'.'.join(keys)}", f"'{k}' holds a value, not a table.", nxt,
                         "set a key that exists in the schema.")
            return
        node = nxt
    node[keys[-1]] = value
    origin[".".join(keys)] = where


def _explain(exc: pydantic.ValidationError, origin: dict, default_file: str):
    """Turn pydantic's errors into problems naming file, key, value and fix (one per key: of
    the alternatives of a union, such as a number or a {year = number} table, the error that
    is not about the value's type)."""
    from capsim.errors import Problem

    errors = [(err, [str(p) for p in err["loc"] if not _is_type_tag(str(p))]) for err in exc.errors()]
    problems = []
    for err, loc in errors:
        key = ".".join(loc)
        if _is_type_error(err) and any(not _is_type_error(e) and ".".join(other + [""]).startswith(key + ".")
                                       for e, other in errors if e is not err):
            continue
        where = _origin_of(loc, origin, default_file)
        fix = _fix_for(err, loc)
        value = err.get("input") if err["type"] != "missing" else None
        message = err["msg"].removeprefix("Value error, ")
        problem = Problem(f"{where}: {key or '(top level)'}", message + ".", value, fix)
        if problem.where not in [p.where for p in problems] or not _is_type_error(err):
            problems.append(problem)
    return _one_per_key(problems)


def _is_type_tag(part: str) -> bool:
    """pydantic's name for a member of a union (``dict[int,constrained-float]``), not a key."""
    return "[" in part or "-" in part or part in {"int", "float", "str", "bool", "dict", "list", "tuple"}


def _is_type_error(err) -> bool:
    return err["type"].endswith(("_type", "_parsing")) or err["type"] in {"dict_type", "tuple_type"}


def _one_per_key(problems):
    """Where one key got several messages (one per member of a union), keep the first."""
    seen, out = set(), []
    for p in problems:
        if p.where not in seen:
            out.append(p)
            seen.add(p.where)
    return out


def _origin_of(loc, origin, default_file):
    for n in range(len(loc), 0, -1):
        found = origin.get(".".join(loc[:n]))
        if found:
            return found
    return default_file


def _fix_for(err, loc) -> str:
    model, field = _field_info(loc)
    if err["type"] == "extra_forbidden":
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{hint}remove the key or use one of: {', '.join(allowed)}."
    if err["type"] == "missing":
        return f"add it: {field.description}." if field and field.description else "add it."
    if field is not None and field.description:
        return f"expected {field.description}."
    return ""


def _field_info(loc):
    """The model holding ``loc[-1]`` and that field's info (None where not found)."""
    model, field = Scenario, None
    for i, part in enumerate(loc):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return model, field
        field = fields[part]
        if i == len(loc) - 1:
            return model, field
        nxt = _model_of(field.annotation)
        if nxt is None:
            return model, field
        model = nxt
    return model, field


def _model_of(annotation):
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, pydantic.BaseModel):
            return arg
    return None


def scenario_to_toml(scenario: Scenario, relative_to: Path) -> str:
    """The resolved scenario as TOML, with data paths relative to ``relative_to``."""
    import os

    import tomli_w

    data = scenario.model_dump(mode="json", exclude_none=True)
    data["data"] = {k: os.path.relpath(v, relative_to) for k, v in data["data"].items()}
    edu = data["education"]
    for level, spec in edu.items():
        if isinstance(spec, dict) and isinstance(spec.get("rate"), dict):
            spec["rate"] = {str(k): v for k, v in spec["rate"].items()}
    header = f"# Resolved scenario, read from {Path(scenario.source).name}: run it again with capsim.\n"
    return header + tomli_w.dumps(data)
