#!/bin/sh
# Debian packages Groundwork uses beyond Python: graphviz (`dot`, for SVG output) and chromium
# (browser tests). Installed when missing and we can (root or sudo); otherwise we say how, and
# everything but SVG output and the browser tests keeps working.
missing=""
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
[ -n "$GROUNDWORK_WANT_BROWSER" ] && ! command -v chromium >/dev/null 2>&1 && missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "note: install$missing for SVG output and browser tests: sudo apt-get install -y$missing" >&2
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "installing$missing (Debian packages)" >&2
  $SUDO apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null 2>&1 ||
    echo "note: could not install$missing; SVG output or browser tests will be skipped" >&2
else
  echo "note: install$missing with your package manager for SVG output and browser tests" >&2
fi
exit 0
