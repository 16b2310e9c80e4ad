"""Inline SVG charts for the report pages: generated in Python, no JavaScript, no fonts to load.

Each function returns a :class:`Chart`: the ``<svg>`` (``role="img"``, ``<title>`` and
``<desc>``, referenced by ``aria-labelledby``) plus the same numbers as table headers and
rows, which the page shows next to the chart (``_macros.html.j2`` → ``chart()``) for
screen readers, for print and for anyone who wants the exact figure.

Layout: one bar per row, the row's label *above* its bar, so long Czech names
("§65 Nízkoprahová zařízení pro děti a mládež") need no truncation and the chart stays
readable when a phone scales it down.  Colours: Okabe–Ito, safe for colour-blind readers;
every segment also carries its number (on the bar when it fits, always in the table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from xlkpss.render.html import fmt_number, fmt_pct

__all__ = [
    "PALETTE",
    "Chart",
    "Series",
    "bar_chart",
    "heat_colour",
    "stacked_bar_chart",
    "text_colour",
]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#999999",  # grey
)

WIDTH = 420
FONT = 14
SMALL = 12
BAR = 16
ROW = 44  # label line + bar + gap
CHAR = 0.55  # average glyph width / font size (DejaVu Sans, Liberation Sans; a little generous)

Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class Series:
    """One segment kind of a stacked bar (a form, a funding source, a status)."""

    label: str
    colour: str


@dataclass
class Chart:
    id: str
    title: str
    description: str
    svg: Markup
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    #: no positive value at all: the page says so instead of drawing an empty frame
    empty: bool = False


def _text_width(text: str, size: int = FONT) -> float:
    return len(text) * size * CHAR


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG luminance)."""
    lum = _luminance(background)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


#: light → dark blue, for heat tables
_HEAT = ("#F2F7FB", "#D4E6F3", "#A9CCE6", "#6FA8D3", "#3A83BF", "#0B5A99", "#08306B")


def heat_colour(value: float | None, maximum: float) -> str:
    """Background of a heat-table cell (0 and blank: no colour)."""
    if not value or maximum <= 0:
        return ""
    step = 1 + min(len(_HEAT) - 2, int((value / maximum) * (len(_HEAT) - 1) - 1e-9))
    return _HEAT[step]


def _wrap(label: str, size: int = FONT, lines: int = 2) -> list[str]:
    """Break a long label into at most ``lines`` lines that fit the chart width (… when cut)."""
    limit = max(8, int(WIDTH / (size * CHAR)))
    out: list[str] = []
    current = ""
    for word in label.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= limit or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        out = out[: lines - 1] + [" ".join(out[lines - 1 :])]
    out = [line if len(line) <= limit else line[: limit - 1].rstrip() + "…" for line in out]
    if len(out) == lines and len(" ".join(out)) < len(" ".join(label.split())) and not out[-1].endswith("…"):
        out[-1] = out[-1][: limit - 1].rstrip() + "…"
    return out


def _label_lines(label: str, y: float) -> tuple[list[str], float]:
    """SVG text of a row label (wrapped) starting at ``y``; returns the elements and the bar's y."""
    lines = _wrap(label)
    parts = [
        f'<text x="0" y="{y + FONT + i * (FONT + 3):.0f}" class="label">{escape(line)}</text>'
        for i, line in enumerate(lines)
    ]
    return parts, y + FONT + (len(lines) - 1) * (FONT + 3) + 5


def _row_height(label: str) -> float:
    return ROW + (len(_wrap(label)) - 1) * (FONT + 3)


def _fmt_num(v: float) -> str:
    return fmt_number(v, 0 if float(v).is_integer() else 1)


def _svg_open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    t, d = f"{chart_id}-title", f"{chart_id}-desc"
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
            f'role="img" aria-labelledby="{escape(t)} {escape(d)}" font-size="{FONT}">'
        ),
        f'<title id="{escape(t)}">{escape(title)}</title>',
        f'<desc id="{escape(d)}">{escape(description)}</desc>',
    ]


def _empty_chart(chart_id: str, title: str, headers: list[str]) -> Chart:
    return Chart(chart_id, title, "Žádné údaje.", Markup(""), headers, [], empty=True)


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float | None]],
    *,
    label_header: str,
    value_header: str,
    fmt: Formatter = _fmt_num,
    colour: str = PALETTE[0],
) -> Chart:
    """Horizontal bars, one per item, each labelled with its formatted value."""
    headers = [label_header, value_header]
    values = [(str(label), float(v or 0)) for label, v in items]
    if not any(v > 0 for _, v in values):
        return _empty_chart(chart_id, title, headers)
    top = max(v for _, v in values)
    texts = [fmt(v) for _, v in values]
    reserve = min(WIDTH / 3, max(_text_width(t, SMALL) for t in texts) + 8)
    span = WIDTH - reserve
    height = sum(_row_height(label) for label, _ in values) + 4
    description = "; ".join(f"{label}: {text}" for (label, _), text in zip(values, texts))
    out = _svg_open(chart_id, title, description, height)
    y = 0.0
    for (label, v), text in zip(values, texts):
        w = span * v / top if top else 0
        parts, by = _label_lines(label, y)
        out.extend(parts)
        out.append(
            f'<rect x="0" y="{by:.0f}" width="{max(w, 1.5 if v else 0):.1f}" height="{BAR}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
        )
        out.append(
            f'<text x="{w + 6:.1f}" y="{by + BAR - 3:.0f}" font-size="{SMALL}" class="value">{escape(text)}</text>'
        )
        y += _row_height(label)
    out.append("</svg>")
    rows = [[label, text] for (label, _), text in zip(values, texts)]
    return Chart(chart_id, title, description, Markup("\n".join(out)), headers, rows)


