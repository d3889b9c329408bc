"""Client addresses: who a request counts as for every per-client limit.

The client is the N-th X-Forwarded-For entry from the right behind N trusted proxies
(core.clientip.client_identity); an IPv6 client is its network of a given prefix length.
allauth's own reading of X-Forwarded-For is given the same proxy count.
"""

from django.core.exceptions import ImproperlyConfigured

from keyservice.settings.env import env

# --- Client addresses ----------------------------------------------------------------------
# Who a request counts as, for every per-client limit (the API's and sign-in's alike):
# core.clientip.client_identity. Trusted proxies in front (compose: 1, the TLS proxy): the
# client address is the N-th X-Forwarded-For entry from the right, so behind the proxy one
# client's failures never count against everyone.
KEYSERVICE_NUM_PROXIES = env.int("KEYSERVICE_NUM_PROXIES", default=0)
# An IPv6 client is its network of this many bits (one subscriber holds a whole /64 at least):
# every address of one /64 shares one budget. IPv4 clients are their full address.
KEYSERVICE_CLIENT_IPV6_PREFIX = env.int("KEYSERVICE_CLIENT_IPV6_PREFIX", default=64)
if not 1 <= KEYSERVICE_CLIENT_IPV6_PREFIX <= 128:
    raise ImproperlyConfigured("KEYSERVICE_CLIENT_IPV6_PREFIX must be between 1 and 128.")
# Sign-in's limits take the client from accounts.adapters.AccountAdapter.get_client_ip (that
# same identity); allauth's own reading of X-Forwarded-For is given the same count all the same.
ALLAUTH_TRUSTED_PROXY_COUNT = KEYSERVICE_NUM_PROXIES
