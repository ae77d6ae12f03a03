"""Rebuild data/kunming/*.csv from the project's reference data (see SOURCES.md here).

Usage: python data/kunming/build_tables.py [REFERENCE_DIR]
REFERENCE_DIR holds china_demography/ (UN WPP extracts) and china_education_series/; default:
../shared/reference beside the repository. Every local (Kunming) number is a constant below,
with its source; the national files are read from REFERENCE_DIR.
"""
import sys
from pathlib import Path

import numpy as np, pandas as pd

OUT = Path(__file__).resolve().parent
REF = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parents[2] / "shared" / "reference"
DEM = REF / "china_demography"
RID, BASE = "kunming", 2020

# ---- local constants (sources: SOURCES.md "Local anchors") ----------------------------------
# 昆明市第七次全国人口普查公报 via yn.people.com.cn/BIG5/n2/2021/0607/c378439-34764044.html (H)
CENSUS_2020, CENSUS_2010 = 8_460_088, 6_432_212
CENSUS_0_14 = 1_267_713                    # 14.98 %
SHARE_15_59, SHARE_60P = 0.7062, 0.1440    # 70.62 %, 14.40 %
# births: hzkjai.com YunNanProject RenKou.json (M-L); = data/china/history.csv rows `kunming,births`
BIRTHS = {2020: 81_642, 2021: 76_858, 2022: 64_166, 2023: 65_708, 2024: 68_540}
# year-end resident population (常住), 万: hfbida.com/news/688414.html (M)
YEAR_END_WAN = {2016: 760.4, 2017: 782.1, 2018: 803.1, 2019: 824.9, 2020: 846.3,
                2021: 850.2, 2022: 860.0, 2023: 868.0, 2024: 868.7}
# upper-secondary stage (高中阶段 = 普通高中 + 中等职业教育), Kunming education bulletins:
# 2017: szftgk.com/XiaoXueZiXun/678751.html (M); 2022: daluzixun.com/news/1679454914459216 (M);
# 2018 普高: kunming.baogaosu.com (M); 2019 GER: ksrykj.com (M)
GEN = {2017: 102_234, 2018: 116_223, 2022: 142_581}   # 普通高中 在校生
GEN_CHANGE_2022 = 5_914                                # 2022 在校生 "比上年新增5914人"
VOC_2017 = 173_398                                     # 中等职业教育 在校生 2017
STAGE_2022, STAGE_CHANGE_2022 = 283_923, -7_050        # 高中阶段 在校生 2022, "比上年减少7050人"
GER = {2017: 0.932, 2019: 0.9295, 2022: 0.9884}        # 高中阶段毛入学率
PLAN_PER_10K, PLAN_GER, PLAN_YEAR = 180, 0.95, 2022    # seed plan 昆办发〔2018〕25号 (target year 2022)
# cost per senior-high seat: reference cn_standards.md section 6 (stand-alone senior high schools)
COST_TONGLING, COST_SHENQIU = 53_300, 110_800          # 铜陵市一中西湖校区 (M); 沈丘高中 (L)
# school intake and enrolment (Kunming bulletins 2017, 2018, 2022, as above)
PRIMARY_INTAKE = {2018: 92_298, 2022: 98_772}          # 小学 招生
JUNIOR_INTAKE = {2018: 74_348, 2022: 77_838}           # 初中 招生 (2022: check only)
JUNIOR_2017 = 215_049                                  # 初中 在校生 2017 (ages 12-14 then, 15-17 in 2020)
PRIMARY_2017 = 485_598                                 # 小学 在校生 2017 (ages 9-14 in 2020)
KG_2022, KG_GER_2022 = 307_571, 0.9998                 # 在园幼儿 2022; 学前三年毛入园率 99.98 %

# ---- 1. base population 2020 ------------------------------------------------------------------
nat = pd.read_csv(DEM / "china_pop_single_age_2020.csv")          # WPP2022, 1 July 2020
proj = pd.read_csv(DEM / "china_wpp_projection.csv")
pop = nat.assign(population=nat.population * CENSUS_2020 / nat.population.sum())
age0_nat = nat.loc[nat.age == 0, "population"].sum()
births_nat_2020 = proj.query("revision=='WPP2022' and year==2020").births.item()
r_age0 = age0_nat / births_nat_2020            # age 0 on 1 July per calendar-year birth (national)
a = pop.age
def scale(mask, target):
    f = target / pop.loc[mask, "population"].sum()
    pop.loc[mask, "population"] *= f
    return f
