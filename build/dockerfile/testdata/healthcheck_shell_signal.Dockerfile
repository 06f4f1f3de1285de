FROM nginx:alpine AS web
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 \
  CMD curl -f http://localhost/ || exit 1
STOPSIGNAL SIGQUIT
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
RUN wget -qO- http://example.com | wc -c

FROM web
HEALTHCHECK NONE
ARG SIG=15
STOPSIGNAL $SIG
HEALTHCHECK CMD ["/bin/check", "--quick"]
