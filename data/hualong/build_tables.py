"""Rebuild data/hualong/*.csv from the project's reference data (see SOURCES.md here).

Usage: python data/hualong/build_tables.py [REFERENCE_DIR]
REFERENCE_DIR holds china_demography/ (UN WPP extracts); default: ../shared/reference beside
the repository.
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
