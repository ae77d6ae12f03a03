"""Students to schools, hand-worked, and the conservation of pupils."""

import numpy as np

from capsim.allocation import Units, allocate, share_out


def _units(base, classes, is_open, cap=np.inf, region=None, weight_new=None):
    base = np.asarray(base, dtype=float)
    U = base.shape[0]
    is_open = np.asarray(is_open, dtype=bool)
    return Units(
        region=np.zeros(U, dtype=int) if region is None else np.asarray(region),
        is_open=is_open, base=base, classes=np.asarray(classes, dtype=float),
        intake_cap=np.broadcast_to(np.asarray(cap, dtype=float), is_open.shape),
        weight_new=np.asarray(weight_new if weight_new is not None else np.asarray(classes)[:, 0] * 45, dtype=float),
    )


def test_share_out_water_fills_up_to_room():
    given, left = share_out(np.array([100.0]), np.array([1.0, 1.0, 2.0]), np.zeros(3, int), np.array([10.0, 100, 100]))
    # by weight 25/25/50, the first can take 10: its 15 go to the others 1:2 -> 30, 60
    np.testing.assert_allclose(given, [10, 30, 60])
    np.testing.assert_allclose(left, [0])


def test_share_out_leaves_what_no_school_can_take():
    given, left = share_out(np.array([100.0]), np.array([1.0, 1.0]), np.zeros(2, int), np.array([20.0, 30.0]))
    np.testing.assert_allclose(given, [20, 30])
    np.testing.assert_allclose(left, [50])


def test_base_shares_carried_forward_hand_worked():
    # two schools with 60 and 40 of 100 pupils in each of 2 grades
    P = np.array([[[100.0, 100.0]], [[200.0, 50.0]]])  # (T+1=2, R=1, G=2)
    units = _units([[60, 60], [40, 40]], [[2, 2], [2, 2]], [[True, True], [True, True]])
    S, unplaced = allocate(P, units)
    # intake shared 60/40; grade 2 = grade 1 a year earlier x 50/100
    np.testing.assert_allclose(S[1], [[120, 30], [80, 20]])
    np.testing.assert_allclose(unplaced, 0)


def test_intake_cap_sends_the_excess_elsewhere_then_to_unplaced():
    P = np.array([[[100.0]], [[200.0]]])
    cap = np.array([[np.inf, np.inf], [90.0, 90.0]])
    units = _units([[60], [40]], [[2], [2]], [[True, True], [True, True]], cap=cap)
    S, unplaced = allocate(P, units)
    # 120/80 by weight; the first takes 90, its 30 go to the second (80 -> 90), 20 left unplaced
    np.testing.assert_allclose(S[1, :, 0], [90, 90])
    np.testing.assert_allclose(unplaced[1, 0, 0], 20)


def test_closing_school_pupils_move_and_new_school_takes_intake_by_capacity():
    P = np.array([[[100.0, 100.0]], [[100.0, 100.0]]])
    is_open = [[True, True, False], [True, False, True]]
    # school 0 (base 100 pupils, 2 classes a grade), school 1 closes, school 2 opens with 2 classes a grade
    units = _units([[50, 50], [50, 50], [np.nan, np.nan]], [[2, 2], [2, 2], [2, 2]], is_open)
    S, unplaced = allocate(P, units)
    # weights: school 0 = 0.5 (its base share); school 2 = 90 / (90 + 90) = 0.5
    np.testing.assert_allclose(S[1, :, 0], [50, 0, 50])
    # grade 2: school 0 keeps its 50; school 1's 50 are shared 1:1 between the open schools
    np.testing.assert_allclose(S[1, :, 1], [75, 0, 25])
    np.testing.assert_allclose(unplaced, 0)


def test_region_without_schools_has_every_pupil_unplaced():
    P = np.array([[[100.0], [40.0]], [[110.0], [50.0]]])  # two regions; only region 0 has a school
    units = _units([[100]], [[3]], [[True], [True]], region=[0])
    S, unplaced = allocate(P, units)
    np.testing.assert_allclose(unplaced[:, 1, 0], [40, 50])
    np.testing.assert_allclose(S[:, 0, 0], [100, 110])


def test_pupils_conserved_with_random_schools():
    rng = np.random.default_rng(5)
    T1, R, G, U = 12, 4, 6, 30
    P = rng.uniform(50, 500, size=(T1, R, G))
    is_open = rng.random((T1, U)) > 0.2
    is_open[0, :20] = True
    cap = rng.uniform(0, 200, size=(T1, U))
    units = _units(rng.uniform(0, 100, (U, G)), rng.integers(1, 5, (U, G)), is_open, cap=cap,
                   region=rng.integers(0, R, U))
    S, unplaced = allocate(P, units)
    placed = np.zeros((T1, R, G))
    for u in range(U):
        placed[:, units.region[u]] += S[:, u]
    np.testing.assert_allclose(placed + unplaced, P, rtol=1e-9)
    assert (S >= -1e-9).all() and (unplaced >= -1e-9).all()
    assert (S[1:, :, 0] <= cap[1:] + 1e-6).all()  # caps bind on intake after the observed base year
    assert (S[~is_open] == 0).all()
