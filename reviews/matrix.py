"""The impact–effort matrix: which quadrant an action item falls in, the order to work
through them, and where each lands on the chart. Pure functions, no database.

Impact and effort are scored 1–5. A score of ``HIGH`` (3) or more counts as high, so the
middle score leans to "worth doing" for impact and to "costly" for effort:

=============  ===============  ===============
               effort 1–2        effort 3–5
=============  ===============  ===============
impact 3–5     quick win         major project
impact 1–2     fill-in           thankless task
=============  ===============  ===============
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import models

HIGH = 3
SCORES = (1, 2, 3, 4, 5)


class Quadrant(models.TextChoices):
    QUICK_WIN = "quick_win", "Quick win"
    MAJOR_PROJECT = "major_project", "Major project"
    FILL_IN = "fill_in", "Fill-in"
    THANKLESS = "thankless", "Thankless task"


# The order to work through them: the cheap wins first, the thankless tasks last.
PRIORITY = (Quadrant.QUICK_WIN, Quadrant.MAJOR_PROJECT, Quadrant.FILL_IN, Quadrant.THANKLESS)
ADVICE = {
    Quadrant.QUICK_WIN: "High impact, low effort: do these first.",
    Quadrant.MAJOR_PROJECT: "High impact, high effort: plan and staff them.",
    Quadrant.FILL_IN: "Low impact, low effort: do them when there is slack.",
    Quadrant.THANKLESS: "Low impact, high effort: question them, or drop them.",
}


def is_high(score: int) -> bool:
    return score >= HIGH


def quadrant(impact: int, effort: int) -> Quadrant:
    if impact not in SCORES or effort not in SCORES:
        raise ValueError(f"Impact and effort are scored 1 to 5, not {impact} and {effort}.")
    if is_high(impact):
        return Quadrant.MAJOR_PROJECT if is_high(effort) else Quadrant.QUICK_WIN
    return Quadrant.THANKLESS if is_high(effort) else Quadrant.FILL_IN


def priority_key(impact: int, effort: int, due_on=None, pk: int = 0) -> tuple:
    """Quadrant first; within one, more impact, then less effort, then the earlier due."""
    rank = PRIORITY.index(quadrant(impact, effort))
    return (rank, -impact, effort, due_on is None, due_on, pk)


def prioritised(items) -> list:
    """``items`` (with ``impact``, ``effort``, ``due_on``, ``pk``) in the order to do them;
    finished ones (``is_closed``) after every open one."""
    return sorted(
        items,
        key=lambda item: (
            bool(getattr(item, "is_closed", False)),
            priority_key(item.impact, item.effort, item.due_on, item.pk or 0),
        ),
    )


# --- the chart ------------------------------------------------------------------------------

CELL = 84  # one score step, in SVG units
LEFT, TOP = 64, 16  # room for the axis labels
PLOT = CELL * len(SCORES)
WIDTH, HEIGHT = LEFT + PLOT + 16, TOP + PLOT + 56
DOT_SPACING = 24
DOTS_PER_ROW = 3
# Background of each quadrant and colour of its dots (white numbers on them meet WCAG AA).
AREA_FILL = {
    Quadrant.QUICK_WIN: "#e6f4ea",
    Quadrant.MAJOR_PROJECT: "#e7f0fb",
    Quadrant.FILL_IN: "#f3f4f6",
    Quadrant.THANKLESS: "#fde8e7",
}
DOT_FILL = {
    Quadrant.QUICK_WIN: "#1a7f37",
    Quadrant.MAJOR_PROJECT: "#0b5cad",
    Quadrant.FILL_IN: "#57606a",
    Quadrant.THANKLESS: "#b3261e",
}


@dataclass(frozen=True)
class Area:
    quadrant: Quadrant
    x: int
    y: int
    width: int
    height: int

    @property
    def label(self) -> str:
        return self.quadrant.label

    @property
    def fill(self) -> str:
        return AREA_FILL[self.quadrant]

    @property
    def label_x(self) -> int:
        return self.x + 8

    @property
    def label_y(self) -> int:
        return self.y + 18


@dataclass(frozen=True)
class Dot:
    number: int
    item: object
    x: float
    y: float

    @property
    def closed(self) -> bool:
        """Done or dropped: drawn hollow, so what is left to do stands out."""
        return bool(getattr(self.item, "is_closed", False))

    @property
    def fill(self) -> str:
        return DOT_FILL[quadrant(self.item.impact, self.item.effort)]


@dataclass(frozen=True)
class Tick:
    score: int
    x: int
    y: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot: int
    areas: tuple[Area, ...]
    dots: tuple[Dot, ...]
    effort_ticks: tuple[Tick, ...]
    impact_ticks: tuple[Tick, ...]
    split_x: int
    split_y: int
    grid_x: tuple[int, ...]
    grid_y: tuple[int, ...]

    @property
    def bottom(self) -> int:
        return self.top + self.plot

    @property
    def right(self) -> int:
        return self.left + self.plot

    @property
    def center_x(self) -> int:
        return self.left + self.plot // 2

    @property
    def center_y(self) -> int:
        return self.top + self.plot // 2

    @property
    def effort_label_y(self) -> int:
        return self.bottom + 42


def _column(effort: int) -> int:
    return LEFT + (effort - 1) * CELL


def _row(impact: int) -> int:
    return TOP + (len(SCORES) - impact) * CELL


def chart(numbered_items) -> Chart:
    """The chart of ``numbered_items`` — ``(number, item)`` pairs, the number being the
    item's place in the prioritised list — with effort across and impact up."""
    split_x = _column(HIGH)  # left of it: low effort
    split_y = _row(HIGH) + CELL  # below it: low impact
    areas = (
        Area(Quadrant.QUICK_WIN, LEFT, TOP, split_x - LEFT, split_y - TOP),
        Area(Quadrant.MAJOR_PROJECT, split_x, TOP, LEFT + PLOT - split_x, split_y - TOP),
        Area(Quadrant.FILL_IN, LEFT, split_y, split_x - LEFT, TOP + PLOT - split_y),
        Area(Quadrant.THANKLESS, split_x, split_y, LEFT + PLOT - split_x, TOP + PLOT - split_y),
    )
    cells = defaultdict(list)
    for number, item in numbered_items:
        cells[(item.effort, item.impact)].append((number, item))
    dots = []
    for (effort, impact), members in sorted(cells.items()):
        rows = (len(members) + DOTS_PER_ROW - 1) // DOTS_PER_ROW
        for index, (number, item) in enumerate(members):
            row, col = divmod(index, DOTS_PER_ROW)
            in_row = min(DOTS_PER_ROW, len(members) - row * DOTS_PER_ROW)
            x = _column(effort) + CELL / 2 + (col - (in_row - 1) / 2) * DOT_SPACING
            y = _row(impact) + CELL / 2 + (row - (rows - 1) / 2) * DOT_SPACING
            dots.append(Dot(number=number, item=item, x=round(x, 1), y=round(y, 1)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        plot=PLOT,
        areas=areas,
        dots=tuple(sorted(dots, key=lambda d: d.number)),
        effort_ticks=tuple(
            Tick(score, _column(score) + CELL // 2, TOP + PLOT + 18) for score in SCORES
        ),
        impact_ticks=tuple(Tick(score, LEFT - 12, _row(score) + CELL // 2 + 5) for score in SCORES),
        split_x=split_x,
        split_y=split_y,
        grid_x=tuple(LEFT + n * CELL for n in range(len(SCORES) + 1)),
        grid_y=tuple(TOP + n * CELL for n in range(len(SCORES) + 1)),
    )
