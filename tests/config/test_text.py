"""config.text: names and titles lose the characters that rewrite the page around them, and nothing else."""

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from config.text import BIDI_CONTROLS, INVISIBLE, LineField, clean_line
from marketplace.models import Gig, Tag
from milestones.models import Milestone, Order, PlanChange
from orders.models import OfferMilestone
from tests.factories import UserFactory

RLO = "\u202e"
REMOVED = set(BIDI_CONTROLS + INVISIBLE)
BREAKS = {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))} | {"\u2028", "\u2029"}


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        (f"Eve{RLO}gnp.exe", "Evegnp.exe"),
        (f"{RLO}6202 ceD 10", "6202 ceD 10"),
        ("\u2067\u05e9\u05dc\u05d5\u05dd\u2069 shalom", "\u05e9\u05dc\u05d5\u05dd shalom"),  # isolates
        ("a\u200eb\u200fc\u061cd", "abcd"),  # marks
        ("\u202a\u202b\u202c\u202d\u2066\u2068", ""),  # nothing but controls
        ("zero\u200bwidth\u2060joined\ufeff", "zerowidthjoined"),
        ("\u3164", ""),  # a Hangul filler, the "blank name" trick
        ("line\nbreak\ttab\r\nend", "line break tab end"),
        ("para\u2028graph\u2029end", "para graph end"),
        ("nul\x00and\x7fdel\x85", "nul and del"),
        ("  padded  ", "padded"),
        ("مرحبا بالعالم", "مرحبا بالعالم"),  # Arabic stays as it is
        ("नमस्ते", "नमस्ते"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian needs the zero-width non-joiner
        ("👩\u200d💻 dev", "👩\u200d💻 dev"),  # emoji sequences need the joiner
        ("I will  keep   spaces", "I will  keep   spaces"),
        ("<b>&amp;</b>", "<b>&amp;</b>"),  # markup is the templates' business (escaped there)
    ],
)
def test_clean_line(text, clean):
    assert clean_line(text) == clean


@given(st.text())
def test_no_control_survives(text):
    cleaned = clean_line(text)
    assert not REMOVED & set(cleaned)
    assert not BREAKS & set(cleaned)
    assert cleaned == cleaned.strip()
    assert clean_line(cleaned) == cleaned  # cleaning twice changes nothing


ORDINARY = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters=REMOVED))


@given(ORDINARY)
def test_ordinary_text_is_unchanged(text):
    assert clean_line(text) == text.strip()


def test_a_form_field_cleans_then_checks_required_and_length():
    field = LineField(max_length=5)
    assert field.clean(f"{RLO}abc{RLO}") == "abc"
    with pytest.raises(Exception, match="required"):
        field.clean(RLO * 3)
    assert field.clean(f"{RLO * 10}abcde") == "abcde"  # counted after cleaning


@pytest.mark.django_db
def test_every_name_and_title_column_cleans_on_save():
    user = UserFactory(display_name=f"Mallory{RLO}")
    assert User.objects.get(pk=user.pk).display_name == "Mallory"
    tag = Tag.objects.create(name=f"logo{RLO}")
    assert Tag.objects.get(pk=tag.pk).name == "logo"
    for model, field in ((Gig, "title"), (OfferMilestone, "title"), (Order, "title")):
        assert type(model._meta.get_field(field)).__name__ == "LineCharField", (model, field)
    for model in (Milestone, PlanChange):
        assert type(model._meta.get_field("title")).__name__ == "LineCharField", model


@pytest.mark.django_db
def test_the_admin_form_cleans_a_display_name_too():
    admin = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory(display_name="Before")
    model_admin = admin_site._registry[User]
    request = RequestFactory().get("/")
    request.user = admin
    form_class = model_admin.get_form(request, user, change=True, fields=["display_name"])
    form = form_class({"display_name": f"{RLO}Trudy"}, instance=user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["display_name"] == "Trudy"
