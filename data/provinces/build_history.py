"""Build history.csv for Yunnan and Shandong from NBS provincial annual data (see SOURCES.md).

Usage: python data/provinces/build_history.py SOURCE_DIR
SOURCE_DIR is the folder 源数据 of the repository 3112944976/National-Visualization-Web-Application
at commit 2e3008c519da42d6666213a07f73b9eca7dc8ef0 (NBS 分省年度数据 as downloaded in 2021).
"""

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent
PROVINCES = {530000: "yunnan", 370000: "shandong"}
SCHOOLS = {  # file -> {capsim series: column (万人)}
    "教育/普通小学基本情况.csv": {"primary_intake": "普通小学招生数(万人)", "primary_enrolment": "普通小学在校学生数(万人)"},
    "教育/初中基本情况.csv": {"junior_intake": "初中招生数(万人)", "junior_enrolment": "初中在校学生数(万人)"},
    "教育/普通高中基本情况.csv": {"senior_intake": "普通高中招生数(万人)", "senior_enrolment": "普通高中在校学生数(万人)"},
}
SOURCE = "NBS 分省年度数据 {} (3112944976/National-Visualization-Web-Application@2e3008c)"


def read(base: Path, name: str) -> pd.DataFrame:
    raw = (base / "国家统计局分省年度数据" / name).read_bytes()
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    from io import StringIO

    d = pd.read_csv(StringIO(text))
    d = d[d.iloc[:, 0].isin(PROVINCES)]
    return d.assign(area=d.iloc[:, 0].map(PROVINCES), year=d.iloc[:, 2].astype(int))


def schools(base: Path) -> pd.DataFrame:
    rows = []
    for name, columns in SCHOOLS.items():
        d = read(base, name)
        for series, column in columns.items():
            part = d.dropna(subset=[column])
            rows.append(pd.DataFrame({"area": part.area, "series": series, "year": part.year,
                                      "value": (part[column] * 10_000).round().astype(int),
                                      "source": SOURCE.format(Path(name).stem + " " + column),
                                      "confidence": "high"}))
    return pd.concat(rows)


def births(base: Path) -> pd.DataFrame:
    """Births = birth rate (per mille) x mean of the year-end resident population of the year and
    the year before (the year-end population alone for 2000): NBS's own definition of the rate."""
    rate = read(base, "人口/人口出生率、死亡率和自然增长率.csv")
    pop = read(base, "人口/总人口.csv")
    rate = rate.set_index(["area", "year"]).iloc[:, 3]          # 人口出生率(‰)
    pop = pop.set_index(["area", "year"]).iloc[:, 3] * 10_000  # 年末常住人口(万人)
    before = pop.rename(lambda y: y + 1, level=1)
    mean = ((pop + before.reindex(pop.index)) / 2).fillna(pop)
    value = (rate / 1000 * mean.reindex(rate.index)).dropna().round().astype(int)
    return pd.DataFrame({"area": value.index.get_level_values(0), "series": "births",
                         "year": value.index.get_level_values(1), "value": value.to_numpy(),
                         "source": SOURCE.format("人口出生率 x 年末常住人口 (derived)"), "confidence": "derived"})


def main(base: Path) -> None:
    frame = pd.concat([births(base), schools(base)])
    frame["published"] = frame.year
    frame = frame.sort_values(["area", "series", "year"])
    cols = ["area", "series", "year", "value", "published", "source", "confidence"]
    frame[cols].to_csv(OUT / "history.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
