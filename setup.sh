#!/usr/bin/env bash
# Installs what tock needs from Debian 12's packages (when run as root), then
# configures and builds it.
#
#   ./setup.sh [--sanitize]
#
# Normal build in build/; with --sanitize, an AddressSanitizer and
# UndefinedBehaviorSanitizer build in build-asan/. Prints the build directory
# on its last line. run.sh and test.sh call this; you need not.
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  g++ cmake ninja-build pkg-config time
  libzmq3-dev cppzmq-dev libuv1-dev libyaml-cpp-dev libfmt-dev doctest-dev
  libsqlite3-dev nlohmann-json3-dev libcli11-dev libhowardhinnant-date-dev
  libsimdjson-dev libmimalloc-dev
  python3 python3-isodatetime python3-zmq python3-jinja2 sqlite3 util-linux
  # the batch systems the runner tests drive: Slurm (with munge) and at
  slurm-wlm munge at
  # tock ui (docs/ui.md): its HTTP server, graphviz for its graph view,
  # chromium for its browser tests
  libcpp-httplib-dev graphviz chromium
)
# node and npm build the web page (ui/); any install of them will do.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: as root, run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

build=build
# Release: what users build, so CI needs no third build to check that it
# compiles without a warning.
options=(-DCMAKE_BUILD_TYPE=Release -DTOCK_WERROR=ON)
if [[ ${1:-} == --sanitize ]]; then
  build=build-asan
  options=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOCK_SANITIZE=ON -DTOCK_WERROR=ON)
fi
cmake -S . -B "$build" -G Ninja "${options[@]}" >&2
cmake --build "$build" >&2
echo "$build"
