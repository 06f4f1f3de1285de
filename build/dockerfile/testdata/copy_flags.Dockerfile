FROM alpine:3.20
ARG OWNER=app
COPY --chown=${OWNER}:${OWNER} --chmod=755 bin/ /usr/local/bin/
COPY --chmod=u=rwx,go=rx scripts/*.sh /scripts/
COPY --link --chown=1000:1000 static/ /srv/static/
COPY --parents src/**/*.go /build/
COPY --exclude=*.md --exclude=docs/ . /app/
COPY ["with space.txt", "/dest dir/"]
