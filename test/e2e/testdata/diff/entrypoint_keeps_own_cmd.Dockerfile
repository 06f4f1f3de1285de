ARG REG
FROM $REG/library/busybox
CMD ["world"]
ENTRYPOINT ["/bin/echo", "hello"]
USER nobody
