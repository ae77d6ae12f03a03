"""A tiny built-in example (two districts) for tests, docs and a first run.

``capsim.examples.tiny_path()`` is the path of its scenario file; the tables beside it show
every data format capsim reads (qx mortality, 5-year fertility groups, a TFR path, migration
in a 10-year age span, new housing, enrolment and births history).
"""

from pathlib import Path

TINY = Path(__file__).parent / "tiny" / "scenario.toml"


def tiny_path() -> Path:
    return TINY


def tiny(use=(), set=None):  # noqa: A002 - mirrors load_scenario
    from capsim.scenario import load_scenario

    return load_scenario(TINY, use=use, set=set)
