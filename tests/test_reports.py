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
    after = tiny_res.assessment_after_plan.query("region == 'south' and level == 'junior'")
    np.testing.assert_allclose(heights["shortage after"], -np.maximum(after.students - after.lawful_seats, 0))


def test_a_gap_is_unknown_where_no_seats_are_known_not_zero():
    """Hualong's kindergarten has no seats listed: its seat-gap row read 0 in every year."""
    from capsim.reports.plots import gap_by_year

    a = pd.DataFrame({"region": ["n", "s", "n", "s"], "level": "primary", "year": [2020, 2020, 2021, 2021],
                      "students": [100.0, 50.0, 120.0, 60.0], "seats": [np.nan, 40.0, np.nan, np.nan],
                      "lawful_seats": [np.nan, 40.0, np.nan, np.nan]})
    g = gap_by_year(a)
    assert g.loc[2020].tolist() == [10.0, 0.0]             # the district with seats counts: 50 - 40 short
    assert g.loc[2021].isna().all()                        # none known: unknown


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
    assert any("北区第三中学" in s and "1,500 seats" in s and "7,500 万元" in s for s in labels)


def test_spending_bars_are_the_money_spent_and_the_budget_is_drawn(tiny_res):
    ax = capsim.plot.spending(tiny_res)
    spent = tiny_res.plan.spending.groupby("year").cost_yuan.sum() / 1e4     # 万元: the districts are Chinese
    heights = [b.get_height() for b in ax.containers[0]]
    assert sum(heights) == pytest.approx(spent.sum())
    assert max(ax.lines[0].get_ydata()) == pytest.approx(15_000)
    assert "3.03 亿元" in ax.get_title()             # reconciled with the chosen projects' total cost


def test_teacher_posts_are_drawn_as_steps_between_reviews(tiny_res):
    """Without reviews the plot has the needs alone; with posts re-set every 3 years from 2021
    each level gains a dashed step line whose values are the assessment's posts summed over the
    districts."""
    import matplotlib.pyplot as plt

    ax = capsim.plot.teachers(tiny_res)
    assert not [line for line in ax.lines if "posts" in line.get_label()]
    plt.close(ax.figure)
    res = capsim.run(capsim.load_scenario(tiny_path(), use=["deterministic"], set={
        "standards.teacher_review_years": 3, "standards.teacher_review_from": 2021}))
    ax = capsim.plot.teachers(res)
    plt.close(ax.figure)                               # (its lines stay readable)
    steps = {line.get_label(): line for line in ax.lines if "posts" in line.get_label()}
    table = res.assessment_after_plan
    assert set(steps) == {f"核定编制 posts {level}" for level in table.level.unique()}
    for level in table.level.unique():
        want = table[table.level == level].groupby("year").teacher_posts.sum(min_count=1)
        got = steps[f"核定编制 posts {level}"]
        assert got.get_linestyle() == "--"
        assert list(got.get_xdata()) == list(want.index)
        np.testing.assert_allclose(got.get_ydata(), want.to_numpy())
        assert want.loc[2021] == want.loc[2023] != want.loc[2024]


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
    for sheet in ("学生 students", "评估 assessment", "项目 schedule", "缺口 shortfalls", "投资 spending"):
        assert f'name="{sheet}"' in workbook, sheet


def test_workbook_has_one_sheet_per_table_with_units(tiny_res):
    from capsim.reports.excel import workbook_sheets

    sheets = workbook_sheets(from_results(tiny_res))
    assert list(sheets)[4:-1] == ["students_by_level", "assessment", "schedule", "shortfalls", "spending",
                                  "plan_summary", "seats_by_grade_after_plan", "targets", "ledger"]
    assert set(sheets["seats_by_grade_after_plan"].grade) == {1, 2, 3, 4, 5, 6}
    assert set(sheets["assessment"].stage) == {"规划前 before", "规划后 after"}
    assert "cost_yuan" in sheets["schedule"] and "cost_yuan" in sheets["spending"]


