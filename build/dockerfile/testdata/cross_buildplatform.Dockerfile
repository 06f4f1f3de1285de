# syntax=docker/dockerfile:1
# A Go program cross-compiled natively, packaged for each target.
FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS build
ARG TARGETOS TARGETARCH TARGETVARIANT
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} go build -o /out/app .

FROM --platform=$BUILDPLATFORM alpine:3.20 AS unused
RUN echo never built

FROM alpine:3.20
ARG TARGETPLATFORM
RUN echo "running on $TARGETPLATFORM" > /platform.txt
COPY --from=build /out/app /usr/local/bin/app
ENTRYPOINT ["/usr/local/bin/app"]