def _legend(series: Sequence[Series], y0: float) -> tuple[list[str], float]:
    out, x, y = [], 0.0, y0
    for s in series:
        w = 16 + _text_width(s.label, SMALL) + 14
        if x > 0 and x + w > WIDTH:
            x, y = 0.0, y + 20
        out.append(f'<rect x="{x:.1f}" y="{y:.0f}" width="12" height="12" fill="{s.colour}"/>')
        out.append(f'<text x="{x + 16:.1f}" y="{y + 11:.0f}" font-size="{SMALL}">{escape(s.label)}</text>')
        x += w
    return out, y + 24


def stacked_bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[Series],
    *,
    label_header: str,
    total_header: str | None = "Celkem",
    percent: bool = False,
    fmt: Formatter = _fmt_num,
) -> Chart:
    """Horizontal stacked bars with a legend.

    ``percent=True`` draws every bar at full width (shares: funding structure, statuses);
    otherwise bars are scaled to the largest total and the total is written at the end.
    The table gives every value, in percent mode also its share.
    """
    headers = [label_header, *(s.label for s in series)] + ([total_header] if total_header else [])
    clean = [(str(label), [float(v or 0) for v in values]) for label, values in rows]
    if not any(sum(vals) > 0 for _, vals in clean):
        return _empty_chart(chart_id, title, headers)
    totals = [sum(vals) for _, vals in clean]
    top = max(totals)
    total_texts = [fmt(t) for t in totals]
    reserve = 0.0 if percent else min(WIDTH / 3, max(_text_width(t, SMALL) for t in total_texts) + 8)
    span = WIDTH - reserve

    legend, y0 = _legend(series, 0)
    height = y0 + sum(_row_height(label) for label, _ in clean) + 4
    parts = []
    for (label, vals), total, ttext in zip(clean, totals, total_texts):
        shares = ", ".join(
            f"{s.label} {fmt(v)}" + (f" ({fmt_pct(100 * v / total)})" if percent and total else "")
            for s, v in zip(series, vals)
            if v
        )
        parts.append(f"{label}: {shares or 'žádné údaje'}" + ("" if percent else f", celkem {ttext}"))
    description = "; ".join(parts)

    out = _svg_open(chart_id, title, description, height)
    out.append('<g class="legend">')
    out.extend(legend)
    out.append("</g>")
    y = y0
    for (label, vals), total, ttext in zip(clean, totals, total_texts):
        parts, by = _label_lines(label, y)
        out.extend(parts)
        y += _row_height(label)
        scale = (span / total if total else 0) if percent else span / top
        x = 0.0
        # one segment only: its number is the total written after the bar
        inner = percent or sum(1 for v in vals if v > 0) > 1
        for s, v in zip(series, vals):
            if v <= 0:
                continue
            w = v * scale
            text = fmt_pct(100 * v / total) if percent else fmt(v)
            out.append(
                f'<rect x="{x:.1f}" y="{by:.0f}" width="{w:.1f}" height="{BAR}" fill="{s.colour}">'
                f"<title>{escape(label)} – {escape(s.label)}: {escape(fmt(v))}"
                + (f" ({escape(fmt_pct(100 * v / total))})" if percent else "")
                + "</title></rect>"
            )
            if inner and _text_width(text, SMALL) + 6 <= w:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{by + BAR - 3:.0f}" font-size="{SMALL}" text-anchor="middle" '
                    f'fill="{text_colour(s.colour)}">{escape(text)}</text>'
                )
            x += w
        if not total:
            out.append(f'<text x="0" y="{by + BAR - 3:.0f}" font-size="{SMALL}" class="value">žádné údaje</text>')
        elif not percent:
            out.append(
                f'<text x="{x + 6:.1f}" y="{by + BAR - 3:.0f}" font-size="{SMALL}" class="value">{escape(ttext)}</text>'
            )
    out.append("</svg>")

    table = []
    for (label, vals), total, ttext in zip(clean, totals, total_texts):
        cells = [label]
        for v in vals:
            cell = fmt(v)
            if percent and total:
                cell += f" ({fmt_pct(100 * v / total)})"
            cells.append(cell)
        if total_header:
            cells.append(ttext)
        table.append(cells)
    return Chart(chart_id, title, description, Markup("\n".join(out)), headers, table)
