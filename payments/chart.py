"""A bar chart drawn on the server as SVG geometry (no JavaScript, no inline styles).

``bar_chart`` turns ``[(month, cents), ...]`` into rectangles and labels in a
fixed ``viewBox``; the template ``payments/_earnings_chart.svg.html`` only
prints the numbers. Colours come from classes in ``static/css/payments.css``.
"""

from dataclasses import dataclass
from datetime import date

from config.money import format_cents

WIDTH = 560
HEIGHT = 260
LEFT = 70  # room for the axis labels
RIGHT = 12
TOP = 16
BOTTOM = 36  # room for the month labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label_x: float
    month_label: str
    value_cents: int
    title: str


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    grid: list[GridLine]
    baseline_y: float
    plot_left: int
    plot_right: int
    total_cents: int

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def is_empty(self) -> bool:
        return self.total_cents == 0


def _nice_ceiling(cents: int) -> int:
    """A round top for the axis: 1, 2, 2.5 or 5 times a power of ten (in dollars), at least $10."""
    if cents <= 1000:
        return 1000
    magnitude = 1
    while magnitude * 10 <= cents:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= cents:
            return top
    return 10 * magnitude  # pragma: no cover - the loop always returns


def bar_chart(points: list[tuple[date, int]], *, gridlines: int = 4) -> BarChart:
    top_value = _nice_ceiling(max((value for _month, value in points), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / max(len(points), 1)
    bar_width = round(slot * 0.62, 2)
    bars = []
    for index, (month, value) in enumerate(points):
        height = round(plot_height * max(value, 0) / top_value, 2)
        x = round(LEFT + index * slot + (slot - bar_width) / 2, 2)
        bars.append(
            Bar(
                x=x,
                y=round(baseline - height, 2),
                width=bar_width,
                height=height,
                label_x=round(x + bar_width / 2, 2),
                month_label=month.strftime("%b"),
                value_cents=value,
                title=f"{month.strftime('%B %Y')}: {format_cents(value)}",
            )
        )
    grid = [
        GridLine(
            y=round(baseline - plot_height * step / gridlines, 2), label=format_cents(top_value * step // gridlines)
        )
        for step in range(gridlines + 1)
    ]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        grid=grid,
        baseline_y=baseline,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        total_cents=sum(value for _month, value in points),
    )
