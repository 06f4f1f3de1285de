ARG REG
FROM $REG/library/busybox
WORKDIR app
WORKDIR sub
WORKDIR ../other
ENV GREETING=hi
ENTRYPOINT echo "entry $GREETING"
CMD exec sleep 1
