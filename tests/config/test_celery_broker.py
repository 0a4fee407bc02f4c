"""An ack that a frozen Redis does not answer must still free the worker's prefetch slot (config.celery_broker).

With kombu's own Redis QoS the slot stays taken, and a worker whose acks failed as many times as it may prefetch
never takes another task (the two-node test that freezes Redis found it)."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from kombu.transport import redis as kombu_redis
from redis.exceptions import TimeoutError as RedisTimeout

from config import celery_broker


class _FrozenPipe:
    def execute(self):
        raise RedisTimeout("Timeout reading from socket")


def _qos(cls):
    qos = cls(SimpleNamespace(do_restore=False), prefetch_count=1)
    qos._remove_from_indices = lambda tag: _FrozenPipe()
    qos._delivered["tag-1"] = object()  # one message in hand: the worker may take no other
    assert not qos.can_consume()
    return qos


def test_kombus_own_qos_keeps_the_slot_when_redis_does_not_answer_the_ack():
    qos = _qos(kombu_redis.QoS)
    with pytest.raises(RedisTimeout):
        qos.ack("tag-1")
    assert not qos.can_consume()  # the worker is stuck: why the project has its own QoS


def test_the_projects_qos_frees_the_slot_when_redis_does_not_answer_the_ack():
    qos = _qos(celery_broker.QoS)
    with pytest.raises(RedisTimeout):  # still reported (kombu logs it); the message returns after the timeout
        qos.ack("tag-1")
    assert qos.can_consume()
    qos._flush()  # kombu forgets acked tags lazily
    assert "tag-1" not in qos._delivered


def test_the_redis_broker_uses_the_projects_transport():
    assert celery_broker.Channel.QoS is celery_broker.QoS
    assert celery_broker.Transport.Channel is celery_broker.Channel
    if getattr(settings, "CELERY_BROKER_URL", "").startswith("redis"):
        assert settings.CELERY_BROKER_TRANSPORT == "config.celery_broker:Transport"
