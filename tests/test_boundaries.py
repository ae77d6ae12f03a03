"""Region boundaries (data.boundaries): read, checked and drawn on the report's map."""

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

import capsim
from capsim.boundaries import label_points, read_outlines, signed_area
from capsim.errors import Problems

SQUARE = [[0, 0], [0, 2], [2, 2], [2, 0], [0, 0]]          # clockwise: turned to run anticlockwise
HOLE = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]]      # anticlockwise, not closed: turned clockwise


def _write(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _feature(region, kind, coordinates):
    return {"type": "Feature", "properties": {"region": region}, "geometry": {"type": kind, "coordinates": coordinates}}


def test_rings_are_read_turned_and_labelled_by_hand(tmp_path):
    """A 2 x 2 square with a 1 x 1 hole and a second part: areas 4, -1 (the hole runs clockwise)
    and 1; the label sits at the larger part's centre (1, 1)."""
    path = _write(tmp_path / "b.geojson", [
        _feature("a", "Polygon", [SQUARE, HOLE]),
        _feature("b", "MultiPolygon", [[[[3, 0], [4, 0], [4, 1], [3, 1]]]]),
        {"type": "Feature", "id": "b", "properties": {}, "geometry": {"type": "Polygon",
                                                                     "coordinates": [[[5, 0], [9, 0], [9, 4], [5, 4]]]}},
    ])
    problems = Problems()
    t = read_outlines(path, ["a", "b"], problems)
    assert not problems
    rings = {key: rows[["x", "y"]].to_numpy() for key, rows in t.groupby(["region", "part", "ring"])}
    assert sorted(rings) == [("a", 0, 0), ("a", 0, 1), ("b", 0, 0), ("b", 1, 0)]
    assert [signed_area(rings[k]) for k in sorted(rings)] == [4.0, -1.0, 1.0, 16.0]
    assert len(rings[("a", 0, 0)]) == 4                                  # the closing vertex dropped
    labels = label_points(t).set_index("region")
    assert labels.loc["a"].tolist() == pytest.approx([1.0, 1.0])
    assert labels.loc["b"].tolist() == pytest.approx([7.0, 2.0])          # the larger part


def test_every_fault_of_a_boundaries_file_is_named_at_once(tiny, capsys):
    from capsim.cli import main

    ring = [[101.7, 36.6], [101.8, 36.6], [101.8, 36.7]]
    _write(tiny / "boundaries.geojson", [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        _feature("east", "Polygon", [ring]),
        _feature("north", "Point", [101.7, 36.6]),
        _feature("north", "Polygon", [ring[:2]]),
        _feature("north", "Polygon", [[[36.6, 101.7], [36.7, 101.8], [36.6, 101.8]]]),
    ])
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for says in ("features[0]: names no region", "features[1]: properties.region: is not a region of the regions "
                 "table", "'east'", "features[2]: geometry: is not a Polygon or MultiPolygon", "'Point'",
                 "features[3]: geometry.coordinates: has a ring of fewer than three positions",
                 "features[4]: geometry.coordinates: has a position that is not a longitude in [-180, 180]",
                 "gives no boundary for these regions", "north, south"):
        assert says in err, says


def test_odd_features_are_named_and_a_null_region_falls_back_to_the_id(tmp_path):
    """What GIS exports write: a null properties.region beside the feature's id (taken), names
    with spaces (trimmed); and what no region outline can be: properties not an object, an id
    that disagrees with properties.region, coordinates as text, a ring on one line."""
    ring = [[0, 0], [1, 0], [1, 1]]
    path = _write(tmp_path / "b.geojson", [
        {"type": "Feature", "id": "a", "properties": {"region": None}, "geometry": {"type": "Polygon",
                                                                                 "coordinates": [ring]}},
        _feature(" b ", "Polygon", [ring]),
        {"type": "Feature", "properties": 5, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"type": "Feature", "id": "b", "properties": {"region": "a"}, "geometry": {"type": "Polygon",
                                                                                "coordinates": [ring]}},
        _feature("a", "Polygon", [[["0", "0"], [1, 0], [1, 1]]]),
        _feature("a", "Polygon", [[[0, 0], [1, 1], [2, 2]]]),
        "not a feature",
    ])
    problems = Problems()
    t = read_outlines(path, ["a", "b"], problems)
    assert sorted(t.region.unique()) == ["a", "b"]
    said = [f"{p.where}: {p.message}" for p in problems.items]
    assert said == [
        f"{path}: features[2]: properties: is not an object.",
        f"{path}: features[3]: names two regions: properties.region 'a' and id 'b'.",
        f"{path}: features[4]: geometry.coordinates: has a ring that is not a list of [longitude, latitude] "
        "positions (numbers).",
        f"{path}: features[5]: geometry.coordinates: has a ring that encloses no area (its positions lie on one "
        "line).",
        f"{path}: features[6]: is not a GeoJSON Feature.",
    ]


def test_a_folder_named_as_the_boundaries_is_refused(tiny, capsys):
    from capsim.cli import main

    (tiny / "boundaries.geojson").unlink()
    (tiny / "boundaries.geojson").mkdir()
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    assert "the boundaries file does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("text, says", [
    ("{not json", "cannot be read as GeoJSON"),
    ('{"type": "Feature", "geometry": null}', "is not a GeoJSON FeatureCollection"),
    ("[]", "is not a GeoJSON FeatureCollection"),
])
def test_a_file_that_is_not_a_feature_collection_is_refused(tiny, capsys, text, says):
    from capsim.cli import main

    (tiny / "boundaries.geojson").write_text(text, encoding="utf-8")
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert says in err and "save the boundaries as a GeoJSON FeatureCollection" in err


