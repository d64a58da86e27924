"""Checks that the compose replicas, nginx's upstream and Prometheus's targets name the same replicas, and that nginx
routes what the outside needs. Usage: cross_check.py RESOLVED_COMPOSE_YAML NGINX_CONF PROMETHEUS_YML (the first is
`docker-compose config` output). Prints what differs and exits 1."""

import re
import sys

import yaml

ROUTES = ["/webhook/", "/app/", "/dashboard/"]


def main(compose_path, nginx_path, prometheus_path):
    with open(compose_path) as f:
        compose = yaml.safe_load(f)
    replicas = sorted(
        name
        for name, service in compose["services"].items()
        if service.get("command") == ["serve"]
    )
    expected = {f"{name}:8080" for name in replicas}
    with open(nginx_path) as f:
        nginx = f.read()
    upstream = re.search(r"upstream\s+loyalty\s*\{(.*?)\}", nginx, re.S)
    proxied = set(re.findall(r"^\s*server\s+(\S+?:\d+)", upstream.group(1), re.M)) if upstream else set()
    with open(prometheus_path) as f:
        prometheus = yaml.safe_load(f)
    scraped = {
        target
        for job in prometheus.get("scrape_configs", [])
        if job.get("metrics_path", "/metrics") == "/metrics"
        for static in job.get("static_configs", [])
        for target in static.get("targets", [])
    }
    problems = []
    if len(replicas) < 2:
        problems.append(f"{compose_path}: expected several `serve` replicas, found {replicas}")
    if proxied != expected:
        problems.append(f"{nginx_path}: upstream loyalty has {sorted(proxied)}, the replicas are {sorted(expected)}")
    if scraped != expected:
        problems.append(f"{prometheus_path}: scrapes {sorted(scraped)}, the replicas are {sorted(expected)}")
    for route in ROUTES:
        if not re.search(r"location\s+" + re.escape(route) + r"\s*\{[^}]*proxy_pass\s+http://loyalty;", nginx):
            problems.append(f"{nginx_path}: {route} is not proxied to the replicas")
    for problem in problems:
        print(f"deploy files disagree: {problem}")
    if problems:
        sys.exit(1)
    print(f"replicas {', '.join(replicas)}: proxied by nginx and scraped by Prometheus")


if __name__ == "__main__":
    main(*sys.argv[1:])
