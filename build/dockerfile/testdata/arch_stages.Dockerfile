FROM alpine:3.20 AS base-amd64
RUN echo amd64 specific

FROM alpine:3.20 AS base-arm64
RUN echo arm64 specific

FROM base-${TARGETARCH} AS final
COPY --from=busybox:1.36 /bin/busybox /bin/busybox
