"""Charts of the HTML report, drawn with matplotlib into SVG text to inline in the page (no file, no network,
no screen: `Figure` objects with the SVG backend, never pyplot's global state).

The timeline chart shows each incident as a bar over time coloured by its severity, with one thin lane per
service under it, dark while the service is down and hatched grey while degraded. Past `MAX_BARS` incidents
bars stop being readable, so the chart becomes daily counts instead: incidents in progress each day, stacked by
severity, and again by sector (the largest sectors, the rest together).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import matplotlib
from matplotlib import dates as _dates
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.common.formatting import MONTH_KEYS
from bot.common.text import truncate
from bot.exports.presentation.common import Words
from bot.exports.rules import Measure, interval_end
from bot.incidents.rules.model import ServiceState, Severity, Status

# matplotlib's date helpers carry no annotations: these say what the charts pass and get back.
_untyped_dates: Any = _dates


def date2num(moment: datetime) -> float:
    return float(_untyped_dates.date2num(moment))


def num2date(number: float) -> datetime:
    converted: datetime = _untyped_dates.num2date(number)
    return converted


def AutoDateLocator(**options: Any) -> Any:  # noqa: N802 (matplotlib's name, kept at the call sites)
    return _untyped_dates.AutoDateLocator(**options)


MAX_BARS = 300
MAX_SECTORS = 8
SEVERITY_COLOURS = {Severity.CRITICAL: "#c62828", Severity.MAJOR: "#ef6c00", Severity.MINOR: "#f9a825"}
STATE_COLOURS = {ServiceState.DOWN: "#37474f", ServiceState.DEGRADED: "#b0bec5"}
SECTOR_COLOURS = ("#1565c0", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#558b2f", "#283593", "#9e9e9e")
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_XMLNS = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')


def _svg(figure: Figure, prefix: str) -> str:
    """The figure as an `<svg>` element for an HTML page: no XML prolog or DTD, no namespace URLs (HTML does not
    need them and the page must name no outside address), element ids made unique per chart."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    svg = _XMLNS.sub("", _PROLOG.sub("", buffer.getvalue(), count=1))
    # 'href="#' also covers xlink:href.
    return (
        svg.replace(' id="', f' id="{prefix}-')
        .replace("url(#", f"url(#{prefix}-")
        .replace('href="#', f'href="#{prefix}-')
    )


def _plain(text: str, limit: int) -> str:
    """Typed text as a label: shortened (mathtext is off, `text.parse_math`, so `$` is just a character)."""
    return truncate(text, limit)


def _date_formatter(words: Words, span: timedelta) -> FuncFormatter:
    with_time = span <= timedelta(days=4)
    with_year = span > timedelta(days=180)

    def label(value: float, _position: int | None = None) -> str:
        local = num2date(value).astimezone(words.zone)
        day = f"{local.day} {words(MONTH_KEYS[local.month - 1])}"
        if with_time:
            return f"{day}\n{local:%H:%M}"
        return f"{day}\n{local.year}" if with_year else day

    return FuncFormatter(label)


def _window(
    measures: Sequence[Measure], words: Words, period: tuple[datetime, datetime] | None
) -> tuple[datetime, datetime]:
    if period is not None:
        return period[0], min(period[1], max(words.now, period[0] + timedelta(hours=1)))
    starts = [m.incident.started_at for m in measures]
    ends = [interval_end(m.incident, words.now) for m in measures]
    start, end = min(starts), max(ends)
    return start, max(end, start + timedelta(hours=1))


