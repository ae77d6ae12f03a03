"""Rebuild data/xining/*.csv from the project's reference data (see SOURCES.md here).

Usage: python data/xining/build_tables.py [REFERENCE_DIR]
REFERENCE_DIR holds china_demography/ (UN WPP extracts); default: ../shared/reference beside
the repository. Every local figure is a constant below, with its source; the national UN WPP
tables (single-year population, ASFR, life table, TFR variants) are read from REFERENCE_DIR.
Nothing is random: the estimated school network and project list follow fixed rules.
"""
import sys
from pathlib import Path

import numpy as np, pandas as pd

OUT = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parents[2] / "shared" / "reference"
REF = REF / "china_demography"
BASE, OPEN = 2020, 100

# ---- local figures (sources: SOURCES.md, "Local anchors") -----------------------------------
XINING_2020 = 2_467_965        # census 2020 (七普) resident population; 西宁市第七次全国人口普查公报 via xuewenya.com (M)
XINING_2010 = 2_208_708        # census 2010, same bulletin (M)
XINING_END_2022 = 2_480_000    # year-end 2022 常住 248.0万 (Wikipedia infobox, M); used only as a check
# district: (name, census 2020 = share x 2,467,965 (西宁晚报 via shuanghuana.com, M; derived +-250),
#            census 2010 (西宁市第六次人口普查主要数据公报, 青海新闻网 via 17tex.com, M))
DISTRICTS = {
    "chengdong":  ("城东区", 489_397, 359_688),
    "chengzhong": ("城中区", 325_771, 296_987),
    "chengxi":    ("城西区", 326_759, 242_627),
    "chengbei":   ("城北区", 417_580, 299_002),
    "huangzhong": ("湟中区", 395_121, 437_835),
    "datong":     ("大通县", 403_512, 435_937),
    "huangyuan":  ("湟源县", 109_824, 136_632),
}
assert sum(d[2] for d in DISTRICTS.values()) == XINING_2010          # the 2010 counts add up
CITY = ["chengdong", "chengzhong", "chengxi", "chengbei"]      # the four central districts (市区)
# crude birth rates, per mille. Qinghai: 2021 11.22 "0.21 below the previous year" (Qinghai 2021
# statistical bulletin via bbs.hasakesitana.com, M) -> 2020 11.43 (derived); 2022 10.60 (Qinghai
# statistics bureau release, 西海都市报 via hongxuandoor.com, M; year read from its urbanisation
# rate 61.43 % = 2021's 61.02 % + 0.41). China (NBS): 2020 8.52, 2021 7.52, 2022 6.77 (H).
CBR_QH = {2020: 11.43, 2021: 11.22, 2022: 10.60}
CBR_CN = {2020: 8.52, 2021: 7.52, 2022: 6.77}
# Qinghai natural increase, per mille: 2021 4.31, "0.47 below the previous year" -> 2020 4.78;
# 2022 3.37 (same two sources)
NIR_QH = {2020: 4.78, 2021: 4.31, 2022: 3.37}
# The seed plan (推进西宁市教育高质量发展实施方案, item 2): population growth of 440,000 in the 14th
# Five-Year Plan period (国土空间规划), the premise of its ~124,000-place need.
PLAN_GROWTH = 440_000
PLAN_YEARS = range(2021, 2026)
# natural increase 2020->2025 of the base projection (capsim base run, deterministic; see
# SOURCES.md): the plan's growth less this is the net in-migration of `high_in_migration`.
BASE_NATURAL_2020_2025 = 14_500

# ---- 1. base population 2020 -----------------------------------------------------------------
# Xining's children relative to China's, from the 2010 census: Xining 15-64 = 75.49 % (西宁市第六次
# 人口普查主要数据公报 via 17tex.com, M); its 65+ share is not given, Qinghai's 2010 65+ share 6.30 % is
# used (derived: 2015 1% survey 7.37 %, "up 1.07 points on 2010", via donglinxiaofang.com, M), so
# Xining 0-14 (2010) = 100 - 75.49 - 6.30 = 18.21 %, against China's 16.60 % (2010 census, NBS
# bulletin no. 1, H) -> x 1.097. Applied to ages 0-17 of the national 2020 structure.
XN_1564_2010, QH_65P_2010, CN_014_2010 = 75.49, 6.30, 16.60
F_CHILD = (100 - XN_1564_2010 - QH_65P_2010) / CN_014_2010

