FROM alpine:3.20
ARG SUM=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d
ADD --checksum=${SUM} https://example.com/tool-1.0.tar.gz /tmp/
ADD https://github.com/moby/buildkit.git#v0.13.0 /src/buildkit
ADD --keep-git-dir=true git@github.com:moby/moby.git /src/moby
ADD --unpack=false vendor.tar.gz /vendor/
ADD rootfs.tar.xz /
ADD --chown=1000:1000 --chmod=0640 --link conf/ /etc/app/
