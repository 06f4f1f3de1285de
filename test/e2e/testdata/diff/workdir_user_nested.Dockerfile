ARG REG
FROM $REG/library/busybox
USER 1000:1000
WORKDIR /srv/app/data
RUN touch mine && mkdir sub && id -u > uid
USER nobody
WORKDIR /home/nobody/deep/er
RUN touch n
WORKDIR rel
USER 1000:1000
WORKDIR /tmp
WORKDIR /var/spool/x
USER root
WORKDIR /root/x
