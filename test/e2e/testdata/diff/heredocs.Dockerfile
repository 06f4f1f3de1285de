ARG REG
FROM $REG/library/busybox
ARG NAME=world
RUN <<EOF
mkdir -p /hd
echo "hello $NAME" > /hd/a
chmod 0600 /hd/a
EOF
RUN <<EOT sh
echo via-sh > /hd/b
EOT
RUN <<EOF
#!/bin/sh
echo shebang > /hd/c
EOF
RUN cat <<EOF > /hd/d
literal \$NAME and $NAME
EOF
COPY <<EOF /hd/copied
copied content
EOF
