#!/bin/sh
# compose_config.sh DIR - validates DIR/docker-compose.yml with `docker-compose config -q`
# (no Docker engine needed). Exit 77 (CTest: skipped) only when docker-compose is missing.
set -eu
dir=$1
if ! command -v docker-compose >/dev/null 2>&1; then
    echo "SKIPPED: docker-compose is not installed (Debian 12 package docker-compose; scripts/deps installs it)"
    exit 77
fi
cd "$dir"
# The file names the key files as secrets; config only checks that the paths are strings, so
# it needs no keys. A missing .env is fine too.
docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml: valid ($(docker-compose version --short))"