f_age0 = scale(a == 0, BIRTHS[2020] * r_age0)
plain = pop.copy()                                # national shape, scaled to the census total
# ages 1-14: Kunming's own cohort sizes from its school counts (a cohort's age in 2020 <- the
# count), as ratios to the plainly scaled national shape, interpolated linearly in age (held
# outside the anchors), then fitted to the census 0-14 total
anchors = {(1, 2, 3): KG_2022 / KG_GER_2022,        # ages 3-5 in 2022 (在园 / 毛入园率)
           (4,): PRIMARY_INTAKE[2022],             # age 6 in 2022 (小学 招生)
           (8,): PRIMARY_INTAKE[2018],             # age 6 in 2018
           tuple(range(9, 15)): PRIMARY_2017,      # ages 6-11 in 2017 (小学 在校生)
           (14,): JUNIOR_INTAKE[2018]}             # age 12 in 2018 (初中 招生)
nat_by_age = plain.groupby("age").population.sum()
ratio_at = {float(np.mean(k)): v / nat_by_age[list(k)].sum() for k, v in anchors.items()}
ages_1_14 = np.arange(1, 15)
ratio = np.interp(ages_1_14, list(ratio_at), list(ratio_at.values()))
national_children = pop.copy()                    # sensitivity: plain national shape for ages 1-14
pop["population"] *= np.where(a.between(1, 14), ratio[np.clip(a - 1, 0, 13)], 1.0)
def fit_children(p):
    m = p.age.between(1, 14)
    f = (CENSUS_0_14 - p.loc[p.age == 0, "population"].sum()) / p.loc[m, "population"].sum()
    p.loc[m, "population"] *= f
    return f
f_1_14 = fit_children(pop)
fn_1_14 = fit_children(national_children)
# ages 15-17: the denominator of Kunming's reported 高中阶段毛入学率 (stage students / GER),
# 2017 and 2022 from the same bulletins, interpolated linearly to 2020
stage_2017 = GEN[2017] + VOC_2017
D = {2017: stage_2017 / GER[2017], 2022: STAGE_2022 / GER[2022]}
D_2020 = D[2017] + (D[2022] - D[2017]) * (2020 - 2017) / 5
# the same cohorts as 12-14-year-olds (junior 在校生 2017): what Kunming's own children give;
# the excess G per single-year cohort are teenagers who moved in (to 中职 and 普高 schools)
G = (D_2020 - JUNIOR_2017) / 3
t15_59 = SHARE_15_59 * CENSUS_2020
def fit_adults(p, teens_15_17):
    m = p.age.between(15, 17)
    p.loc[m, "population"] *= teens_15_17 / p.loc[m, "population"].sum()
    m = p.age.between(18, 59)
    f = (t15_59 - teens_15_17) / p.loc[m, "population"].sum()
    p.loc[m, "population"] *= f
    m = p.age >= 60
    p.loc[m, "population"] *= (CENSUS_2020 - CENSUS_0_14 - t15_59) / p.loc[m, "population"].sum()
    return f
def add_arrived(p):
    """Half a year's teen in-migrants (those who moved at 14 in the second half of the previous
    step, as migration_timing = "half" has them) are already 14 at the base: add 0.5 G at age 14
    and take it off ages 1-13, so that 0-14 keeps the census total."""
    m14, m = p.age == 14, p.age.between(1, 13)
    share = p.loc[m14, "population"] / p.loc[m14, "population"].sum()
    p.loc[m14, "population"] += 0.5 * G * share
    p.loc[m, "population"] *= 1 - 0.5 * G / p.loc[m, "population"].sum()
no_teen = pop.copy()
add_arrived(pop)
add_arrived(national_children)
f_18_59 = fit_adults(pop, D_2020)
fit_adults(no_teen, JUNIOR_2017)
fit_adults(national_children, D_2020)

def finish(p):
    p = p.copy()
    p["population"] = p.population.round(1)
    diff = round(CENSUS_2020 - p.population.sum(), 1)   # rounding residue on the largest cell
    i = p.population.idxmax(); p.loc[i, "population"] = round(p.loc[i, "population"] + diff, 1)
    p = p.sort_values(["sex", "age"])
    p.insert(0, "region", RID)
    return p[["region", "sex", "age", "population"]]

population = finish(pop)
population.to_csv(OUT / "population.csv", index=False)
population_nc = finish(national_children)
population_nc.to_csv(OUT / "population_national_children.csv", index=False)
population_nt = finish(no_teen)
population_nt.to_csv(OUT / "population_no_teen_inflow.csv", index=False)

