"""Impact–effort quadrants: every score pair lands where the threshold says, the list is
ordered cheap wins first, and the chart puts each dot inside its quadrant's area."""

from datetime import date
from types import SimpleNamespace

import pytest

from reviews.matrix import HIGH, PRIORITY, Quadrant, chart, prioritised, quadrant

Q = Quadrant
EXPECTED = {
    # impact: effort 1..5
    5: [Q.QUICK_WIN, Q.QUICK_WIN, Q.MAJOR_PROJECT, Q.MAJOR_PROJECT, Q.MAJOR_PROJECT],
    4: [Q.QUICK_WIN, Q.QUICK_WIN, Q.MAJOR_PROJECT, Q.MAJOR_PROJECT, Q.MAJOR_PROJECT],
    3: [Q.QUICK_WIN, Q.QUICK_WIN, Q.MAJOR_PROJECT, Q.MAJOR_PROJECT, Q.MAJOR_PROJECT],
    2: [Q.FILL_IN, Q.FILL_IN, Q.THANKLESS, Q.THANKLESS, Q.THANKLESS],
    1: [Q.FILL_IN, Q.FILL_IN, Q.THANKLESS, Q.THANKLESS, Q.THANKLESS],
}


def item(pk, impact, effort, due=date(2026, 4, 1), closed=False):
    return SimpleNamespace(pk=pk, impact=impact, effort=effort, due_on=due, is_closed=closed,
                           title=f"item {pk}", status_label="Open")


@pytest.mark.parametrize("impact", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("effort", [1, 2, 3, 4, 5])
def test_every_score_pair_lands_in_its_quadrant(impact, effort):
    assert quadrant(impact, effort) == EXPECTED[impact][effort - 1]


def test_three_is_the_first_high_score_on_both_axes():
    assert HIGH == 3
    assert quadrant(3, 2) == Q.QUICK_WIN and quadrant(2, 2) == Q.FILL_IN
    assert quadrant(3, 3) == Q.MAJOR_PROJECT and quadrant(2, 3) == Q.THANKLESS


@pytest.mark.parametrize("impact, effort", [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_scores_outside_one_to_five_are_refused(impact, effort):
    with pytest.raises(ValueError):
        quadrant(impact, effort)


def test_the_prioritised_list_puts_quick_wins_first_and_closed_items_last():
    items = [
        item(1, 1, 5),  # thankless
        item(2, 5, 5),  # major project
        item(3, 2, 1),  # fill-in
        item(4, 4, 1),  # quick win
        item(5, 5, 1),  # quick win, more impact
        item(6, 5, 1, closed=True),
        item(7, 4, 1, due=date(2026, 3, 1)),  # same cell as 4, due earlier
    ]
    assert [i.pk for i in prioritised(items)] == [5, 7, 4, 2, 3, 1, 6]
    assert PRIORITY[0] == Q.QUICK_WIN and PRIORITY[-1] == Q.THANKLESS


def test_each_dot_is_drawn_inside_the_area_of_its_quadrant():
    numbered = list(enumerate(
        [item(pk, i, e) for pk, (i, e) in enumerate(
            [(i, e) for i in range(1, 6) for e in range(1, 6)] + [(5, 1)] * 4, start=1
        )],
        start=1,
    ))
    drawing = chart(numbered)
    areas = {area.quadrant: area for area in drawing.areas}
    assert len(drawing.dots) == len(numbered)
    for dot in drawing.dots:
        area = areas[quadrant(dot.item.impact, dot.item.effort)]
        assert area.x < dot.x < area.x + area.width, dot
        assert area.y < dot.y < area.y + area.height, dot
    # Five items in one cell do not sit on top of each other.
    crowded = {(d.x, d.y) for d in drawing.dots if (d.item.impact, d.item.effort) == (5, 1)}
    assert len(crowded) == 5


def test_high_impact_is_up_and_high_effort_is_right():
    areas = {area.quadrant: area for area in chart([]).areas}
    assert areas[Q.QUICK_WIN].y < areas[Q.FILL_IN].y
    assert areas[Q.QUICK_WIN].x < areas[Q.MAJOR_PROJECT].x
    assert areas[Q.THANKLESS].x > areas[Q.FILL_IN].x
    assert areas[Q.THANKLESS].y > areas[Q.MAJOR_PROJECT].y
