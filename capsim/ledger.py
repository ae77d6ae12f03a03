"""The ledger (台账) of oversized classes and schools, and the year each is cleared (销号).

Chinese plans keep a ledger of every oversized class and school and close its items one by
one. Here an item is one school's level and kind of excess in the base year:

- ``超标准班额`` classes above the standard class size, ``大班额`` classes of 56 and more (the
  lower band, ``standards.bands``), ``超大班额`` 66 and more; counted over the level's grades;
- ``大校额`` the school above its type's maximum size.

For each item the ledger gives its count in the base year, the year from which it stays at
zero (cleared) without the plan and with it, and where it is not cleared with the plan, why:
the plan names a shortfall of the level in the school's region that year (with its cause), or
it names none and the school keeps pupils above its lawful seats (without
``standards.disperse`` each school keeps its own share of the region's pupils).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = {"oversized_classes": "超标准班额 above standard", "classes_56_plus": "大班额 56+",
         "classes_66_plus": "超大班额 66+", "oversized_school": "大校额 oversized school"}
COLUMNS = ["school", "name", "region", "level", "item", "base_year", "count", "cleared_without_plan",
           "cleared_with_plan", "verdict"]


def counts(grades: pd.DataFrame | None, schools: pd.DataFrame | None) -> pd.DataFrame:
    """year, school, level, kind, count: each school's excess per level and year."""
    parts = []
    if grades is not None and len(grades):
        g = grades.assign(classes_56_plus=grades.classes_56_65 + grades.classes_66_plus)
        per = g.groupby(["year", "school", "level"], as_index=False)[
            ["oversized_classes", "classes_56_plus", "classes_66_plus"]].sum()
        parts.append(per.melt(id_vars=["year", "school", "level"], var_name="kind", value_name="count"))
    if schools is not None and len(schools):
        s = schools.assign(level=schools.type, kind="oversized_school", count=schools.oversized.astype(float))
        parts.append(s[["year", "school", "level", "kind", "count"]])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["year", "school", "level", "kind",
                                                                                    "count"])


def cleared_year(table: pd.DataFrame) -> pd.Series:
    """Per (school, level, kind): the first year from which the count stays 0 (NaN if never)."""
    t = table.sort_values("year")
    last_bad = t[t["count"] > 0].groupby(["school", "level", "kind"]).year.max()
    years = t.groupby(["school", "level", "kind"]).year.agg(["min", "max"])
    after = last_bad.reindex(years.index)
    cleared = np.where(after.isna(), years["min"], after + 1)
    return pd.Series(np.where(cleared > years["max"], np.nan, cleared), index=years.index)


def ledger(res) -> pd.DataFrame:
    """The ledger of a ``capsim.run`` result (see the module docstring); empty without a school list."""
    before = counts(res.assessment_before.grades, res.assessment_before.schools)
    if before.empty:
        return pd.DataFrame(columns=COLUMNS)
    base_year = int(before.year.min())
    items = before[(before.year == base_year) & (before["count"] > 0)].set_index(["school", "level", "kind"])
    out = items[["count"]].assign(base_year=base_year, cleared_without_plan=cleared_year(before).reindex(items.index))
    if res.plan is not None and res.assessment_after is not None:
        after = counts(res.assessment_after.grades, res.assessment_after.schools)
        out["cleared_with_plan"] = cleared_year(after).reindex(out.index)
    else:
        out["cleared_with_plan"] = np.nan
    out = out.reset_index()
    names = res.assessment_before.schools.drop_duplicates("school").set_index("school")[["name", "region"]]
    out = out.join(names, on="school")
    out["item"] = out.kind.map(KINDS)
    out["verdict"] = [_verdict(row, res) for row in out.itertuples()]
    out = out.astype({"count": int, "cleared_without_plan": "Int64", "cleared_with_plan": "Int64"})  # blank: never
    return out[COLUMNS].sort_values(["region", "school", "level", "item"], ignore_index=True)


def _verdict(row, res) -> str:
    with_plan = res.plan is not None
    cleared = row.cleared_with_plan if with_plan else row.cleared_without_plan
    if not pd.isna(cleared):
        return f"销号 cleared in {cleared:.0f}"
    end = int(res.assessment.year.max())
    if not with_plan:
        return f"not cleared by {end} (no plan)"
    short = res.shortfalls
    named = short[(short.region == row.region) & (short.level == row.level)] if len(short) else short
    if len(named):
        causes = ", ".join(sorted(set(named.cause)))
        return f"not cleared by {end}: the plan leaves {row.level} short in {row.region} ({causes})"
    return (f"not cleared by {end}: the plan names no shortfall there; the school keeps pupils above its lawful "
            "seats (standards.disperse moves them to schools with room)")
