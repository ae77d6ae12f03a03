"""Plotting API: ``capsim.plot.seat_gap(res, ax=...)`` and friends; each returns its Axes.

See :mod:`capsim.reports.plots` for what each draws.
"""

from capsim.reports.plots import (build_timeline, catchment_map, fan_chart, oversized_classes, seat_gap, seat_gap_map,
                                   spending, teachers)

__all__ = ["build_timeline", "catchment_map", "fan_chart", "oversized_classes", "seat_gap", "seat_gap_map", "spending",
           "teachers"]
