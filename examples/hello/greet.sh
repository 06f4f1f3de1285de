#!/bin/sh
echo "$GREETING"
cat /etc/cross.txt /srv/native.txt
