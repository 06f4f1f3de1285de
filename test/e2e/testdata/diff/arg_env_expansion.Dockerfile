ARG REG
ARG TOP=/top
FROM $REG/library/busybox
ARG TOP
ARG DIR=/opt/app
ARG PORT=8080
ARG UIDV=1000
ARG UNSET
ENV BASE=$DIR/base NAME=${UNSET:-fallback} ALT=${DIR:+set} TOPCOPY=$TOP
WORKDIR $BASE/sub
COPY f.txt ${BASE}/copied-${PORT}.txt
RUN touch "$BASE/from-run-$NAME" && echo "$TOP $DIR $PORT [$UNSET]" > "$TOP-file"
LABEL port=$PORT dir="${DIR}" alt=$ALT
EXPOSE $PORT ${PORT}/udp
VOLUME $BASE/vol
USER $UIDV:$UIDV
ENV EMPTYVAL= QUOTED="a \$NOTEXPANDED b"
