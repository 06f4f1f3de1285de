ARG REG
FROM $REG/library/busybox
COPY --chown=1000:1000 app /chowned
COPY --chown=nobody:nobody app/conf/secret /named-owner
COPY --chown=1000 notes.txt /uid-only
COPY --chmod=0640 notes.txt /chmodded
COPY --chmod=0755 app/ /chmod-dir/
COPY --chown=1000:1000 --chmod=0600 notes.txt /chowned/both
ADD --chown=1000:1000 notes.txt /added-chown