def timeline_chart(
    measures: Sequence[Measure], words: Words, *, period: tuple[datetime, datetime] | None = None, prefix: str = "tl"
) -> tuple[str, bool]:
    """The period's timeline chart as inline SVG, and whether it was aggregated by day. Cancelled incidents are
    not drawn (they are out of the figures). Empty string when there is nothing to draw."""
    shown = [m for m in measures if m.incident.status != Status.CANCELLED]
    if not shown:
        return "", False
    # Text stays text in the SVG (the page's fonts, smaller files); ids are stable from one run to the next; and a
    # `$` typed in a title is a dollar sign, never mathtext (a stray one would otherwise fail the whole export).
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "tocsin",
            "font.size": 9,
            "font.family": "sans-serif",
            "text.parse_math": False,
        }
    ):
        if len(shown) > MAX_BARS:
            return _daily_chart(shown, words, period, prefix), True
        return _bar_chart(shown, words, period, prefix), False


# Layout of the bar chart in data units (one unit is `_UNIT_IN` inches): an incident's bar, then one lane per
# service, then a gap. Margins are in inches so that labels and legend never overlap whatever the row count.
_UNIT_IN = 0.4
_BAR, _LANE, _LANE_STEP, _GAP = 0.36, 0.24, 0.28, 0.3
_TOP_IN, _BOTTOM_IN, _LEFT_IN, _WIDTH_IN = 0.55, 0.6, 3.3, 11.0


def _bar_chart(measures: Sequence[Measure], words: Words, period: tuple[datetime, datetime] | None, prefix: str) -> str:
    start, end = _window(measures, words, period)
    ordered = sorted(measures, key=lambda m: (m.incident.started_at, m.incident.number))
    rows = sum(_BAR + _LANE_STEP * len(m.services) + _GAP for m in ordered)
    height = _TOP_IN + rows * _UNIT_IN + _BOTTOM_IN
    figure = Figure(figsize=(_WIDTH_IN, height))
    axes = figure.add_subplot()
    ticks: list[float] = []
    labels: list[str] = []
    y = _GAP / 2
    for m in ordered:
        incident = m.incident
        stop = interval_end(incident, words.now)
        left, right = date2num(max(incident.started_at, start)), date2num(min(stop, end))
        colour = SEVERITY_COLOURS[incident.severity]
        centre = y + _BAR / 2
        axes.barh(centre, max(right - left, 0), left=left, height=_BAR, color=colour)
        if incident.is_open:
            axes.plot([right], [centre], marker=">", color=colour, markersize=6, clip_on=False)
        ticks.append(centre)
        labels.append(f"{incident.label} {_plain(incident.title, 36)}")
        y += _BAR
        for service in m.services:
            lane = y + _LANE_STEP / 2
            for span in service.durations.spans:
                if span.state == ServiceState.RESTORED or span.end <= start or span.start >= end:
                    continue
                s_left, s_right = date2num(max(span.start, start)), date2num(min(span.end, end))
                degraded = span.state == ServiceState.DEGRADED
                axes.barh(
                    lane,
                    s_right - s_left,
                    left=s_left,
                    height=_LANE,
                    color=STATE_COLOURS[span.state],
                    hatch="////" if degraded else None,
                    edgecolor="#78909c" if degraded else None,
                    linewidth=0,
                )
            first = service.durations.spans[0].state if service.durations.spans else ServiceState.RESTORED
            axes.text(
                left,
                lane,
                " " + _plain(service.name, 40),
                fontsize=6.5,
                va="center",
                ha="left",
                color="#ffffff" if first == ServiceState.DOWN else "#263238",
                clip_on=True,
            )
            y += _LANE_STEP
        y += _GAP
    axes.set_yticks(ticks, labels)
    axes.tick_params(axis="y", length=0)
    axes.set_ylim(y - _GAP / 2, 0)
    axes.set_xlim(date2num(start), date2num(end))
    axes.xaxis.set_major_locator(AutoDateLocator(tz=words.zone, minticks=3, maxticks=8))
    axes.xaxis.set_major_formatter(_date_formatter(words, end - start))
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
    legend = [Patch(color=SEVERITY_COLOURS[s], label=words.severity(s)) for s in SEVERITY_COLOURS]
    legend += [
        Patch(color=STATE_COLOURS[ServiceState.DOWN], label=words("export.chart.service_down")),
        Patch(
            facecolor=STATE_COLOURS[ServiceState.DEGRADED],
            hatch="////",
            edgecolor="#78909c",
            label=words("export.chart.service_degraded"),
        ),
    ]
    axes.legend(handles=legend, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5, frameon=False, fontsize=8)
    figure.subplots_adjust(left=_LEFT_IN / _WIDTH_IN, right=0.97, top=1 - _TOP_IN / height, bottom=_BOTTOM_IN / height)
    return _svg(figure, prefix)


