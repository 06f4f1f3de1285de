#!/usr/bin/env bash
# Issue 5 benchmark: polyarch beside buildah (--jobs 2) and Docker's BuildKit
# (one build per platform, in parallel) on the same machine, in one run,
# interleaved, through the shared harness (../shared/bench, read its README).
#   (a) small busybox sample, (b) debian sample: cold and warm, for
#       linux/arm64 + linux/arm/v7, pushed to a loopback registry;
#   (a') small sample after touching one COPY'd file;
#   (c) snapshot cost: a RUN touching one file over a 50 000-file rootfs;
#   (d) push of a fresh 100 MB layer.
# Prints the harness's table, then ratios polyarch ÷ faster peer.
# Run as root: REPS=3 bash bench/compare.sh   (SKIP_ANCHORS=1: only a', c, d)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
H=${BENCH_HARNESS:-$(cd ../shared/bench && pwd)}
go build -o bin/polyarch ./cmd/polyarch
export OURS_ROOT=/var/tmp/polyarch-bench-store
export PATH="$PWD/bin:$PATH"
export TOOLS=${TOOLS:-"ours buildah-j2 docker-par"}
export OURS_BUILD='polyarch --root "$OURS_ROOT" build --progress plain --network none --platform "$PLATFORMS_CSV" -f "$DOCKERFILE" -t "$REF" --push "$CTX"'
export OURS_PUSH=''
export OURS_RESET='rm -rf "$OURS_ROOT"'
bash "$H/setup-registry.sh"
bash "$H/make-base-images.sh" >/dev/null
[ -n "${SKIP_ANCHORS:-}" ] || REPS=${REPS:-3} bash "$H/run-anchors.sh" | tee /tmp/polyarch-bench-anchors.txt

REG=${BENCH_REGISTRY:-127.0.0.1:5000}
W=$(mktemp -d /var/tmp/polyarch-bench.XXXXXX)
BR="$W/buildah"   # buildah's own storage for these extra measurements
B="buildah --root $BR/root --runroot $BR/run --storage-driver overlay"
cleanup() { $B rm --all >/dev/null 2>&1 || true; awk -v d="$BR" '$2 ~ "^"d {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l; rm -rf "$W"; }
trap cleanup EXIT
P="polyarch --root $W/ours build --progress quiet --network none"
BB="$B build --runtime runc --layers --network none --tls-verify=false -q"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

echo
echo "== (a') small sample, linux/arm64+linux/arm/v7, after touching one COPY'd file (warm)"
cp -r "$H/sample/small" "$W/small"
$P --platform linux/arm64,linux/arm/v7 "$W/small" >/dev/null
$BB --jobs 2 --platform linux/arm64,linux/arm/v7 --manifest touch1 "$W/small" >/dev/null
echo "# touched" >> "$W/small/ctx/hello.sh"
po=$(t $P --platform linux/arm64,linux/arm/v7 "$W/small")
bu=$(t $BB --jobs 2 --platform linux/arm64,linux/arm/v7 --manifest touch2 "$W/small")
echo "polyarch ${po}s  buildah-j2 ${bu}s  ratio $(ratio "$po" "$bu")"

echo "== (c) snapshot: a RUN touching one file over 50 000 files (linux/amd64, the rest cached)"
mkdir -p "$W/snap"
snapdf() { printf 'FROM localhost:5000/library/busybox\nRUN mkdir /many && cd /many && seq 1 50000 | xargs touch\nRUN echo %s > /many/1\n' "$1" > "$W/snap/Dockerfile"; }
snapdf first; $P --platform linux/amd64 "$W/snap" >/dev/null; $BB --platform linux/amd64 "$W/snap" >/dev/null
snapdf second
po=$(t $P --platform linux/amd64 "$W/snap")
bu=$(t $BB --platform linux/amd64 "$W/snap")
echo "polyarch ${po}s  buildah ${bu}s  ratio $(ratio "$po" "$bu")"

echo "== (d) push of an image with a fresh 100 MB layer (linux/amd64)"
mkdir -p "$W/big"
head -c 100000000 /dev/urandom > "$W/big/blob"
printf 'FROM localhost:5000/library/busybox\nCOPY blob /blob\n' > "$W/big/Dockerfile"
$P --platform linux/amd64 -t "$REG/bench/big-ours:1" "$W/big" >/dev/null
$BB --platform linux/amd64 -t "localhost/big-buildah:1" "$W/big" >/dev/null
po=$(t polyarch --root "$W/ours" push "$REG/bench/big-ours:1")
bu=$(t $B push --tls-verify=false localhost/big-buildah:1 "docker://$REG/bench/big-buildah:1")
echo "polyarch ${po}s  buildah ${bu}s  ratio $(ratio "$po" "$bu")"
