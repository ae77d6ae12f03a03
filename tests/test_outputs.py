"""Outputs never destroy: capsim writes only into folders it made, whole or not at all; inputs
stay inside the scenario's tree; names reach workbooks and plots as text.

Each test names the defect it guards against (issue: never lose a user's files).
"""

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from capsim import outputs
from capsim.cli import main
from capsim.errors import OutputError

FAST = ["--use", "deterministic", "--quiet"]


def project(scenario, *args):
    return main(["project", str(scenario), *FAST, *args])


def tree(folder: Path) -> dict:
    """Every file under ``folder`` with its bytes: what a test checks nothing has touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- folders capsim may write


def test_a_folder_holding_a_foreign_file_is_refused_and_kept(tiny, tmp_path, capsys):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"four years of work")
    assert main(["run", str(tiny / "scenario.toml"), "--out", str(out), *FAST]) == 2
    assert main(["run", str(tiny / "scenario.toml"), "--out", str(out), "--force", *FAST]) == 2
    assert tree(out) == {"thesis.docx": b"four years of work"}
    err = capsys.readouterr().err
    assert "was not written by capsim (it holds thesis.docx)" in err and "Fix: give a new or empty folder" in err


def test_the_working_directory_is_refused_and_nothing_is_deleted(tiny, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "data" / "survey.csv").write_text("a,b\n1,2\n")
    (work / "thesis.tex").write_text("\\chapter{}")
    before = tree(work)
    monkeypatch.chdir(work)
    assert main(["run", str(tiny / "scenario.toml"), "--out", ".", *FAST]) == 2
    assert main(["run", str(tiny / "scenario.toml"), "--out", "..", "--force", *FAST]) == 2
    assert tree(work) == before
    assert "is the working directory or a folder above it" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["scenario folder", "its parent"])
def test_the_scenarios_own_folder_and_its_parents_are_refused(tiny, where):
    out = tiny if where == "scenario folder" else tiny.parent
    before = tree(out)
    assert project(tiny / "scenario.toml", "--out", str(out), "--force") == 2
    assert tree(out) == before


def test_root_home_and_data_folders_are_refused_before_any_work():
    for folder in ("/", str(Path.home())):
        with pytest.raises(OutputError, match="root or the home folder"):
            outputs.claim(folder, "run", force=True)


def test_a_symbolic_link_is_refused_and_its_target_kept(tiny, tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    assert project(tiny / "scenario.toml", "--out", str(link)) == 2
    assert tree(target) == {"keep.txt": b"keep"} and link.is_symlink()


def test_a_file_is_refused(tiny, tmp_path):
    out = tmp_path / "notes.txt"
    out.write_text("notes")
    assert project(tiny / "scenario.toml", "--out", str(out), "--force") == 2
    assert out.read_text() == "notes"


def test_a_folder_under_a_file_is_refused_before_any_work(tiny, tmp_path, monkeypatch, capsys):
    """It used to run the whole scenario, then fail making the folder with a traceback."""
    (tmp_path / "notes.txt").write_text("notes")
    monkeypatch.setattr("capsim.projection.project", lambda *a, **k: pytest.fail("worked before refusing"))
    assert main(["run", str(tiny / "scenario.toml"), "--out", str(tmp_path / "notes.txt" / "x")]) == 2
    assert "notes.txt is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "notes"


def test_a_folder_the_system_will_not_make_is_an_output_problem_not_a_traceback(tiny, tmp_path, monkeypatch, capsys):
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(outputs.os, "mkdir", refuse)
    assert project(tiny / "scenario.toml", "--out", str(tmp_path / "new")) == 2
    assert "cannot be made: Permission denied" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_the_same_command_replaces_its_own_results(tiny, tmp_path):
    out = tmp_path / "o"
    assert project(tiny / "scenario.toml", "--out", str(out)) == 0
    written = outputs.read_marker(out)["sha256"]
    (out / "students.csv").unlink()
    assert project(tiny / "scenario.toml", "--out", str(out)) == 0
    assert (out / "students.csv").read_text(encoding="utf-8-sig").startswith("year,")
    assert outputs.read_marker(out)["sha256"] == written           # the same results, whole again
    assert outputs.read_marker(out)["command"] == "project"


def test_a_file_changed_by_hand_is_never_replaced_even_with_force(tiny, tmp_path, capsys):
    """Rerunning the same command replaced a students.csv the user had added a line to."""
    out = tmp_path / "p"
    assert project(tiny / "scenario.toml", "--out", str(out)) == 0
    with open(out / "students.csv", "a", encoding="utf-8") as f:
        f.write("my,own,line\n")
    before = tree(out)
    for extra in ([], ["--force"]):
        assert project(tiny / "scenario.toml", "--out", str(out), *extra) == 2
        assert "students.csv, changed since capsim wrote it" in capsys.readouterr().err
    assert tree(out) == before
    (out / "students.csv").unlink()                                  # a file deleted by hand: nothing to lose
    assert project(tiny / "scenario.toml", "--out", str(out)) == 0


def test_another_command_needs_force_and_a_file_added_by_hand_blocks_even_force(tiny, tmp_path, capsys):
    out = tmp_path / "o"
    assert project(tiny / "scenario.toml", "--out", str(out)) == 0
    assert main(["assess", str(tiny / "scenario.toml"), "--out", str(out), *FAST]) == 2
    assert "`capsim project`" in capsys.readouterr().err
    assert main(["assess", str(tiny / "scenario.toml"), "--out", str(out), "--force", *FAST]) == 0
    assert (out / "assessment.csv").is_file() and outputs.read_marker(out)["command"] == "assess"
    (out / "my notes.txt").write_text("mine")
    assert main(["assess", str(tiny / "scenario.toml"), "--out", str(out), "--force", *FAST]) == 2
    assert (out / "my notes.txt").read_text() == "mine"
    assert "also holds my notes.txt, which capsim did not write" in capsys.readouterr().err


def test_commands_do_not_overwrite_each_other_by_default(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(tiny / "scenario.toml"), *FAST]) == 0
    report = (tmp_path / "out" / "tiny" / "report.html").read_bytes()
    assert project(tiny / "scenario.toml") == 0
    assert (tmp_path / "out" / "tiny" / "report.html").read_bytes() == report
    assert (tmp_path / "out" / "tiny-project" / "students.csv").is_file()


def test_backtests_of_two_histories_do_not_collide_by_default(tmp_path, monkeypatch):
    """Both of README's backtest commands, in turn, with no --out: the second was refused, as both
    wrote out/backtest."""
    root = Path(__file__).parents[1]
    monkeypatch.chdir(tmp_path)
    for history in ("data/china/history.csv", "data/provinces/history.csv"):
        assert main(["backtest", str(root / history), "--horizons", "1", "--no-select", "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["china_history-backtest",
                                                                    "provinces_history-backtest"]


@pytest.mark.parametrize("name", ["..", "/abs/path", "../../etc", ".", "a/b", "", "$x"])
def test_a_scenario_name_is_a_label_confined_under_out(name):
    folder = outputs.default_folder(name, "run")
    assert folder.parent == Path("out") and folder.name not in ("", ".", "..") and "/" not in folder.name


def test_a_name_of_dots_writes_under_out_not_over_the_working_directory(tiny, tmp_path, monkeypatch):
    scenario = tiny / "scenario.toml"
    scenario.write_text(scenario.read_text().replace('name = "tiny"', 'name = ".."'))
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    assert project(scenario) == 0
    assert (work / "keep.txt").read_text() == "keep"
    assert (work / "out" / "scenario-project" / "students.csv").is_file()


# ---------------------------------------------------------------- whole or absent


def test_the_swap_is_one_exchange_so_old_or_new_results_are_always_there(tmp_path, monkeypatch):
    out = tmp_path / "o"
    outputs.write_files(out, {}, texts={"a.txt": "old"})
    seen = []
    real = outputs._exchange

    def exchange(a, b):
        seen.append((out / "a.txt").read_text())   # just before the swap: the old results
        done = real(a, b)
        seen.append((out / "a.txt").read_text())   # just after: the new ones
        return done

    monkeypatch.setattr(outputs, "_exchange", exchange)
    outputs.write_files(out, {}, texts={"a.txt": "new"})
    if sys.platform.startswith("linux"):
        assert seen == ["old", "new"]
    assert (out / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["o"]        # nothing left beside it


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_kill_between_two_renames_is_repaired_by_the_next_run(tmp_path, monkeypatch):
    out = tmp_path / "o"
    outputs.write_files(out, {}, texts={"a.txt": "old"})
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)        # a system without the exchange
    calls = []
    real_replace = os.replace

    def killed_on_second_rename(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", killed_on_second_rename)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_files(out, {}, texts={"a.txt": "new"})
    monkeypatch.setattr(outputs.os, "replace", real_replace)
    assert not out.exists()
    (old,) = [p for p in tmp_path.iterdir() if ".capsim-old." in p.name]
    old.rename(old.with_name(old.name.replace(f".{os.getpid()}.", f".{_dead_pid()}.")))
    outputs._clean_leftovers(out)                       # what the next run does first
    assert (out / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_temporary_folders_of_killed_runs_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "o"
    stale = tmp_path / f".o.capsim-tmp.{_dead_pid()}.abcd1234"
    stale.mkdir()
    (stale / "students.csv").write_text("year,reg")      # a truncated CSV
    live = tmp_path / f".o.capsim-tmp.{os.getpid()}.abcd1234"   # a run still going: kept
    live.mkdir()
    outputs.write_files(out, {}, texts={"a.txt": "x"})
    assert not stale.exists() and live.exists()


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_folder_permissions_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        outputs.write_files(tmp_path / "o", {}, texts={"a.txt": "x"})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "o").stat().st_mode) == 0o777 & ~umask


# ---------------------------------------------------------------- contained inputs


def test_a_table_outside_the_scenarios_tree_is_refused_and_not_echoed(tiny, capsys):
    scenario = tiny / "scenario.toml"
    scenario.write_text(scenario.read_text().replace('regions = "regions.csv"', 'regions = "/proc/self/environ"'))
    os.environ["CAPSIM_TEST_SECRET"] = "hunter2-do-not-print"
    try:
        assert main(["validate", str(scenario)]) == 2
    finally:
        del os.environ["CAPSIM_TEST_SECRET"]
    err = capsys.readouterr().err
    assert "data.regions: lies outside the scenario's folder tree" in err and "--data-root" in err
    assert "hunter2" not in err


def test_extends_outside_the_tree_is_refused(tmp_path):
    from capsim.errors import ScenarioError
    from capsim.scenario import load_scenario

    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "base.toml").write_text('name = "b"\n')
    (tmp_path / "mine").mkdir()
    child = tmp_path / "mine" / "s.toml"
    child.write_text('extends = "../elsewhere/base.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError, match="extends: lies outside the scenario's folder tree"):
        load_scenario(child)


def test_a_named_data_root_or_a_project_root_file_lets_tables_live_beside(tiny, tmp_path, capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    (tiny / "regions.csv").rename(shared / "regions.csv")
    scenario = tiny / "scenario.toml"
    scenario.write_text(scenario.read_text().replace('regions = "regions.csv"', 'regions = "../shared/regions.csv"'))
    assert main(["validate", str(scenario)]) == 2
    assert main(["validate", str(scenario), "--data-root", str(shared)]) == 0
    (tmp_path / ".capsim-root").write_text("")
    assert main(["validate", str(scenario)]) == 0


def test_a_cell_is_quoted_cut_short_never_a_whole_line(tiny, capsys):
    long = "x" * 5000
    (tiny / "regions.csv").write_text(f"{long}\nnorth\n")
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert "(5000 characters)" in err and long not in err


def test_names_reach_the_workbook_as_text_and_plots_as_written(tiny, tmp_path):
    projects = tiny / "projects.csv"        # the committed project, always in the schedule and timeline:
    projects.write_text(projects.read_text(encoding="utf-8").replace(   # a formula, and unbalanced mathtext
        "北区第2中学扩建", "=1+2 扩建 $\\frac{$ 期"), encoding="utf-8")
    out = tmp_path / "o"
    assert main(["run", str(tiny / "scenario.toml"), "--out", str(out), *FAST]) == 0
    with zipfile.ZipFile(out / "capsim_tables.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in book.read(n) for n in sheets)
        assert "=1+2 扩建".encode() in book.read("xl/sharedStrings.xml")


# ---------------------------------------------------------------- capsim report on a saved folder


@pytest.fixture(scope="module")
def one_run(tmp_path_factory) -> Path:
    from capsim.examples import tiny_path

    out = tmp_path_factory.mktemp("saved") / "run"
    assert main(["run", str(tiny_path()), "--out", str(out), *FAST]) == 0
    return out


@pytest.fixture
def saved_run(one_run, tmp_path) -> Path:
    """A copy of one saved run (its marker too): capsim's own folder, to damage."""
    import shutil

    return Path(shutil.copytree(one_run, tmp_path / "run"))


