#!/bin/sh
cat /etc/tools-arch
