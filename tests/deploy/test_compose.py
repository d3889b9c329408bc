"""docker-compose.yml: HTTPS in front (the Caddy proxy) and exactly one trusted hop, checked by
bin/check-compose without a Docker engine; the proxy's and Prometheus's config files."""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.services import ROOT, require

spec = importlib.util.spec_from_file_location("compose_rules", ROOT / "bin" / "compose_rules.py")
assert spec is not None and spec.loader is not None
compose_rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compose_rules)

DUMMIES = {
    "DJANGO_SECRET_KEY": "dummy-secret-key-" + "x" * 40,
    "KEYSERVICE_ENCRYPTION_KEY": "ab" * 32,
    "KEYSERVICE_DIGEST_SECRET": "dummy-digest-" + "y" * 40,
    "POSTGRES_PASSWORD": "dummy-password",
    "KEYSERVICE_DOMAIN": "keys.example.com",
}


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return None


def tool(name: str) -> str | None:
    local = ROOT / "var" / "tools" / "usr" / "bin" / name
    return shutil.which(name) or (str(local) if local.is_file() else None)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> dict:
    compose = compose_command()
    require(
        compose is not None,
        "needs docker-compose (bin/check-compose --install installs it; CI does)",
    )
    assert compose is not None
    env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    env_file.write_text("")
    result = subprocess.run(
        [
            *compose,
            "--env-file",
            str(env_file),
            "--project-directory",
            ".",
            "-f",
            "docker-compose.yml",
            "--profile",
            "dev",
            "--profile",
            "monitoring",
            "config",
        ],
        cwd=ROOT,
        env={**os.environ, **DUMMIES},
        capture_output=True,
        text=True,
        check=True,
    )
    return yaml.safe_load(result.stdout)


def test_check_compose_accepts_the_shipped_file(resolved):
    result = subprocess.run(["bin/check-compose"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_the_shipped_file_puts_the_proxy_in_front_and_trusts_exactly_it(resolved):
    assert compose_rules.check(resolved) == []
    web = resolved["services"]["web"]
    assert not web.get("ports")
    proxy_ip = resolved["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert web["environment"]["GUNICORN_FORWARDED_ALLOW_IPS"] == proxy_ip
    assert resolved["services"]["prometheus"]["profiles"] == ["monitoring"]


def broken(resolved: dict, change) -> list[str]:
    config = copy.deepcopy(resolved)
    change(config)
    return compose_rules.check(config)


def test_a_published_gunicorn_port_is_refused(resolved):
    def publish(c):
        c["services"]["web"]["ports"] = [{"published": 8000, "target": 8000}]

    assert any("web publishes" in e for e in broken(resolved, publish))


def test_trusting_any_other_peer_than_the_proxy_is_refused(resolved):
    def widen(c):
        c["services"]["web"]["environment"]["GUNICORN_FORWARDED_ALLOW_IPS"] = "*"

    def two(c):
        c["services"]["web"]["environment"]["KEYSERVICE_NUM_PROXIES"] = "2"

    def untrusted(c):
        c["services"]["web"]["environment"]["DJANGO_TRUST_X_FORWARDED_PROTO"] = "false"

    assert any("FORWARDED_ALLOW_IPS" in e for e in broken(resolved, widen))
    assert any("NUM_PROXIES" in e for e in broken(resolved, two))
    assert any("X_FORWARDED_PROTO" in e for e in broken(resolved, untrusted))


def test_a_proxy_address_docker_could_hand_out_is_refused(resolved):
    def inside(c):
        c["services"]["proxy"]["networks"]["default"]["ipv4_address"] = "172.30.80.200"
        c["services"]["web"]["environment"]["GUNICORN_FORWARDED_ALLOW_IPS"] = "172.30.80.200"

    assert any("ip_range" in e for e in broken(resolved, inside))


def test_the_leased_cache_in_a_redis_that_persists_is_refused(resolved):
    def persisted(c):
        c["services"]["leases"]["command"] = ["redis-server", "--appendonly", "yes"]

    def shared(c):
        c["services"]["web"]["environment"]["KEYSERVICE_LEASED_CACHE_REDIS_URL"] = (
            "redis://elsewhere:6379/0"
        )

    def on_a_volume(c):
        c["services"]["leases"]["volumes"] = [{"type": "volume", "source": "s", "target": "/data"}]

    assert compose_rules.check(resolved) == []
    assert any("--appendonly no" in e for e in broken(resolved, persisted))
    assert any("must name a Redis service" in e for e in broken(resolved, shared))
    assert any("nothing on a volume" in e for e in broken(resolved, on_a_volume))


def test_a_public_port_of_any_other_service_is_refused(resolved):
    def public(c):
        c["services"]["prometheus"]["ports"] = ["9090:9090"]

    assert any("prometheus publishes" in e for e in broken(resolved, public))


def test_caddy_validates_the_caddyfile():
    caddy = tool("caddy")
    require(
        caddy is not None, "needs caddy (Debian package; bin/check-compose --install fetches it)"
    )
    result = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", "deploy/Caddyfile"],
        cwd=ROOT,
        env={**os.environ, "KEYSERVICE_DOMAIN": "keys.example.com"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_promtool_validates_the_prometheus_config(tmp_path):
    promtool = tool("promtool")
    require(
        promtool is not None,
        "needs promtool (Debian package prometheus; bin/check-compose --install fetches it)",
    )
    token = tmp_path / "token"
    token.write_text("dummy")
    config = (ROOT / "deploy" / "prometheus.yml").read_text()
    assert "/tmp/keyservice-metrics-token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/tmp/keyservice-metrics-token", str(token))
    )
    result = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_proxy_never_routes_metrics_and_trusts_no_client_forwarded_header():
    lines = Path(ROOT / "deploy" / "Caddyfile").read_text().splitlines()
    directives = [line.strip() for line in lines if not line.strip().startswith("#")]
    assert "respond /metrics 404" in directives
    assert not any("trusted_proxies" in line for line in directives)


def test_check_compose_installs_nothing_unless_asked(tmp_path):
    """With no compose on PATH and no --install, it fails naming the flag; apt is never run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "mktemp", "rm", "id", "grep", "cat", "dirname", "head"):
        found = shutil.which(name)
        assert found, name
        (bin_dir / name).symlink_to(found)
    marker = tmp_path / "apt-was-run"
    for name in ("apt-get", "docker", "docker-compose"):
        fake = bin_dir / name
        fake.write_text(f"#!/bin/bash\ntouch {marker}\nexit 1\n" if name == "apt-get" else "")
        fake.chmod(0o755)
    (bin_dir / "docker-compose").unlink()
    (bin_dir / "docker").write_text("#!/bin/bash\nexit 1\n")  # a client without compose
    result = subprocess.run(
        [str(bin_dir / "bash"), "bin/check-compose"],
        cwd=ROOT,
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "bin/check-compose --install" in result.stderr
    assert not marker.exists()
