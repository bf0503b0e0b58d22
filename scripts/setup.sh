#!/usr/bin/env bash
# Installs the Debian packages Colonio for Swift needs to build, test and run its demo.
# Idempotent: installs only what is missing; uses sudo only when not root.
set -euo pipefail

packages=(
  # WebRTC engine (Google's libwebrtc as packaged by Debian) and what links with it.
  libtgowt-dev libssl-dev libsrtp2-dev libabsl-dev pkg-config
  # The Embedded Swift build of ColonioCore for browsers, Node.js to smoke-test it, and TypeScript
  # (tsc) to check Web/colonio.d.ts against a sample that uses every public call.
  wasi-libc libclang-rt-16-dev-wasm32 nodejs node-typescript
  # The bindings (bindings/): gcc for the C ABI test, Debian's Go for the cgo package.
  gcc golang-go
  # The seed's TLS tests make a throwaway certificate authority with the openssl command.
  openssl
  # make interop-test: a link against aiortc, a WebRTC stack of its own (scripts/interop/aiortc_peer.py,
  # run by Debian's /usr/bin/python3); scripts/nat-lab-check.py uses it too.
  python3-aiortc
)
# The Python binding's tests (make python-test) use pytest: Debian's, unless this python3 has one already.
if ! python3 -c 'import pytest' 2>/dev/null; then packages+=(python3-pytest); fi

# A python3 that is not Debian's (pyenv, a venv) does not see Debian's pytest: it gets PyPI's.
ensure_pytest() {
  if ! python3 -c 'import pytest' 2>/dev/null; then
    echo "setup: installing pytest for $(command -v python3) from PyPI"
    python3 -m pip install --quiet pytest
  fi
}
# Extra groups for later test suites, enabled with COLONIO_SETUP_EXTRAS="nat browser".
for extra in ${COLONIO_SETUP_EXTRAS:-}; do
  case "$extra" in
    # scripts/nat-lab and scripts/nat-test.py (Colonio nodes in the lab).
    nat-lab) packages+=(coturn nftables iproute2 conntrack openssl) ;;
    # The above for scripts/nat-lab-check.py (its standard WebRTC peers, aiortc, are in the base list).
    nat) packages+=(coturn nftables iproute2 conntrack openssl) ;;
    # scripts/browser_harness.py and scripts/browser-check.py (headless Chromium in a namespace).
    browser) packages+=(chromium iproute2 procps util-linux) ;;
    # make postgres-test: a throwaway PostgreSQL (initdb as nobody via runuser) and nginx in front of
    # several seeds.
    postgres) packages+=(postgresql nginx util-linux) ;;
    *) echo "setup: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  ensure_pytest
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [[ " ${missing[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ]; then
  # The package enables a system-wide turnserver; the NAT lab runs its own inside a namespace.
  "${sudo[@]}" systemctl disable --now coturn || true
fi
if [[ " ${missing[*]} " == *" nginx "* ]] && [ -d /run/systemd/system ]; then
  # The package starts a system-wide nginx on port 80; the tests run their own on a loopback port.
  "${sudo[@]}" systemctl disable --now nginx || true
fi
if ! command -v swift >/dev/null; then
  echo "setup: the Swift 6.3 toolchain is not on PATH; install it from swift.org first" >&2
  exit 1
fi
ensure_pytest
