"""Static rules for the resolved compose file (`config` output), run by bin/check-compose.

    python3 bin/compose_rules.py RESOLVED_CONFIG_YAML

Checks what a Docker engine would not: HTTPS in front and exactly one trusted hop.
  - only `proxy` publishes ports on all interfaces (80 and 443); any other published port is
    bound to 127.0.0.1; `web` publishes none;
  - the proxy has a fixed address inside the network's subnet and outside the range Docker
    hands out (ip_range), and it mounts deploy/Caddyfile;
  - `web` trusts exactly that hop: GUNICORN_FORWARDED_ALLOW_IPS is the proxy's address,
    KEYSERVICE_NUM_PROXIES is 1, DJANGO_TRUST_X_FORWARDED_PROTO is true;
  - `prometheus` is in the `monitoring` profile and mounts deploy/prometheus.yml.
Prints each violation and exits 1; exits 0 when all hold.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml


def _ports(service: dict) -> list[dict]:
    """Published ports in the long form whatever form `config` printed."""
    found = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            found.append(port)
            continue
        text = str(port).split("/")[0]
        parts = text.rsplit(":", 2)
        host_ip = parts[0] if len(parts) == 3 else ""
        found.append({"host_ip": host_ip, "published": parts[-2] if len(parts) > 1 else ""})
    return found


def _mounts(service: dict, target: str) -> str | None:
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("target") == target:
                return str(volume.get("source"))
        elif str(volume).split(":")[1:2] == [target]:
            return str(volume).split(":")[0]
    return None


def check(config: dict) -> list[str]:
    errors: list[str] = []
    services = config.get("services") or {}
    proxy, web = services.get("proxy"), services.get("web")
    if proxy is None or web is None:
        return ["services 'proxy' and 'web' are both required"]
    for name, service in services.items():
        for port in _ports(service):
            if name == "proxy":
                continue
            if name == "web":
                errors.append(f"web publishes port {port.get('published')}: only the proxy may")
            elif port.get("host_ip") not in ("127.0.0.1", "::1"):
                errors.append(f"{name} publishes port {port.get('published')} beyond loopback")
    published = {str(p.get("published")) for p in _ports(proxy)}
    if not {"80", "443"} <= published:
        errors.append(f"the proxy must publish 80 and 443 (publishes {sorted(published)})")
    caddyfile = _mounts(proxy, "/etc/caddy/Caddyfile")
    if caddyfile is None or Path(caddyfile).name != "Caddyfile" or not Path(caddyfile).is_file():
        errors.append(
            f"the proxy must mount deploy/Caddyfile at /etc/caddy/Caddyfile ({caddyfile})"
        )

    address = ((proxy.get("networks") or {}).get("default") or {}).get("ipv4_address")
    pools = ((config.get("networks") or {}).get("default") or {}).get("ipam", {}).get("config", [])
    if not address or not pools:
        errors.append("the proxy needs a fixed ipv4_address on a default network with a subnet")
    else:
        ip = ipaddress.ip_address(address)
        subnet = ipaddress.ip_network(pools[0]["subnet"])
        dynamic = ipaddress.ip_network(pools[0].get("ip_range") or pools[0]["subnet"])
        if ip not in subnet:
            errors.append(f"the proxy's address {ip} is outside the subnet {subnet}")
        if ip in dynamic:
            errors.append(
                f"the proxy's address {ip} is inside ip_range {dynamic}: Docker may give it away"
            )

    env = web.get("environment") or {}
    if str(env.get("GUNICORN_FORWARDED_ALLOW_IPS")) != str(address):
        errors.append(
            "web's GUNICORN_FORWARDED_ALLOW_IPS must be exactly the proxy's address "
            f"({env.get('GUNICORN_FORWARDED_ALLOW_IPS')!r} != {address!r})"
        )
    if str(env.get("KEYSERVICE_NUM_PROXIES")) != "1":
        errors.append(
            f"web's KEYSERVICE_NUM_PROXIES must be 1 ({env.get('KEYSERVICE_NUM_PROXIES')!r})"
        )
    if str(env.get("DJANGO_TRUST_X_FORWARDED_PROTO")).lower() != "true":
        errors.append("web's DJANGO_TRUST_X_FORWARDED_PROTO must be true behind the proxy")

    errors += _leases_check(services, env)

    prometheus = services.get("prometheus")
    if prometheus is not None:
        if "monitoring" not in (prometheus.get("profiles") or []):
            errors.append("prometheus must be in the 'monitoring' profile")
        if _mounts(prometheus, "/etc/prometheus/prometheus.yml") is None:
            errors.append("prometheus must mount deploy/prometheus.yml")
    return errors


def _leases_check(services: dict, env: dict) -> list[str]:
    """The leased cache's Redis must be a Redis of this file that never persists: one restored
    from disk could bring back a set of lease holders that lost some (docs/scaling.md)."""
    name = "KEYSERVICE_LEASED_CACHE_REDIS_URL"
    if name not in env and "KEYSERVICE_VERIFY_CACHE_REDIS_URL" in env:
        name = "KEYSERVICE_VERIFY_CACHE_REDIS_URL"  # the deprecated alias
    url = str(env.get(name) or "")
    host = urlsplit(url).hostname or ""
    leases = services.get(host)
    if leases is None:
        return [f"web's {name} must name a Redis service here ({url!r})"]
    command = leases.get("command") or []
    words = command.split() if isinstance(command, str) else [str(w) for w in command]
    pairs = dict(zip(words, [*words[1:], None], strict=True))
    if pairs.get("--appendonly") != "no" or pairs.get("--save") not in ("", '""'):
        return [f"the leased cache's Redis ({host}) must run with --save '' --appendonly no"]
    if leases.get("volumes"):
        return [f"the leased cache's Redis ({host}) must keep nothing on a volume"]
    return []


def main(argv: list[str]) -> int:
    config = yaml.safe_load(Path(argv[1]).read_text())
    errors = check(config)
    for error in errors:
        print(f"check-compose: FAIL: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