def test_report_from_folder_matches_the_run(tiny_res, written, tmp_path):
    saved = from_folder(written)
    direct = from_results(tiny_res)
    for table in ("schedule", "seats_by_grade_after_plan"):
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


def _text_missing_from_embedded_font(dom: str) -> list[str]:
    """Characters of the page's visible text that the font embedded in the page cannot draw."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    data = re.search(r"url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", dom).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", dom.split("<body", 1)[1].split(">", 1)[1], flags=re.S)
    text = __import__("html").unescape(re.sub(r"<[^>]+>", " ", body))
    return sorted({ch for ch in text if ch.isprintable() and not ch.isspace() and ord(ch) not in cmap})


def browser_dom(page, tmp_path):
    """(DOM after load, Chromium flags, URL) of ``page``, checked: every image decoded, every text
    node drawn in the embedded font, which has a glyph for each character shown (no tofu)."""
    browser = _chromium()
    assert browser, "CAPSIM_REQUIRE_BROWSER is set but Chromium is not installed"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
             "--virtual-time-budget=5000"]
    url = page.as_uri()
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    n_images = dom.count("<img ")
    assert f'data-images="{n_images}/{n_images}"' in dom
    assert 'data-off-font="0"' in dom and 'data-font-loaded="true"' in dom   # every text node in the embedded font
    assert _text_missing_from_embedded_font(dom) == []                       # ... and it has each glyph: no tofu
    return dom, flags, url


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not _chromium() and not __import__("os").environ.get("CAPSIM_REQUIRE_BROWSER"),
                    reason="no Chromium here (CI installs it and sets CAPSIM_REQUIRE_BROWSER)")
def test_page_loads_in_a_real_browser_with_every_image(written, tmp_path):
    dom, flags, url = browser_dom(written / "report.html", tmp_path)
    assert dom.count("<img ") >= 6
    districts = dom.split('id="districts"')[1].split("<h2")[0]
    assert "北区" in districts and "南区" in districts and "seat_gap_by_region.png" in districts
    assert "map.png" in districts and "within its boundary" in districts       # the tiny example's outlines
    schools = dom.split('id="schools-table"')[1].split("</table>")[0]
    assert schools.count("<tr>") == 1 + 41 and "北区第1小学" in schools     # 36 schools and 5 planned sites
    first = dom.split("<body", 1)[1]                  # the page opens with the question and the verdicts
    assert first.index('id="answer"') < first.index("class=\"cards\"") < first.index('id="districts"')
    answer = first.split('id="answer"')[1].split('class="cards"')[0]
    assert "问题 Question" in answer and answer.count("<tr>") == 1 + 2 * 3   # 3 targets, before and after
    shot = tmp_path / "shot.png"
    subprocess.run(flags + ["--window-size=1200,2400", f"--screenshot={shot}", url], capture_output=True, timeout=120)
    img = matplotlib.image.imread(shot)
    assert img.shape[:2] == (2400, 1200)
    gray = img[..., :3].mean(axis=-1)
    assert (gray < 0.3).mean() > 0.002          # text and plots are drawn, not a blank page
    assert (gray > 0.9).mean() > 0.5            # on a light background


def test_a_level_with_unknown_seats_says_so_instead_of_drawing_zeros(tiny_res):
    t = from_results(tiny_res)
    before = t.assessment.copy()
    before.loc[before.level == "senior", ["lawful_seats", "seats"]] = np.nan
    from dataclasses import replace

    ax = capsim.plot.seat_gap(replace(t, assessment=before), level="senior")
    assert not ax.containers and "seats unknown" in ax.texts[0].get_text()


def test_the_summary_lists_the_worst_district_years_and_never_nets_a_surplus_against_a_shortage():
    from capsim.reports.summary import shortage_by_year, worst

    a = pd.DataFrame({"year": [2030, 2030, 2031, 2031], "region": ["a", "b", "a", "b"], "level": "primary",
                      "students": [1100.0, 700, 1000, 700], "seats": 1000.0, "lawful_seats": 1000.0,
                      "oversized_classes": [3.0, 0, 0, 0]})
    by_year = shortage_by_year(a).set_index("year")
    assert by_year.shortage.tolist() == [100, 0]         # not 100 - 300 = -200 netted over a and b
    top = worst(a, "shortage")
    assert top[["region", "year", "value", "years"]].values.tolist() == [["a", 2030, 100.0, "2030"]]
    assert worst(a, "oversized_classes").value.tolist() == [3.0]


def test_cli_summary_names_districts_by_name_and_reconciles_the_cost(tiny_res):
    from capsim.reports.summary import plan_summary

    text = plan_summary(tiny_res)
    assert "worst district-years by shortage" in text and "worst district-years by oversized classes" in text
    worst_line = text.split("worst district-years by shortage")[1].splitlines()[1]
    assert "北区" in worst_line and "2,290 seats short" in worst_line       # north junior 2028, not netted
    assert "3.03 亿元 in total, 3.03 亿元 of it inside the plan years" in text


def test_district_bands_share_a_scale_per_level_and_show_few_year_ticks(tiny_res):
    from capsim.reports.figures import districts_figure
    from capsim.reports.plots import gap_by_year

    t = from_results(tiny_res)
    levels = list(dict.fromkeys(t.assessment.level))
    fig = districts_figure(t, ["north", "south"], levels)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["幼儿园 kindergarten", "小学 primary", "初中 junior",
                                                                  "高中 senior"]
    assert [tk.get_text() for tk in fig.axes[0].get_yticklabels()] == ["北区", "南区"]    # a band per district
    for ax, level in zip(fig.axes, levels):
        bars = {c.get_label(): [p.vertices for p in c.get_paths()] for c in ax.collections
                if not c.get_label().startswith("_")}
        units = []
        for stage, table in (("before", tiny_res.assessment), ("after", tiny_res.assessment_after_plan)):
            for kind, sign in (("surplus", 1), ("shortage", -1)):
                drawn = bars[f"{kind} {stage}"]
                for centre, region in ((0.0, "north"), (-1.0, "south")):
                    gap = gap_by_year(table, region=region, level=level)[kind]
                    mine = [v for v in drawn if v[0, 1] == centre]               # the district's band: its zero
                    assert [(v[0, 0] + v[2, 0]) / 2 for v in mine] == pytest.approx(gap.index + (-0.2 if stage ==
                                                                                     "before" else 0.2))
                    heights = np.array([v[1, 1] - v[0, 1] for v in mine])
                    assert np.all(np.abs(heights) <= 0.45 + 1e-9)              # within the band
                    units += list(sign * heights[gap > 0] / gap[gap > 0])
        np.testing.assert_allclose(units, units[0])                            # one scale for every band of a level
        scale = float(ax.get_title().split("±")[1].split(" ")[0].replace(",", ""))
        dotted = [seg[0, 1] for c in ax.collections if c.get_label() == "_scale" for seg in c.get_segments()]
        assert sorted(dotted) == pytest.approx(sorted([0 + scale * units[0], 0 - scale * units[0], -1 + scale * units[0],
                                                       -1 - scale * units[0]]))   # the dotted lines are where it says
    fig.canvas.draw()
    low, high = fig.axes[0].get_xlim()
    ticks = [tk.get_text() for tk in fig.axes[0].get_xticklabels()          # below the bands (also above them)
             if tk.get_position()[1] == 0 and low <= tk.get_position()[0] <= high]
    assert 2 <= len(ticks) <= 6 and all(len(tk) == 4 and tk.isdigit() for tk in ticks)
    matplotlib.pyplot.close(fig)


def test_school_table_sums_each_schools_grades_before_and_after(tiny_res):
    from capsim.reports.schools import school_table

    t = from_results(tiny_res)
    table = school_table(t).set_index("school")
    per_year = tiny_res.assessment_before.grades.groupby(["school", "year"]).oversized_classes.sum()
    np.testing.assert_allclose(table.loc["NP1", "oversized_classes_max_before"], per_year.loc["NP1"].max())
    assert table.loc["NP1", "region"] == "北区"
    new = table.loc["J-N1"] if "J-N1" in table.index else table[table.name == "北区第三中学"].iloc[0]
    assert pd.isna(new.students_peak_before) and new.students_peak_after > 0     # a new school: after only


def test_plots_refuse_an_unknown_level_region_or_quantile(tiny_res):
    with pytest.raises(ValueError, match=r"The 'level' parameter of seat_gap must be one of \['kindergarten', "
                                         r"'primary', 'junior', 'senior'\] or None. Got 'middle' instead."):
        capsim.plot.seat_gap(tiny_res, level="middle")
    with pytest.raises(ValueError, match="The 'region' parameter of oversized_classes must be one of"):
        capsim.plot.oversized_classes(tiny_res, region="east")
    with pytest.raises(ValueError, match="The 'band' parameter of fan_chart must be one of"):
        capsim.plot.fan_chart(tiny_res, "primary", band=(0.05, 0.95))


def test_a_level_without_class_data_says_so_instead_of_an_empty_axis(tiny_res):
    from dataclasses import replace

    from capsim.reports.headlines import headlines
    from capsim.reports.html import _cards

    t = from_results(tiny_res)
    no_classes = {c: np.nan for c in ("oversized_classes", "classes_56_65", "classes_66_plus")}
    t = replace(t, assessment=t.assessment.assign(**no_classes),
                assessment_after_plan=t.assessment_after_plan.assign(**no_classes))
    ax = capsim.plot.oversized_classes(t, level="primary")
    assert not ax.containers and "no class data" in ax.texts[0].get_text()
    cards = _cards(t, headlines(t))
    assert "no class data" in cards and ">0<" not in cards
    from capsim.reports.figures import report_figures

    figures = report_figures(t)
    assert "oversized_classes.png" not in figures              # no figure of unknowns
    for name, fig in figures.items():                          # and no empty axis anywhere else
        for ax in (a for a in fig.axes if a.get_visible()):
            drawn = [p for p in ax.patches if _has_area(p)] + ax.lines + ax.collections
            assert drawn or ax.texts, (name, ax.get_title())
        matplotlib.pyplot.close(fig)


def test_cost_before_the_plan_counts_every_project_that_starts_works_before_the_first_plan_year():
    """Base year 2021, first plan year 2022: a project started in 2020 spends 100 before it, one
    started in the base year 2021 spends 60 - 30 = 30 before it (it was left out when only starts
    before the base year counted), one started in 2022 nothing; the card says 130."""
    from capsim.reports.headlines import _cost_before

    schedule = pd.DataFrame({"start_year": [2020.0, 2021.0, 2022.0], "cost_yuan": [100.0, 60.0, 50.0],
                             "cost_in_plan_years_yuan": [0.0, 30.0, 50.0]})
    assert _cost_before(schedule, 2022) == 130.0
    assert _cost_before(schedule.drop(columns="start_year"), 2022) == 0.0


def test_the_cost_card_counts_the_refits_of_converted_schools_as_the_spending_table_does(tiny_res):
    """With conversions, the refits are in spending.csv but no schedule row: the card read
    'cost 2.83 亿元, 2.99 亿元 of it inside the plan years'."""
    from dataclasses import replace

    from capsim.reports.headlines import headlines

    t = from_results(tiny_res)
    refit = pd.DataFrame({"year": [2025], "school": ["NP1"], "level": ["primary"], "into": ["junior"],
                          "classrooms": [6.0], "cost_yuan": [1_800_000.0]})
    t = replace(t, conversions=refit, spending=pd.concat([t.spending, pd.DataFrame(
        {"year": [2025], "project": ["NP1 → junior"], "cost_yuan": [1_800_000.0]})], ignore_index=True))
    h = headlines(t)
    assert h["refit_cost_yuan"] == 1_800_000.0
    assert h["cost_total_yuan"] == pytest.approx(t.schedule.cost_yuan.sum() + 1_800_000.0)
    assert h["cost_total_yuan"] == pytest.approx(h["cost_in_plan_years_yuan"] + h["cost_before_plan_yuan"])


def _has_area(patch) -> bool:
    """A bar with a height or width, or an outline (a map's district) with vertices."""
    if hasattr(patch, "get_height"):
        return bool(patch.get_height() or patch.get_width())
    return len(patch.get_path().vertices) > 2


def test_page_formats_years_people_and_money_and_uses_the_font_in_pre(written):
    page = (written / "report.html").read_text(encoding="utf-8")
    schedule = page.split("<h2 id='schedule'>")[1].split("<h2")[0]
    assert "<td>2022</td>" in schedule and "2,02" not in schedule     # years as years, seats and money apart
    assert "亿元" in page and "万元" in page and "million yuan" not in page   # a Chinese scenario
    assert "body, pre, code" in page and "'Noto Sans SC'" in page
    for anchor in ("worst", "districts", "schools", "schedule"):
        assert f"<h2 id='{anchor}'>" in page
    assert "北区" in page.split("<h2 id='districts'>")[1] and "north" not in page.split("<h2 id='worst'>")[1] \
        .split("<h2 id='schedule'>")[0]


def test_workbook_has_formats_frozen_bilingual_headers_and_documents_every_column(tiny_res, written):
    from capsim.reports.excel import SHEETS, workbook_sheets

    sheets = workbook_sheets(from_results(tiny_res))
    assert list(sheets) == ["headline", "worst", "districts", "schools", "students_by_level", "assessment", "schedule",
                            "shortfalls", "spending", "plan_summary", "seats_by_grade_after_plan", "targets", "ledger",
                            "columns"]
    documented = sheets["columns"]
    assert len(documented) == sum(len(f.columns) for name, f in sheets.items() if name != "columns")
    assert (documented["meaning 含义"] != "—").all(), documented[documented["meaning 含义"] == "—"]
    with zipfile.ZipFile(written / "capsim_tables.xlsx") as z:
        book = z.read("xl/workbook.xml").decode("utf-8")
        styles = z.read("xl/styles.xml").decode("utf-8")
        first = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        shared = z.read("xl/sharedStrings.xml").decode("utf-8")
    assert all(f'name="{SHEETS[name]}"' in book for name in sheets)
    assert 'formatCode="#,##0"' in styles and 'formatCode="0%"' in styles
    assert 'state="frozen"' in first and "<autoFilter" in first
    assert "区域 region" in shared and "学段 level" in shared and "北区" in shared


def test_validate_list_names_each_override_with_its_description_and_keys(capsys):
    from capsim.cli import main

    assert main(["validate", "scenarios/kunming.toml", "--list"]) == 0
    out = capsys.readouterr().out
    assert "low_births\n      WPP2024 low-fertility variant" in out
    assert "sets data.tfr = '../data/kunming/tfr_low.csv'" in out and "sets plan.gap = 0.01" in out
    assert main(["validate", "no/such.toml", "--list"]) == 2


def test_an_override_description_is_its_header_comment_with_what_continues_it():
    """Hualong's compulsory_only read "the school list has no": the comment goes on beside the
    key below its header; Kunming's all_levels, described in the lines above its header, read
    nothing."""
    from capsim.reports.overrides import _notes

    text = """# not this: a blank line follows

# forecast the younger
# levels too
[overrides.all_levels.education.kindergarten]
enabled = true

[overrides.only.education.senior]  # plan only primary and junior: the list has no
enabled = false                    # kindergartens or senior schools
grades = 3
rate = 1  # a key's own comment, not the description's
[overrides.only.plan]  # and a second header
"""
    assert _notes(text) == {"all_levels": ["forecast the younger levels too"],
                            "only": ["plan only primary and junior: the list has no kindergartens or senior schools",
                                     "and a second header"]}


def test_python_dash_m_capsim_is_the_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "capsim", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "validate" in done.stdout and "usage: capsim" in done.stdout


def test_the_report_columns_doc_is_up_to_date(capsys):
    import runpy
    from pathlib import Path

    runpy.run_path(str(Path(__file__).parents[1] / "docs" / "gen_report_doc.py"), run_name="__main__")
    assert capsys.readouterr().out == (Path(__file__).parents[1] / "docs" / "report-columns.md").read_text("utf-8")


def test_a_map_is_drawn_only_where_the_scenario_gives_coordinates(tiny_res, tiny):
    """Points come from the regions table through the run's ``places`` table, not a second read."""
    from dataclasses import replace

    from capsim.reports.figures import map_figure, report_figures

    t = from_results(tiny_res)
    assert t.places == {}                                          # tiny gives no points, but outlines
    assert t.outlines is not None and "map.png" in report_figures(t)
    (tiny / "regions.csv").write_text("region,name,lon,lat\nnorth,北区,101.78,36.64\nsouth,南区,101.77,36.60\n",
                                      encoding="utf-8")
    placed = capsim.run(capsim.load_scenario(tiny / "scenario.toml", use=["deterministic"]))
    assert placed.places.kind.unique().tolist() == ["regions"]
    places = from_results(placed).places
    assert list(places) == ["regions"] and places["regions"].x.tolist() == [101.78, 101.77]
    fig = map_figure(replace(t, places=places))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "2020 · 规划前 before" in titles and "2030 · 规划后 after" in titles
    labels = [tx.get_text() for ax in fig.axes for tx in ax.texts]
    assert any(s.startswith("北区\n") for s in labels)
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="The 'year' parameter of seat_gap_map must be one of"):
        capsim.plot.seat_gap_map(replace(t, places=places), 1999)
    assert "map.png" not in report_figures(replace(t, outlines=None))    # neither: no map, no error


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(not _soffice() and not __import__("os").environ.get("CAPSIM_REQUIRE_LIBREOFFICE"),
                    reason="no LibreOffice here (CI installs it and sets CAPSIM_REQUIRE_LIBREOFFICE)")
