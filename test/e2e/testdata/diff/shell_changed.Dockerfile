ARG REG
FROM $REG/library/busybox
SHELL ["/bin/sh", "-ec"]
RUN echo "$0 $-" > /shell1
SHELL ["/bin/busybox", "sh", "-c"]
RUN echo "$0 $-" > /shell2
RUN ["/bin/sh", "-c", "echo exec-form $0 > /exec"]
