"""Rebuild data/aral/*.csv from the project's reference data (see SOURCES.md here).

Usage: python data/aral/build_tables.py [REFERENCE_DIR]
REFERENCE_DIR holds china_demography/ (UN WPP extracts); default: ../shared/reference beside
the repository. Every local figure is a constant below with its source; everything marked
ESTIMATE is an assumption of this scenario, explained in SOURCES.md.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parents[2] / "shared" / "reference"
REF = REF / "china_demography"
BASE_YEAR, OPEN = 2020, 100

# ---- local and Corps anchors (sources in SOURCES.md) -------------------------------------------
TOTAL = 328_241            # 阿拉尔市 7th census (2020-11-01) resident population; cn_data.csv (M)
ARAL_2012 = 298_000        # 阿拉尔市 total population 2012, 29.8万; cn_data.csv, ec-horse.com/zfzs/299.html (L-M)
REGIMENT_2012 = 192_100    # of which 农牧团场 population 19.21万; same page (L-M)
# XPCC (兵团) crude birth rates, per mille: 2017, 2018 from XPCC yearbook 2019 table 1-4
# (tjj.xjbt.gov.cn/2019nj/table/01-04.htm, H); 2019 from the XPCC 2019 bulletin
# (tjj.xjbt.gov.cn/2020nj/data/gb.htm, H). Natural growth rates from the same tables.
XPCC_CBR = {2017: 7.85, 2018: 6.35, 2019: 5.79}
XPCC_NATURAL = {2017: 2.42, 2018: 1.12, 2019: 1.61}
XPCC_CBR_EARLIER = {2005: 6.38, 2010: 6.30, 2015: 6.04}     # same yearbook table (check only)
# XPCC year-end total population (万): 2018 310.56 (+10.03 on 2017), 2019 324.84 (+14.29);
# XPCC 2018 and 2019 bulletins (tjj.xjbt.gov.cn/2019nj/data/gb.htm, .../2020nj/data/gb.htm, H)
XPCC_POP = {2017: 300.53, 2018: 310.56, 2019: 324.84}
# China crude birth rates (NBS statistical communiques), per mille; 2018 in cn_data.csv (H)
CN_CBR = {2005: 12.40, 2010: 11.90, 2015: 12.07, 2017: 12.43, 2018: 10.94, 2019: 10.48, 2020: 8.52}
# Undated snapshot (cn_data.csv, brick.futublock.com, L): population 37.2万, primary 2.13万, junior 1.03万
SNAP_POP, SNAP_PRIMARY, SNAP_JUNIOR = 372_000, 21_300, 10_300

# ---- the six teaching districts (教学片区): ESTIMATE -------------------------------------------
# The plan names six districts but not their members. Here: the city (the four street offices and
# the non-regiment units) is one district; the regimental towns (团镇) form five of equal size.
CITY_2020 = TOTAL - REGIMENT_2012            # all 2012-2020 growth assumed in the city
REGIONS = [("city", "阿拉尔城区教学片区")] + [(f"tz{i}", f"团镇第{'一二三四五'[i - 1]}教学片区") for i in range(1, 6)]
REGION_POP = {"city": CITY_2020, **{f"tz{i}": REGIMENT_2012 / 5 for i in range(1, 6)}}

# ---- enrolment rates used in the base year (must equal scenarios/aral.toml) ----------------------
RATE_BASE = {"kindergarten": 0.99, "primary": 1.0, "junior": 1.0, "senior": 0.914}
LEVEL_AGES = {"kindergarten": (3, 3), "primary": (6, 6), "junior": (12, 3), "senior": (15, 3)}

# ---- 1. base population 2020 --------------------------------------------------------------------
nat = pd.read_csv(REF / "china_pop_single_age_2020.csv")
proj = pd.read_csv(REF / "china_wpp_projection.csv")
nat_total = nat.population.sum()
age0_nat = nat.loc[nat.age == 0, "population"].sum()
births_nat_2020_wpp22 = proj.query("revision=='WPP2022' and year==2020").births.item()
r_age0 = age0_nat / births_nat_2020_wpp22              # age 0 on 1 July per calendar-year birth

ratios = {y: XPCC_CBR[y] / CN_CBR[y] for y in XPCC_CBR}
cbr_ratio = float(np.mean(list(ratios.values())))       # Corps CBR relative to China's, 2017-2019
births_2020 = TOTAL * CN_CBR[2020] / 1000 * cbr_ratio   # ESTIMATE: Aral births 2020


def fitted(total, child_factor_ages, child_factor):
    """National structure scaled to ``total``; ages in child_factor_ages x child_factor; adults rescaled."""
    pop = nat.assign(population=nat.population * total / nat_total)
    kids = pop.age.isin(child_factor_ages)
    pop.loc[kids, "population"] *= child_factor
    adult = pop.age >= 18
    pop.loc[adult, "population"] *= (total - pop.loc[~adult, "population"].sum()) / pop.loc[adult, "population"].sum()
    return pop


scaled0 = nat.loc[nat.age == 0, "population"].sum() * TOTAL / nat_total
f_child = births_2020 * r_age0 / scaled0                # ages 0-17 multiplier
whole = fitted(TOTAL, range(0, 18), f_child)


def split(pop_whole, name):
    frames = []
    for rid, _ in REGIONS:
        p = pop_whole.assign(population=pop_whole.population * REGION_POP[rid] / TOTAL)
        p["population"] = p.population.round(1)
        diff = round(REGION_POP[rid] - p.population.sum(), 1)
        i = p.population.idxmax(); p.loc[i, "population"] = round(p.loc[i, "population"] + diff, 1)
        p.insert(0, "region", rid)
        frames.append(p.sort_values(["sex", "age"])[["region", "sex", "age", "population"]])
    out = pd.concat(frames, ignore_index=True)
    out.to_csv(OUT / name, index=False)
    return out


population = split(whole, "population.csv")

# sensitivity: ages 3-17 lifted so that ages 6-14 per resident equal the undated pupil snapshot
snap_share = (SNAP_PRIMARY + SNAP_JUNIOR) / SNAP_POP
base_614 = whole.loc[whole.age.between(6, 14), "population"].sum()
m_snap = snap_share * TOTAL / base_614
snap = fitted(TOTAL, range(3, 18), f_child * m_snap)
snap.loc[snap.age <= 2, "population"] = whole.loc[whole.age <= 2, "population"].values
adult = snap.age >= 18
snap.loc[adult, "population"] *= (TOTAL - snap.loc[~adult, "population"].sum()) / snap.loc[adult, "population"].sum()
population_snap = split(snap, "population_children_snapshot.csv")

# ---- 2. fertility schedule (WPP2024 China 2020, 5-year groups) ----------------------------------
asfr = pd.read_csv(REF / "china_asfr.csv").query("year == @BASE_YEAR")
asfr[["year", "age", "age_span", "asfr", "age_group"]].to_csv(OUT / "fertility.csv", index=False)
tfr_nat = asfr.tfr.iloc[0]

# ---- 3. implied local TFR 2020 and the paths ------------------------------------------------------
women = whole.query("sex == 'female'").set_index("age").population
expected = sum(row.asfr * women.loc[row.age:row.age + 4].sum() for row in asfr.itertuples())
k = births_2020 / expected
w24 = proj.query("revision == 'WPP2024'")


def tfr_path(variant):
    rows = []
    for y in range(BASE_YEAR, 2051):
        v = "estimates" if y <= 2023 else variant
        t = w24.query("year == @y and variant == @v").tfr.item()
        rows.append(dict(year=y, tfr=round(k * t, 4), wpp2024_china_tfr=round(t, 6), wpp2024_variant=v))
    return pd.DataFrame(rows)


for name, v in (("tfr", "medium"), ("tfr_low", "low"), ("tfr_high", "high")):
    tfr_path(v).to_csv(OUT / f"{name}.csv", index=False)

# ---- 4. mortality ----------------------------------------------------------------------------------
lt = pd.read_csv(REF / "china_lifetable_2020.csv").query("period == '2020-2025'")
lt[["sex", "age", "lx", "Lx"]].to_csv(OUT / "mortality.csv", index=False)

# ---- 5. regions and births -------------------------------------------------------------------------
pd.DataFrame([dict(region=r, name=n) for r, n in REGIONS]).to_csv(OUT / "regions.csv", index=False)
brows = []
for rid, _ in REGIONS:
    share = REGION_POP[rid] / TOTAL
    for y in (2017, 2018, 2019):
        brows.append(dict(region=rid, year=y, births=round(TOTAL * share * XPCC_CBR[y] / 1000), status="estimate",
                          note=f"census 2020 population share x XPCC crude birth rate {XPCC_CBR[y]} per mille"))
    brows.append(dict(region=rid, year=2020, births=round(births_2020 * share), status="estimate",
                      note=f"China CBR 2020 8.52 per mille x XPCC/China CBR ratio 2017-19 ({cbr_ratio:.4f})"))
pd.DataFrame(brows).to_csv(OUT / "births.csv", index=False)

# ---- 6. migration -----------------------------------------------------------------------------------
YEARS_2012_2020 = 8
natural = np.mean(list(XPCC_NATURAL.values())) / 1000 * (ARAL_2012 + TOTAL) / 2
net_in_base = (TOTAL - ARAL_2012) / YEARS_2012_2020 - natural           # ESTIMATE, a year, to the city
xpcc_net = [((XPCC_POP[y] - XPCC_POP[y - 1]) / XPCC_POP[y - 1] - XPCC_NATURAL[y] / 1000) for y in (2018, 2019)]
net_rate_high = float(np.mean(xpcc_net))
net_in_high = net_rate_high * TOTAL                                       # 2020-2024 steps


def profile(region):
    p = population.query("region == @region and age <= 44").copy()
    p["w"] = p.population / p.population.sum()
    return p


def migration_rows(amounts_by_year):
    out = []
    for rid, amount in amounts_by_year:
        p = profile(rid)
        for year, value in amount.items():
            q = p.assign(value=(value * p.w).round(3), year=year)
            out.append(q[["region", "sex", "age", "year", "value"]] if year is not None else
                       q[["region", "sex", "age", "value"]])
    return pd.concat(out, ignore_index=True)


migration_rows([("city", {None: net_in_base})]).to_csv(OUT / "migration.csv", index=False)
high = {}
for rid, _ in REGIONS:
    share = REGION_POP[rid] / TOTAL
    high[rid] = {y: (net_in_high * share + (net_in_base if rid == "city" else 0.0)) if y <= 2024 else
                 (net_in_base if rid == "city" else 0.0) for y in range(BASE_YEAR, 2035)}
migration_rows([(rid, {y: v for y, v in high[rid].items() if v}) for rid, _ in REGIONS]) \
    .to_csv(OUT / "migration_high_in.csv", index=False)

# ---- 7. schools and base-year pupils: ESTIMATE ------------------------------------------------------
def base_pupils(pop, rid, level):
    entry, grades = LEVEL_AGES[level]
    p = pop.query("region == @rid").groupby("age").population.sum()
    return np.array([RATE_BASE[level] * p.loc[entry + g] for g in range(grades)])


# (id, name, region, type, share of the region's base-year pupils per level it teaches); all ESTIMATES
# Class sizes: the city is crowded (the plan: 大校额、大班额 from population concentration); the
# regimental towns have small classes. Kindergarten classes: 小/中/大班 standard 25/30/35.
CITY = "city"
SCHOOLS = [
    ("C-P1", "城区第一小学", CITY, "primary", {"primary": 0.25}),
    ("C-P2", "城区第二小学", CITY, "primary", {"primary": 0.25}),
    ("C-P3", "城区第三小学", CITY, "primary", {"primary": 0.25}),
    ("C-N1", "城区九年一贯制学校", CITY, "nine_year", {"primary": 0.25, "junior": 0.30}),
    ("C-J1", "城区第一初级中学", CITY, "junior", {"junior": 0.35}),
    ("C-J2", "城区第二初级中学", CITY, "junior", {"junior": 0.35}),
    ("C-S1", "城区高级中学", CITY, "senior", {"senior": 0.70}),
    ("C-V1", "城区职业技术学校 (中职)", CITY, "senior", {"senior": 0.30}),
]
N_CITY_KG = 9
SCHOOLS += [(f"C-K{i}", f"城区第{i}幼儿园", CITY, "kindergarten", {"kindergarten": 1 / N_CITY_KG})
            for i in range(1, N_CITY_KG + 1)]
for i in range(1, 6):
    r = f"tz{i}"
    SCHOOLS += [
        (f"T{i}-P1", f"团镇{i}片区中心小学", r, "primary", {"primary": 0.6}),
        (f"T{i}-P2", f"团镇{i}片区第二小学", r, "primary", {"primary": 0.4}),
        (f"T{i}-M1", f"团镇{i}片区完全中学", r, "complete_middle", {"junior": 1.0, "senior": 1.0}),
        (f"T{i}-K1", f"团镇{i}片区中心幼儿园", r, "kindergarten", {"kindergarten": 0.4}),
        (f"T{i}-K2", f"团镇{i}片区第二幼儿园", r, "kindergarten", {"kindergarten": 0.3}),
        (f"T{i}-K3", f"团镇{i}片区第三幼儿园", r, "kindergarten", {"kindergarten": 0.3}),
    ]
PER_CLASS = {  # base-year pupils per class (ESTIMATE), by zone and level
    "city": {"kindergarten": (25, 30, 35), "primary": 50, "junior": 54, "senior": 52},
    "town": {"kindergarten": (20, 24, 28), "primary": 36, "junior": 40, "senior": 42},
}
TOWN_KG_SPARE_ROOMS = 1   # ESTIMATE: each town kindergarten has one empty classroom (falling births)
TYPES = {"kindergarten": ["kindergarten"], "primary": ["primary"], "junior": ["junior"], "senior": ["senior"],
         "nine_year": ["primary", "junior"], "complete_middle": ["junior", "senior"]}

school_rows, grade_rows = [], []
for sid, name, rid, typ, shares in SCHOOLS:
    zone = "city" if rid == CITY else "town"
    classrooms = 0
    for level in TYPES[typ]:
        pupils = base_pupils(population, rid, level) * shares[level]
        sizes = PER_CLASS[zone][level]
        sizes = sizes if isinstance(sizes, tuple) else (sizes,) * len(pupils)
        for g, (n, s) in enumerate(zip(pupils, sizes), start=1):
            c = max(1, math.ceil(n / s - 0.25))          # classes: pupils / target size, rounded up past .25
            grade_rows.append(dict(school=sid, level=level, grade=g, students=round(n, 1), classes=c))
            classrooms += c
        if level == "kindergarten" and zone == "town":
            classrooms += TOWN_KG_SPARE_ROOMS
    school_rows.append(dict(id=sid, name=name, region=rid, type=typ, classes=classrooms, seats="",
                            opened="", closed=""))
pd.DataFrame(school_rows).to_csv(OUT / "schools.csv", index=False)
pd.DataFrame(grade_rows).to_csv(OUT / "school_grades.csv", index=False)

# ---- 8. projects: candidates (the plan names none), ESTIMATE seats, costs per seat from
# cn_standards.md section 6 (reported project costs, nominal yuan, land mostly excluded) --------------
COST = {
    "primary_new": np.mean([34_600, 34_200, 37_000]),   # 保定复兴小学; 沈丘 北城第二中心小学; 沈丘 纬二路小学
    "junior_new": np.mean([47_700, 55_800]),            # 沈丘 第二初级中学; 衢江区第一初中
    "senior_new": np.mean([110_800, 53_300]),           # 沈丘高中; 铜陵市一中西湖校区
    "kg_new": 36_300,                                   # 沈丘 第四幼儿园
    "expansion": np.mean([36_900, 17_600]),             # 沈丘 东关小学 / 南关小学 expansions
}
COST["nine_year_new"] = (6 * COST["primary_new"] + 3 * COST["junior_new"]) / 9
PROJECTS = [
    # id, name, region, kind, type, school, seats, cost key, build_years, earliest, group
    ("CP-NEW1", "城区新建小学 (教育预留用地 甲, 36班)", CITY, "new", "primary", "", 36 * 45, "primary_new", 2, "", "city_site_a"),
    ("CN-NEW1", "城区新建九年一贯制学校 (教育预留用地 甲, 45班)", CITY, "new", "nine_year", "", 27 * 45 + 18 * 50, "nine_year_new", 2, "", "city_site_a"),
    ("CJ-NEW1", "城区新建初级中学 (教育预留用地 乙, 30班)", CITY, "new", "junior", "", 30 * 50, "junior_new", 2, "", ""),
    ("CS-NEW1", "城区新建高级中学 (教育预留用地 丙, 36班)", CITY, "new", "senior", "", 36 * 50, "senior_new", 3, "", ""),
    ("CP-NEW2", "城区新建小学 (教育预留用地 丁, 36班)", CITY, "new", "primary", "", 36 * 45, "primary_new", 2, "", "", "CP-NEW1"),
    ("CJ-NEW2", "城区新建初级中学 (教育预留用地 戊, 30班)", CITY, "new", "junior", "", 30 * 50, "junior_new", 2, "", "", "CJ-NEW1"),
    ("CS-NEW2", "城区新建高级中学 二 (教育预留用地 己, 36班)", CITY, "new", "senior", "", 36 * 50, "senior_new", 3, "", "", "CS-NEW1"),
    ("CK-NEW1", "城区新建幼儿园 一 (12班)", CITY, "new", "kindergarten", "", 360, "kg_new", 1, "", ""),
    ("CK-NEW2", "城区新建幼儿园 二 (12班)", CITY, "new", "kindergarten", "", 360, "kg_new", 1, "", ""),
    ("CK-NEW3", "城区新建幼儿园 三 (12班)", CITY, "new", "kindergarten", "", 360, "kg_new", 1, "", ""),
    ("CP1-X", "城区第一小学 改造扩容 (+6班)", CITY, "expansion", "", "C-P1", 6 * 45, "expansion", 1, "", ""),
    ("CP2-X", "城区第二小学 改造扩容 (+6班)", CITY, "expansion", "", "C-P2", 6 * 45, "expansion", 1, "", ""),
    ("CJ1-X", "城区第一初级中学 改造扩容 (+6班)", CITY, "expansion", "", "C-J1", 6 * 50, "expansion", 1, "", ""),
    ("CS1-X", "城区高级中学 改造扩容 (+12班)", CITY, "expansion", "", "C-S1", 12 * 50, "expansion", 1, "", ""),
]
for i in range(1, 6):
    r = f"tz{i}"
    PROJECTS += [
        (f"T{i}M1-X", f"团镇{i}片区完全中学 改造扩容 (+6班)", r, "expansion", "", f"T{i}-M1", 6 * 50, "expansion", 1, "", ""),
        (f"T{i}P1-X", f"团镇{i}片区中心小学 改造扩容 (+6班)", r, "expansion", "", f"T{i}-P1", 6 * 45, "expansion", 1, "", ""),
    ]
prow = []
for pid, name, rid, kind, typ, school, seats, ck, by, earliest, group, *req in PROJECTS:
    prow.append(dict(id=pid, name=name, region=rid, kind=kind, type=typ, school=school, seats=seats,
                     cost=int(round(seats * COST[ck], -4)), build_years=by, earliest=earliest, latest="",
                     committed="", group=group, requires=req[0] if req else "", duration="", cost_per_seat_basis=ck))
pd.DataFrame(prow).to_csv(OUT / "projects.csv", index=False)

# ---- report --------------------------------------------------------------------------------------------
print(f"r_age0 {r_age0:.4f}; XPCC/China CBR ratios {ratios} mean {cbr_ratio:.4f}")
print("earlier ratios", {y: round(XPCC_CBR_EARLIER[y] / CN_CBR[y], 3) for y in XPCC_CBR_EARLIER})
print(f"births 2020 (estimate) {births_2020:,.0f}; f_child {f_child:.4f}; snapshot m(3-17) {m_snap:.4f}")
print(f"women 15-49 {women.loc[15:49].sum():,.0f}; expected births {expected:,.1f}; k {k:.4f}; TFR 2020 {k*tfr_nat:.4f}")
print(f"city 2020 {CITY_2020:,}; town districts {REGIMENT_2012/5:,.0f} each")
print(f"net in-migration base {net_in_base:,.0f}/yr (natural {natural:,.0f}); high rate {net_rate_high:.4%} -> {net_in_high:,.0f}/yr")
print(f"costs per seat { {k2: round(v) for k2, v in COST.items()} }")
for nm, p in (("base", population), ("snapshot", population_snap)):
    t = p.population.sum(); g = p.groupby("age").population.sum()
    print(nm, f"total {t:,.1f} 0-14 {g[:15].sum():,.0f} ({100*g[:15].sum()/t:.2f}%) 3-5 {g[3:6].sum():,.0f}",
          f"6-11 {g[6:12].sum():,.0f} 12-14 {g[12:15].sum():,.0f} 15-17 {g[15:18].sum():,.0f} age0 {g[0]:.0f}")
sg = pd.DataFrame(grade_rows).merge(pd.DataFrame(school_rows)[["id", "region"]], left_on="school", right_on="id")
print(sg.groupby(["region", "level"])[["students", "classes"]].sum().round(0))
print(pd.DataFrame(school_rows)[["id", "type", "classes"]].to_string())