def test_boundaries_in_degrees_are_refused_beside_points_in_metres(tiny, capsys):
    from capsim.cli import main

    schools = pd.read_csv(tiny / "schools.csv", dtype=str, keep_default_na=False)
    schools.assign(x=np.arange(len(schools)) * 100.0, y=0.0).to_csv(tiny / "schools.csv", index=False)
    assert main(["validate", str(tiny / "scenario.toml")]) == 2
    assert "is in longitude and latitude, but the schools table gives x, y" in capsys.readouterr().err
    schools.assign(lon=101.75, lat=36.6).to_csv(tiny / "schools.csv", index=False)
    assert main(["validate", str(tiny / "scenario.toml")]) == 0


@pytest.fixture(scope="module")
def mapped():
    """The tiny example, its districts outlined, run with its plan (one run for the tests below)."""
    return capsim.run(capsim.examples.tiny(use=["deterministic"]))


def test_the_outlines_travel_with_the_run(mapped):
    """As read: the north one part with its lake, the south two parts. (That they come back from
    a saved folder is tests/test_results.py's round trip of every table of the tiny example.)"""
    t = mapped.outlines
    assert t.groupby("region").part.nunique().to_dict() == {"north": 1, "south": 2}
    assert t[t.region == "north"].ring.unique().tolist() == [0, 1]


def test_the_map_colours_each_district_by_its_seats_short_and_leaves_its_holes_open(mapped):
    """Each district is one patch per panel; the one short is red and the one with spare seats
    blue (a made-up year with the south's pupils halved); the north's lake is not filled when
    the figure is drawn (the pixel there stays white)."""
    from dataclasses import replace

    from capsim.reports.plots import seat_gap_map
    from capsim.reports.tables import from_results

    t = from_results(mapped)
    year = int(t.assessment.year.min())
    a = t.assessment.copy()
    south = (a.region == "south") & (a.year == year)
    a.loc[south, "students"] = 0.0
    ax = seat_gap_map(replace(t, assessment=a), year)
    patches = {p.get_label(): p for p in ax.patches}
    assert set(patches) == {"seats short 学位缺口", "seats spare 富余学位"}
    red, blue = patches["seats short 学位缺口"].get_facecolor(), patches["seats spare 富余学位"].get_facecolor()
    assert red[0] > red[2] and blue[2] > blue[0]
    fig = ax.figure
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    for (x, y), white in (((101.835, 36.66), True), ((101.75, 36.66), False)):        # in the lake; beside it
        px, py = ax.transData.transform((x, y))
        colour = pixels[int(round(fig.bbox.height - py)), int(round(px)), :3]
        assert (colour > 245).all() == white, (x, y, colour)
    matplotlib.pyplot.close(fig)


def test_outlines_beside_points_in_metres_are_left_off_the_map(mapped):
    """Through the API, without capsim validate: the map keeps to one scale, so outlines in
    degrees beside a school at x = 5,000 m give no outline map (and no error)."""
    from dataclasses import replace

    from capsim.reports.figures import report_figures
    from capsim.reports.plots import usable_outlines
    from capsim.reports.tables import from_results

    t = from_results(mapped)
    assert usable_outlines(t) is t.outlines
    metres = replace(t, places={"schools": pd.DataFrame({"id": ["NP1"], "x": [5000.0], "y": [3000.0]})})
    assert usable_outlines(metres) is None
    figures = report_figures(metres)
    assert "map.png" not in figures
    for fig in figures.values():
        matplotlib.pyplot.close(fig)


def test_the_map_marks_each_school_by_its_problem(mapped):
    """Made-up points and figures for four schools in one year: one over its seats (dark red), one
    under 60 % used (blue), one in between (grey), one closed (not drawn); dots sized by pupils."""
    from dataclasses import replace

    from capsim.reports.plots import SCHOOL_MARKS, seat_gap_map
    from capsim.reports.tables import from_results

    t = from_results(mapped)
    year = int(t.assessment.year.min())
    ids = ["NP1", "NP2", "NP3", "NP4"]
    places = {"schools": pd.DataFrame({"id": ids, "x": [101.75, 101.78, 101.81, 101.84], "y": [36.66] * 4})}
    figures = pd.DataFrame({"year": year, "school": ids, "open": [True, True, True, False],
                            "students": [2400.0, 500.0, 1500.0, 0.0], "utilisation": [1.2, 0.3, 0.8, 0.0],
                            "oversized": [False] * 4})
    ax = seat_gap_map(replace(t, places=places, assessment_schools=figures), year)
    dots = {c.get_label(): c for c in ax.collections}
    colours = {label: colour for _, colour, label in SCHOOL_MARKS}
    for label, school in (("over its seats or size 超员", "NP1"), ("under 60 % used 使用率<60%", "NP2"),
                          ("schools 学校", "NP3")):
        x = places["schools"].set_index("id").x[school]
        assert dots[label].get_offsets()[:, 0].tolist() == [x]
        assert matplotlib.colors.to_hex(dots[label].get_facecolor()[0]) == matplotlib.colors.to_hex(colours[label])
    sizes = [dots[label].get_sizes()[0] for label in ("over its seats or size 超员", "under 60 % used 使用率<60%")]
    assert sizes[0] > sizes[1]                                  # 2,400 pupils against 500
    assert sum(len(c.get_offsets()) for c in dots.values()) == 3     # the closed school is not drawn
    matplotlib.pyplot.close(ax.figure)
