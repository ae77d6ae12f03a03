"""Reports: plots draw what the data say, Chinese renders, the page and workbook are whole."""

import shutil
import subprocess
import warnings
import zipfile

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import capsim  # noqa: E402
from capsim.examples import tiny_path  # noqa: E402
from capsim.reports import from_folder, from_results, report  # noqa: E402
from capsim.reports.fonts import missing_glyphs, use_cjk_font  # noqa: E402


@pytest.fixture(scope="module")
def tiny_res():
    return capsim.run(capsim.load_scenario(tiny_path(), set={"uncertainty.draws": 20}))


@pytest.fixture(scope="module")
def written(tiny_res, tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "tiny"
    report(tiny_res, out)
    return out


def test_pinned_names_stay_functions_after_every_submodule_is_imported():
    import importlib
    import pkgutil

    for mod in pkgutil.walk_packages(capsim.__path__, "capsim."):
        importlib.import_module(mod.name)
    for name in ("run", "plan", "project", "assess", "report", "backtest", "locate", "load_scenario", "sweep",
                 "compare_plans", "project_province"):
        assert callable(getattr(capsim, name)), name
    assert callable(capsim.plot.seat_gap)


def test_seat_gap_bars_are_the_gaps(tiny_res):
    ax = capsim.plot.seat_gap(tiny_res, region="south", level="junior")
    before = tiny_res.assessment.query("region == 'south' and level == 'junior'")
    gap = (before.lawful_seats - before.students).to_numpy()
    heights = {c.get_label(): [b.get_height() for b in c] for c in ax.containers}
    np.testing.assert_allclose(heights["shortage before"], -np.maximum(-gap, 0))
    np.testing.assert_allclose(heights["surplus before"], np.maximum(gap, 0))
    after = tiny_res.assessment_planned.query("region == 'south' and level == 'junior'")
    np.testing.assert_allclose(heights["shortage after"], -np.maximum(after.students - after.lawful_seats, 0))


def test_oversized_bands_stack_to_the_oversized_classes(tiny_res):
    ax = capsim.plot.oversized_classes(tiny_res, level="junior")
    bars = {c.get_label(): np.array([b.get_height() for b in c]) for c in ax.containers}
    stacked = bars["over standard (before)"] + bars["56–65 (before)"] + bars["66+ (before)"]
    expected = tiny_res.assessment.query("level == 'junior'").groupby("year").oversized_classes.sum()
    np.testing.assert_allclose(stacked, expected.to_numpy())


def test_the_band_legend_follows_the_scenarios_bands():
    from capsim.reports.plots import band_labels

    assert [b[0] for b in band_labels({})] == ["over standard", "56–65", "66+"]
    labels = band_labels({"standards": {"bands": [51, 61]}})
    assert [b[0] for b in labels] == ["over standard", "51–60", "61+"]
    assert [b[1] for b in labels] == ["oversized_only", "classes_56_65", "classes_66_plus"]


def test_timeline_bars_run_from_works_to_opening(tiny_res):
    ax = capsim.plot.build_timeline(tiny_res)
    schedule = tiny_res.schedule.sort_values(["open_year", "id"])
    bars = ax.containers[0]
    np.testing.assert_allclose([b.get_x() for b in bars], schedule.start_year)
    np.testing.assert_allclose([b.get_x() + b.get_width() for b in bars], schedule.open_year)
    labels = [t.get_text() for t in ax.texts]
    assert any("北区第三中学" in s and "1,500 seats" in s and "75 M" in s for s in labels)


def test_spending_bars_are_the_money_spent_and_the_budget_is_drawn(tiny_res):
    ax = capsim.plot.spending(tiny_res)
    spent = tiny_res.plan.spending.groupby("year").cost_yuan.sum() / 1e6
    heights = [b.get_height() for b in ax.containers[0]]
    assert sum(heights) == pytest.approx(spent.sum())
    assert max(ax.lines[0].get_ydata()) == pytest.approx(150)


def test_fan_chart_band_holds_the_median(tiny_res):
    ax = capsim.plot.fan_chart(tiny_res, "primary")
    median = ax.lines[0].get_ydata()
    st = tiny_res.projection.level_totals.query("level == 'primary'")
    np.testing.assert_allclose(median, st[st["quantile"] == 0.5].groupby("year").students.sum())


def test_every_chinese_name_has_a_glyph_and_renders_without_warnings(tiny_res):
    names = "".join(tiny_res.schedule.name) + "".join(tiny_res.assessment_before.schools.name)
    seeds = "华龙区西宁市城东区城中区城西区城北区湟中区大通县湟源县阿拉尔市滨州市昆明市幼儿园小学初中高中大班额学位缺口"
    assert missing_glyphs(names + seeds) == []
    assert missing_glyphs("\U0001F600") == ["\U0001F600"]  # the check can fail
    use_cjk_font()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title(seeds)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    plt.close(fig)


def test_run_writes_report_pngs_workbook_and_csvs(written):
    for name in ("report.html", "capsim_tables.xlsx", "seat_gap.png", "build_timeline.png", "schedule.csv",
                 "assessment_after_plan.csv", "scenario.resolved.toml"):
        assert (written / name).stat().st_size > 0, name
    with zipfile.ZipFile(written / "capsim_tables.xlsx") as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    for sheet in ("students", "assessment", "schedule", "shortfalls", "spending"):
        assert f'name="{sheet}"' in workbook, sheet


def test_workbook_has_one_sheet_per_table_with_units(tiny_res):
    from capsim.reports.excel import workbook_sheets

    sheets = workbook_sheets(from_results(tiny_res))
    assert list(sheets) == ["students", "assessment", "schedule", "shortfalls", "spending", "summary", "seats_by_grade"]
    assert set(sheets["seats_by_grade"].grade) == {1, 2, 3, 4, 5, 6}
    assert set(sheets["assessment"].stage) == {"before", "after"}
    assert "cost_yuan" in sheets["schedule"] and "cost_yuan" in sheets["spending"]


def test_report_from_folder_matches_the_run(tiny_res, written, tmp_path):
    saved = from_folder(written)
    direct = from_results(tiny_res)
    for table in ("schedule", "seats_by_grade"):
        pd.testing.assert_frame_equal(getattr(saved, table).reset_index(drop=True),
                                      getattr(direct, table).reset_index(drop=True), check_dtype=False)
    folder = tmp_path / "copy"
    shutil.copytree(written, folder)
    (folder / "report.html").unlink()
    from capsim.cli import main

    assert main(["report", str(folder), "--quiet"]) == 0
    assert (folder / "report.html").stat().st_size > 10_000
    assert (folder / "schedule.csv").is_file()


def test_report_of_a_folder_without_results_is_a_clear_error(tmp_path, capsys):
    from capsim.cli import main

    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a folder written by `capsim run`" in err and "Fix: give the folder written by" in err


def test_an_interrupted_report_leaves_the_old_folder_whole(tiny_res, written, tmp_path, monkeypatch):
    folder = tmp_path / "keep"
    shutil.copytree(written, folder)
    before = sorted(p.name for p in folder.iterdir())

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("capsim.reports.html.render", boom)
    with pytest.raises(KeyboardInterrupt):
        report(tiny_res, folder)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".keep")]


