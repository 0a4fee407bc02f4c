"""The one staff policy (``accounts.permissions``): who is staff, who is support, and nobody asks elsewhere."""

import ast
import re

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.urls import reverse

from accounts.permissions import SUPPORT_GROUP, can_use_admin, is_staff_member, is_support
from tests.architecture.source import ROOT, parsed, project_files, template_files
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POLICY = ROOT / "accounts" / "permissions.py"


def _person(kind):
    if kind == "anonymous":
        return AnonymousUser()
    staff = kind in ("staff", "support", "inactive support", "superuser")
    user = UserFactory(
        is_staff=staff, is_superuser=kind in ("superuser", "superuser, not staff"), is_active=kind != "inactive support"
    )
    if kind in ("support", "inactive support", "group member, not staff"):
        user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return type(user).objects.get(pk=user.pk)


# kind -> (is_staff_member, can_use_admin, is_support)
LEVELS = {
    "anonymous": (False, False, False),
    "member": (False, False, False),
    "group member, not staff": (False, False, False),
    "staff": (True, True, False),
    "support": (True, True, True),
    "inactive support": (False, False, False),
    "superuser": (True, True, True),
    "superuser, not staff": (True, False, False),
}


@pytest.mark.parametrize("kind", LEVELS)
def test_each_kind_of_person_has_one_level(kind):
    person = _person(kind)
    assert (is_staff_member(person), can_use_admin(person), is_support(person)) == LEVELS[kind]


def test_support_is_asked_of_the_database_once_per_user_object(django_assert_num_queries):
    person = _person("support")
    with django_assert_num_queries(1):
        assert is_support(person) and is_support(person)


def _reads_of_staff_flags(path):
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Attribute) and node.attr in ("is_staff", "is_superuser"):
            yield node.lineno, f".{node.attr}"
        elif isinstance(node, ast.keyword) and node.arg in ("is_staff", "is_superuser"):
            yield node.lineno, f"{node.arg}="
        elif isinstance(node, ast.keyword) and getattr(node.value, "value", None) == SUPPORT_GROUP:
            yield node.lineno, f"{node.arg}={SUPPORT_GROUP!r}"  # the group by its name: use SUPPORT_GROUP


def test_only_the_policy_reads_the_staff_flags_and_the_support_group():
    """Code and templates ask ``accounts.permissions`` (or its ``policy`` template filters), never the flags."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in project_files()
        if path != POLICY
        for line, what in _reads_of_staff_flags(path)
    ]
    flag = re.compile(r"\.(is_staff|is_superuser)\b")
    found += [
        f"{path.relative_to(ROOT)}:{number}: {match.group(0)}"
        for path in template_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for match in flag.finditer(line)
    ]
    assert not found, "ask accounts.permissions instead:\n" + "\n".join(found)


def test_the_nav_links_staff_pages_only_to_who_may_open_them(client):
    for kind, shows_center, shows_admin in (
        ("member", False, False),
        ("staff", False, True),
        ("support", True, True),
        ("superuser", True, True),
    ):
        client.force_login(_person(kind))
        page = client.get(reverse("dashboard")).content.decode()
        assert (reverse("staff_disputes") in page) is shows_center, kind
        assert (f'href="{reverse("admin:index")}"' in page) is shows_admin, kind