def test_workbook_opens_in_libreoffice_and_shows_its_number_formats(written, tmp_path):
    soffice = _soffice()
    assert soffice, "CAPSIM_REQUIRE_LIBREOFFICE is set but LibreOffice is not installed"
    # CSV of every sheet (-1), cells as shown (the 9th token), UTF-8 (76)
    target = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", target, "--outdir", str(tmp_path), str(written / "capsim_tables.xlsx")],
                   capture_output=True, timeout=240)
    sheets = {p.stem.split("-", 1)[1]: p for p in tmp_path.glob("capsim_tables-*.csv")}
    assert {"学校 schools", "区域 districts", "字段说明 columns", "项目 schedule", "概要 headline"} <= set(sheets)
    headline = pd.read_csv(sheets["概要 headline"], dtype=str, keep_default_na=False)
    assert "3.03 亿元" in set(headline["数值 figure"])
    schools = pd.read_csv(sheets["学校 schools"], dtype=str, keep_default_na=False)
    assert list(schools.columns[:4]) == ["学校 school", "名称 name", "区域 region", "类型 type"]
    np1 = schools[schools["学校 school"] == "NP1"].iloc[0]
    assert np1["区域 region"] == "北区" and np1["类型 type"] == "小学 primary"
    assert np1["首年学生 students first (规划前 before)"] == "2,069"          # thousands, no decimals
    assert np1["峰值年份 peak year (规划前 before)"] == "2020"                 # a year, not 2,020
    assert np1["最高使用率 utilisation max (规划前 before)"] == "109%"
    schedule = pd.read_csv(sheets["项目 schedule"], dtype=str, keep_default_na=False)
    assert "75,000,000" in set(schedule["投资（元） cost yuan"])