nat = pd.read_csv(REF / "china_pop_single_age_2020.csv")       # WPP2022, 1 July 2020, persons
proj = pd.read_csv(REF / "china_wpp_projection.csv")
nat_total = nat.population.sum()
age0_nat = nat.loc[nat.age == 0, "population"].sum()
births_nat_2020_wpp22 = proj.query("revision == 'WPP2022' and year == 2020").births.item()
r_age0 = age0_nat / births_nat_2020_wpp22       # age 0 on 1 July per calendar-year birth, national


def district_population(rid, total, factor):
    """National structure scaled to ``total``; ages 0-17 x factor(age); adults keep the total."""
    p = nat.assign(population=nat.population * total / nat_total)
    child = p.age <= 17
    p.loc[child, "population"] *= p.loc[child, "age"].map(factor)
    adult_target = total - p.loc[child, "population"].sum()
    p.loc[~child, "population"] *= adult_target / p.loc[~child, "population"].sum()
    p["population"] = p.population.round(1)
    diff = round(total - p.population.sum(), 1)               # rounding residue on the largest cell
    i = p.population.idxmax(); p.loc[i, "population"] = round(p.loc[i, "population"] + diff, 1)
    p.insert(0, "region", rid)
    return p.sort_values(["sex", "age"])[["region", "sex", "age", "population"]]


def city_population(factor):
    return pd.concat([district_population(r, d[1], factor) for r, d in DISTRICTS.items()], ignore_index=True)


population = city_population({a: F_CHILD for a in range(18)})
population.to_csv(OUT / "population.csv", index=False)
pyr = population.groupby("age").population.sum()                # city, both sexes
births_2020 = pyr[0] / r_age0                                    # implied births 2020 (estimate)

# sensitivity `qinghai_birth_rate`: age 0 from Qinghai's 2020 birth rate (x 1.34 on the national
# structure), falling linearly to x 1 at age 17 (older cohorts were born when Qinghai's rate was
# closer to China's); TFR fitted to those births.
F0_QH = CBR_QH[2020] / CBR_CN[2020]
pop_qh = city_population({a: 1 + (F0_QH - 1) * (17 - a) / 17 for a in range(18)})
pop_qh.to_csv(OUT / "population_qinghai_births.csv", index=False)
births_2020_qh = CBR_QH[2020] / 1000 * XINING_2020

# ---- 2. fertility schedule: WPP2024 China ASFR 2020, 5-year groups ---------------------------
asfr = pd.read_csv(REF / "china_asfr.csv").query("year == 2020")
asfr[["year", "age", "age_span", "asfr", "age_group"]].to_csv(OUT / "fertility.csv", index=False)
tfr_nat_2020 = asfr.tfr.iloc[0]

# ---- 3. local TFR: 2020 fitted to the implied births; 2021-22 follow Qinghai's birth rate
#         relative to China's; from 2023 the 2022 factor x WPP2024 China TFR ----------------------
w24 = proj.query("revision == 'WPP2024'")
rel = {y: CBR_QH[y] / CBR_CN[y] for y in CBR_QH}


def local_factors(pop, births):
    women = pop.query("sex == 'female'").groupby("age").population.sum()
    expected = sum(r.asfr * women.loc[r.age:r.age + 4].sum() for r in asfr.itertuples())
    k0 = births / expected
    return expected, {y: k0 * rel[y] / rel[2020] for y in CBR_QH}


def tfr_path(variant, k):
    rows = []
    for y in range(2020, 2051):
        v = "estimates" if y <= 2023 else variant
        t = w24.query("year == @y and variant == @v").tfr.item()
        kk = k[min(y, 2022)]
        rows.append(dict(year=y, tfr=round(kk * t, 4), local_factor=round(kk, 4), wpp2024_china_tfr=round(t, 6),
                         wpp2024_variant=v))
    return pd.DataFrame(rows)


expected, k = local_factors(population, births_2020)
for name, v in (("tfr", "medium"), ("tfr_low", "low"), ("tfr_high", "high")):
    tfr_path(v, k).to_csv(OUT / f"{name}.csv", index=False)
