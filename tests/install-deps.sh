#!/usr/bin/env bash
# Installs what the tests need when it is missing: Chromium for the browser
# tests; Firefox ESR, WebKitGTK (webkit2gtk-driver brings WebKitWebDriver and
# the MiniBrowser the engine tests run) and Xvfb (WebKitGTK has no headless
# mode) for the engine-neutral suite in tests/engines; and Mosquitto (the broker, and mosquitto_pub) for the dev server's
# external-broker tests. As root it uses apt-get; otherwise it says what to
# install. CHROME_PATH overrides Chromium's path.
set -euo pipefail
chrome="${CHROME_PATH:-/usr/bin/chromium}"
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

missing=()
[ -x "$chrome" ] || missing+=(chromium)
have firefox-esr || missing+=(firefox-esr)
have WebKitWebDriver || missing+=(webkit2gtk-driver)
have Xvfb || missing+=(xvfb)
have mosquitto || missing+=(mosquitto)
have mosquitto_pub || missing+=(mosquitto-clients)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} with apt-get (once)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  # Where systemd runs, the mosquitto package starts a system broker on
  # 127.0.0.1:1883. The tests start their own on free ports, and make run's
  # embedded broker wants 1883: stop and disable the one just installed.
  case " ${missing[*]} " in
    *" mosquitto "*)
      if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
        systemctl disable --now mosquitto >/dev/null 2>&1 || true
        echo "stopped and disabled the mosquitto service the package started (the tests run their own broker; make run embeds one on 127.0.0.1:1883)"
      fi
      ;;
  esac
  exit 0
fi
echo "Missing: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}), or set CHROME_PATH for Chromium." >&2
echo "The tests that need them skip without them, except under CI, where they fail." >&2
exit 0
