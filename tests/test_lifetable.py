"""Life tables to survivorship ratios, against hand-worked values."""

import numpy as np

from capsim import lifetable


def test_survival_ratios_single_years_and_open_group():
    l1 = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.0])
    L1 = np.array([0.95, 0.85, 0.75, 0.65, 2.0])
    S, sb = lifetable.survival_ratios(l1, L1, step=1, open_age=4)
    np.testing.assert_allclose(S, [0.85 / 0.95, 0.75 / 0.85, 0.65 / 0.75, 2.0 / 2.65, 2.0 / 2.65])
    np.testing.assert_allclose(sb, 0.95)


def test_survival_ratios_grouped():
    l1 = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.0])
    L1 = np.array([0.95, 0.85, 0.75, 0.65, 2.0])
    S, sb = lifetable.survival_ratios(l1, L1, step=2, open_age=4)
    # groups 0-1: 1.8, 2-3: 1.4, 4+: 2.0 -> S = [1.4/1.8, 2/3.4, 2/3.4]; births 1.8 / (2 * 1)
    np.testing.assert_allclose(S, [1.4 / 1.8, 2.0 / 3.4, 2.0 / 3.4])
    np.testing.assert_allclose(sb, 0.9)


def test_open_group_folds_higher_ages():
    l1 = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.0])
    L1 = np.array([0.95, 0.85, 0.75, 0.65, 2.0])
    S, _ = lifetable.survival_ratios(l1, L1, step=1, open_age=3)
    np.testing.assert_allclose(S[-2:], 2.65 / (0.75 + 2.65))


def test_abridged_to_single_years_keeps_person_years_and_constant_force():
    ages = [0, 1, 5]
    lx = [1.0, 0.98, 0.96]
    Lx = [0.985, 3.88, 40.0]
    l1, L1 = lifetable.single_year_from_abridged(ages, lx, Lx)
    # constant force over 1-5: l(3) = l(1) * (l5/l1)^(2/4)
    np.testing.assert_allclose(l1[3], 0.98 * (0.96 / 0.98) ** 0.5)
    np.testing.assert_allclose(L1[1:5].sum(), 3.88)
    np.testing.assert_allclose(L1[0], 0.985)
    np.testing.assert_allclose(L1[5], 40.0)


def test_qx_table_hand_worked():
    l1, L1 = lifetable.single_year_from_qx([0.1, 0.2, 1.0], mx_open=0.5)
    # l = 1, .9, .72; L0 = .9 + .1*.1; L1 = .72 + .5*.18; open L = .72/.5
    np.testing.assert_allclose(l1[:3], [1.0, 0.9, 0.72])
    np.testing.assert_allclose(L1, [0.91, 0.81, 1.44])


def test_un_life_table_survival_to_age_five_matches_reference():
    """China 2020-2025 (WPP2024 abridged): survival from birth to exact age 5 is 99.2 % (male)."""
    from pathlib import Path

    import pandas as pd

    path = Path(__file__).parent / "data" / "china_lifetable_2020_2025_male.csv"
    t = pd.read_csv(path)
    l1, L1 = lifetable.single_year_from_abridged(t.age, t.lx, t.Lx)
    assert round(l1[5] / l1[0], 3) == 0.992
