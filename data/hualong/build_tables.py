"""Rebuild data/hualong/*.csv from the project's reference data (see SOURCES.md here).

Usage: python data/hualong/build_tables.py [REFERENCE_DIR]
REFERENCE_DIR holds china_demography/ (UN WPP extracts); default: ../shared/reference beside
the repository. Sections 7-8 (the estimated school list and the plan's 14 new schools) use only
the population built in section 1 and the constants written there with their sources.
"""
import sys
from pathlib import Path

import numpy as np, pandas as pd

OUT = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parents[2] / "shared" / "reference"
REF = REF / "china_demography"
TOTAL, BIRTHS_2021, OPEN = 607_400, 4_605, 100
RID = "hualong"

# ---- 1. base population 2021 -------------------------------------------------------------
nat = pd.read_csv(REF / "china_pop_single_age_2021.csv")
proj = pd.read_csv(REF / "china_wpp_projection.csv")
nat_total = nat.population.sum()
pop = nat.assign(population=nat.population * TOTAL / nat_total)
age0_nat = nat.loc[nat.age == 0, "population"].sum()
births_nat_2021_wpp22 = proj.query("revision=='WPP2022' and year==2021").births.item()
r_age0 = age0_nat / births_nat_2021_wpp22            # age 0 (1 July) per calendar-year birth, national
target_age0 = BIRTHS_2021 * r_age0
f_child = target_age0 / pop.loc[pop.age == 0, "population"].sum()
child = pop.age <= 17
pop.loc[child, "population"] *= f_child
g_adult = (TOTAL - pop.loc[child, "population"].sum()) / pop.loc[~child, "population"].sum()
pop.loc[~child, "population"] *= g_adult

def finish(p):
    p = p.copy()
    p["population"] = p.population.round(1)
    diff = round(TOTAL - p.population.sum(), 1)       # put the rounding residue on the largest cell
    i = p.population.idxmax(); p.loc[i, "population"] = round(p.loc[i, "population"] + diff, 1)
    p = p.sort_values(["sex", "age"])
    p.insert(0, "region", RID)
    return p[["region", "sex", "age", "population"]]

population = finish(pop)
population.to_csv(OUT / "population.csv", index=False)

# sensitivity: children aged 3-17 like Puyang city's census 0-14 / births relation
puyang_014, nat_014 = 969_473, 253_383_938                 # census 2020
puyang_b = {2019: 45_400, 2021: 33_000}; nat_b = {2019: 14_650_000, 2021: 10_620_000}
births_share = np.mean([puyang_b[y] / nat_b[y] for y in puyang_b])
R_puyang = (puyang_014 / nat_014) / births_share          # Puyang 0-14 relative to its births relative
p2 = pop.copy()
base014 = p2.loc[p2.age <= 14, "population"].sum()
y02 = p2.loc[p2.age <= 2, "population"].sum(); y314 = base014 - y02
m = (R_puyang * base014 - y02) / y314                     # multiplier for ages 3..17
p2.loc[p2.age.between(3, 17), "population"] *= m
ad = p2.age >= 18
p2.loc[ad, "population"] *= (TOTAL - p2.loc[~ad, "population"].sum()) / p2.loc[ad, "population"].sum()
pop_puyang = finish(p2)
pop_puyang.to_csv(OUT / "population_children_puyang.csv", index=False)

# ---- 2. fertility schedule (WPP2024 2021, 5-year groups) ------------------------------------
asfr = pd.read_csv(REF / "china_asfr.csv").query("year == 2021")
fert = asfr[["year", "age", "age_span", "asfr", "age_group"]]
fert.to_csv(OUT / "fertility.csv", index=False)
tfr_nat_2021 = asfr.tfr.iloc[0]