expected_qh, k_qh = local_factors(pop_qh, births_2020_qh)
tfr_path("medium", k_qh).to_csv(OUT / "tfr_qinghai_births.csv", index=False)

# ---- 4. mortality: WPP2024 China abridged life table 2020-2025 --------------------------------
lt = pd.read_csv(REF / "china_lifetable_2020.csv").query("period == '2020-2025'")
lt[["sex", "age", "lx", "Lx"]].to_csv(OUT / "mortality.csv", index=False)

# ---- 5. regions and births (informational) ---------------------------------------------------
pd.DataFrame([dict(region=r, name=d[0]) for r, d in DISTRICTS.items()]).to_csv(OUT / "regions.csv", index=False)
rows = []
for r, d in DISTRICTS.items():
    rows.append(dict(region=r, year=2020, births=round(births_2020 * d[1] / XINING_2020), status="estimate",
                     note="implied by the base population's age 0 (national age-0/births relation), by census share"))
pd.DataFrame(rows).to_csv(OUT / "births.csv", index=False)

# ---- 6. migration: the 2010-2020 census-to-census pattern (base) -------------------------------
# net migration a year = (census 2020 - census 2010) / 10 - natural increase at Qinghai's 2020 rate
net = {r: (d[1] - d[2]) / 10 - NIR_QH[2020] / 1000 * (d[1] + d[2]) / 2 for r, d in DISTRICTS.items()}
young = population.query("age <= 44")


def spread(amounts, years=None):
    """Net migrants by district (dict) spread over ages 0-44 like each district's population."""
    out = []
    for r, amount in amounts.items():
        m = young[young.region == r].copy()
        m["value"] = (amount * m.population / m.population.sum()).round(3)
        for y in (years or [None]):
            mm = m.copy()
            if y is not None:
                mm["year"] = y
            out.append(mm)
    cols = ["region", "sex", "age", "value"] + (["year"] if years else [])
    return pd.concat(out, ignore_index=True)[cols]


spread(net).to_csv(OUT / "migration.csv", index=False)

# high_in_migration: the plan's premise, 440,000 more residents in 2021-2025, on top of the base.
# The extra net in-migration goes to the four central districts in proportion to their 2010-2020 gain.
gain = {r: DISTRICTS[r][1] - DISTRICTS[r][2] for r in CITY}
base_mig_5y = 5 * sum(net.values())
extra_year = (PLAN_GROWTH - BASE_NATURAL_2020_2025 - base_mig_5y) / len(PLAN_YEARS)
all_years = list(range(BASE, 2036))
parts = [spread(net, all_years)]
extra = {r: extra_year * g / sum(gain.values()) for r, g in gain.items()}
parts.append(spread(extra, list(PLAN_YEARS)))
hi = pd.concat(parts).groupby(["region", "sex", "age", "year"], as_index=False).value.sum()
hi["value"] = hi.value.round(3)
hi[["region", "sex", "age", "year", "value"]].to_csv(OUT / "migration_high_in.csv", index=False)

# recent_migration: the city grew only 12,035 from the census (1 Nov 2020) to end-2022 (248.0万), i.e.
# 5,555 a year over 26 months; less the base projection's natural increase (BASE_NATURAL_2020_2025 / 5
# a year) that leaves net in-migration of ~2,650 a year. The counties' outflows are kept; the central
# districts' inflows are scaled down so that the city's total is that figure.
recent_total = (XINING_END_2022 - XINING_2020) / (26 / 12) - BASE_NATURAL_2020_2025 / 5
county_out = sum(v for r, v in net.items() if r not in CITY)
scale = (recent_total - county_out) / sum(net[r] for r in CITY)
recent = {r: (v * scale if r in CITY else v) for r, v in net.items()}
spread(recent).to_csv(OUT / "migration_recent.csv", index=False)


def as_rates(migrants: pd.DataFrame) -> pd.DataFrame:
    """Net migrants a year by district, sex and age as rates per person of the base population:
    an outflow then shrinks with the cohorts it leaves instead of emptying them (a count drains a
    county's falling cohorts to nothing: Huangyuan's children aged 7-14 by 2035)."""
    m = migrants.merge(population, on=["region", "sex", "age"])
    return m.assign(value=(m.value / m.population).round(7))[["region", "sex", "age", "value"]]


