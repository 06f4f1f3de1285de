# syntax=example.com/my/frontend:latest
FROM alpine:3.20
RUN echo a \

    && echo b