def test_page_is_self_contained(written):
    page = (written / "report.html").read_text(encoding="utf-8")
    assert "<img src='data:image/png;base64," in page and "@font-face" in page
    assert "http://" not in page.replace("http://scripts.sil.org", "") and "https://" not in page
    assert "北区第三中学" in page and "Resolved scenario" in page
    assert "<h2>Catchments</h2>" not in page                  # a plan by region has none


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not _chromium() and not __import__("os").environ.get("CAPSIM_REQUIRE_BROWSER"),
                    reason="no Chromium here (CI installs it and sets CAPSIM_REQUIRE_BROWSER)")
def test_page_loads_in_a_real_browser_with_every_image(written, tmp_path):
    browser = _chromium()
    assert browser, "CAPSIM_REQUIRE_BROWSER is set but Chromium is not installed"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
             "--virtual-time-budget=5000"]
    url = (written / "report.html").as_uri()
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    n_images = dom.count("<img ")
    assert n_images >= 6
    assert f'data-images="{n_images}/{n_images}"' in dom
    shot = tmp_path / "shot.png"
    subprocess.run(flags + ["--window-size=1200,2400", f"--screenshot={shot}", url], capture_output=True, timeout=120)
    img = matplotlib.image.imread(shot)
    assert img.shape[:2] == (2400, 1200)
    gray = img[..., :3].mean(axis=-1)
    assert (gray < 0.3).mean() > 0.002          # text and plots are drawn, not a blank page
    assert (gray > 0.9).mean() > 0.5            # on a light background


def test_a_level_with_unknown_seats_says_so_instead_of_drawing_zeros(tiny_res):
    t = from_results(tiny_res)
    before = t.before.copy()
    before.loc[before.level == "senior", ["lawful_seats", "seats"]] = np.nan
    from dataclasses import replace

    ax = capsim.plot.seat_gap(replace(t, before=before), level="senior")
    assert not ax.containers and "seats unknown" in ax.texts[0].get_text()