# migration_as_rates: the base pattern, per person (demography.migration_kind = "rate")
as_rates(pd.read_csv(OUT / "migration.csv")).to_csv(OUT / "migration_rates.csv", index=False)

# ---- report (demography) -------------------------------------------------------------------------
tot = pyr.sum()
for label, p, b, e, kk in (("base", population, births_2020, expected, k), ("qinghai", pop_qh, births_2020_qh, expected_qh, k_qh)):
    g = p.groupby("age").population.sum()
    print(f"{label}: 0-14 {g[:15].sum()/tot:.4f} 0-15 {g[:16].sum()/tot:.4f} 0-17 {g[:18].sum()/tot:.4f} age0 {g[0]:,.0f}; "
          f"births 2020 {b:,.0f} ({1000*b/XINING_2020:.2f} per mille); expected at national schedule {e:,.0f}; "
          f"k {kk[2020]:.4f} {kk[2021]:.4f} {kk[2022]:.4f} -> TFR 2020 {kk[2020]*tfr_nat_2020:.3f}")
print(f"F_CHILD {F_CHILD:.4f}; r_age0 {r_age0:.4f}; F0_QH {F0_QH:.4f}")
print("net migration/yr:", {r: round(v) for r, v in net.items()}, "city", round(sum(net.values())))
print(f"recent: city net {recent_total:,.0f}/yr; central districts x {scale:.4f}", {r: round(v) for r, v in recent.items()})
print(f"high_in: extra/yr {extra_year:,.0f}", {r: round(v) for r, v in extra.items()})

# ---- 7. existing schools 2020 (estimate: a synthetic network fitted to the forecast) ----------
# No school, class or pupil count for Xining was found. The network below is built by fixed rules
# so that (a) its base-year pupils equal the forecast's by district, level and grade, and (b) its
# classes carry the crowding the plan names (大校额/大班额 in the central districts, half-empty
# village schools in the counties). The rules are the assumptions; SOURCES.md states them.
RATE_2020 = {"kindergarten": 0.852, "primary": 1.0, "junior": 1.0, "senior": 0.60}   # as the scenario
LEVELS = {"kindergarten": (3, 3), "primary": (6, 6), "junior": (12, 3), "senior": (15, 3)}  # entry age, grades
STD = {"kindergarten": [25, 30, 35], "primary": [45] * 6, "junior": [50] * 3, "senior": [50] * 3}
# pupils per class on average in 2020 (kindergarten: share of the standard 25/30/35), and the
# pattern of school sizes (classes) with each size's crowding relative to that average
AVG = {"city": {"kindergarten": 0.95, "primary": 48, "junior": 52, "senior": 52},
       "county": {"kindergarten": 0.80, "primary": 36, "junior": 46, "senior": 50}}
PATTERN = {
    "city": {"kindergarten": [(6, 0.97), (9, 1.0), (12, 1.02)],
             "primary": [(24, 0.94), (30, 0.97), (36, 1.0), (42, 1.03), (48, 1.05)],
             "junior": [(18, 0.95), (24, 0.98), (30, 1.0), (36, 1.02), (42, 1.05)],
             "senior": [(36, 0.97), (48, 1.0), (60, 1.03)]},
    "county": {"kindergarten": [(3, 0.9), (6, 1.0), (9, 1.08)],
               "primary": [(6, 0.7), (6, 0.8), (12, 0.95), (18, 1.05), (24, 1.15), (30, 1.2)],
               "junior": [(12, 0.9), (18, 0.97), (24, 1.03), (30, 1.08)],
               "senior": [(36, 0.97), (48, 1.0), (60, 1.03)]},
}
CODE = {"chengdong": "CD", "chengzhong": "CZ", "chengxi": "CX", "chengbei": "CB", "huangzhong": "HZ",
        "datong": "DT", "huangyuan": "HY"}
SUFFIX = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初级中学", "senior": "高级中学"}
LCODE = {"kindergarten": "K", "primary": "P", "junior": "J", "senior": "S", "nine_year": "N"}
area = {r: ("city" if r in CITY else "county") for r in DISTRICTS}


def grade_pupils(rid, level):
    entry, g = LEVELS[level]
    p = population[population.region == rid].groupby("age").population.sum()
    return np.array([RATE_2020[level] * p[entry + i] for i in range(g)])


