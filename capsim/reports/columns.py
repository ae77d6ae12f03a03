"""Every column a report shows: its Chinese and English heading, what it means, how it is
formatted. The page's tables and the workbook take their headings and number formats from
here, and the workbook's 字段说明 columns sheet lists it."""

from __future__ import annotations

# column -> (中文, meaning, kind); kind: text, year, whole (a count as is), people (whole persons/seats/classes),
# number (decimals), share (0–1 shown as %), yuan (money), seconds.
COLUMNS = {
    "stage": ("阶段", "before = the schools as they stand; after = with the plan's projects (the worst and "
                     "districts tables: over the plan's years, which start after the base year)", "text"),
    "year": ("年份", "school year starting in September of this year", "year"),
    "region": ("区域", "district, named as the regions table names it", "text"),
    "level": ("学段", "kindergarten 幼儿园, primary 小学, junior 初中, senior 高中", "text"),
    "grade": ("年级", "grade within the level", "whole"),
    "quantile": ("分位数", "forecast quantile (0.5 = median)", "number"),
    "students": ("学生数", "pupils (the assessed forecast quantile)", "people"),
    "placed": ("已安置", "pupils with a seat at a school", "people"),
    "unplaced": ("未安置", "pupils without a seat at any school of the district", "people"),
    "seats": ("学位", "rated seats", "people"),
    "lawful_seats": ("标准学位", "seats in classes of the standard size", "people"),
    "gap": ("学位差", "lawful seats − students (negative is a shortage)", "people"),
    "shortage": ("学位缺口", "students above lawful seats (0 when there is room)", "people"),
    "surplus": ("富余学位", "lawful seats above students (0 when short)", "people"),
    "utilisation": ("使用率", "students ÷ seats", "share"),
    "classes_available": ("现有班级", "classrooms available", "people"),
    "classes_needed": ("所需班级", "classes needed at the standard size", "people"),
    "oversized_classes": ("大班额", "classes above the standard size", "people"),
    "classes_56_65": ("56–65人班", "classes of 56–65 pupils (大班额)", "people"),
    "classes_66_plus": ("66人以上班", "classes of 66 or more pupils (超大班额)", "people"),
    "oversized_schools": ("超规模学校", "schools above their type's maximum size", "people"),
    "teachers_needed": ("所需教师", "teachers needed at the scenario's ratios (the larger of the pupil and the "
                                   "class ratio where a level has both)", "people"),
    "teacher_posts": ("核定编制", "teaching posts held: each review year's need until the next "
                               "(standards.teacher_review_years; empty without reviews)", "people"),
    "places_per_1000": ("千人学位", "seats per 1,000 residents", "number"),
    "gross_enrolment_ratio": ("毛入学率", "pupils ÷ children of the level's ages", "share"),
    "public_placed": ("公办在读", "pupils placed at public schools (公办; with the schools table's ownership "
                                 "column, else empty)", "people"),
    "inclusive_placed": ("普惠在读", "pupils placed at public or inclusive private schools (公办 + 普惠性民办; with "
                                    "the schools table's ownership column, else empty)", "people"),
    "id": ("编号", "project identifier", "text"),
    "name": ("名称", "name as the data give it", "text"),
    "kind": ("类别", "new school, expansion or temporary classrooms", "text"),
    "type": ("类型", "school type", "text"),
    "start_year": ("开工年份", "first year money is spent on works", "year"),
    "open_year": ("启用年份", "first school year the seats are used", "year"),
    "cost_yuan": ("投资（元）", "capital cost, yuan: a project's whole cost in the schedule; what is spent "
                  "inside the plan's years in the spending table and the plan summary", "yuan"),
    "cost_in_plan_years_yuan": ("规划期内投资（元）", "the part of the cost spent inside the plan's years, yuan",
                                "yuan"),
    "committed": ("已确定", "the project was committed in the data (not chosen by the optimiser)", "text"),
    "grades": ("年级", "the grades short", "text"),
    "cause": ("原因", "why the plan leaves the shortfall", "text"),
    "project": ("项目", "project identifier", "text"),
    "status": ("求解状态", "optimal, feasible (with its gap), committed only, ...", "text"),
    "objective": ("目标值", "discounted cost with penalties, yuan", "yuan"),
    "bound": ("下界", "the solver's bound on the objective, yuan", "yuan"),
    "solver": ("求解器", "the MILP solver used", "text"),
    "build_seconds": ("建模秒数", "seconds to build the model", "seconds"),
    "solve_seconds": ("求解秒数", "seconds to solve it", "seconds"),
    "projects": ("项目数", "projects chosen", "people"),
    "seats_added": ("新增学位", "seats the plan adds", "people"),
    "shortfall_seat_years": ("缺口学位·年", "seats short summed over years", "people"),
    "levels_not_planned": ("未规划学段", "levels without seats data, left out of the plan", "text"),
    "notes": ("说明", "what the plan needs to say", "text"),
    "seats_before": ("规划前学位", "seats of the grade before the plan", "people"),
    "rented": ("借用学位", "seats borrowed from another level", "people"),
    "shortfall": ("缺口", "pupils without a seat", "people"),
    "classes": ("班级数", "classes the plan forms for the cohort (or the level) in the year", "people"),
    "class_size": ("班额上限", "most pupils a class of the cohort holds: the grade's standard class, or the new-intake "
                   "cap of the cohort's intake year", "people"),
    "class_seats": ("班级学位", "the cohort's classes × the grade's standard class size", "people"),
    "classrooms": ("教室", "lawful classrooms the school held the year before it closes; for a conversion, the "
                   "classrooms converted that year (all of the school's when it converts whole)", "people"),
    "classrooms_after": ("改建后教室", "classrooms of the new level a converted school gives", "people"),
    "pupils_moved": ("需转移学生", "pupils the school would hold that year without the closure or conversion: "
                     "seated by the district's other schools (0 where only some classrooms convert: its pupils "
                     "stay)", "people"),
    "running_cost_saved_yuan": ("年节约运行经费（元）", "running cost a closure saves each year (plan.school_running_cost)",
                                "yuan"),
    "into": ("改建为", "the level a converted school teaches from its year", "text"),
    "whole": ("改建方式", "the whole school converts (conversions.csv: True), or only the classrooms listed and the "
              "school teaches both levels, e.g. primary and junior: a nine-year school (False)", "text"),
    "merged_into": ("并入学校", "the school a closed school merges into (撤并; the schools table's merge_into), "
                    "which stays open while it is closed; empty: the rest of the district", "text"),
    "moved_to": ("学生去向", "catchment level: the open schools that gain pupils, that year, from the areas a closed "
                 "school (or one converted whole: pupils of the level it left) seated the year before, with pupils "
                 "(no more than it seated; shared among the schools closing or converting that year)", "text"),
    "rooms_mothballed": ("封存教室", "classrooms taken out of use and kept (plan.mothball_cost)", "people"),
    "rooms_changed": ("撤并改建增减教室", "classrooms gained (+) or lost (-) by the schools the plan closes or converts", "people"),
    "rooms_before": ("规划前教室", "lawful classrooms before the plan", "people"),
    "rooms_added": ("新增教室", "classrooms the plan's projects add", "people"),
    "rooms_rented": ("借用教室", "classrooms rented for the year", "people"),
    "item": ("项目", "what is oversized: classes above the standard, 56+ (大班额), 66+ (超大班额), or the school", "text"),
    "base_year": ("基年", "the year the ledger is drawn up (the forecast's first year)", "year"),
    "count": ("数量", "classes (or 1 for the school) oversized in the base year", "people"),
    "cleared_without_plan": ("无规划销号年份", "first year from which the item stays cleared without the plan", "year"),
    "cleared_with_plan": ("规划后销号年份", "first year from which the item stays cleared with the plan", "year"),
    "target": ("目标", "the scenario's target ([[targets]])", "text"),
    "indicator": ("指标", "what the target measures (capsim.targets)", "text"),
    "threshold": ("目标值", "the value the target must reach", "number"),
    "met": ("达成", "whether the value keeps to the threshold (empty: no data)", "text"),
    "verdict": ("销号情况", "cleared in which year, or why the plan leaves the item", "text"),
    "zone": ("学区", "zone (学区/片区) of the region, with plan.granularity = \"zone\"", "text"),
    "area": ("片区", "residential area", "text"),
    "school": ("学校", "school identifier", "text"),
    "pupils": ("学生数", "pupils", "people"),
    "cost_per_pupil_yuan": ("生均交通成本（元）", "travel cost per pupil a year, yuan", "yuan"),
    # the per-school table (each before and after the plan)
    "students_first": ("首年学生", "pupils in the first year", "people"),
    "students_peak": ("峰值学生", "pupils in the year with most", "people"),
    "peak_year": ("峰值年份", "the year with most pupils", "year"),
    "seats_first": ("首年学位", "seats in the first year", "people"),
    "classes_first": ("首年班级", "classes in the first year", "people"),
    "utilisation_max": ("最高使用率", "the highest students ÷ seats of any year", "share"),
    "oversized_classes_max": ("最多大班额", "most classes above the standard in a year", "people"),
    "classes_56_65_max": ("最多56–65人班", "most classes of 56–65 pupils in a year", "people"),
    "classes_66_plus_max": ("最多66人以上班", "most classes of 66+ pupils in a year", "people"),
    "over_seats_years": ("超容量年份", "first–last year with more pupils than seats", "text"),
    "oversized_classes_years": ("大班额年份", "first–last year with oversized classes", "text"),
    "too_big_years": ("超规模年份", "first–last year the school is above its maximum size", "text"),
    # the per-district table
    "shortage_max": ("最大缺口", "the largest shortage in a year (lawful seats)", "people"),
    "shortage_max_year": ("最大缺口年份", "its year", "year"),
    "shortage_years": ("缺口年份", "first–last year short", "text"),
    "shortage_seat_years": ("缺口学位·年", "seats short summed over the years", "people"),
    "oversized_max": ("最多大班额", "most oversized classes in a year", "people"),
    "oversized_max_year": ("最多大班额年份", "its year", "year"),
    "oversized_years": ("大班额年份", "first–last year with oversized classes", "text"),
    "first_year": ("首年", "first year", "year"),
    "last_year": ("末年", "last year", "year"),
    "seat_years": ("学位·年", "seats summed over the years", "people"),
    "headline": ("要点", "what a director reads first (the report's cards)", "text"),
    "figure": ("数值", "the figure, formatted", "text"),
    "detail": ("说明", "its year, district or reconciliation", "text"),
    "ranked_by": ("排序依据", "what the rows are ranked by: shortage (seats) or oversized_classes", "text"),
    "value": ("数值", "the quantity ranked", "people"),
    "years": ("出现年份", "first–last year with any", "text"),
}
STAGES = {"before": "规划前", "after": "规划后"}


def split(column: str) -> tuple[str, str]:
    """(base column, stage) for e.g. ``students_peak_after``; stage "" without a suffix."""
    for stage in STAGES:
        if column.endswith(f"_{stage}") and column[: -len(stage) - 1] in COLUMNS:
            return column[: -len(stage) - 1], stage
    return column, ""


def heading(column: str, unit: bool = True) -> str:
    """"学生数 students", "峰值学生 students peak (规划后 after)"; the column itself when unknown;
    ``unit=False`` drops a money column's "（元） yuan"."""
    base, stage = split(column)
    zh = COLUMNS.get(base, ("",))[0]
    english = base.replace("56_65", "56–65").replace("66_plus", "66+").replace("_", " ")
    if not unit:
        zh, english = zh.replace("（元）", ""), english.removesuffix(" yuan")
    text = f"{zh} {english}".strip()
    return f"{text} ({STAGES[stage]} {stage})" if stage else text


def kind(column: str) -> str:
    base, _ = split(column)
    return COLUMNS.get(base, ("", "", "number"))[2]


def meaning(column: str) -> str:
    base, stage = split(column)
    text = COLUMNS.get(base, ("", ""))[1]
    return f"{text} ({'before the plan' if stage == 'before' else 'after the plan'})" if stage else text
