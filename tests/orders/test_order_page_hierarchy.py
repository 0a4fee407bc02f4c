"""The order page's hierarchy, from the process declaration: each ``place=PRIMARY`` step comes first on its
milestone, each ``place=MORE`` step behind "More options"; the stages and the due-date countdown in words."""

import datetime

import pytest
from django.urls import reverse

from milestones import process
from orders.selectors import STAGES, milestone_stages
from orders.templatetags.countdown import countdown_for
from tests.milestones.test_process import SCENARIOS

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("due", "text", "status"),
    [
        (NOW + datetime.timedelta(days=3), "3 days left", "left"),
        (NOW + datetime.timedelta(days=1), "1 day left", "left"),
        (NOW + datetime.timedelta(hours=5), "5 hours left", "today"),
        (NOW - datetime.timedelta(hours=5), "5 hours late", "late"),
        (NOW - datetime.timedelta(days=1), "1 day late", "late"),
        (NOW - datetime.timedelta(days=2, hours=1), "2 days late", "late"),
    ],
)
def test_the_countdown_says_how_long_is_left_in_words(due, text, status):
    left = countdown_for(due, NOW)
    assert (left.text, left.status) == (text, status)


def test_no_due_date_no_countdown():
    assert countdown_for(None, NOW) is None


def _urls(milestone, step):
    if step.form.startswith("link:"):
        return f'href="{reverse(step.form[5:], args=[milestone.pk])}"'
    return f'action="{reverse("orders:milestone_action", args=[milestone.pk, step.name])}"'


def _page(client, milestone, role):
    user = getattr(milestone.order, role)
    client.force_login(user)
    body = client.get(milestone.order.get_absolute_url()).content.decode()
    start = body.index(f'id="milestone-{milestone.pk}"')
    end = body.find('<li class="card milestone', start)  # the next milestone, or the end of the plan's section
    end = end if end >= 0 else body.index("</section>", start)
    return body[start:end], user


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("role", ["buyer", "seller"])
def test_the_main_step_comes_first_and_disputes_and_cancellations_wait_under_more(client, scenario, role):
    milestone = SCENARIOS[scenario]()
    block, user = _page(client, milestone, role)
    offered = [s for s in process.STEPS.values() if s.on_order_page and _urls(milestone, s) in block]
    primary = [s for s in offered if s.place == process.PRIMARY]
    others = [s for s in offered if s.place != process.PRIMARY]
    for step in primary:
        assert all(block.index(_urls(milestone, step)) < block.index(_urls(milestone, o)) for o in others), (
            scenario,
            role,
            step.name,
        )
        assert "secondary" not in step.style and "danger" not in step.style
    more_at = block.find('data-testid="more-actions"')
    for step in offered:
        if step.place == process.MORE:
            assert 0 <= more_at < block.index(_urls(milestone, step)), (scenario, role, step.name)
        elif more_at >= 0:
            assert block.index(_urls(milestone, step)) < more_at, (scenario, role, step.name)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_milestone_on_the_path_shows_its_stage_in_words(client, scenario):
    milestone = SCENARIOS[scenario]()
    stages = milestone_stages(milestone)
    if milestone.state == "proposed":
        assert stages == []
        return
    assert [s.label for s in stages] == list(STAGES)
    assert sum(s.status == "current" for s in stages) <= 1
    block, _ = _page(client, milestone, "buyer")
    assert 'data-testid="stages"' in block
    for stage in stages:
        word = {"done": "(done)", "current": "(current step)", "todo": "(to come)"}[stage.status]
        assert f'{stage.label}<span class="visually-hidden"> {word}</span>' in block
