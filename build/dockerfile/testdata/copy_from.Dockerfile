FROM busybox:1.36 AS first
RUN echo one > /one

FROM busybox:1.36
RUN echo two > /two

FROM scratch AS Final
COPY --from=0 /one /one
COPY --from=1 /two /two
COPY --from=FIRST /one /one-again
COPY --from=nginx:alpine /etc/nginx/nginx.conf /nginx.conf
