"""Server-side SVG charts for the statistics page: stacked columns, a line of shares and
horizontal bars. Pure functions that return escaped :class:`Markup`; each chart has a
<title> and <desc> for screen readers, Vietnamese labels, and scales to the page width
(viewBox + width 100%). Colours are presentation attributes, so the strict CSP (no inline
style) allows them.
"""
from __future__ import annotations

import itertools
import zlib

from .templating import Markup, h

WIDTH = 480  # small, so that 13–14 px labels stay readable when a phone shrinks the chart
PALETTE = ("#0b4f8a", "#d95f02", "#1b9e77", "#7570b3", "#a6761d", "#666666")
MUTED, GRID = "#4a5460", "#c9d3dd"


def _svg(title: str, desc: str, height: int, *body: Markup) -> Markup:
    n = f"{zlib.crc32(title.encode()):08x}"  # stable, unique per chart title on a page
    return h("svg", h("title", title, id=f"chart-t{n}"), h("desc", desc, id=f"chart-d{n}"), *body,
             xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {WIDTH} {height}", width="100%",
             role="img", aria_labelledby=f"chart-t{n} chart-d{n}", class_="chart")


def _text(x: float, y: float, text: object, anchor: str = "start", size: int = 12, fill: str = MUTED) -> Markup:
    return h("text", text, x=f"{x:.1f}", y=f"{y:.1f}", text_anchor=anchor, font_size=size, fill=fill)


def _empty(title: str) -> Markup:
    return _svg(title, "Chưa có dữ liệu trong khoảng thời gian này.", 50,
                _text(WIDTH / 2, 30, "Chưa có dữ liệu", "middle", 15))


def _number(value: float, unit: str) -> str:
    return f"{value}{unit}" if isinstance(value, int) else f"{value:.1f}{unit}"


def _short_day(day: str) -> str:
    return f"{day[8:10]}/{day[5:7]}" if len(day) >= 10 else day


def _every(n_labels: int, room: int) -> int:
    return max(1, -(-n_labels // room))


def stacked_columns(title: str, days: list[str], series: dict[str, list[int]]) -> Markup:
    """One column per day, stacked by series (e.g. channel), with a legend."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    if not days or not any(totals):
        return _empty(title)
    top, left, plot_h, height = 34, 40, 190, 252
    plot_w = WIDTH - left - 10
    peak = max(totals)
    step = plot_w / len(days)
    body: list[Markup] = []
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        body += [h("line", x1=left, x2=WIDTH - 10, y1=f"{y:.1f}", y2=f"{y:.1f}", stroke=GRID),
                 _text(left - 6, y + 5, round(peak * frac), "end", 13)]
    for (name, values), colour in zip(series.items(), itertools.cycle(PALETTE)):
        body.append(h("g", *(
            h("rect", h("title", f"{_short_day(day)} · {name}: {value}"),
              x=f"{left + i * step + step * 0.1:.1f}", width=f"{max(step * 0.8, 0.5):.1f}",
              y=f"{top + plot_h * (1 - (below + value) / peak):.1f}", height=f"{plot_h * value / peak:.1f}",
              fill=colour)
            for i, (day, value, below) in enumerate(zip(days, values, _below(series, name, len(days))))
            if value), aria_label=name))
    every = _every(len(days), 6)
    body += [_text(left + i * step + step / 2, top + plot_h + 20, _short_day(day), "middle", 13)
             for i, day in enumerate(days) if i % every == 0]
    x = left
    for name, colour in zip(series, itertools.cycle(PALETTE)):
        body += [h("rect", x=x, y=6, width=14, height=14, fill=colour), _text(x + 19, 19, name, size=14)]
        x += 34 + 8 * len(name)
    desc = (f"{len(days)} ngày, từ {_short_day(days[0])} đến {_short_day(days[-1])}; tổng {sum(totals)} câu hỏi, "
            f"nhiều nhất {peak} câu trong một ngày. "
            + "; ".join(f"{name}: {sum(values)}" for name, values in series.items()) + ".")
    return _svg(title, desc, height, *body)


def _below(series: dict[str, list[int]], name: str, length: int) -> list[int]:
    """For each day, the sum of the series stacked under ``name``."""
    names = list(series)
    earlier = names[:names.index(name)]
    return [sum(series[n][i] for n in earlier) for i in range(length)]


def share_line(title: str, days: list[str], shares: list[float]) -> Markup:
    """A line of shares (0…1) over days, with 0 %, 50 % and 100 % grid lines."""
    if not days:
        return _empty(title)
    top, left, plot_h, height = 15, 48, 170, 215
    plot_w = WIDTH - left - 24  # room for the last date label
    step = plot_w / max(len(days) - 1, 1)
    body: list[Markup] = []
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        body += [h("line", x1=left, x2=WIDTH - 10, y1=f"{y:.1f}", y2=f"{y:.1f}", stroke=GRID),
                 _text(left - 6, y + 5, f"{frac:.0%}", "end", 13)]
    points = [(left + i * step if len(days) > 1 else left + plot_w / 2, top + plot_h * (1 - share))
              for i, share in enumerate(shares)]
    body.append(h("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in points), fill="none",
                  stroke=PALETTE[0], stroke_width=2))
    if len(points) <= 60:
        body += [h("circle", h("title", f"{_short_day(day)}: {share:.0%}"), cx=f"{x:.1f}", cy=f"{y:.1f}", r=3,
                   fill=PALETTE[0]) for (x, y), day, share in zip(points, days, shares)]
    every = _every(len(days), 6)
    body += [_text(x, top + plot_h + 22, _short_day(day), "middle", 13)
             for i, ((x, _), day) in enumerate(zip(points, days)) if i % every == 0]
    average = sum(shares) / len(shares)
    desc = (f"{len(days)} ngày, từ {_short_day(days[0])} đến {_short_day(days[-1])}; trung bình {average:.0%}, "
            f"thấp nhất {min(shares):.0%}, cao nhất {max(shares):.0%}.")
    return _svg(title, desc, height, *body)


def horizontal_bars(title: str, items: list[tuple[str, float]], unit: str = "") -> Markup:
    """One bar per item with its label above it and its value after it; long labels are shortened."""
    items = [(label, value) for label, value in items if value is not None]
    if not items or not any(value for _, value in items):
        return _empty(title)
    row = 46
    peak = max(value for _, value in items)
    bar_room = WIDTH - 90
    body: list[Markup] = []
    for i, (label, value) in enumerate(items):
        y = i * row
        short = label if len(label) <= 52 else label[:51] + "…"
        shown = _number(value, unit)
        width = bar_room * value / peak if peak else 0
        body.append(h("g", h("title", f"{label}: {shown}"), _text(0, y + 17, short, size=15, fill="#1b1f24"),
                      h("rect", x=0, y=y + 24, width=f"{max(width, 1):.1f}", height=16,
                        fill=PALETTE[i % len(PALETTE)] if len(items) <= 3 else PALETTE[0]),
                      _text(width + 6, y + 37, shown, size=14)))
    desc = "; ".join(f"{label}: {_number(value, unit)}" for label, value in items) + "."
    return _svg(title, desc, len(items) * row, *body)

