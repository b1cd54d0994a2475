#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo use, skipping those already there:
# nginx (the web server the module configures), Pebble (Let's Encrypt's test CA), dnsmasq
# (DNS), postfix-mta-sts-resolver (an independent MTA-STS client, and mta-sts-daemon, the
# policy cache of a real sender), postfix (that sender), openssl, util-linux (unshare,
# nsenter), knot-dnsutils (kdig, for looking at the lab's DNS by hand), chromium (the
# browser the page tests drive with playwright-core; no browser is ever downloaded),
# systemd (systemd-analyze, which checks the service unit the README gives), and the
# authoritative DNS servers DNS publishing writes to: Knot DNS and BIND (RFC 2136 with
# TSIG) and PowerDNS Authoritative with its SQLite backend (its HTTP API), and Unbound,
# a recursive resolver that follows a CNAME from one lab zone into another; Dovecot's IMAP
# server, the mailbox TLS reports are mailed to; PostgreSQL, the second database the
# integration suite runs on (a private cluster each run; the packaged one stays down);
# iproute2 (ip netns, the nodes of the several-nodes test) and curl (fetching from one node).
set -euo pipefail

packages=(pebble dnsmasq-base postfix-mta-sts-resolver postfix openssl util-linux knot-dnsutils chromium systemd
  knot bind9 pdns-server pdns-backend-sqlite3 unbound dovecot-imapd postgresql iproute2 curl)
# Any nginx on the PATH will do; nginx-light is the smallest package that has one.
command -v nginx >/dev/null 2>&1 || packages+=(nginx-light)

to_install=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    to_install+=("$package")
  fi
done

if [ "${#to_install[@]}" -eq 0 ]; then
  echo "System packages: all present."
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${to_install[*]}" >&2
  echo "Install them as root: apt-get install -y ${to_install[*]}" >&2
  exit 1
fi
echo "Installing: ${to_install[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian starts services on install; the tests run their own instances, so keep the
# packaged ones from starting (and from taking ports 53 and 80).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
apt-get install -y -qq --no-install-recommends "${to_install[@]}" >/dev/null
[ "$created_policy" -eq 1 ] && rm -f "$policy"
echo "Installed: ${to_install[*]}"