def split_classes(total, pattern, grades):
    """Cut ``total`` classes into schools of the pattern's sizes (cycling); a small remainder
    joins the last school, a larger one is a school of its own."""
    sizes, i = [], 0
    smallest = min(s for s, _ in pattern)
    while total > 0:
        size, mult = pattern[i % len(pattern)]
        if total >= size:
            sizes.append((size, mult)); total -= size
        elif total >= smallest / 2 or not sizes:
            sizes.append((total, pattern[0][1])); total = 0
        else:
            s, m = sizes[-1]; sizes[-1] = (s + total, m); total = 0
        i += 1
    return sizes


school_rows, grade_rows = [], []
for rid in DISTRICTS:
    a = area[rid]
    for level, (entry, G) in LEVELS.items():
        pupils_g = grade_pupils(rid, level)
        per_class = AVG[a][level] * (np.mean(STD[level]) if level == "kindergarten" else 1)
        total = int(round(pupils_g.sum() / per_class / G)) * G
        schools = split_classes(total, PATTERN[a][level], G)
        weight = np.array([s * m for s, m in schools], dtype=float)
        share = weight / weight.sum()
        for n, ((classes, _), sh) in enumerate(zip(schools, share), start=1):
            sid = f"{CODE[rid]}-{LCODE[level]}{n:02d}"
            school_rows.append(dict(id=sid, name=f"{DISTRICTS[rid][0]}第{n}{SUFFIX[level]}", region=rid, type=level,
                                    classes=classes, seats="", opened="", closed="", status="estimate"))
            per_grade = classes // G
            for g in range(G):
                grade_rows.append(dict(school=sid, level=level, grade=g + 1, students=round(pupils_g[g] * sh, 1),
                                       classes=per_grade))
schools_df = pd.DataFrame(school_rows)
grades_df = pd.DataFrame(grade_rows)
schools_df.to_csv(OUT / "schools.csv", index=False)
grades_df.to_csv(OUT / "school_grades.csv", index=False)

# ---- 8. the plan's 171 projects (estimate: the plan gives only the totals) ---------------------
# per district: kindergarten new / expanded, primary new / expanded, junior new / expanded,
# nine-year new, senior new / expanded. Totals: 171 projects; senior 5 new + 5 expanded, 3 + 3 of
# them in the central districts (plan item 3).
MIX = {  #            Kn Kx Pn Px Jn Jx Nn Sn Sx
    "chengdong":  (11, 3, 6, 4, 3, 2, 3, 1, 1),
    "chengzhong": (5, 3, 3, 3, 2, 1, 0, 0, 1),
    "chengxi":    (7, 3, 5, 3, 3, 1, 2, 1, 0),
    "chengbei":   (11, 3, 6, 4, 3, 2, 3, 1, 1),
    "huangzhong": (8, 3, 5, 2, 1, 2, 3, 1, 0),
    "datong":     (7, 3, 5, 1, 1, 1, 3, 1, 1),
    "huangyuan":  (4, 2, 2, 1, 1, 0, 1, 0, 1),
}
# classes added: new schools by area; expansions by level (kindergarten: the first 6 of the 20 add 6)
NEW_CLASSES = {"city": {"kindergarten": 12, "primary": 42, "junior": 36, "nine_year": 36, "senior": 48},
               "county": {"kindergarten": 9, "primary": 24, "junior": 30, "nine_year": 36, "senior": 48}}
EXP_CLASSES = {"city": {"kindergarten": 3, "primary": 12, "junior": 12, "senior": 12},
               "county": {"kindergarten": 3, "primary": 6, "junior": 6, "senior": 12}}
KX_SIX = 6
# cost per seat before scaling (yuan; cn_standards.md §6: ~35-60k per primary/junior place,
# ~55-110k per high-school place; expansions cheaper, no land). All costs are then scaled by one
# factor so that the 171 projects cost the plan's 8.8 billion yuan.
UNIT_COST = {("new", "kindergarten"): 45_000, ("expansion", "kindergarten"): 30_000,
             ("new", "primary"): 50_000, ("expansion", "primary"): 35_000,
             ("new", "junior"): 55_000, ("expansion", "junior"): 40_000,
             ("new", "nine_year"): 52_000,
             ("new", "senior"): 85_000, ("expansion", "senior"): 60_000}
