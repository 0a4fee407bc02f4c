"""The Redis broker transport, with one fix: an ack that Redis did not answer still frees the worker's slot.

kombu's Redis ``QoS.ack`` removes the message from Redis's unacked index and only then from the worker's own
count of messages in hand. When Redis is frozen at that moment (a SIGSTOP, a stalled host), the removal times
out, the local count keeps the message, and once as many acks have failed as the worker may prefetch, it
never takes another task: every sweep stops until the worker restarts (found by the two-node test that freezes
Redis, once each app had its own beat entry). Here the slot is freed whatever Redis answered; the message stays
in Redis's unacked index and comes back after the visibility timeout, which every task allows (each sweep is
idempotent; a notification email is sent once, see ``accounts.notifications.notification_email``).
"""

import logging

from kombu.transport import redis
from kombu.transport.virtual import base

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def ack(self, delivery_tag):
        try:
            self._remove_from_indices(delivery_tag).execute()
        finally:
            base.QoS.ack(self, delivery_tag)  # free the slot even when Redis did not answer


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
