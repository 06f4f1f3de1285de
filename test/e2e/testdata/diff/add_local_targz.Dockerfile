ARG REG
FROM $REG/library/busybox
ADD archive.tar.gz /opt/
ADD archive.tar.gz /x/y/
ADD plain.txt /plain-added
