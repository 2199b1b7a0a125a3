"""The worker app's own jobs."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from worker import jobs

pytestmark = pytest.mark.django_db(transaction=True)


def test_clear_sessions_deletes_expired_sessions_once_per_interval():
    Session.objects.create(session_key="expired", session_data="", expire_date=timezone.now() - timedelta(1))
    Session.objects.create(session_key="current", session_data="", expire_date=timezone.now() + timedelta(1))

    assert jobs.clear_sessions() == 1
    assert jobs.clear_sessions() == 0

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]