# ---- 3. implied local TFR 2021 and the TFR paths ---------------------------------------------
women = population.query("sex == 'female'").set_index("age").population
expected = sum(row.asfr * women.loc[row.age:row.age + 4].sum() for row in asfr.itertuples())
tfr_local_2021 = tfr_nat_2021 * BIRTHS_2021 / expected
k = tfr_local_2021 / tfr_nat_2021
w24 = proj.query("revision == 'WPP2024'")
years = range(2021, 2051)
def path(variant):
    rows = []
    for y in years:
        v = "estimates" if y <= 2023 else variant
        t = w24.query("year == @y and variant == @v").tfr.item()
        rows.append(dict(year=y, tfr=round(k * t, 4), wpp2024_china_tfr=round(t, 6), wpp2024_variant=v))
    return pd.DataFrame(rows)
for name, v in (("tfr", "medium"), ("tfr_low", "low"), ("tfr_high", "high")):
    path(v).to_csv(OUT / f"{name}.csv", index=False)

# ---- 4. mortality: WPP2024 abridged life table 2020-2025 ------------------------------------
lt = pd.read_csv(REF / "china_lifetable_2020.csv").query("period == '2020-2025'")
lt[["sex", "age", "lx", "Lx"]].to_csv(OUT / "mortality.csv", index=False)

# ---- 5. regions and births -------------------------------------------------------------------
pd.DataFrame([dict(region=RID, name="华龙区")]).to_csv(OUT / "regions.csv", index=False)
share = BIRTHS_2021 / 33_000
births = pd.DataFrame([
    dict(region=RID, year=2019, births=round(45_400 * share), status="estimate",
         note="Puyang city births 2019 (4.54万) x Hualong/Puyang ratio of 2021 (4605/33000)"),
    dict(region=RID, year=2021, births=BIRTHS_2021, status="reported",
         note="Hualong statistical figure via psic.org.cn (7.62 per mille)"),
    dict(region=RID, year=2022, births=round(30_000 * share), status="estimate",
         note="Puyang city births 2022 (3.0万) x Hualong/Puyang ratio of 2021 (4605/33000)"),
])
births.to_csv(OUT / "births.csv", index=False)

# ---- 6. high in-migration sensitivity ---------------------------------------------------------
PUYANG_URBAN_GAIN_2022 = 22_700                   # urban residents +2.27万 in 2022 (city bulletin)
hualong_urban_2021 = TOTAL * 0.9674
puyang_urban_2021 = 1_932_500 - 22_700            # 193.25万 at end-2022 less the 2022 gain
share_urban = hualong_urban_2021 / puyang_urban_2021
net_in = PUYANG_URBAN_GAIN_2022 * share_urban
mig = population.query("age <= 44").copy()
mig["value"] = (net_in * mig.population / mig.population.sum()).round(2)
mig[["region", "sex", "age", "value"]].to_csv(OUT / "migration_high_in.csv", index=False)

# ---- report ------------------------------------------------------------------------------------
print(f"nat total {nat_total:,.1f}; scale {TOTAL/nat_total:.6e}")
print(f"age0_nat {age0_nat:,.1f}; WPP22 births 2021 {births_nat_2021_wpp22:,.0f}; r_age0 {r_age0:.4f}")
print(f"target age0 {target_age0:.1f}; f_child {f_child:.5f}; g_adult {g_adult:.5f}")
print(f"R_puyang {R_puyang:.4f} (births share {births_share:.6f}); m(3-17) {m:.4f}")
for nm, p in (("base", population), ("puyang", pop_puyang)):
    t = p.population.sum(); c = p[p.age <= 14].population.sum()
    print(nm, f"total {t:,.1f} 0-14 {c:,.1f} ({100*c/t:.2f}%) 0-17 {p[p.age<=17].population.sum():,.1f}",
          f"6-11 {p[p.age.between(6,11)].population.sum():,.1f} 12-14 {p[p.age.between(12,14)].population.sum():,.1f}",
          f"15-17 {p[p.age.between(15,17)].population.sum():,.1f} 3-5 {p[p.age.between(3,5)].population.sum():,.1f} age0 {p[p.age==0].population.sum():.1f}")
