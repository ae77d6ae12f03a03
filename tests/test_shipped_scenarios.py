"""Shipped scenarios validate with every override and reproduce their published figures."""

from pathlib import Path

import pytest

import capsim
from capsim.projection import check_methods

SCENARIOS = Path(__file__).parent.parent / "scenarios"
HUALONG = SCENARIOS / "hualong.toml"
HUALONG_OVERRIDES = ["low_births", "high_births", "high_in_migration", "children_puyang_profile",
                     "general_senior_only"]


@pytest.mark.parametrize("use", [[]] + [[o] for o in HUALONG_OVERRIDES])
def test_hualong_validates(use):
    sc = capsim.load_scenario(HUALONG, use=use)
    check_methods(sc)
    capsim.read_inputs(sc)


@pytest.fixture(scope="module")
def hualong():
    return capsim.project(capsim.load_scenario(HUALONG, set={"uncertainty.draws": 20}))


def test_hualong_base_is_the_published_population(hualong):
    pop = hualong.population.query("year == 2021 and quantile == 0.5").population.sum()
    assert pop == pytest.approx(607_400, abs=1)  # 华龙区 2021 常住人口 60.74万


def test_hualong_first_year_births_near_published(hualong):
    births = hualong.births.query("year == 2021 and quantile == 0.5").births.sum()
    assert births == pytest.approx(4_605, rel=0.02)  # 华龙区 2021 births 4,605


def test_hualong_low_births_variant_has_fewer_pupils_later():
    low = capsim.project(capsim.load_scenario(HUALONG, use=["low_births"], set={"uncertainty.draws": 1}))
    mid = capsim.project(capsim.load_scenario(HUALONG, set={"uncertainty.draws": 1}))

    def primary(res, year):
        return res.level_totals.query(f"level == 'primary' and year == {year}").students.sum()

    assert primary(low, 2021) == pytest.approx(primary(mid, 2021))
    assert primary(low, 2035) < 0.95 * primary(mid, 2035)
