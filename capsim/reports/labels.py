"""Words and numbers as a report shows them: Chinese first with English beside it, region names
as the regions table gives them, people without decimals, years as years, money in 万元/亿元
for a Chinese scenario (million yuan otherwise)."""

from __future__ import annotations

import math

import pandas as pd

LEVEL_NAMES = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "senior": "高中"}
# school types and project kinds, shown as "九年一贯制 nine_year", "扩建 expansion"
WORDS = {**LEVEL_NAMES, "nine_year": "九年一贯制", "twelve_year": "十二年一贯制", "complete_middle": "完全中学",
         "new": "新建", "expansion": "扩建", "temporary": "临时教室"}

# English term -> Chinese; ``bi(term)`` gives "中文 English".
TERMS = {
    "district": "区域", "level": "学段", "year": "年份", "stage": "阶段", "before": "规划前", "after": "规划后",
    "school": "学校", "name": "名称", "type": "类型", "shortage": "学位缺口", "surplus": "富余学位",
    "oversized classes": "大班额", "students": "学生", "seats": "学位", "cost": "投资", "projects": "项目",
    "summary": "概要", "schedule": "项目安排", "shortfalls": "未解决缺口", "spending": "年度投资",
    "assessment": "评估", "schools": "学校", "districts": "区域", "columns": "字段说明",
    "seats by grade": "分年级学位", "catchments": "学区",
}


def bi(term: str) -> str:
    """E.g. ``bi("district")`` -> "区域 district"."""
    zh = TERMS.get(term, "")
    return f"{zh} {term}".strip()


def level_label(level: str) -> str:
    """E.g. "小学 primary"."""
    return f"{LEVEL_NAMES.get(level, '')} {level}".strip()


def word(value) -> str:
    """A school type or project kind with its Chinese name first (the value itself when unknown)."""
    zh = WORDS.get(value, "") if isinstance(value, str) else ""
    return f"{zh} {value}".strip() if zh else ("" if value is None or pd.isna(value) else str(value))


def region_label(region, names: dict) -> str:
    """The region's name from the regions table (its id when the table gives none)."""
    name = names.get(region, names.get(str(region)))
    return str(name) if isinstance(name, str) and name.strip() else str(region)


def is_chinese(names: dict) -> bool:
    """A scenario is Chinese when a region's name holds a CJK character."""
    return any(any("\u4e00" <= ch <= "\u9fff" for ch in str(n)) for n in names.values())


def people(value) -> str:
    """Persons, seats and classes: thousands separated, no decimals; "—" for unknown."""
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def year(value) -> str:
    """A calendar year as written (2020, never 2,020); "" for none."""
    return "" if value is None or pd.isna(value) else str(int(value))


def money(yuan: float, chinese: bool) -> str:
    """Money as a director reads it: 亿元 from 100 million, else 万元 (Chinese); million yuan otherwise."""
    if yuan is None or pd.isna(yuan):
        return "—"
    if not chinese:
        return f"{yuan / 1e6:,.1f} million yuan"
    if abs(yuan) >= 1e8:
        return f"{yuan / 1e8:,.2f} 亿元"
    return f"{yuan / 1e4:,.0f} 万元"


def span(first, last) -> str:
    """"2026–2033", "2026" for one year, "" for none."""
    if first is None or pd.isna(first):
        return ""
    return year(first) if int(first) == int(last) else f"{year(first)}–{year(last)}"


def median_quantile(students: pd.DataFrame) -> float:
    """The forecast quantile nearest the median (0.5 when the run has it)."""
    return min(students["quantile"].unique(), key=lambda q: abs(q - 0.5))


def region_names(regions: pd.DataFrame | None) -> dict:
    """Region id -> name, from a run's ``regions`` table (empty without one)."""
    if regions is None or not {"region", "name"} <= set(regions.columns):
        return {}
    return {r: n for r, n in zip(regions.region, regions.name) if isinstance(n, str) and n.strip()}