print(f"women 15-49 {women.loc[15:49].sum():,.1f}; expected births at national schedule {expected:,.1f}")
print(f"TFR local 2021 {tfr_local_2021:.4f}; k {k:.4f}")
print(f"Hualong urban share of Puyang urban {share_urban:.4f}; net in-migrants/yr {net_in:,.0f}")
print(f"sd for 10-90 band = UN +-0.5 x k: {0.5*k/1.2815516:.4f}")

# ---- 7. schools and their base-year (2021) grades: a documented ESTIMATE ----------------------
# No school, class or pupil count for Hualong was found (SOURCES.md, "Schools"). The list below is
# built to agree with every figure the seed plan states and with the forecast's 2021 pupils:
#   * 164 classes over the standard (45 primary / 50 junior), all in the 56-65 band (大班额),
#     none 66+ (Henan: 66+ to be gone by 2020, cn_standards.md 1.3.9); none in grade 1, because
#     the plan caps new intake at 45 / 50 from 2021, so they sit in the cohorts that entered
#     before 2021, the same number in each (24 per primary grade 2-6, 22 per junior grade 2-3);
#   * one school over the 2,000 maximum (大校额), a primary whose 2021 intake is already
#     re-rated to 6 classes (the plan: 重新核定办学规模, 限制招生人数);
#   * per grade, the listed pupils equal the forecast's 2021 pupils (enrolment rate 1.0 x the
#     single-year population of population.csv), so assessment_base_check.csv shows ratio 1.
# 华龙政〔2021〕29号 (seed plan, 2021-07-29): 164 oversized classes, 1 oversized school.
PLAN_OVERSIZED_CLASSES, PLAN_OVERSIZED_SCHOOLS = 164, 1
URBAN_SHARE = 0.9674            # Hualong urbanisation 2021, psic.org.cn (rural pupils = 1 - this)
STANDARD = {"primary": 45, "junior": 50}
ENTRY = {"primary": (6, 6), "junior": (12, 3)}     # entry age, grades (6-3-3, scenario)
MAX_SIZE = 2000                 # primary and junior schools, plan / 优质均衡 indicator 2.4
# average class of the ordinary urban schools: primary 43 (MoE 2015 national average, quoted in
# cn_standards.md 1.3.11); junior 48 (estimate: under the 50 standard; national 2012 average 50.3 =
# 47,630,607 pupils / 947,575 classes, china_education_series)
REGULAR_CLASS = {"primary": 43, "junior": 48}
VILLAGE_PUPILS_PER_GRADE = 15   # village primaries of 90 pupils: the plan's 乡村小规模学校 (< 100)

ages = population.groupby("age").population.sum()
forecast = {lv: [ages[a + g] for g in range(n)] for lv, (a, n) in ENTRY.items()}
target = {lv: [int(round(x)) for x in v] for lv, v in forecast.items()}

# (id, name, type, classes per grade, class size per grade): the crowded urban schools
CROWDED = [
    ("HP01", "城区小学01 (大校额、大班额; 估计)", "primary", [6, 7, 7, 7, 7, 7], [45, 58, 58, 58, 58, 58]),
    ("HP02", "城区小学02 (大班额; 估计)", "primary", [6] * 6, [45] + [57] * 5),
    ("HP03", "城区小学03 (大班额; 估计)", "primary", [6] * 6, [45] + [57] * 5),
    ("HP04", "城区小学04 (大班额; 估计)", "primary", [5] * 6, [45] + [57] * 5),
    ("HJ01", "城区初中01 (大班额; 估计)", "junior", [11] * 3, [50, 58, 58]),
    ("HJ02", "城区初中02 (大班额; 估计)", "junior", [11] * 3, [50, 57, 57]),
]
# rural schools: classes per grade (all grades alike)
RURAL = {"primary": [("HR01", "乡镇中心小学1 (估计)", 2), ("HR02", "乡镇中心小学2 (估计)", 2),
                     ("HR03", "乡镇中心小学3 (估计)", 2)],
         "junior": [("HR11", "乡镇初中1 (寄宿制; 估计)", 3), ("HR12", "乡镇初中2 (寄宿制; 估计)", 3)]}
