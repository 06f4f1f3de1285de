FROM debian:bookworm
ARG NAME=world
RUN <<EOF
echo "hello $NAME"
apt-get update
EOF
RUN <<-EOT bash
	set -e
	echo tabs are stripped
	EOT
RUN <<'EOF'
echo "$NAME is expanded by the shell, not the builder"
EOF
RUN <<EOF
#!/usr/bin/env python3
print("a script with a shebang")
EOF
RUN cat <<A > /a.txt && cat <<"B" > /b.txt
first $NAME
A
second $NAME
B
RUN 3<<EOF cat /proc/self/fd/3
from fd 3
EOF
COPY <<EOF /etc/greeting
hello $NAME
EOF
COPY <<'EOF' <<-EOT /etc/
raw $NAME
EOF
	chomped $NAME
	EOT
