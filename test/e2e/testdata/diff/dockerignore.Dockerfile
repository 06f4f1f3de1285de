ARG REG
FROM $REG/library/busybox
COPY . /ctx
