#!/usr/bin/env bash
# The whole test suite on a fresh machine (run as root: the tests use
# namespaces, emulation and other users). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
id polyarch-rootless >/dev/null 2>&1 || useradd --create-home --shell /bin/sh polyarch-rootless  # rootless e2e tests
source scripts/env.sh

# Real, offline fixtures: a distribution registry on loopback and base
# images built from Debian packages (cached under /var/cache/polyarch-test).
export POLYARCH_FIXTURE_STATE=${POLYARCH_FIXTURE_STATE:-$(mktemp -d /var/tmp/polyarch-test-state.XXXXXX)}
trap 'bash test/fixtures/registry.sh stop >/dev/null 2>&1 || true' EXIT
POLYARCH_TEST_REGISTRY=$(bash test/fixtures/registry.sh start)
export POLYARCH_TEST_REGISTRY
bash test/fixtures/base-images.sh

go vet ./...
go test -count=1 -timeout 40m ./...
# Short budgets for the fuzz targets of parsers of untrusted input.
for target in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
  for f in $(grep -h '^func Fuzz' "$target"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    TMPDIR=/dev/shm go test -run '^$' -fuzz "^$f\$" -fuzztime "${FUZZTIME:-15s}" "$target"
  done
done