@pytest.mark.parametrize("damage", ["truncate csv", "delete csv", "garble toml", "delete marker", "foreign file"])
def test_report_on_a_damaged_folder_is_a_clear_error(saved_run, damage, capsys):
    if damage == "truncate csv":
        data = (saved_run / "assessment.csv").read_bytes()
        (saved_run / "assessment.csv").write_bytes(data[: len(data) // 3])
    elif damage == "delete csv":
        (saved_run / "students_by_level.csv").unlink()
    elif damage == "garble toml":
        (saved_run / "scenario.resolved.toml").write_text("name = [unclosed\n")
    elif damage == "delete marker":
        (saved_run / outputs.MARKER).unlink()
    else:
        (saved_run / "mine.txt").write_text("mine")
    before = tree(saved_run)
    assert main(["report", str(saved_run), "--quiet"]) == 2
    assert tree(saved_run) == before
    err = capsys.readouterr().err
    assert "Fix:" in err and "Traceback" not in err


def test_report_rebuilds_a_whole_folder(saved_run):
    (saved_run / "report.html").unlink()
    assert main(["report", str(saved_run), "--quiet"]) == 0
    assert (saved_run / "report.html").stat().st_size > 10_000
    assert outputs.changed_files(saved_run, outputs.read_marker(saved_run)) == []


def test_report_rebuilds_a_report_changed_by_hand(saved_run):
    """capsim report rewrites the report it made: a hand-edited report.html is no table of the run
    (it was refused after the whole report was built, naming an --out it does not have)."""
    (saved_run / "report.html").write_text("my notes", encoding="utf-8")
    assert main(["report", str(saved_run), "--quiet"]) == 0
    assert (saved_run / "report.html").stat().st_size > 10_000


def test_sweep_and_backtest_refuse_a_foreign_folder(tiny, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.csv").write_text("a\n1\n")
    assert main(["sweep", str(tiny / "scenario.toml"), "--grid", "plan.discount_rate=0,0.03", "--out", str(out),
                 "--quiet", "--force"]) == 2
    history = tmp_path / "h.csv"
    history.write_text("area,series,year,value\n")
    assert main(["backtest", str(history), "--out", str(out), "--quiet", "--force"]) == 2
    assert tree(out) == {"keep.csv": b"a\n1\n"}
