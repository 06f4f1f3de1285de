ARG REG
FROM $REG/library/busybox
RUN mkdir -p /m/dir700 /m/sticky /m/owned && \
    echo data > /m/file && chmod 0640 /m/file && \
    cp /bin/busybox /m/suid && chmod 4755 /m/suid && \
    echo g > /m/sgid && chmod 2755 /m/sgid && \
    chmod 1777 /m/sticky && chmod 0700 /m/dir700 && \
    echo mine > /m/owned/f && chown -R 1000:1000 /m/owned && \
    touch /m/nobody && chown 65534:65534 /m/nobody && \
    touch /m/groupish && chown 0:1000 /m/groupish && chmod 0460 /m/groupish && \
    : > /m/empty && chmod 0000 /m/empty && \
    ln -s /m/file /m/abs-link && ln -s ../m/file /m/rel-link && ln -s dangling-target /m/dangling && \
    ln -s owned /m/dirlink && chown -h 1000:1000 /m/dirlink && \
    ln /m/file /m/hard1 && ln /m/file /m/owned/hard2 && \
    mkfifo -m 0620 /m/fifo
