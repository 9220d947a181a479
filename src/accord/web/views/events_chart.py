"""The spread of events across countries over time, as a server-drawn SVG chart.

Stacked bars, one per month, one coloured part per country (the seven countries with the
most events, then "other countries"). The SVG names itself (<title>, <desc>) and every
part carries its own <title>; the page shows the same numbers in a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from accord.cooperation.events import Spread
from accord.web.i18n import gettext as _
from accord.web.i18n import ngettext

# Colour-blind-safe (Okabe-Ito), then grey for the rest.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOUR = "#8c8c8c"
OTHER = "\x00other"  # a key no country code can take

WIDTH_MIN, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 44
STEP = 36


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def series(spread: Spread, labels: dict[str, str]) -> list[Series]:
    shown = spread.countries[: len(PALETTE)]
    found = [Series(c, labels.get(c, c), PALETTE[i]) for i, c in enumerate(shown)]
    if len(spread.countries) > len(PALETTE):
        found.append(Series(OTHER, _("Other countries"), OTHER_COLOUR))
    return found


def _counts(spread: Spread, keys: set[str]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for (month, country), n in spread.counts.items():
        key = country if country in keys else OTHER
        counts[(month, key)] = counts.get((month, key), 0) + n
    return counts


def _ticks(top: int) -> list[int]:
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step))


def chart(spread: Spread, labels: dict[str, str]) -> Markup:
    """The SVG (empty when there is nothing to draw)."""
    if not spread.months:
        return Markup("")
    parts = series(spread, labels)
    counts = _counts(spread, {s.key for s in parts if s.key != OTHER})
    ticks = _ticks(max(spread.month_total(m) for m in spread.months))
    top = ticks[-1]
    width = max(WIDTH_MIN, LEFT + RIGHT + STEP * len(spread.months))
    plot_h = HEIGHT - TOP - BOTTOM
    scale = plot_h / top

    title = _("Events per month and country")
    desc = ngettext(
        "%(num)d event in %(countries)d countries from %(first)s to %(last)s.",
        "%(num)d events in %(countries)d countries from %(first)s to %(last)s.",
        spread.total,
    ) % {
        "num": spread.total,
        "countries": len([c for c in spread.countries if c]),
        "first": spread.months[0],
        "last": spread.months[-1],
    }
    out = [
        Markup(
            '<svg class="events-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            'aria-labelledby="chart-title chart-desc">'
            '<title id="chart-title">{t}</title><desc id="chart-desc">{d}</desc>'
        ).format(w=width, h=HEIGHT, t=title, d=desc)
    ]
    base = TOP + plot_h
    for tick in ticks:
        y = base - tick * scale
        out.append(
            Markup(
                '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dbe1"/>'
                '<text x="{tx}" y="{ty:.1f}" text-anchor="end" font-size="11" fill="#4f5d6b">'
                "{n}</text>"
            ).format(x1=LEFT, x2=width - RIGHT, y=y, tx=LEFT - 6, ty=y + 4, n=tick)
        )
    for index, month in enumerate(spread.months):
        x = LEFT + index * STEP + 6
        y = float(base)
        out.append(Markup('<g class="bar" data-month="{m}">').format(m=month))
        for s in parts:
            n = counts.get((month, s.key), 0)
            if not n:
                continue
            h = n * scale
            y -= h
            out.append(
                Markup(
                    '<rect x="{x}" y="{y:.1f}" width="{w}" height="{h:.1f}" fill="{c}" '
                    'data-country="{k}" data-events="{n}"><title>{m} · {label}: {n}</title></rect>'
                ).format(
                    x=x,
                    y=y,
                    w=STEP - 12,
                    h=h,
                    c=s.colour,
                    k="other" if s.key == OTHER else s.key,
                    n=n,
                    m=month,
                    label=s.label,
                )
            )
        out.append(Markup("</g>"))
        if len(spread.months) <= 18 or index % 3 == 0:
            out.append(
                Markup(
                    '<text x="{x}" y="{y}" font-size="11" fill="#4f5d6b" '
                    'text-anchor="end" transform="rotate(-40 {x} {y})">{m}</text>'
                ).format(x=x + (STEP - 12) / 2 + 4, y=base + 14, m=month)
            )
    out.append(
        Markup('<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="#13202e"/>').format(
            x1=LEFT, x2=width - RIGHT, y=base
        )
    )
    out.append(Markup("</svg>"))
    return Markup("").join(out)


def legend(spread: Spread, labels: dict[str, str]) -> list[Series]:
    return series(spread, labels)
