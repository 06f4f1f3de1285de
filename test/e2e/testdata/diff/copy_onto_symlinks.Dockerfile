ARG REG
FROM $REG/library/busybox
RUN mkdir -p /opt/real /opt/other && ln -s /opt/real /dirlink && ln -s ../opt/other /rel-dirlink && \
    mkdir -p /usr/lib/app && ln -s ../usr/lib/app /applink
COPY notes.txt /dirlink
COPY app/conf /dirlink
COPY app/conf/ /rel-dirlink/sub/
COPY readme.txt /applink/deeper/file
