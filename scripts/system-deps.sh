#!/bin/sh
# Debian packages Groundwork uses beyond Python: graphviz (`dot`, for SVG output) and chromium
# (the browser tests, driven by Playwright; never `playwright install`). Installed when missing
# and we can (root or sudo); otherwise we say plainly what is skipped and how to enable it, and
# everything else keeps working. GROUNDWORK_NO_BROWSER=1 leaves chromium out.
missing=""
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
if [ -z "$GROUNDWORK_NO_BROWSER" ] && ! command -v chromium >/dev/null 2>&1; then
  missing="$missing chromium"
fi
[ -z "$missing" ] && exit 0
skipped() {
  case "$missing" in *graphviz*) echo "note: without graphviz, SVG output and its tests are skipped" >&2;; esac
  case "$missing" in *chromium*) echo "note: without chromium, the browser tests are skipped (pytest says so for each)" >&2;; esac
}
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
  skipped
  echo "note: to enable them: sudo apt-get install -y$missing" >&2
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "installing$missing (Debian packages)" >&2
  $SUDO apt-get update -qq >/dev/null 2>&1
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null 2>&1; then
    skipped
    echo "note: could not install$missing; to enable them: apt-get install -y$missing" >&2
  fi
else
  skipped
  echo "note: to enable them, install$missing with your package manager" >&2
fi
exit 0
