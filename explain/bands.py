"""Band colours shared by the DOT graphs and the HTML report.

Light fills that all keep black text above 7:1 contrast; colour is never the only cue, since every
place that colours a band also prints its name.
"""

from __future__ import annotations

BAND_FILL = {
    "typical": "#dceefb",
    "mild": "#fff1b8",
    "moderate": "#ffcf99",
    "severe": "#f4a6a0",
    "insufficient": "#e6e6e6",
}
BAND_ORDER = ("typical", "mild", "moderate", "severe", "insufficient")
INK = "#1a1a1a"


def fill(band: str) -> str:
    return BAND_FILL.get(band, BAND_FILL["insufficient"])
