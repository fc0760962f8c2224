"""Charts as hand-built SVG: a line chart over time, with the denominator of every point drawn
under it as bars.

Why by hand and not matplotlib or Vega-Lite: the output must be byte-identical for the same data
(matplotlib writes ids, dates and font paths unless tamed; Vega-Lite renders in the browser from a
script that the pages' Content-Security-Policy, and offline readers, would have to load), it must
need no network, and two chart shapes do not justify a heavy dependency. Every number is also in
a table beside the chart, and each point carries a <title> with its numerator and denominator.
"""

from __future__ import annotations

from html import escape

WIDTH, LEFT, RIGHT = 760, 56, 16
TOP, PLOT_H, GAP, BARS_H, BOTTOM = 30, 190, 26, 54, 34
COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d", "#8c510a")


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def nice_top(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 4 or 8 times a power of ten: its quarters,
    the grid lines, stay round numbers)."""
    steps = [m * 10.0 ** k for k in range(-2, 9) for m in (1, 2, 4, 8)]
    return next((s for s in steps if s >= value), value) if value > 0 else 1.0


def line_chart(title: str, labels: list[str], series: dict[str, list[float | None]],
               y_label: str, denominators: list[int] | None = None, denominator_label: str = "",
               notes: dict[str, list[str]] | None = None) -> str:
    """Lines of `series` over `labels`; under them, bars of `denominators` (if given).

    `notes[name][i]` becomes the tooltip of point i (e.g. "12 restraints / 830 bed-days").
    """
    count = max(len(labels), 1)
    plot_w = WIDTH - LEFT - RIGHT
    x = [LEFT + plot_w * (i + 0.5) / count for i in range(count)]
    top = nice_top(max([v for values in series.values() for v in values if v is not None] or [0]))
    height = TOP + PLOT_H + (GAP + BARS_H if denominators is not None else 0) + BOTTOM + 18 * len(series)

    def y(value: float) -> float:
        return TOP + PLOT_H * (1 - value / top)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" '
           'font-family="sans-serif" font-size="11">',
           f'<title>{escape(title)}</title>',
           f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i in range(5):
        tick = top * i / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                   f'stroke="#ddd"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
                   f'text-anchor="end">{_num(tick)}</text>')
    out.append(f'<text transform="translate(12 {TOP + PLOT_H / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(y_label)}</text>')
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = [(x[i], y(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for i, value in enumerate(values):
            if value is None:
                continue
            tip = (notes or {}).get(name, [""] * count)[i] or f"{labels[i]}: {_num(value)}"
            out.append(f'<circle cx="{x[i]:.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                       f'<title>{escape(name)}, {escape(tip)}</title></circle>')
    axis = TOP + PLOT_H
    if denominators is not None:
        out += _bars(x, labels, denominators, denominator_label, axis + GAP, plot_w / count)
        axis += GAP + BARS_H
    every = max(1, (count + 11) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            out.append(f'<text x="{x[i]:.1f}" y="{axis + 14}" text-anchor="middle">{escape(label)}</text>')
    for index, name in enumerate(series):
        row = axis + BOTTOM + 18 * index
        out.append(f'<rect x="{LEFT}" y="{row - 9}" width="14" height="4" '
                   f'fill="{COLOURS[index % len(COLOURS)]}"/>'
                   f'<text x="{LEFT + 20}" y="{row - 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _bars(x: list[float], labels: list[str], values: list[int], label: str, top: float,
          slot: float) -> list[str]:
    biggest = max(values or [0]) or 1
    width = max(1.0, slot * 0.7)
    out = [f'<text x="{LEFT}" y="{top - 6}" fill="#555">{escape(label)} (denominator; '
           f'highest {biggest:,})</text>']
    for i, value in enumerate(values):
        h = BARS_H * value / biggest
        out.append(f'<rect x="{x[i] - width / 2:.1f}" y="{top + BARS_H - h:.1f}" width="{width:.1f}" '
                   f'height="{h:.1f}" fill="#bbb"><title>{escape(labels[i])}: {value:,} '
                   f'{escape(label)}</title></rect>')
    return out
