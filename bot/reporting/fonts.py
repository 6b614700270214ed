"""The report's font on this machine and how wide a text set in it is.

Word and LibreOffice lay out the DOCX in the font it names. Column widths are computed from
that font's own metrics when the machine has it, else from a metric-compatible substitute
(Liberation Serif for Times New Roman, as LibreOffice itself substitutes), else from DejaVu
Serif, which matplotlib always ships and which is wider than either: a column is then a
little wider than it need be, never narrower than its longest word.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.ft2font import FT2Font

log = logging.getLogger(__name__)

# Metric-compatible stand-ins, as LibreOffice and most Linux systems map them.
SUBSTITUTES = {
    "times new roman": ("Liberation Serif", "Tinos"),
    "arial": ("Liberation Sans", "Arimo"),
    "courier new": ("Liberation Mono", "Cousine"),
    "pt astra serif": ("Liberation Serif", "Tinos"),
}
LAST_RESORT = "DejaVu Serif"  # shipped with matplotlib
_MEASURING = threading.Lock()  # a FreeType face is not to be shared by threads at once
TWIPS_PER_POINT = 20


@dataclass(frozen=True, slots=True)
class Face:
    family: str  # the family found on this machine (the named one or a stand-in)
    regular: str  # font file paths
    bold: str


def _faces() -> dict[str, dict[str, str]]:
    """family (lower case) -> {"regular" | "bold": path}: matplotlib's list of fonts plus a
    scan of the system's font folders (matplotlib's cache may predate a font install)."""
    from matplotlib import font_manager

    found: dict[str, dict[str, str]] = {}

    def note(family: str, weight: object, style: str, path: str) -> None:
        if style != "normal":
            return
        bold = (isinstance(weight, int) and weight >= 600) or weight in ("bold", "heavy", "black")
        found.setdefault(family.lower(), {}).setdefault("bold" if bold else "regular", path)

    for entry in font_manager.fontManager.ttflist:
        note(entry.name, entry.weight, entry.style, entry.fname)
    for path in sorted(font_manager.findSystemFonts(fontext="ttf")):
        if not path.lower().endswith((".ttf", ".otf")):
            continue
        try:
            font = font_manager.get_font(path)
        except (OSError, RuntimeError):
            continue
        bold = "bold" in font.style_name.lower()
        italic = "italic" in font.style_name.lower() or "oblique" in font.style_name.lower()
        note(font.family_name, 700 if bold else 400, "italic" if italic else "normal", path)
    return found


@functools.lru_cache(maxsize=16)
def resolve(family: str) -> Face:
    """The face to measure (and draw charts) with for the named family."""
    faces = _faces()
    for name in (family, *SUBSTITUTES.get(family.lower(), ()), LAST_RESORT):
        files = faces.get(name.lower())
        if files and "regular" in files:
            if name != family:
                log.info("font %r not found: measuring with %r", family, name)
            return Face(name, files["regular"], files.get("bold", files["regular"]))
    raise RuntimeError(f"no font to measure the report with (not even {LAST_RESORT})")


@functools.cache
def _font(path: str) -> FT2Font:
    from matplotlib.ft2font import FT2Font

    return FT2Font(path)


@functools.lru_cache(maxsize=4096)
def width(text: str, size: float, path: str) -> float:
    """`text` set at `size` points in the font at `path`, in points (from the font's
    advance widths at a resolution where hinting does not matter)."""
    from matplotlib.ft2font import LoadFlags

    with _MEASURING, warnings.catch_warnings():  # documents are drawn in worker threads
        # A character the font lacks (an emoji in a title) is measured as its empty box:
        # Word and Writer draw it from another font; no warning for each.
        warnings.simplefilter("ignore", UserWarning)
        font = _font(path)
        font.set_size(size, 7200)
        font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
        pixels = font.get_width_height()[0] / 64
    return float(pixels) * 72 / 7200


def words(text: str) -> list[str]:
    """The parts of a text a line may not break inside: split only at plain spaces and line
    breaks (no-break and narrow no-break spaces keep a number and its unit together)."""
    return [w for line in text.split("\n") for w in line.split(" ") if w]


def longest_word(text: str, size: float, path: str) -> float:
    return max((width(w, size, path) for w in words(text)), default=0.0)