def _local_day(at: datetime, words: Words) -> date:
    return at.astimezone(words.zone).date()


def _daily_chart(
    measures: Sequence[Measure], words: Words, period: tuple[datetime, datetime] | None, prefix: str
) -> str:
    start, end = _window(measures, words, period)
    first, last = _local_day(start, words), _local_day(end - timedelta(microseconds=1), words)
    days = (last - first).days + 1
    sectors: dict[str, int] = {}
    for m in measures:
        sectors[m.incident.sector] = sectors.get(m.incident.sector, 0) + 1
    top = sorted(sectors, key=lambda s: (-sectors[s], s))[:MAX_SECTORS]
    other = words("export.chart.other_sectors")
    groups = [*top, other] if len(sectors) > len(top) else top
    # Difference arrays: +1 on an incident's first day, −1 the day after its last: O(incidents + days).
    by_severity = {s: [0] * (days + 1) for s in SEVERITY_COLOURS}
    by_sector = {g: [0] * (days + 1) for g in groups}
    for m in measures:
        incident = m.incident
        a = max((_local_day(incident.started_at, words) - first).days, 0)
        b = min((_local_day(interval_end(incident, words.now), words) - first).days, days - 1)
        if b < a:
            continue
        group = incident.sector if incident.sector in top else other
        for deltas in (by_severity[incident.severity], by_sector[group]):
            deltas[a] += 1
            deltas[b + 1] -= 1
    edges = [date2num(datetime.combine(first + timedelta(days=i), time(0), tzinfo=words.zone)) for i in range(days + 1)]
    figure = Figure(figsize=(11, 6.5))
    top_axes, bottom_axes = figure.subplots(2, 1, sharex=True)
    severity_rows = {words.severity(s): deltas for s, deltas in by_severity.items()}
    sector_rows = {_plain(g, 30): deltas for g, deltas in by_sector.items()}
    for axes, table, colours, title in (
        (top_axes, severity_rows, list(SEVERITY_COLOURS.values()), "export.chart.daily_by_severity"),
        (bottom_axes, sector_rows, list(SECTOR_COLOURS), "export.chart.daily_by_sector"),
    ):
        base: list[int] = [0] * days
        handles: list[Patch] = []
        for index, (key, deltas) in enumerate(table.items()):
            counts: list[int] = []
            running = 0
            for i in range(days):
                running += deltas[i]
                counts.append(running)
            colour = colours[index % len(colours)]
            upper = [low + n for low, n in zip(base, counts, strict=True)]
            # One filled step polygon per group rather than a bar per day: the same picture with a handful of SVG
            # paths instead of thousands of rectangles, and seconds less to draw a year.
            axes.fill_between(edges, [*base, base[-1]], [*upper, upper[-1]], step="post", color=colour, linewidth=0)
            base = upper
            handles.append(Patch(color=colour, label=key))
        axes.set_title(words(title), loc="left", fontsize=10)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    bottom_axes.xaxis.set_major_locator(AutoDateLocator(tz=words.zone, maxticks=12))
    bottom_axes.xaxis.set_major_formatter(_date_formatter(words, timedelta(days=days)))
    figure.subplots_adjust(left=0.06, right=0.8, top=0.95, bottom=0.08, hspace=0.25)
    return _svg(figure, prefix)
