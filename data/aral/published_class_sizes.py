"""Write the school list at the published class sizes: data/aral/schools_published_classes.csv and
school_grades_published_classes.csv (the `published_class_sizes` variant of scenarios/aral.toml).

Usage: python data/aral/published_class_sizes.py

The shipped list (schools.csv, school_grades.csv) is an estimate. For each level with a published
base-year figure in published.csv (the 1st Division's pupils per class, 2019), the level's classes
are set to its listed pupils over that figure, ``C = round(sum pupils / published)``: from the
listed classes, a class at a time added where classes are fullest, or taken where they are
emptiest (where the published average is lower, the list's most crowded classes are what it
overstates; where higher, its roomiest); each school's classrooms change by its classes' change.
Pupils are unchanged. Nothing here reads a run's result: only the estimate and the published figure.
"""
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def scaled_classes(classes: np.ndarray, pupils: np.ndarray, total: int) -> np.ndarray:
    """``total`` whole classes over the rows, from their listed ``classes``: a class at a time added
    to the row whose classes are fullest, or taken from the row whose classes are emptiest (never
    a row's last class while it has pupils)."""
    out = classes.astype(int).copy()
    while out.sum() != total:
        per_class = pupils / np.maximum(out, 1)
        if out.sum() < total:
            out[np.argmax(per_class)] += 1
        elif (out > 1).any():
            out[np.argmin(np.where(out > 1, per_class, np.inf))] -= 1
        else:
            raise ValueError(f"{total} classes cannot hold rows that each keep one")
    return out


def main(out: Path = HERE) -> None:
    schools = pd.read_csv(HERE / "schools.csv", dtype={"seats": str, "opened": str, "closed": str},
                          keep_default_na=False)
    grades = pd.read_csv(HERE / "school_grades.csv")
    published = pd.read_csv(HERE / "published.csv")
    per_class = published[published.figure == "students_per_class"].set_index("level").value
    new = grades.classes.to_numpy().copy()
    for level, figure in per_class.items():
        at = np.flatnonzero(grades.level.to_numpy() == level)
        total = int(round(grades.students.iloc[at].sum() / figure))
        new[at] = scaled_classes(grades.classes.iloc[at].to_numpy(float), grades.students.iloc[at].to_numpy(), total)
    change = (grades.assign(change=new - grades.classes).groupby("school").change.sum()
              .reindex(schools.id).fillna(0).astype(int).to_numpy())
    schools["classes"] = schools.classes.astype(int) + change
    schools.to_csv(out / "schools_published_classes.csv", index=False)
    grades.assign(classes=new).to_csv(out / "school_grades_published_classes.csv", index=False)


if __name__ == "__main__":
    main()
