FROM alpine:3.20 AS deps
RUN apk add --no-cache make

FROM deps AS build
COPY . /src
RUN make -C /src

FROM build AS test
RUN make -C /src test

FROM scratch AS release
COPY --from=build /src/out /
