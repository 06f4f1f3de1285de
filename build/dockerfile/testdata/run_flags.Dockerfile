FROM golang:1.22 AS deps
ARG CACHE_ID=default
RUN --mount=type=cache,target=/go/pkg/mod,id=${CACHE_ID},sharing=locked \
    --mount=type=cache,target=/root/.cache/go-build \
    go mod download
RUN --network=none go vet ./...
RUN --mount=type=bind,target=/src,rw \
    ls /src
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc,required \
    --mount=type=secret,id=token,env=TOKEN \
    --mount=type=ssh \
    --mount=type=tmpfs,target=/tmp,size=64m \
    --mount=type=cache,target=/var/cache/apt,mode=0755,uid=0,gid=0 \
    true
RUN ["echo", "exec form"]

FROM debian:bookworm
RUN --mount=type=bind,from=deps,source=/go/pkg/mod,target=/mnt/mod,rw \
    --mount=type=cache,from=deps,source=/root,target=/seed \
    ls /mnt/mod /seed
