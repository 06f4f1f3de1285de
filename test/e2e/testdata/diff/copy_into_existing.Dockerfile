ARG REG
FROM $REG/library/busybox
RUN mkdir -p /opt/real && ln -s /opt/real /link && chmod 0700 /opt/real && \
    chown 1000:1000 /opt/real && echo base > /etc/motd
USER 1000:1000
COPY notes.txt /tmp/
COPY --chown=1000:1000 notes.txt /home/
COPY notes.txt /link/
COPY --chmod=0600 readme.txt /etc/motd
COPY app/conf/ /opt/real/
COPY notes.txt /var/new/dir/
WORKDIR /wd
COPY notes.txt .
COPY app/conf rel/