PLAN_COST, PLAN_PLACES, PLAN_PROJECTS = 8_800_000_000, 148_000, 171
CAP = {"kindergarten": 360, "primary": 2000, "junior": 2000, "senior": 3000, "nine_year": 2500}


def seats_of(level, classes):
    if level == "kindergarten":
        return classes // 3 * sum(STD["kindergarten"])
    if level == "nine_year":
        p = classes * 2 // 3
        return p * 45 + (classes - p) * 50
    return classes * STD[level][0]


projects, kx_done = [], 0
used = set()
for rid, mix in MIX.items():
    a, dn = area[rid], DISTRICTS[rid][0]
    kinds = [("kindergarten", "new"), ("kindergarten", "expansion"), ("primary", "new"), ("primary", "expansion"),
             ("junior", "new"), ("junior", "expansion"), ("nine_year", "new"), ("senior", "new"),
             ("senior", "expansion")]
    existing = schools_df[schools_df.region == rid]
    for (level, kind), count in zip(kinds, mix):
        for j in range(count):
            if kind == "new":
                classes = NEW_CLASSES[a][level]
                n_exist = (existing.type == level).sum()
                label = {"nine_year": "九年一贯制学校"}.get(level, SUFFIX.get(level))
                pid = f"{CODE[rid]}-{LCODE[level]}N{j + 1}"
                name = f"{dn}第{n_exist + j + 1}{label}(新建)" if level != "nine_year" else f"{dn}{label}{j + 1}(新建)"
                school, ptype = "", level
            else:
                classes = EXP_CLASSES[a][level]
                if level == "kindergarten" and kx_done < KX_SIX:
                    classes, kx_done = 6, kx_done + 1
                add = seats_of(level, classes)
                cand = existing[existing.type == level].sort_values(["classes", "id"])
                ok = [s for s in cand.itertuples() if s.id not in used
                      and seats_of(level, s.classes) + add <= CAP[level]]
                target = ok[0]
                used.add(target.id)
                pid, name, school, ptype = f"{target.id}-X", f"{target.name}扩建", target.id, ""
            seats = seats_of(level, classes)
            projects.append(dict(id=pid, name=name, region=rid, kind=kind, type=ptype, school=school, seats=seats,
                                 raw_cost=seats * UNIT_COST[(kind, level)], build_years=2 if kind == "new" else 1,
                                 earliest=2021, latest=2025, committed="", status="estimate", level_=level))
pj = pd.DataFrame(projects)
scale_cost = PLAN_COST / pj.raw_cost.sum()
pj["cost"] = (pj.raw_cost * scale_cost / 10_000).round() * 10_000
pj.loc[pj.cost.idxmax(), "cost"] += PLAN_COST - pj.cost.sum()          # exact total
pj["cost"] = pj.cost.astype(np.int64)
pj[["id", "name", "region", "kind", "type", "school", "seats", "cost", "build_years", "earliest", "latest",
    "committed", "status"]].to_csv(OUT / "projects.csv", index=False)

# ---- report (schools and projects) ----------------------------------------------------------------
print(f"schools {len(schools_df)}:", schools_df.groupby(["region", "type"]).size().unstack().to_dict())
g = grades_df.merge(schools_df[["id", "region"]], left_on="school", right_on="id")
g["seats"] = [STD[lv][gr - 1] * c for lv, gr, c in zip(g.level, g.grade, g.classes)]
t = g.groupby(["region", "level"])[["students", "classes", "seats"]].sum()
t["per_class"] = t.students / t.classes
t["gap"] = t.seats - t.students
print(t.round(1).to_string())
print("gap by level:", t.groupby("level").gap.sum().round().to_dict())
print(f"projects {len(pj)} seats {pj.seats.sum():,} cost {pj.cost.sum():,} (scale {scale_cost:.4f}; "
      f"{pj.cost.sum() / pj.seats.sum():,.0f} yuan/seat)")
print(pj.groupby(["level_", "kind"]).agg(n=("id", "size"), seats=("seats", "sum"), cost=("cost", "sum")).to_string())
assert len(pj) == PLAN_PROJECTS and PLAN_PLACES <= pj.seats.sum() < PLAN_PLACES + 1000 and pj.cost.sum() == PLAN_COST
