#!/usr/bin/env bash
# The main job on a fresh machine (as root): install the emulators, build
# polyarch, start a loopback registry with a busybox base image assembled
# from Debian packages, then build examples/hello for linux/amd64,
# linux/arm64 and linux/arm/v7 at once (RUN steps emulated in rootless
# sandboxes; the host's binfmt_misc is never touched), push it as one
# multi-platform image, write it as an OCI layout, and run every platform.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/env.sh
go build -o bin/polyarch ./cmd/polyarch
bin/polyarch version
echo "== emulation check (private binfmt_misc instance per sandbox)"
bin/polyarch binfmt test --arch arm64,arm,ppc64le,s390x,riscv64

export POLYARCH_FIXTURE_STATE=${POLYARCH_FIXTURE_STATE:-/var/tmp/polyarch-demo}
trap 'bash test/fixtures/registry.sh stop >/dev/null 2>&1 || true' EXIT
REG=$(bash test/fixtures/registry.sh start)
POLYARCH_TEST_REGISTRY=$REG bash test/fixtures/base-images.sh >/dev/null
echo "== base images pushed to $REG"

STORE=$(mktemp -d /var/tmp/polyarch-demo-store.XXXXXX)
P="bin/polyarch --root $STORE"
echo "== polyarch build --platform linux/amd64,linux/arm64,linux/arm/v7 --push"
$P build --platform linux/amd64,linux/arm64,linux/arm/v7 --build-arg "BASE=$REG/library/busybox" \
  -t "$REG/demo/hello:latest" --push -o type=oci,dest=bin/hello-oci.tar examples/hello
echo "== run each platform from the registry"
for p in linux/amd64 linux/arm64 linux/arm/v7; do
  echo "-- $p"
  bin/polyarch --root "$STORE/run" run --platform "$p" "$REG/demo/hello:latest"
done
echo "== OCI layout written to bin/hello-oci.tar"
