"""The CJK font capsim relies on: Noto Sans SC (SIL Open Font License 1.1).

It comes with the ``pylopdf-fonts-zh-cn`` package, a data wheel carrying the font file, so
Chinese school and district names render the same on every machine whatever fonts it has.
Plots register it with matplotlib; the HTML report embeds the subset of it that the page
uses, so the page shows Chinese offline too.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

FAMILY = "Noto Sans SC"


def font_path() -> Path:
    from pylopdf_fonts_zh_cn import sans_path

    return Path(sans_path())


@cache
def use_cjk_font() -> None:
    """Register the font with matplotlib and make it the first sans-serif family; text is never
    parsed as mathtext."""
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the font's minus sign, not U+2212 from DejaVu
    matplotlib.rcParams["text.parse_math"] = False     # labels are names: a '$' in one is shown as written
    matplotlib.rcParams["text.hinting"] = "no_hinting"  # the font's outlines as drawn: as crisp at these sizes, and
    #                                                     loading its CFF glyphs unhinted is about half the cost


@cache
def _cmap() -> frozenset:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(font_path()), lazy=True).getBestCmap())


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` the font cannot draw (blanks and controls excepted)."""
    return sorted({ch for ch in text if ch.isprintable() and not ch.isspace() and ord(ch) not in _cmap()})


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule with the font subset to the characters of ``text``, base64-embedded."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = None     # fontTools' default layout features (kerning, ligatures, locale forms ...): not
    #                           "*", whose alternates (aalt, width and vertical forms) nearly double the glyphs
    font = subset.load_font(str(font_path()), options)
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(set(text) | set("0123456789,.%-–—()年万元"))))
    sub.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"@font-face {{ font-family: '{FAMILY}'; "
            f"src: url(data:font/otf;base64,{data}) format('opentype'); }}")
