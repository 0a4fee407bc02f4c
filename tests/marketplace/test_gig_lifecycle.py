"""The gig's status moves only through its lifecycle: the seller's pages, or an operator's admin actions."""

import pytest
from django.urls import reverse

from accounts.models import StaffAction
from marketplace import services
from marketplace.models import Gig, GigStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_seller_pauses_resumes_and_deletes_through_the_transitions(gig, seller):
    assert services.gig_pause(gig=gig, actor=seller).status == GigStatus.PAUSED
    assert services.gig_pause(gig=gig, actor=seller).status == GigStatus.PAUSED  # already paused: left as it is
    assert services.gig_activate(gig=gig, actor=seller).status == GigStatus.ACTIVE
    assert services.gig_delete(gig=gig, actor=seller).status == GigStatus.DELETED
    with pytest.raises(services.NotAllowed):
        services.gig_activate(gig=gig, actor=seller)  # a deleted gig stays deleted
    assert Gig.objects.get(pk=gig.pk).status == GigStatus.DELETED


def _act(client, action, *gigs):
    changelist = reverse("admin:marketplace_gig_changelist")
    return client.post(changelist, {"action": action, "_selected_action": [g.pk for g in gigs]}, follow=True)


def test_an_operator_pauses_resumes_and_deletes_gigs_from_the_admin_with_an_audit_row(client, gig):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert _act(client, "pause", gig).status_code == 200
    assert Gig.objects.get(pk=gig.pk).status == GigStatus.PAUSED
    _act(client, "resume", gig)
    assert Gig.objects.get(pk=gig.pk).status == GigStatus.ACTIVE
    _act(client, "soft_delete", gig)
    assert Gig.objects.get(pk=gig.pk).status == GigStatus.DELETED
    assert list(StaffAction.objects.filter(staff=admin).order_by("pk").values_list("action", "target")) == [
        ("gig_pause", f"gig {gig.pk}"),
        ("gig_resume", f"gig {gig.pk}"),
        ("gig_soft_delete", f"gig {gig.pk}"),
    ]


def test_an_admin_action_the_status_does_not_allow_changes_nothing(client, gig):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = _act(client, "resume", gig)  # it is active already
    assert "0 gigs changed" in response.content.decode()
    assert Gig.objects.get(pk=gig.pk).status == GigStatus.ACTIVE
    assert not StaffAction.objects.exists()


def test_the_admin_add_and_change_forms_leave_the_status_to_the_lifecycle(client, gig):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:marketplace_gig_change", args=[gig.pk]))
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "status" not in client.get(reverse("admin:marketplace_gig_add")).context["adminform"].form.fields


def test_only_staff_change_a_gig_they_do_not_own(gig, seller, stranger):
    for actor in (seller, stranger, None):
        with pytest.raises(services.NotAllowed):
            services.gig_status_change_by_staff(gig_id=gig.pk, actor=actor, transition="pause")
    assert Gig.objects.get(pk=gig.pk).status == GigStatus.ACTIVE
