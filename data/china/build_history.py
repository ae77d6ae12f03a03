"""Rebuild history.csv from the project's reference data (see SOURCES.md here).

Usage: python data/china/build_history.py [REFERENCE_DIR]
REFERENCE_DIR holds china_education_series/ and cn_data.csv; default: ../shared/reference
beside the repository.
"""

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parents[2] / "shared" / "reference"

REVISED_IN = 2021  # NBS published the post-census revision of births on 2021-05-17
NATIONAL = {  # capsim series <- indicator of cn_national_series.csv (preferred rows)
    "births": "births",
    "births_revised": "births_revised_post_census2020",
    "kindergarten_intake": "kindergarten_entrants",
    "kindergarten_enrolment": "kindergarten_enrolment",
    "primary_intake": "primary_entrants",
    "primary_enrolment": "primary_enrolment",
    "junior_intake": "junior_entrants",
    "junior_enrolment": "junior_enrolment",
    "senior_intake": "senior_general_entrants",
    "senior_enrolment": "senior_general_enrolment",
}
KUNMING = {  # capsim series <- indicator of cn_data.csv (persons only)
    "births": "births",
    "primary_enrolment": "primary enrolment",
    "primary_intake": "primary intake",
    "junior_enrolment": "junior enrolment",
    "junior_intake": "junior intake",
    "senior_enrolment": "general senior high enrolment",
    "senior_intake": "general senior high intake",
}


def national() -> pd.DataFrame:
    d = pd.read_csv(REF / "china_education_series" / "cn_national_series.csv")
    d = d[d.preferred == "yes"]
    rows = []
    for series, indicator in NATIONAL.items():
        part = d[d.indicator == indicator]
        rows.append(pd.DataFrame({"area": "china", "series": series, "year": part.year, "value": part.value,
                                  "published": REVISED_IN if series == "births_revised" else part.year,
                                  "source": part.source, "confidence": part.confidence}))
    return pd.concat(rows)


def kunming() -> pd.DataFrame:
    d = pd.read_csv(REF / "cn_data.csv")
    d = d[d.place.str.startswith("Kunming") & (d.unit == "persons")]
    rows = []
    for series, indicator in KUNMING.items():
        part = d[d.indicator == indicator].drop_duplicates("year")
        rows.append(pd.DataFrame({"area": "kunming", "series": series, "year": part.year, "value": part.value,
                                  "published": part.year,
                                  "source": part.source.str.slice(0, 120), "confidence": "see source"}))
    return pd.concat(rows)


if __name__ == "__main__":
    table = pd.concat([national(), kunming()]).sort_values(["area", "series", "year"])
    table["year"] = table.year.astype(int)
    table["published"] = table.published.astype(int)
    table.to_csv(OUT / "history.csv", index=False)
    print(table.groupby(["area", "series"]).year.agg(["min", "max", "count"]))
