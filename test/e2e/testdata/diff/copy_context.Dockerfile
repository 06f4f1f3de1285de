ARG REG
FROM $REG/library/busybox
COPY app /opt/app
COPY app/ /opt/app2/
COPY *.txt /docs/
COPY notes.txt /renamed
COPY app/run.sh app/conf/public.txt /multi/
COPY app/conf /etc/appconf
COPY . /ctx
