"""One world for the whole package, built once through the services (``tests/security/world.py``).

It is built in a transaction of its own that is rolled back when the package is
done; each test runs in a savepoint inside it (pytest-django's ``db``), and the
fuzz suite runs each example in a further savepoint, so every submission starts
from the same world.
"""

import pytest
from django.db import transaction
from django.test import override_settings

from tests.security.world import build_world


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("forms-media")):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
