#!/usr/bin/env bash
# Installs what polyarch's demo and tests need on a fresh Debian 12 machine
# (run as root): QEMU user-mode emulators, uidmap, debootstrap, the CNCF
# distribution registry, and the peers used by differential tests. Go comes
# from /usr/local/go when present, else from Debian plus the module proxy's
# toolchain download (GOTOOLCHAIN=auto).
set -euo pipefail

pkgs=(qemu-user-static uidmap debootstrap docker-registry skopeo buildah runc tmux curl ca-certificates git shellcheck xz-utils cpp)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  # Debian's mirror can fail an index transiently during a sync: retry once.
  apt-get update -qq || apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go
fi
