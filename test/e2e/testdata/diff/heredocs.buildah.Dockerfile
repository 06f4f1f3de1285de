ARG REG
FROM $REG/library/busybox
ARG NAME=world
RUN mkdir -p /hd && echo "hello $NAME" > /hd/a && chmod 0600 /hd/a
RUN echo via-sh > /hd/b
RUN echo shebang > /hd/c
RUN printf 'literal $NAME and %s\n' "$NAME" > /hd/d
RUN printf 'copied content\n' > /hd/copied
