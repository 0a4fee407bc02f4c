"""The lifecycle help page on a phone: its steps table reads as cards, nothing wider than the screen (found by the
outside try: the table was 905 px wide in a 356 px scrolling box)."""

import pytest

from milestones import process

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_step_of_the_help_page_fits_a_phone(new_page, live_server):
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/help/milestones/")
    widths = page.evaluate(
        """() => ({page: document.documentElement.scrollWidth, window: window.innerWidth,
                   table: document.querySelector('[data-testid=steps]').scrollWidth})"""
    )
    assert widths["page"] <= widths["window"]
    assert widths["table"] <= widths["window"]
    rows = page.locator("[data-step]")
    assert rows.count() == len(process.STEPS)
    labels = page.evaluate(
        """() => [...document.querySelectorAll('[data-step] td')].slice(0, 7)
                 .map(td => getComputedStyle(td, '::before').content)"""
    )
    assert labels[-1] == '"Who is told: "'  # on a phone each cell says what it is


def test_the_diagram_and_its_table_say_each_transition_in_words(new_page, live_server):
    """Found by the outside try: the diagram's arrows were labelled cancel_late, mutual_cancel, resolve_split…"""
    from milestones.lifecycle import transitions

    page = new_page()
    page.goto(live_server.url + "/help/milestones/")
    shown = page.inner_text("main")
    for edge in transitions():
        if "_" in edge.name:
            assert edge.name not in shown, f"the help page shows the transition's code name {edge.name}"
        assert edge.label in shown
    assert "cancel for lateness" in shown and "request a revision" in shown
