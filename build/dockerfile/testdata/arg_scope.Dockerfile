ARG VERSION=1.0
ARG REGISTRY=docker.io
ARG IMAGE=${REGISTRY}/library/alpine:3.${VERSION%%.*}
ARG UNSET_GLOBAL
ARG TARGETARCH
FROM ${IMAGE} AS base
# Global args are not visible here until re-declared.
RUN echo "version=$VERSION arch=$TARGETARCH"
ARG VERSION
ARG TARGETARCH
ARG DERIVED=v${VERSION}-${TARGETARCH}
ARG STAGE_ONLY=default
ARG UNSET_GLOBAL
ARG LATE_DEFAULT=${UNDEFINED:-fallback} PLUS=${VERSION:+set} EMPTY_PLUS=${UNSET_GLOBAL:+set}
RUN echo "$VERSION $DERIVED $STAGE_ONLY $LATE_DEFAULT $PLUS"
ENV VERSION=env-wins
RUN echo $VERSION
ARG VERSION=redeclared
RUN echo $VERSION

FROM base AS child
# A stage built on a stage inherits its ARGs and ENV.
RUN echo $DERIVED
LABEL derived=$DERIVED escaped=\$DERIVED quoted='$DERIVED'
