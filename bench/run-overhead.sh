#!/usr/bin/env bash
# Issue 3 benchmark: the start-up cost of `polyarch run` beside its floor and
# a peer, measured side by side in one run (hyperfine, warm caches):
#   qemu      qemu-aarch64-static running busybox `true` directly (the floor)
#   polyarch  polyarch run --platform linux/arm64 busybox true (image in the store)
#   buildah   buildah run --runtime runc on an arm64 busybox working container
# and the unpack of debian:bookworm (arm64) against `tar -x` of the same layer.
# Needs the fixture registry (scripts/test.sh starts it; or test/fixtures/*.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
REG=${POLYARCH_TEST_REGISTRY:?start the fixtures: export POLYARCH_TEST_REGISTRY=\$(bash test/fixtures/registry.sh start); bash test/fixtures/base-images.sh}
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
go build -o bin/polyarch ./cmd/polyarch
go build -o bin/unpack-bench ./bench/unpack
P="$PWD/bin/polyarch"
W=$(mktemp -d /var/tmp/polyarch-bench.XXXXXX)
trap 'buildah rm polyarch-bench >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

"$P" --root "$W/store" pull --platform linux/arm64 "$REG/library/busybox" >/dev/null 2>&1
"$P" --root "$W/store" run --platform linux/arm64 "$REG/library/busybox" true   # unpacks once
BB=$(ls -d "$W"/store/unpacked/*/ | head -1)
buildah rm polyarch-bench >/dev/null 2>&1 || true
buildah from --name polyarch-bench --arch arm64 --tls-verify=false "docker://$REG/library/busybox" >/dev/null

echo "== start-up of an emulated arm64 'true' (hyperfine, 30 runs each)"
hyperfine -N -w 3 -r 30 --export-markdown "$W/run.md" \
  -n qemu "/usr/bin/qemu-aarch64-static ${BB}bin/busybox true" \
  -n polyarch "$P --root $W/store run --platform linux/arm64 $REG/library/busybox true" \
  -n buildah "buildah run --runtime runc --network none polyarch-bench true" >/dev/null
cat "$W/run.md"

echo "== unpack of debian:bookworm arm64 (one layer) vs tar -x of the same layer"
LAYER=/var/cache/polyarch-test/v1/debian-bookworm-arm64.tar.gz
gzip -dc "$LAYER" > "$W/layer.tar"
mkdir -p "$W/x"
hyperfine -w 1 -r 5 --export-markdown "$W/unpack.md" \
  -p "rm -rf $W/x/t $W/x/p; mkdir -p $W/x/t $W/x/p; sync" \
  -n tar "tar -x --numeric-owner -f $W/layer.tar -C $W/x/t" \
  -n polyarch "$PWD/bin/unpack-bench $W/layer.tar $W/x/p" >/dev/null
cat "$W/unpack.md"
