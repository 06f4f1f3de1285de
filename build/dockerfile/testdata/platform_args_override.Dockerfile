FROM --platform=linux/arm64 busybox:1.36 AS fixed
ARG TARGETARCH
ARG BUILDARCH
RUN echo $TARGETARCH $BUILDARCH

FROM --platform=${TARGETPLATFORM} busybox:1.36
COPY --from=fixed /bin/busybox /bb