# ---- 2. mortality: WPP2024 abridged life table 2020-2025; crude deaths of the base ----------
lt = pd.read_csv(DEM / "china_lifetable_2020.csv").query("period == '2020-2025'")
lt[["sex", "age", "lx", "Lx"]].to_csv(OUT / "mortality.csv", index=False)
def deaths_of(p):
    d = 0.0
    for sex, g in lt.groupby("sex"):
        starts = g.age.to_numpy()
        mx = g.mx.to_numpy()
        ps = p[p.sex == sex]
        d += float((ps.population.to_numpy() * mx[np.searchsorted(starts, ps.age.to_numpy(), side="right") - 1]).sum())
    return d
deaths_2020 = deaths_of(pop)
cdr = deaths_2020 / CENSUS_2020

# ---- 3. migration ------------------------------------------------------------------------------
# recent net migration: year-end population change 2020-2024 less natural increase
growth_20_24 = (YEAR_END_WAN[2024] - YEAR_END_WAN[2020]) * 10_000
births_21_24 = sum(BIRTHS[y] for y in range(2021, 2025))
deaths_21_24 = sum(cdr * YEAR_END_WAN[y] * 10_000 for y in range(2021, 2025))
net_recent = (growth_20_24 - births_21_24 + deaths_21_24) / 4
yearly_net = {y: (YEAR_END_WAN[y] - YEAR_END_WAN[y - 1]) * 10_000 - BIRTHS[y] + cdr * YEAR_END_WAN[y] * 10_000
              for y in range(2021, 2025)}
# intercensal 2010-2020: growth less estimated natural increase (births = national births x
# Kunming's population share x Kunming's 2020 birth-rate ratio; deaths at the 2020 crude rate)
ser = pd.read_csv(REF / "china_education_series" / "cn_national_series.csv").query("preferred == 'yes'")
nb = ser.query("indicator == 'births'").set_index("year").value
natpop = pd.read_csv(DEM / "china_pop_single_age_wpp2022_2005_2025.csv").groupby("year").population.sum()
def km_pop(y):                                  # geometric between the censuses (1 Nov 2010, 1 Nov 2020)
    return CENSUS_2010 * (CENSUS_2020 / CENSUS_2010) ** ((y - 2010) / 10)
cbr_ratio = (BIRTHS[2020] / CENSUS_2020) / (nb[2020] / natpop[2020])
births_11_20 = sum(nb[y] * km_pop(y) / natpop[y] * cbr_ratio for y in range(2011, 2021))
deaths_11_20 = sum(cdr * km_pop(y) for y in range(2011, 2021))
net_intercensal = (CENSUS_2020 - CENSUS_2010 - births_11_20 + deaths_11_20) / 10

def migration_table(total_per_year, teen_g):
    """teen_g a year at age 14 (age at the move) by sex like the base age 15; the rest over
    ages 0-44 in proportion to the base population."""
    rest = total_per_year - teen_g
    b = population.query("age <= 44").copy()
    b["value"] = rest * b.population / b.population.sum()
    t15 = population.query("age == 15").set_index("sex").population
    for sex in ("female", "male"):
        b.loc[(b.sex == sex) & (b.age == 14), "value"] += teen_g * t15[sex] / t15.sum()
    b["value"] = b.value.round(2)
    return b[["region", "sex", "age", "value"]]

migration_table(net_recent, G).to_csv(OUT / "migration.csv", index=False)
migration_table(net_intercensal, G).to_csv(OUT / "migration_high_in.csv", index=False)
# no-teen-inflow sensitivity: same total net migration, none of it teenagers moving in at 14
migration_table(net_recent, 0.0).to_csv(OUT / "migration_no_teen_inflow.csv", index=False)

# ---- 4. fertility schedule (WPP2024 China 2020) and local TFR paths -------------------------
asfr_all = pd.read_csv(DEM / "china_asfr.csv")
sched = asfr_all.query("year == 2020")
sched[["year", "age", "age_span", "asfr", "age_group"]].to_csv(OUT / "fertility.csv", index=False)
tfr_sched = 5 * sched.asfr.sum()
mig = migration_table(net_recent, G)
def women_exposure(steps):
    """Women by single age, mean of start (+half migrants) and end of each step, as capsim does
    (mortality ignored for these ages: under 0.1 % a year)."""
    w = population.query("sex == 'female'").set_index("age").population.reindex(range(101), fill_value=0).to_numpy()
    mf = mig.query("sex == 'female'").set_index("age").value.reindex(range(101), fill_value=0).to_numpy()
    out = []
    for _ in range(steps):
        P = w + 0.5 * mf
        end = np.concatenate([[0.0], P[:-1]])
        out.append((P + end) / 2)
        w = end + 0.5 * mf
    return out
