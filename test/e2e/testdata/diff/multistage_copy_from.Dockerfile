ARG REG
FROM $REG/library/busybox AS build
RUN mkdir -p /out/bin /out/etc && echo tool > /out/bin/tool && chmod 0755 /out/bin/tool && \
    echo conf > /out/etc/conf && chmod 0600 /out/etc/conf && chown -R 1000:1000 /out/etc && \
    ln -s bin/tool /out/toollink && ln -s /out/etc/conf /out/abslink && chmod 0750 /out/bin && \
    ln /out/bin/tool /out/bin/tool-hard

FROM $REG/library/busybox AS other
RUN echo other > /other.txt

FROM $REG/library/busybox
COPY --from=build /out /app
COPY --from=build /out/etc/conf /single-conf
COPY --from=build /out/toollink /followed
COPY --from=other /other.txt /opt/
COPY --from=build /out/bin/ /bin2/
COPY --from=0 /out/etc/conf /from-index
