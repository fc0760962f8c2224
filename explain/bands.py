"""Band colours shared by the DOT graphs and the HTML report.

Light fills that all keep black text above 7:1 contrast; colour is never the only cue, since every
place that colours a band also prints its name.
"""

from __future__ import annotations

from dsl.vocabulary import BANDS, INSUFFICIENT, Band

BAND_FILL = {
    Band.TYPICAL.value: "#dceefb",
    Band.MILD.value: "#fff1b8",
    Band.MODERATE.value: "#ffcf99",
    Band.SEVERE.value: "#f4a6a0",
    INSUFFICIENT: "#e6e6e6",
}
BAND_ORDER = BANDS + (INSUFFICIENT,)
INK = "#1a1a1a"


def fill(band: str) -> str:
    return BAND_FILL.get(band, BAND_FILL[INSUFFICIENT])
