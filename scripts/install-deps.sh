#!/usr/bin/env bash
# Installs every build and test dependency from Debian's apt (and npm for the Loki client tests).
# Idempotent: packages already present are skipped and nothing is printed for them.
set -euo pipefail

APT_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates curl python3 ccache
  # design card
  librdkafka-dev libre2-dev libssl-dev libsqlitecpp-dev libsqlite3-dev doctest-dev
  # well-kept Debian libraries we use instead of hand-written code
  libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsnappy-dev libprotobuf-dev protobuf-compiler libxxhash-dev libcurl4-openssl-dev
  libbenchmark-dev zlib1g-dev
  # test peers: Kafka producer, promtool, PostgreSQL, Node for the npm Loki clients, fuzzing runtime,
  # the openssl CLI (throwaway CAs and s_client in tests/integration/tls_test.cpp)
  kcat prometheus postgresql libpq-dev sqlite3 clang libclang-rt-14-dev iproute2 openssl
  # real syslog senders (tests/integration/syslog_test.cpp), run in the foreground with their own config:
  # rsyslog (+ omkafka); syslog-ng's libraries (its package conflicts with rsyslog's: unpacked below)
  rsyslog rsyslog-kafka libivykis0 libjson-c5 libnet1 libpcre3 libwrap0 libcap2 libglib2.0-0
  # the browser the web UI test drives (tests/ui, playwright-core)
  chromium
)
# Node.js may come from NodeSource (npm bundled, conflicts with Debian's npm): only add Debian's when absent.
if ! command -v npm >/dev/null 2>&1; then APT_PACKAGES+=(nodejs npm); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The prometheus package starts a server we do not want; we only need promtool.
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi

# syslog-ng-core conflicts with rsyslog (both provide system-log-daemon), so it is not installed:
# its package is unpacked into /opt/selfheal-test/syslog-ng, a binary no service runs.
SYSLOG_NG_DIR=/opt/selfheal-test/syslog-ng
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if [[ ! -x $SYSLOG_NG_DIR/usr/sbin/syslog-ng ]]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq syslog-ng-core >/dev/null 2>&1 && $SUDO mkdir -p "$SYSLOG_NG_DIR" &&
    $SUDO dpkg-deb -x syslog-ng-core_*.deb "$SYSLOG_NG_DIR") || echo "install-deps: could not unpack syslog-ng-core" >&2
  rm -rf "$tmp"
fi

# npm packages for the Loki push client tests (winston-loki, pino-loki), pinned in tests/npm.
here="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -f "$here/tests/npm/package.json" ]]; then
  if [[ ! -d "$here/tests/npm/node_modules" ]] || [[ "$here/tests/npm/package.json" -nt "$here/tests/npm/node_modules" ]]; then
    (cd "$here/tests/npm" && npm install --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
  fi
fi
# The web UI's chart library (embedded into the binary at build time, web/assets.cmake) and the browser
# test's driver (tests/ui): exactly the committed lockfiles.
for d in web tests/ui; do
  if [[ ! -d "$here/$d/node_modules" ]] || [[ "$here/$d/package-lock.json" -nt "$here/$d/node_modules" ]]; then
    (cd "$here/$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
  fi
done
