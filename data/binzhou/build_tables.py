"""Rebuild data/binzhou/*.csv from the project's reference data (see SOURCES.md here).

Usage: python data/binzhou/build_tables.py [REFERENCE_DIR]
REFERENCE_DIR holds china_demography/ (UN WPP extracts); default: ../shared/reference beside
the repository. Every local or national figure that is not a UN WPP table is a constant below,
with its source; SOURCES.md explains each step.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parents[2] / "shared" / "reference"
REF = REF / "china_demography"
RID, BASE, END, OPEN = "binzhou", 2019, 2030, 100

# ---- sourced constants ----------------------------------------------------------------------
# Binzhou city (滨州市)
CENSUS_2020 = 3_928_568        # 7th census, 1 Nov 2020 (Wikipedia 山东省各地级市人口列表; cn_data.csv, M)
CENSUS_2010 = 3_748_500        # 6th census, 1 Nov 2010: 374.85万 (ec-horse.com/zfzs/335.html; cn_data.csv, M)
CENSUS_YEARS = 10.0
BACKCAST_YEARS = 16 / 12       # 1 Nov 2020 back to 1 Jul 2019 (the base population's date)
BZ_BIRTHS_2011 = 41_900        # 4.19万, public-security registrations (Shandong Statistical Yearbook 2012 t.3-5, H)
BZ_CBR_2011 = 11.04            # per mille, same table (H)
RURAL_PRIMARY_PUPILS_2021 = 137_000  # seed plan: free milk for 13.7万 rural primary pupils in 2021
# Shandong province
SD_CBR_2011 = 11.97            # per mille, registrations, same yearbook table (province total row) (H)
SD_CBR = {2015: 12.32,         # 2015 family-planning conference (finance.dzwww.com/sdcj/201607/t20160719_14644535.html, M)
          2017: 17.54,         # 2017 bulletin as quoted by m.tftnews.com/news8272314 (174.98万 births) (M-L)
          2019: 11.77,         # 2019: 118.39万 births (qiantimeigw.com/ShuJuXiangGuan/1015893.html; cn_data.csv, M)
          2021: 7.38}          # 2021: 75.04万 births (same page; cn_data.csv, M)
SD_BIRTHS = {2016: 1_770_000,  # 177万, Shandong health commission (sd.sina.com.cn 2017-01-23; cn_data.csv, M)
             2022: 682_200}    # 68.22万 (m.hbzqbyyxgs.com/top/433349.html; cn_data.csv, M)
SD_CENSUS_2020 = 101_527_500   # 10152.75万 (qiantimeigw.com page above; m.1ruanjian.com/jiaocheng/eK5F.html, M)
SD_SRB_2020 = 1.1195           # 出生人口性别比 111.95, Shandong census 2020 (m.yybnet.net/shandong/news/202105/11443013.html, M)
# China (NBS / MoE, as first published; reference china_education_series/cn_national_series.csv, H)
CN_CENSUS_2020 = 1_411_778_724  # 7th census bulletin no. 2 (NBS 2021-05-11)
CN_CBR = {2011: 11.93, 2015: 12.07, 2017: 12.43, 2019: 10.48, 2021: 7.52}
CN_BIRTHS = {2016: 17_860_000, 2022: 9_560_000}
CN_ENROL = {  # national enrolment (在园 / 普通高中在校生), persons
    "kindergarten": {2019: 47_138_810, 2020: 48_182_634, 2021: 48_052_100, 2022: 46_275_500,
                     2023: 40_929_800, 2024: 35_839_900},
    "senior": {2019: 24_143_050, 2020: 24_944_529, 2021: 26_050_291, 2022: 27_138_747,
               2023: 28_036_300, 2024: 29_222_800},
}
CN_SCHOOLS_2019 = {"primary": (105_612_358, 160_148), "junior": (48_271_362, 52_415),
                   "senior": (24_143_050, 13_964), "kindergarten": (47_138_810, 281_174)}
CN_PRIMARY_CLASSES_2019 = 2_807_800
SD_PRIMARY_CLASS_2015 = 43     # average primary class, highest provinces incl. Shandong (cn_standards.md 1.3.11, M)
# costs, yuan per place (cn_standards.md section 6)
COST_NEW_SCHOOL = 45_000       # Shandong 大班额 programme 2015-18, plan total / places added (derived, M)
COST_EXPANSION = (36_900 + 17_600) / 2   # mean of the two 沈丘 expansions (东关, 南关小学) (L)
COST_KINDERGARTEN = 36_300     # 沈丘第四幼儿园, 2,614万 / 720 places (L)
COST_SENIOR = 80_000           # middle of the 55k-110k range for high schools (cn_standards.md 6, derived)

# ---- 1. base population 1 July 2019 -----------------------------------------------------------
wpp = pd.read_csv(REF / "china_pop_single_age_wpp2022_2005_2025.csv")
nat = wpp.query("year == @BASE")[["age", "sex", "population"]].reset_index(drop=True)
nat_total = nat.population.sum()
growth = (CENSUS_2020 / CENSUS_2010) ** (1 / CENSUS_YEARS)
TOTAL = round(CENSUS_2020 / growth ** BACKCAST_YEARS)
share = TOTAL / nat_total

# cohort intensity: births relative to population, Binzhou against China, by birth year
R_BZ_SD = BZ_CBR_2011 / SD_CBR_2011                      # Binzhou / Shandong birth rate, 2011
sd_pop_share = SD_CENSUS_2020 / CN_CENSUS_2020
g = {2011: SD_CBR_2011 / CN_CBR[2011]}                   # Shandong / China birth intensity
g.update({y: SD_CBR[y] / CN_CBR[y] for y in SD_CBR})
g.update({y: SD_BIRTHS[y] / CN_BIRTHS[y] / sd_pop_share for y in SD_BIRTHS})
anchors = sorted(g)
def g_of(y):
    return float(np.interp(y, anchors, [g[a] for a in anchors]))  # held outside the anchors
def f_of(y):
    return R_BZ_SD * g_of(y)
# age a on 1 July 2019: born in the second half of 2018-a or the first half of 2019-a
f_age = {a: 0.5 * f_of(BASE - 1 - a) + 0.5 * f_of(BASE - a) for a in range(18)}

pop = nat.assign(population=nat.population * share)
child = pop.age <= 17
pop.loc[child, "population"] *= pop.loc[child, "age"].map(f_age)
g_adult = (TOTAL - pop.loc[child, "population"].sum()) / pop.loc[~child, "population"].sum()
pop.loc[~child, "population"] *= g_adult

def finish(p, total):
    p = p.copy()
    p["population"] = p.population.round(1)
    diff = round(total - p.population.sum(), 1)
    i = p.population.idxmax(); p.loc[i, "population"] = round(p.loc[i, "population"] + diff, 1)
    p = p.sort_values(["sex", "age"]).reset_index(drop=True)
    p.insert(0, "region", RID)
    return p[["region", "sex", "age", "population"]]

population = finish(pop, TOTAL)
population.to_csv(OUT / "population.csv", index=False)
# sensitivity: the national structure without the cohort factors
population_national = finish(nat.assign(population=nat.population * share), TOTAL)
population_national.to_csv(OUT / "population_children_national.csv", index=False)

# ---- 2. births (informational) and the births anchors ------------------------------------------
def bz_births(y, pop_y):
    return pop_y * R_BZ_SD * {**{2011: SD_CBR_2011}, **SD_CBR}[y] / 1000
births_rows = [dict(region=RID, year=2011, births=BZ_BIRTHS_2011, status="reported",
                    note="public-security registrations, Shandong Statistical Yearbook 2012 table 3-5")]
bz_share_sd = CENSUS_2020 / SD_CENSUS_2020
for y, b in SD_BIRTHS.items():
    births_rows.append(dict(region=RID, year=y, births=int(round(b * bz_share_sd * R_BZ_SD, -1)), status="estimate",
                            note=f"Shandong births {b:,} x Binzhou census share {bz_share_sd:.4f} x birth-rate ratio {R_BZ_SD:.4f}"))
pop_at = {2015: TOTAL / growth ** 4, 2017: TOTAL / growth ** 2, 2019: TOTAL, 2021: TOTAL * growth ** 2}
for y in SD_CBR:
    births_rows.append(dict(region=RID, year=y, births=int(round(bz_births(y, pop_at[y]), -1)), status="estimate",
                            note=f"Shandong birth rate {SD_CBR[y]} per mille x ratio {R_BZ_SD:.4f} x Binzhou population {pop_at[y]:,.0f}"))
births = pd.DataFrame(births_rows).sort_values("year")
births.to_csv(OUT / "births.csv", index=False)
B2019 = births.set_index("year").births[2019]

# ---- 3. fertility schedule and TFR paths --------------------------------------------------------
asfr_all = pd.read_csv(REF / "china_asfr.csv")
asfr = asfr_all.query("year == @BASE")
asfr[["year", "age", "age_span", "asfr", "age_group"]].to_csv(OUT / "fertility.csv", index=False)
women = population.query("sex == 'female'").set_index("age").population
expected = sum(r.asfr * women.loc[r.age:r.age + 4].sum() for r in asfr.itertuples())
k2019 = B2019 / expected                       # local TFR / national TFR in 2019
def k_of(y):                                   # follows Shandong's relative intensity, held after 2022
    return k2019 * g_of(min(y, 2022)) / g_of(2019)
proj = pd.read_csv(REF / "china_wpp_projection.csv")
w24 = proj.query("revision == 'WPP2024'")
def path(variant):
    rows = []
    for y in range(BASE, 2051):
        v = "estimates" if y <= 2023 else variant
        t = w24.query("year == @y and variant == @v").tfr.item()
        rows.append(dict(year=y, tfr=round(k_of(y) * t, 4), k=round(k_of(y), 4),
                         wpp2024_china_tfr=round(t, 6), wpp2024_variant=v))
    return pd.DataFrame(rows)
for name, v in (("tfr", "medium"), ("tfr_low", "low"), ("tfr_high", "high")):
    path(v).to_csv(OUT / f"{name}.csv", index=False)

# ---- 4. mortality ------------------------------------------------------------------------------
lt = pd.read_csv(REF / "china_lifetable_2020.csv").query("period == '2020-2025'")
lt[["sex", "age", "lx", "Lx"]].to_csv(OUT / "mortality.csv", index=False)

# ---- 5. regions, migration ---------------------------------------------------------------------
pd.DataFrame([dict(region=RID, name="滨州市")]).to_csv(OUT / "regions.csv", index=False)
net_in = (CENSUS_2020 - CENSUS_2010) / CENSUS_YEARS      # the whole intercensal gain a year
mig = population.query("age <= 44").copy()
mig["value"] = (net_in * mig.population / mig.population.sum()).round(2)
mig[["region", "sex", "age", "value"]].to_csv(OUT / "migration_high_in.csv", index=False)

# ---- 6. enrolment rates: national enrolment / WPP2022 population of the level's ages ------------
wpp_t = wpp.groupby(["year", "age"]).population.sum()
ages = {"kindergarten": range(3, 6), "senior": range(15, 18)}
rates = {lv: {y: round(n / sum(wpp_t[(y, a)] for a in ages[lv]), 3) for y, n in CN_ENROL[lv].items()}
         for lv in CN_ENROL}

# ---- 7. the estimated school network of the base year ------------------------------------------
STD = {"kindergarten": (25, 30, 35), "primary": (45,) * 6, "junior": (50,) * 3, "senior": (50,) * 3}
pop_both = population.groupby("age").population.sum()
base = {"kindergarten": [pop_both[a] * rates["kindergarten"][BASE] for a in (3, 4, 5)],
        "primary": [pop_both[a] for a in range(6, 12)],
        "junior": [pop_both[a] for a in range(12, 15)],
        "senior": [pop_both[a] * rates["senior"][BASE] for a in (15, 16, 17)]}
primary_2021 = sum(pop_both[a] for a in range(4, 10))   # ages 6-11 in 2021 (mortality < 0.1 %)
rural = RURAL_PRIMARY_PUPILS_2021 / primary_2021
avg_class_cn = CN_SCHOOLS_2019["primary"][0] / CN_PRIMARY_CLASSES_2019
tiers = [  # level, tier, type, pupils by grade, classes per grade in the sizing rule, average class
    ("primary", "U", "城镇小学", [p * (1 - rural) for p in base["primary"]], 5, SD_PRIMARY_CLASS_2015),
    ("primary", "R", "乡村小学", [p * rural for p in base["primary"]], 2, avg_class_cn),
]
for lv, tag, label in (("junior", "J", "初级中学"), ("senior", "S", "普通高中"), ("kindergarten", "K", "幼儿园")):
    per_school = CN_SCHOOLS_2019[lv][0] / CN_SCHOOLS_2019[lv][1]
    tiers.append((lv, tag, label, base[lv], None, per_school))
school_rows, grade_rows, network = [], [], {}
for lv, tag, label, grades, per_grade, size in tiers:
    total = sum(grades)
    n = round(total / (per_grade * len(grades) * size)) if per_grade else round(total / size)
    each = [p / n for p in grades]
    if lv == "kindergarten":   # each grade its own standard (25/30/35): classes per grade
        classes = [math.ceil(p / s - 1e-9) for p, s in zip(each, STD[lv])]
    else:                      # streams (轨): the same classes in every grade, from the mean grade
        classes = [math.ceil(np.mean(each) / STD[lv][0] - 1e-9)] * len(each)
    seats = sum(c * s for c, s in zip(classes, STD[lv]))
    network[(lv, tag)] = dict(n=n, pupils=total, classes=classes, seats=seats, per_school=total / n)
    for i in range(1, n + 1):
        sid = f"BZ-{tag}{i:03d}"
        school_rows.append(dict(id=sid, name=f"{label}{i:03d}（估算）", region=RID, type=lv,
                                classes=sum(classes), seats=seats, opened="", closed="", status="estimate"))
        for gi, (p, c) in enumerate(zip(each, classes), start=1):
            grade_rows.append(dict(school=sid, level=lv, grade=gi, students=round(p, 1), classes=c))
pd.DataFrame(school_rows).to_csv(OUT / "schools.csv", index=False)
pd.DataFrame(grade_rows).to_csv(OUT / "school_grades.csv", index=False)

# ---- 8. projects: the 2021 programme (committed) and candidates -----------------------------------
def project(pid, name, kind, typ, seats, cost, school="", committed="", build=2, earliest="", status="estimate"):
    return dict(id=pid, name=name, region=RID, kind=kind, type=typ, school=school, seats=seats,
                cost=round(cost), build_years=build, earliest=earliest, latest="", committed=committed,
                group="", requires="", duration="", status=status)
# 2021 programme: 7 new and 5 expanded schools (xuexibi.com, L), 26 kindergartens (seed plan);
# level split in proportion to the estimated existing schools (primary : junior ~ 3 : 1 -> 5 + 2 new,
# 4 + 1 expanded). Opening 2021 (the work-plan year), cost spent in the year before.
P_NEW, J_NEW, P_X, J_X, K_NEW = 30 * 45, 24 * 50, 6 * 45, 6 * 50, 3 * (25 + 30 + 35)
def programme(opening):
    out = []
    for i in range(1, 6):
        out.append(project(f"PG21-P{i}", f"2021新建小学{i}（估算）", "new", "primary", P_NEW, P_NEW * COST_NEW_SCHOOL,
                           committed=opening, build=1))
    for i in range(1, 3):
        out.append(project(f"PG21-J{i}", f"2021新建初中{i}（估算）", "new", "junior", J_NEW, J_NEW * COST_NEW_SCHOOL,
                           committed=opening, build=1))
    for i in range(1, 5):
        out.append(project(f"PG21-PX{i}", f"2021改扩建小学{i}（估算）", "expansion", "", P_X, P_X * COST_EXPANSION,
                           school=f"BZ-U{i:03d}", committed=opening, build=1))
    out.append(project("PG21-JX1", "2021改扩建初中1（估算）", "expansion", "", J_X, J_X * COST_EXPANSION,
                       school="BZ-J001", committed=opening, build=1))
    for i in range(1, 27):
        out.append(project(f"PG21-K{i:02d}", f"2021新建改扩建幼儿园{i:02d}（估算）", "new", "kindergarten", K_NEW,
                           K_NEW * COST_KINDERGARTEN, committed=opening, build=1))
    return out
# candidates for the optimiser (not in the seed plan): standard new schools and expansions of the
# estimated schools not already expanded by the programme; they may open from 2022 (plan.lead_time)
candidates = []
for i in range(1, 13):
    candidates.append(project(f"C-P{i:02d}", f"候选新建小学{i:02d}", "new", "primary", P_NEW, P_NEW * COST_NEW_SCHOOL,
                              status="candidate"))
for i in range(1, 21):
    candidates.append(project(f"C-PX{i:02d}", f"候选扩建城镇小学{i + 4:03d}", "expansion", "", P_X, P_X * COST_EXPANSION,
                              school=f"BZ-U{i + 4:03d}", build=1, status="candidate"))
for i in range(1, 31):
    candidates.append(project(f"C-J{i:02d}", f"候选新建初中{i:02d}", "new", "junior", J_NEW, J_NEW * COST_NEW_SCHOOL,
                              status="candidate"))
for i in range(1, 31):
    candidates.append(project(f"C-JX{i:02d}", f"候选扩建初中{i + 1:03d}", "expansion", "", J_X, J_X * COST_EXPANSION,
                              school=f"BZ-J{i + 1:03d}", build=1, status="candidate"))
for i in range(1, 13):
    s_ = 36 * 50
    candidates.append(project(f"C-S{i:02d}", f"候选新建普通高中{i:02d}", "new", "senior", s_, s_ * COST_SENIOR, build=3,
                              status="candidate"))
for i in range(1, 11):
    candidates.append(project(f"C-K{i:02d}", f"候选新建幼儿园{i:02d}", "new", "kindergarten", K_NEW,
                              K_NEW * COST_KINDERGARTEN, build=1, status="candidate"))
rows = programme(2021) + candidates
pd.DataFrame(programme(2022) + candidates).to_csv(OUT / "projects_programme_2022.csv", index=False)
pd.DataFrame(rows).to_csv(OUT / "projects.csv", index=False)

# ---- report ------------------------------------------------------------------------------------
print(f"total 1 Jul 2019 {TOTAL:,} (growth {growth - 1:.4%}/yr); share of China {share:.6f}")
print(f"R_BZ_SD {R_BZ_SD:.4f}; g {', '.join(f'{y}: {v:.3f}' for y, v in sorted(g.items()))}")
print("f by age:", ", ".join(f"{a}: {v:.3f}" for a, v in f_age.items()))
print(f"adult factor {g_adult:.4f}")
t = population.population.sum(); c = population[population.age <= 14].population.sum()
cn = population_national[population_national.age <= 14].population.sum()
print(f"0-14 {c:,.0f} ({100*c/t:.2f}%); national structure would give {cn:,.0f} ({100*cn/t:.2f}%)")
print(f"births 2019 est {B2019:,.0f}; expected at national 2019 schedule {expected:,.0f}; k2019 {k2019:.4f};"
      f" TFR 2019 {k2019 * w24.query('year == 2019').tfr.item():.3f}; k2021 {k_of(2021):.4f}; k2022 {k_of(2022):.4f}")
print(f"net in-migration (high) {net_in:,.0f}/yr")
print("rates", rates)
print(f"primary 2021 {primary_2021:,.0f}; rural share {rural:.4f}; national avg primary class {avg_class_cn:.2f}")
for key, v in network.items():
    print(key, {k: (round(x, 1) if isinstance(x, float) else x) for k, x in v.items()})
print("schools:", len(school_rows), "projects:", len(rows))
