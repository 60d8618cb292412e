#!/usr/bin/env bash
# Installs the Debian packages the test suite and CI use, when they are missing: openssl (test
# certificates), chromium (the HTML rally report is rendered in a headless browser) and prometheus
# (promtool checks the alert rules). Needs root and apt-get; elsewhere it says what to install.
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[ "${#missing[@]}" -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "please install these Debian packages (or your system's equivalents): ${missing[*]}" >&2
  exit 1
fi
