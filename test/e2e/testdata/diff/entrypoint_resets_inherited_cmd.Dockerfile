ARG REG
FROM $REG/library/busybox
LABEL stage=final
ENTRYPOINT ["/bin/echo", "hello"]
