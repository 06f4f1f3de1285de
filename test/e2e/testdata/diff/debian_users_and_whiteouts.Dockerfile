ARG REG
FROM $REG/library/debian:bookworm
RUN groupadd -g 1500 app && useradd -u 1500 -g app -m -s /bin/bash app && chage -d 19000 app && \
    rm -rf /usr/share/doc/* /usr/share/man && ln -sf /bin/bash /usr/local/bin/sh2
USER app
WORKDIR /home/app/work
RUN id -un > whoami && mkdir -p cache && chmod 0700 cache
USER root
RUN chown -R app:app /opt && chmod 2775 /opt
