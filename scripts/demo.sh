#!/usr/bin/env bash
# The main job on a fresh machine: install the emulators, build polyarch and
# show emulation working for every supported foreign arch, rootless and
# without touching the host's binfmt_misc.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/env.sh
go build -o bin/polyarch ./cmd/polyarch
bin/polyarch version
echo "== polyarch binfmt test (private binfmt_misc instance per sandbox; host untouched)"
bin/polyarch binfmt test
