FROM alpine:3.20 AS template
MAINTAINER Jane Doe <jane@example.com>
ONBUILD ARG APP=app
ONBUILD COPY . /src/${APP}
ONBUILD RUN echo building $APP
USER nobody

FROM template
ARG UID=1000
USER ${UID}:${UID}
RUN id
