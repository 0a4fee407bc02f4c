"""The milestone lifecycle read back from the code, for the help page and tests.

``transitions()`` lists every (source, name, target, who) declared on
``Milestone.state`` (who: from the process declaration); ``steps()`` joins each step of the process
declaration with the states it leaves and enters; ``lifecycle_diagram()`` lays them out as an SVG.
"""

from dataclasses import dataclass

from django_fsm import RETURN_VALUE

from . import process
from .models import Milestone, State

# grid positions (column, row) of each state in the drawing
LAYOUT = {
    State.PROPOSED: (0, 0),
    State.AWAITING_FUNDING: (1, 0),
    State.FUNDED: (2, 0),
    State.IN_PROGRESS: (3, 0),
    State.CANCELLED: (0, 2),
    State.REVISION_REQUESTED: (3, 2),
    State.DELIVERED: (2, 2),
    State.DISPUTED: (2, 4),
    State.APPROVED: (1, 3),
    State.SETTLED: (3, 4),
}


@dataclass(frozen=True)
class Edge:
    source: str
    name: str
    target: str
    who: str

    @property
    def label(self) -> str:
        """The transition in words, from its step's verb ("request a revision", "cancel for lateness")."""
        verb = process.transition_steps()[self.name].verb
        return verb.removesuffix(" of").removesuffix(" on")

    @property
    def source_label(self) -> str:
        return State(self.source).label

    @property
    def target_label(self) -> str:
        return State(self.target).label


def transitions():
    field = Milestone._meta.get_field("state")
    edges = []
    for t in field.get_all_transitions(Milestone):
        targets = t.target.allowed_states if isinstance(t.target, RETURN_VALUE) else [t.target]
        who = process.who_text(process.transition_steps()[t.name])
        for target in targets:
            edges.append(Edge(str(t.source), t.name, str(target), who))
    return sorted(edges, key=lambda e: (list(LAYOUT).index(e.source), e.name, e.target))


@dataclass(frozen=True)
class StepRow:
    step: process.Step
    label: str
    who: str
    sources: tuple[str, ...]
    target: str
    told: tuple[str, ...] = ()


def steps() -> list[StepRow]:
    """Every step of the process declaration, with its states read from the state machine (the help page)."""
    edges = transitions()
    rows = []
    for step in process.STEPS.values():
        mine = [e for e in edges if e.name == step.transition]
        sources = tuple(dict.fromkeys(State(e.source).label for e in mine))
        targets = " or ".join(dict.fromkeys(State(e.target).label for e in mine))
        label = step.label.replace("{amount}", "the milestone").replace("Fund the milestone", "Fund")
        told = tuple(process.told(step))
        rows.append(StepRow(step, label, process.who_text(step), sources, targets or "(no change)", told))
    return rows


def lifecycle_diagram():
    """SVG-ready geometry: nodes and edges with label positions."""
    width, height, cell_w, cell_h, box_w, box_h = 860, 560, 210, 120, 150, 40
    nodes = {}
    for state, (col, row) in LAYOUT.items():
        x, y = 20 + col * cell_w, 20 + row * cell_h
        nodes[state] = {
            "state": state,
            "label": State(state).label,
            "x": x,
            "y": y,
            "cx": x + box_w / 2,
            "cy": y + box_h / 2,
            "w": box_w,
            "h": box_h,
        }
    grouped = {}
    for edge in transitions():
        grouped.setdefault((edge.source, edge.target), []).append(edge)
    lines = []
    for (src, dst), edges in grouped.items():
        a, b = nodes[src], nodes[dst]
        x1, y1, x2, y2 = _clip(a, b), _clip(a, b, y=True), _clip(b, a), _clip(b, a, y=True)
        lines.append(
            {
                "x1": x1,
                "y1": y1,
                "x2": x2,
                "y2": y2,
                # a third of the way from the source: the labels of a two-way pair (deliver / request a revision)
                # and of arrows meeting at one state do not sit on each other
                "lx": x1 + (x2 - x1) / 3,
                # the return arrow of a two-way pair has its label under the line, the other above it
                "ly": y1 + (y2 - y1) / 3 + (14 if (dst, src) in grouped and src > dst else -4),
                "label": " / ".join(sorted({e.label for e in edges})),
            }
        )
    return {"width": width, "height": height, "nodes": list(nodes.values()), "lines": lines, "edges": transitions()}


def _clip(a, b, y=False):
    """The point on box ``a``'s border towards ``b``'s centre (x, or y when y=True)."""
    dx, dy = b["cx"] - a["cx"], b["cy"] - a["cy"]
    if dx == 0 and dy == 0:
        return a["cy"] if y else a["cx"]
    sx = (a["w"] / 2) / abs(dx) if dx else float("inf")
    sy = (a["h"] / 2) / abs(dy) if dy else float("inf")
    s = min(sx, sy)
    return round(a["cy"] + dy * s, 1) if y else round(a["cx"] + dx * s, 1)
