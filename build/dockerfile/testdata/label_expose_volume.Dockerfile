FROM alpine:3.20
ARG PORT=8080
ARG DATA=/data
LABEL org.opencontainers.image.title="My App" \
      org.opencontainers.image.version=1.2 \
      "quoted key"=value
LABEL single=one
EXPOSE 80 443/tcp 53/udp ${PORT} 9000-9002/tcp 7000/SCTP
EXPOSE 80
VOLUME ["/var/lib/db", "${DATA}"]
VOLUME /cache /logs
