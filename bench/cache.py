"""What-if only (BENCH_WHATIF=1): Django's Redis cache backend builds a new `redis.Redis`
client object for every cache operation (`RedisCacheClient.get_client`), and redis-py's
constructor fills a dict of ~170 response callbacks each time. This subclass keeps one client
per connection pool (redis.Redis is thread-safe; the pool is what holds connections).

Not used by the service; docs/performance.md reports what it would change.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
