"""allauth glue: which address a request comes from, for the login and sign-up rate limits."""

import functools
import ipaddress
import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

logger = logging.getLogger(__name__)


@functools.cache
def _networks(allowed):
    if "*" in allowed:
        return None  # every peer is a trusted proxy (gunicorn's meaning of "*")
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def from_trusted_proxy(address):
    """Is ``address`` (the TCP peer) one of the proxies in ``FORWARDED_ALLOW_IPS``?"""
    networks = _networks(tuple(settings.FORWARDED_ALLOW_IPS))
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        """The client's address: allauth's reading of the proxy's header (``ALLAUTH_TRUSTED_PROXY_COUNT``,
        ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``), but only when the request came from a trusted proxy.

        allauth believes X-Forwarded-For from anyone once a proxy count is set; a client that reaches a
        web node directly could then name a new address on every try and never meet a limit.
        """
        peer = request.META.get("REMOTE_ADDR", "")
        if not from_trusted_proxy(peer):
            try:
                return str(ipaddress.ip_address(peer))
            except ValueError:
                raise PermissionDenied("Unable to determine client IP address") from None
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            # Fewer X-Forwarded-For entries than TRUSTED_PROXY_COUNT (allauth refuses): the request passed
            # fewer proxies than configured, so every entry was written by one of ours and the first one
            # is the client. Said in the log, since the count may be set too high.
            logger.warning("X-Forwarded-For has fewer entries than TRUSTED_PROXY_COUNT; taking its first")
            first = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
            try:
                return str(ipaddress.ip_address(first))
            except ValueError:
                return peer