def test_school_figures_worked_by_hand():
    from capsim.reports.schools import _figures

    frame = pd.DataFrame({"year": [2021, 2020, 2022, 2020, 2021, 2022], "school": ["A", "A", "A", "B", "B", "B"],
                          "students": [900.0, 800, 700, np.nan, np.nan, np.nan], "seats": 850.0,
                          "classes": [18.0, 17, 16, 5, 5, 5], "utilisation": [900 / 850, 800 / 850, 700 / 850, 0, 0, 0],
                          "oversized_classes": [2.0, 0, 1, 0, 0, 0], "classes_56_65": [1.0, 0, 0, 0, 0, 0],
                          "classes_66_plus": 0.0, "oversized": [False, False, True, False, False, False]})
    f = _figures(frame)
    assert f.loc["A", ["students_first", "students_peak", "peak_year", "classes_first"]].tolist() == [800, 900, 2021, 17]
    assert f.loc["A", "oversized_classes_max"] == 2 and f.loc["A", "classes_56_65_max"] == 1
    assert f.loc["A", "over_seats_years"] == "2021" and f.loc["A", "too_big_years"] == "2022"
    assert "2021" in f.loc["A", "oversized_classes_years"] and "2022" in f.loc["A", "oversized_classes_years"]
    assert f.loc["B", "peak_year"] == 2020 and f.loc["B", "over_seats_years"] == ""     # no pupils known: first year


