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
# Run as root: REPS=3 bash bench/compare.sh
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
REPS=${REPS:-3} bash "$H/run-anchors.sh" | tee /tmp/polyarch-bench-anchors.txt

REG=${BENCH_REGISTRY:-127.0.0.1:5000}
W=$(mktemp -d /var/tmp/polyarch-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
echo
echo "== (a') small sample after touching one COPY'd file (warm store)"
cp -r "$H/sample/small" "$W/small"
P="polyarch --root $OURS_ROOT build --progress quiet --network none --platform linux/arm64,linux/arm/v7"
$P -t "$REG/bench/touch:1" "$W/small" >/dev/null
echo "# touched" >> "$W/small/ctx/hello.sh"
hyperfine -N -r 1 "$P -t $REG/bench/touch:2 $W/small" 2>/dev/null | grep -E "Time|±" || true
echo "== (c) snapshot: RUN touching one file over 50 000 files"
mkdir -p "$W/snap"
cat > "$W/snap/Dockerfile" <<DF
FROM localhost:5000/library/busybox
RUN mkdir /many && cd /many && i=0; while [ \$i -lt 50000 ]; do : > f\$i; i=\$((i+1)); done
RUN echo changed > /many/f1
DF
$P -t "$REG/bench/snap:1" "$W/snap" >/dev/null 2>&1 || true
hyperfine -N -r 3 -p "polyarch --root $OURS_ROOT prune >/dev/null; sed -i 's/changed.*/changed $RANDOM/' $W/snap/Dockerfile" \
  "polyarch --root $OURS_ROOT build --progress quiet --network none --platform linux/amd64 $W/snap" 2>/dev/null | grep -E "Time" || true
echo "== (d) push of a fresh 100 MB layer"
mkdir -p "$W/big"
head -c 100000000 /dev/urandom > "$W/big/blob"
printf 'FROM localhost:5000/library/busybox\nCOPY blob /blob\n' > "$W/big/Dockerfile"
polyarch --root "$OURS_ROOT" build --progress quiet --platform linux/amd64 -t "$REG/bench/big:1" "$W/big" >/dev/null
hyperfine -N -r 1 "polyarch --root $OURS_ROOT build --progress quiet --platform linux/amd64 -t $REG/bench/big:$RANDOM --push $W/big" 2>/dev/null | grep -E "Time" || true