VILLAGES = [(f"HV0{i}", f"村小{i} (小规模学校; 估计)") for i in range(1, 5)]
# ordinary urban schools: classes per grade cycle through 建标102-2002 sizes (24-42 classes for a
# primary, 24-36 for a junior) until their classes average REGULAR_CLASS over the grades
PATTERN = {"primary": [6, 5, 7, 6, 4, 6, 7, 5], "junior": [10, 8, 12, 10, 9, 11]}


def split(total, weights):
    """Whole pupils in proportion to weights (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


school_rows, grade_rows = [], []
def add_school(sid, name, kind, classes, pupils):
    school_rows.append(dict(id=sid, name=name, region=RID, type=kind, classes=int(sum(classes)),
                            seats="", opened="", closed="", max_students="", status="estimate"))
    for g, (c, n) in enumerate(zip(classes, pupils), start=1):
        grade_rows.append(dict(school=sid, level=kind, grade=g, students=int(n), classes=int(c)))

for lv in ("primary", "junior"):
    n_grades = ENTRY[lv][1]
    left = np.array(target[lv])
    for sid, name, kind, cl, size in (c for c in CROWDED if c[2] == lv):
        pupils = np.array(cl) * np.array(size)
        add_school(sid, name, kind, cl, pupils)
        left -= pupils
    rural = np.array([int(round((1 - URBAN_SHARE) * t)) for t in target[lv]])
    left -= rural
    if lv == "primary":
        for sid, name in VILLAGES:
            add_school(sid, name, lv, [1] * n_grades, [VILLAGE_PUPILS_PER_GRADE] * n_grades)
        rural = rural - VILLAGE_PUPILS_PER_GRADE * len(VILLAGES)
    per_school = [k for _, _, k in RURAL[lv]]
    shares = [split(int(r), per_school) for r in rural]
    for j, (sid, name, k) in enumerate(RURAL[lv]):
        add_school(sid, name, lv, [k] * n_grades, [shares[g][j] for g in range(n_grades)])
    # classes per grade: the mean class is REGULAR_CLASS, and no 2021 class is over the standard
    need = max(int(np.ceil(left.mean() / REGULAR_CLASS[lv])), int(np.ceil(left.max() / STANDARD[lv])))
    sizes, i = [], 0
    while sum(sizes) + PATTERN[lv][i % len(PATTERN[lv])] <= need:
        sizes.append(PATTERN[lv][i % len(PATTERN[lv])]); i += 1
    for _ in range(need - sum(sizes)):       # the few classes left: one more to the smallest schools
        sizes[int(np.argmin(sizes))] += 1
    shares = [split(int(r), sizes) for r in left]
    first = 5 if lv == "primary" else 3
    prefix = "HP" if lv == "primary" else "HJ"
    label = "城区小学" if lv == "primary" else "城区初中"
    for j, k in enumerate(sizes):
        num = first + j
        add_school(f"{prefix}{num:02d}", f"{label}{num:02d} (估计)", lv, [k] * n_grades,
                   [shares[g][j] for g in range(n_grades)])

schools = pd.DataFrame(school_rows)
grades_tab = pd.DataFrame(grade_rows)

# checks: pupils = forecast per grade; the plan's 164 oversized classes and 1 oversized school
def even_split_over(n, c, s):
    q, r = divmod(n, c)
    return r * (q + 1 > s) + (c - r) * (q > s), r * (56 <= q + 1 < 66) + (c - r) * (56 <= q < 66), q + (r > 0)
over = band = 0
for row in grades_tab.itertuples():
    o, b, largest = even_split_over(row.students, row.classes, STANDARD[row.level])
    over += o; band += b
    if row.grade == 1 or row.school not in {c[0] for c in CROWDED}:   # only the crowded ones are over
        assert largest <= STANDARD[row.level], row
for lv in ("primary", "junior"):
    got = grades_tab[grades_tab.level == lv].groupby("grade").students.sum().tolist()
    assert got == target[lv], (lv, got, target[lv])
size = grades_tab.groupby("school").students.sum()
assert over == band == PLAN_OVERSIZED_CLASSES, (over, band)
assert (size > MAX_SIZE).sum() == PLAN_OVERSIZED_SCHOOLS, size[size > MAX_SIZE]
schools.to_csv(OUT / "schools.csv", index=False)
grades_tab.to_csv(OUT / "school_grades.csv", index=False)

# ---- 8. the plan's 14 new schools: committed projects --------------------------------------------
# Names, batches and places: 华龙政〔2021〕29号, section 二(一). Places are given per batch only;
# the split over a batch's schools is an ESTIMATE (equal shares, whole places). Opening year
# (`committed`, the first school year with pupils): the school year after the plan's year, Y + 1,
# for every batch (a school completed during 2021 takes its first pupils in September 2022;
# capsim's plan years start after the base year 2021 in any case).
# Cost per place: ESTIMATE from Henan projects (cn_standards.md section 6, grade L):
#   primary: mean of 沈丘 北城第二中心小学 1,847万/540 and 纬二路小学 4,996万/1,350 = 35,600 yuan;
#   junior: 沈丘 第二初级中学 1.43亿/3,000 = 47,700 yuan (rounded to 100 yuan).
COST_PER_PLACE = {"primary": round((18_470_000 / 540 + 49_960_000 / 1_350) / 2, -2),
                  "junior": round(143_000_000 / 3_000, -2)}
BATCHES = [  # (plan year, what the plan says, opening year, places, [(id, name, type)])
    (2021, "2021年建成", 2022, 4_860, [("nanhailu_xx", "南海路小学", "primary"),
                                      ("pudong_xx", "濮东小学", "primary")]),
    (2021, "2021年新建", 2022, 7_020, [("wenhualu_xx", "文化路小学", "primary"),
                                      ("dongpu_xx", "东濮小学", "primary"),
                                      ("pinganjie_xx", "平安街小学", "primary"),
                                      ("hualong_9zh", "华龙区九中", "junior")]),
    (2022, "2022年新建", 2023, 7_510, [("longhu_syxx", "龙湖实验小学", "primary"),
                                      ("daqinglu_xx", "大庆路小学", "primary"),
                                      ("pudong_4zh", "濮东四中", "junior"),
                                      ("wuyilu_zx", "五一路中学", "junior")]),
    (2023, "2023年新建", 2024, 7_470, [("xiyuannanlu_xx", "西园南路小学", "primary"),
                                      ("yumenlu_xx", "玉门路小学", "primary"),
                                      ("jintian_zx", "锦添中学", "junior"),
                                      ("jintian_xx", "锦添小学", "primary")]),
]
assert sum(b[3] for b in BATCHES) == 26_860 and sum(len(b[4]) for b in BATCHES) == 14
rows = []
for plan_year, said, opens, places, members in BATCHES:
    seats = split(places, [1] * len(members))
    for (pid, name, kind), s in zip(members, seats):
        rows.append(dict(id=pid, name=name, region=RID, kind="new", type=kind, school="", seats=int(s),
                         cost=int(s * COST_PER_PLACE[kind]), build_years=2, earliest="", latest="",
                         committed=opens, group="", requires="", duration="", plan_year=plan_year,
                         plan_text=said, batch_places=places,
                         note="seats: batch split equally (estimate); cost: estimate per place"))
projects = pd.DataFrame(rows)
projects.to_csv(OUT / "projects.csv", index=False)
# the literal reading: each batch opens in the plan's own year, but not before 2022, the first
# plan year (override opening_in_plan_year)
literal = projects.assign(committed=projects.plan_year.clip(lower=2022))
literal.to_csv(OUT / "projects_plan_year.csv", index=False)

print("schools:", schools.groupby("type").size().to_dict(), "pupils:",
      grades_tab.groupby("level").students.sum().to_dict())
print("classes:", grades_tab.groupby("level").classes.sum().to_dict(), "oversized", over,
      "oversized schools", size[size > MAX_SIZE].to_dict())
print("projects:", projects.groupby("type").seats.sum().to_dict(), "cost", projects.cost.sum())
