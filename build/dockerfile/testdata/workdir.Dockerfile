FROM scratch AS fromscratch
WORKDIR app
WORKDIR sub/dir
WORKDIR ../other
ENV DIR=/abs
WORKDIR $DIR/x
WORKDIR y

FROM alpine:3.20
WORKDIR relative
WORKDIR more
COPY --from=fromscratch / /
WORKDIR /now/absolute
WORKDIR ./child/../grandchild
