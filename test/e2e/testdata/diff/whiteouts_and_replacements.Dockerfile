ARG REG
FROM $REG/library/busybox
RUN mkdir -p /d/sub /opq && echo x > /d/sub/f && echo keep > /d/keep && echo old > /opq/old && \
    mkdir /replace && touch /replace/inner
RUN rm /etc/group && rm /bin/ls && rm -r /d/sub && \
    rm -r /usr/sbin && echo now-a-file > /usr/sbin && \
    rm -r /replace && echo file > /replace && \
    rm -rf /opq && mkdir /opq && echo new > /opq/new && \
    rmdir /root && mkdir -m 0755 /root && chmod 0751 /home && chown 1000:1000 /var && \
    rm /etc/passwd && mkdir /etc/passwd && touch /etc/passwd/x