def test_district_problems_worked_by_hand():
    from capsim.reports.summary import district_problems

    a = pd.DataFrame({"year": [2031, 2030, 2032, 2030, 2031, 2032], "region": ["b", "b", "b", "a", "a", "a"],
                      "level": "primary", "students": [1200.0, 1100, 1200, 500, 500, 500], "seats": np.nan,
                      "lawful_seats": [1000.0, 1000, 1000, np.nan, np.nan, np.nan],
                      "oversized_classes": [2.0, 0, 3, np.nan, np.nan, np.nan]})
    p = district_problems(a).set_index("region")
    assert list(p.index) == ["b", "a"]                                       # in the order of the table
    b = p.loc["b"]
    assert (b.shortage_max, b.shortage_max_year, b.shortage_years, b.shortage_seat_years) == (200, 2031, "2030–2032",
                                                                                             500)
    assert (b.oversized_max, b.oversized_max_year, b.oversized_years) == (3, 2032, "2031–2032")
    unknown = p.loc["a"]                                                     # no seats, no classes: unknown, not 0
    assert np.isnan(unknown.shortage_max) and np.isnan(unknown.shortage_max_year) and unknown.shortage_years == ""
    assert np.isnan(unknown.shortage_seat_years) and np.isnan(unknown.oversized_max) and unknown.oversized_years == ""


def test_a_district_without_seats_says_so_in_its_band(tiny_res):
    from dataclasses import replace

    from capsim.reports.figures import districts_figure

    t = from_results(tiny_res)
    before = t.assessment.copy()
    before.loc[(before.level == "senior") & (before.region == "south"), ["lawful_seats", "seats"]] = np.nan
    fig = districts_figure(replace(t, assessment=before), ["north", "south"], list(dict.fromkeys(t.assessment.level)))
    said = [(ax.get_title().split("\n")[0], tx.get_position()[1], tx.get_text()) for ax in fig.axes for tx in ax.texts]
    assert len(said) == 1 and said[0][:2] == ("高中 senior", -1) and "seats unknown" in said[0][2]
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("command", ["run", "project", "assess", "plan", "report", "sweep", "robust", "validate",
                                     "backtest"])
def test_every_command_has_help_that_reads_as_written(command, capsys):
    """``capsim COMMAND --help`` exits 0 and prints its description with no argparse escape left
    in it (a ``%%`` in a description is printed as is)."""
    from capsim.cli import main

    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and f"usage: capsim {command}" in out and "%%" not in out
