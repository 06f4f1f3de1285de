ARG REG
FROM $REG/library/busybox
RUN echo "root HOME=$HOME" > /home-root
USER nobody
RUN echo "nobody HOME=$HOME" > /tmp/home-nobody
USER 1000:1000
RUN echo "1000 HOME=$HOME" > /tmp/home-1000
ENV HOME=/custom
RUN echo "env HOME=$HOME" > /tmp/home-env
