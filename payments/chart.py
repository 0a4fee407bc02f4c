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
# The axis labels ("$1,000") sit left of the plot, right-aligned: the plot starts far enough right for the
# longest of them at the chart's font size (14px in the viewBox: a character is at most ~0.62em wide).
CHAR_WIDTH = 9
LABEL_GAP = 6  # between a label's end and the plot
MIN_LEFT = 48
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
    label_x: int  # where the axis labels end (right-aligned)
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


def axis_label(cents: int) -> str:
    """A gridline's label: the amount with its currency sign, cents only where there are any ("$250",
    "$2.50")."""
    return format_cents(cents, trim=True)


def label_room(labels: list[str]) -> int:
    """How far from the left edge the plot starts so that every label fits whole before it."""
    return max(MIN_LEFT, LABEL_GAP + CHAR_WIDTH * max((len(label) for label in labels), default=0) + LABEL_GAP)


def bar_chart(points: list[tuple[date, int]], *, gridlines: int = 4) -> BarChart:
    top_value = _nice_ceiling(max((value for _month, value in points), default=0))
    labels = [axis_label(top_value * step // gridlines) for step in range(gridlines + 1)]
    LEFT = label_room(labels)  # noqa: N806 - the plot's left edge, as the module's other edges
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
        GridLine(y=round(baseline - plot_height * step / gridlines, 2), label=labels[step])
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
        label_x=LEFT - LABEL_GAP,
        total_cents=sum(value for _month, value in points),
    )