expo = women_exposure(4)
def expected_births(W):
    return sum(r.asfr * W[r.age:r.age + 5].sum() for r in sched.itertuples())  # at schedule TFR
w24 = proj.query("revision == 'WPP2024'")
def wpp(y, v):
    return w24.query("year == @y and variant == @v").tfr.item()
tfr_local, step_births = {}, {}
for i, y in enumerate(range(2020, 2024)):       # step y -> y+1 runs 1 July y to 30 June y+1
    step_births[y] = (BIRTHS[y] + BIRTHS[y + 1]) / 2
    tfr_local[y] = tfr_sched * step_births[y] / expected_births(expo[i])
k = tfr_local[2023] / wpp(2023, "estimates")
def path(variant):
    rows = []
    for y in range(2020, 2051):
        if y <= 2023:
            rows.append(dict(year=y, tfr=round(tfr_local[y], 4), wpp2024_china_tfr=round(wpp(y, "estimates"), 6),
                             basis=f"fitted to births (mid-{y} to mid-{y + 1}: {step_births[y]:,.0f})"))
        else:
            t = wpp(y, variant)
            rows.append(dict(year=y, tfr=round(k * t, 4), wpp2024_china_tfr=round(t, 6),
                             basis=f"WPP2024 {variant} x {k:.4f}"))
    return pd.DataFrame(rows)
for name, v in (("tfr", "medium"), ("tfr_low", "low"), ("tfr_high", "high")):
    path(v).to_csv(OUT / f"{name}.csv", index=False)

# ---- 5. regions, births -------------------------------------------------------------------------
pd.DataFrame([dict(region=RID, name="昆明市")]).to_csv(OUT / "regions.csv", index=False)
pd.DataFrame([dict(region=RID, year=y, births=b, status="reported",
                   source="hzkjai.com YunNanProject RenKou.json (M-L), as data/china/history.csv")
              for y, b in BIRTHS.items()]).to_csv(OUT / "births.csv", index=False)

# ---- 6. senior capacity (upper-secondary stage and 普通高中 only) ---------------------------------
gen_2021 = GEN[2022] - GEN_CHANGE_2022
gen_2020 = GEN[2018] + (gen_2021 - GEN[2018]) * 2 / 3          # linear 2018 -> 2021
stage_2021 = STAGE_2022 - STAGE_CHANGE_2022
voc_2021 = stage_2021 - gen_2021
voc_2020 = VOC_2017 + (voc_2021 - VOC_2017) * 3 / 4            # linear 2017 -> 2021
pd.DataFrame([dict(region=RID, level="senior", seats=round(gen_2020 + voc_2020), year=BASE,
                   general_seats=round(gen_2020), vocational_seats=round(voc_2020),
                   note="estimate: 2020 enrolment (普高 2018->2021 and 中职 2017->2021 interpolated); seats = pupils")]) \
    .to_csv(OUT / "capacity.csv", index=False)
pd.DataFrame([dict(region=RID, level="senior", seats=round(gen_2020), year=BASE,
                   note="estimate: 普通高中 2020 enrolment interpolated 2018 -> 2021; seats = pupils")]) \
    .to_csv(OUT / "capacity_general.csv", index=False)

# ---- 7. projects --------------------------------------------------------------------------------
cost_seat = (COST_TONGLING + COST_SHENQIU) / 2
rows = [
    dict(id="KM-2021", name="2021年普通高中新增学位（已建成）", kind="new", seats=round(gen_2021 - gen_2020),
         build_years=2, committed=2021, note="普高 enrolment 2021 (136,667) less 2020 estimate"),
    dict(id="KM-2022", name="2022年普通高中新增学位（已建成）", kind="new", seats=GEN_CHANGE_2022,
         build_years=2, committed=2022, note="普高 在校生 2022 比上年新增5914人"),
    dict(id="KM-LQ", name="禄劝县普通高中扩容（候选）", kind="new", seats=1_800, build_years=3,
         note="plan: 重点支持禄劝; 36 classes x 50 (建标102 largest senior size), estimate"),
    dict(id="KM-XD", name="寻甸县普通高中扩容（候选）", kind="new", seats=1_800, build_years=3,
         note="plan: 重点支持寻甸; 36 classes x 50, estimate"),
    dict(id="KM-DC", name="东川区普通高中扩容（候选）", kind="new", seats=1_800, build_years=3,
         note="plan: 重点支持东川; 36 classes x 50, estimate"),
]
def projects(n_new):
    new = [dict(id=f"KM-N{i:02d}", name=f"新区新建普通高中{i}号（候选）", kind="new", seats=3_000, build_years=3,
                note="plan: 新区建优质; 60 classes x 50 = 3,000 (new senior high <= 3,000)") for i in range(1, n_new + 1)]
    prj = pd.DataFrame(rows + new)
    prj.insert(2, "region", RID)
    prj.insert(4, "type", "senior")
    prj["cost"] = (prj.seats * cost_seat).round(0)
    prj = prj[["id", "name", "region", "kind", "type", "seats", "cost", "build_years", "committed", "note"]]
    prj["committed"] = prj.committed.astype("Int64")
    return prj
