#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Chromium. As root it
# uses apt-get; otherwise it says what to install. CHROME_PATH overrides.
set -euo pipefail
chrome="${CHROME_PATH:-/usr/bin/chromium}"
if [ -x "$chrome" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium with apt-get (once)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium is missing: install it (Debian: sudo apt-get install chromium) or set CHROME_PATH." >&2
echo "The browser tests skip without it, except under CI, where they fail." >&2
exit 0
