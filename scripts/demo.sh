#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds the panel, and runs it against a local
# nginx, Pebble (Let's Encrypt's test CA) and dnsmasq on a loopback address, with a demo
# domain that goes all the way to active. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh
if [ ! -x node_modules/.bin/nest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
exec node_modules/.bin/tsx scripts/demo.ts