projects(20).to_csv(OUT / "projects.csv", index=False)
# the high in-migration case needs more than 20 new schools: a longer list of the same candidates
projects(40).to_csv(OUT / "projects_high_in_migration.csv", index=False)

# ---- 8. senior-rate figures for the scenario file ------------------------------------------------
ger_gen_2020 = gen_2020 / D_2020
ger_gen_plan = PLAN_PER_10K / 10_000 * YEAR_END_WAN[2022] * 10_000 / D[2022]
# ---- report -------------------------------------------------------------------------------------
print(f"r_age0 {r_age0:.4f}; f_age0 {f_age0:.4f}; f_18_59 {f_18_59:.4f}; 60+ share "
      f"{population[population.age >= 60].population.sum() / CENSUS_2020:.4f} (census {SHARE_60P})")
print(f"D 2017 {D[2017]:,.0f}; D 2022 {D[2022]:,.0f}; D 2020 {D_2020:,.0f}; junior 2017 {JUNIOR_2017:,}; G {G:,.0f}/cohort")
print("child ratio local/national at anchors", {k: round(v, 3) for k, v in ratio_at.items()}, f"f_1_14 {f_1_14:.4f} (national {fn_1_14:.4f})")
for nm, p in (("base", population), ("national_children", population_nc), ("no_teen_inflow", population_nt)):
    g = p.groupby("age").population.sum()
    print(nm, f"total {g.sum():,.1f}; 0-14 {g[:15].sum():,.0f}; 12-14 {g[12:15].sum():,.0f}; 15-17 {g[15:18].sum():,.0f};"
          f" 9-14 {g[9:15].sum():,.0f} (primary 2017 {PRIMARY_2017:,}); 8-13 {g[8:14].sum():,.0f} (primary 2018 497,971); 14-16 {g[14:17].sum():,.0f} (junior 2018 220,926); 1-3 {g[1:4].sum():,.0f}; 4 {g[4]:,.0f}; 8 {g[8]:,.0f}; 10 {g[10]:,.0f}; 14 {g[14]:,.0f};"
          f" 15-59 {g[15:60].sum():,.0f}; 60+ {g[60:].sum():,.0f}; age0 {g[0]:,.0f}; sex ratio "
          f"{100 * p[p.sex == 'male'].population.sum() / p[p.sex == 'female'].population.sum():.1f}")
print(f"deaths 2020 {deaths_2020:,.0f} (CDR {1000 * cdr:.2f} per mille)")
print(f"net migration 2021-24 {net_recent:,.0f}/yr; yearly {dict((y, round(v)) for y, v in yearly_net.items())}")
print(f"births 2011-20 est {births_11_20:,.0f}; deaths {deaths_11_20:,.0f}; cbr ratio {cbr_ratio:.3f}; intercensal net {net_intercensal:,.0f}/yr")
print("TFR local", {y: round(v, 4) for y, v in tfr_local.items()}, f"k {k:.4f}; sd {0.5 * k / 1.2815516:.3f}")
print(f"普高 2020 {gen_2020:,.0f}, 2021 {gen_2021:,}; 中职 2020 {voc_2020:,.0f}, 2021 {voc_2021:,}; stage 2020 {gen_2020 + voc_2020:,.0f}")
print(f"scenario senior rate (stage): {{2019 = {GER[2019]}, {PLAN_YEAR} = {PLAN_GER}}}; reported_ger: {PLAN_YEAR} = {GER[2022]}")
print(f"general_senior_180 rate: {{2020 = {ger_gen_2020:.4f}, {PLAN_YEAR} = {ger_gen_plan:.4f}}} (普高 2020 / D 2020; "
      f"{PLAN_PER_10K} per 10,000 x {YEAR_END_WAN[2022]}万 / D 2022); cost/seat {cost_seat:,.0f}")
