ARG REG
FROM $REG/library/busybox
ENV A=1 B="two words" C='single $A'
ENV D $A-x
ENV PATH=/opt/bin:$PATH
LABEL org.a=1 "org.b"="two words" org.c="$A and ${B}"
LABEL multi.one=1 \
      multi.two=2
EXPOSE 80 53/udp 8080/tcp
VOLUME ["/data", "/cache"]
VOLUME /logs /more
USER 1000:1000
WORKDIR /w
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $A"]
