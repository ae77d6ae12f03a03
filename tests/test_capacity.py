"""Class splits, oversized classes and teachers against hand-worked cases."""

import numpy as np

from capsim.capacity import class_split, grade_standards, intake_cap_by_year, posts_held, teachers_needed


def test_100_pupils_in_2_classes_of_standard_45_are_2_oversized():
    c = class_split(100, 2, 45)
    assert (c.oversized, c.band_large, c.band_huge, c.needed, c.short, c.largest) == (2, 0, 0, 3, 1, 50)


def test_130_in_2_is_2_classes_of_65_da_ban_e():
    c = class_split(130, 2, 45)
    assert (c.oversized, c.band_large, c.band_huge, c.largest) == (2, 2, 0, 65)


def test_131_in_2_is_one_class_of_66_and_one_of_65():
    c = class_split(131, 2, 45)
    assert (c.oversized, c.band_large, c.band_huge, c.largest) == (2, 1, 1, 66)


def test_uneven_split_counts_only_the_classes_above_standard():
    # 92 in 2 -> 46 + 46 (both over 45); 91 in 2 -> 46 + 45 (one over)
    assert class_split(92, 2, 45).oversized == 2
    assert class_split(91, 2, 45).oversized == 1
    assert class_split(90, 2, 45).oversized == 0


def test_no_classroom_means_every_pupil_short_not_oversized():
    c = class_split(50, 0, 45)
    assert (c.oversized, c.needed, c.short, c.largest) == (0, 2, 2, 0)


def test_fractional_forecasts_round_to_children_and_arrays_broadcast():
    c = class_split(np.array([[90.4, 90.6]]), np.array([2, 2]), np.array([45, 45]))
    np.testing.assert_array_equal(c.oversized, [[0, 1]])


def test_kindergarten_standards_per_grade():
    std = grade_standards((25, 30, 35), 3)
    c = class_split(np.array([60, 60, 60]), 2, std)  # 30 a class
    np.testing.assert_array_equal(c.oversized, [2, 0, 0])


def test_intake_cap_holds_from_its_year():
    np.testing.assert_array_equal(intake_cap_by_year({2021: 45, 2024: 40}, [2020, 2021, 2023, 2024, 2030], 50),
                                  [50, 45, 45, 40, 40])


def test_teachers_by_pupil_ratio_or_per_class():
    np.testing.assert_allclose(teachers_needed(1900, 40, 19.0, None), 100)
    np.testing.assert_allclose(teachers_needed(500, 20, None, 2.0), 40)


def test_with_both_ratios_posts_are_the_larger():
    """按班师比和师生比相结合: 190 pupils at 19 a post need 10; their 8 classes at 2 a class need 16."""
    np.testing.assert_allclose(teachers_needed([190, 950], [8, 20], 19.0, 2.0), [16, 50])


def test_posts_hold_each_reviews_need_until_the_next():
    """Re-set every 3 years from 2021 (每3年核定一次): 2021-2023 hold 2021's need, 2024-2026
    2024's, 2027 its own; before 2021 the posts are unknown."""
    years = np.arange(2020, 2028)
    needed = np.array([[10.0, 1], [11, 2], [12, 3], [13, 4], [14, 5], [15, 6], [16, 7], [17, 8]])
    held = posts_held(needed, years, 3, 2021)
    assert np.isnan(held[0]).all()
    np.testing.assert_allclose(held[1:], [[11, 2]] * 3 + [[14, 5]] * 3 + [[17, 8]])
    assert np.isnan(posts_held(needed, years, None, 2021)).all()


def test_posts_of_a_review_year_the_forecast_steps_over_are_the_last_year_before_it():
    """Five-year steps, reviews every 3 years from 2020: 2025's last review (2023) is not a
    forecast year, so it holds 2020's need; 2030's (2029) holds 2025's."""
    np.testing.assert_allclose(posts_held(np.array([1.0, 2, 3]), [2020, 2025, 2030], 3, 2020), [1, 1, 2])


def test_posts_unknown_until_a_review_year_the_forecast_holds():
    """Five-year steps, reviews every 3 years from 2021: 2025's last review (2024) has no forecast
    year from 2021 up to it, so its posts are unknown; 2030 is a review; 2035's (2033) holds 2030's."""
    held = posts_held(np.array([1.0, 2, 3, 4]), [2020, 2025, 2030, 2035], 3, 2021)
    assert np.isnan(held[:2]).all()
    np.testing.assert_allclose(held[2:], [3, 3])
