# escape=`
FROM mcr.microsoft.com/powershell:lts-alpine-3.17
ARG DIR=C:\app
ENV SRC=${DIR}\src `
    DEST=C:\out
WORKDIR /work
RUN echo one `
    && echo two
COPY a\b `
     c:\d /dest/
LABEL escaped=`$DIR literal=$DIR
