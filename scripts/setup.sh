#!/bin/sh
# The one step before `npm ci` on a fresh Debian machine: the system packages the fast training path needs.
# libs/tfjs-native's install script builds its oneDNN kernels only where Debian's oneDNN (libdnnl-dev) and a C++
# toolchain are installed when `npm ci` runs; without them training falls back to wasm, about 7× slower per step
# (README, "The fast training path"). So: install what is missing when this is root with apt-get, else say what to
# run. It never fails the command line it starts: the fallback works, only slower. Running it again changes nothing.
# .ci/run calls it too, so CI tests the path a newcomer gets. It also installs Debian's chromium, the browser the page's
# test (test/web-page.test.ts) drives with playwright-core: no browser download; without it that test is skipped.
set -u

PACKAGES="libdnnl-dev g++ make python3 chromium"

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: not a Debian system; for the fast training path install oneDNN 2.x (headers in /usr/include/oneapi/dnnl), g++ and make before npm ci"
  exit 0
fi

missing=""
for package in $PACKAGES; do
  installed "$package" || missing="$missing $package"
done
missing="${missing# }"

if [ -z "$missing" ]; then
  echo "setup: $PACKAGES already installed; npm ci builds the oneDNN training kernels (the fast path)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "setup: missing $missing; as root run: apt-get install -y $missing  (then npm ci). Without them training runs on the slower wasm fallback (libdnnl-dev) and the browser test is skipped (chromium)."
  exit 0
fi

echo "setup: installing $missing (Debian packages, for the oneDNN training kernels and the browser test)"
if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; then
  echo "setup: installed $missing; npm ci builds the oneDNN training kernels (the fast path)"
else
  echo "setup: apt-get could not install $missing; training will run on the slower wasm fallback, and without chromium the browser test is skipped"
fi
exit 0
