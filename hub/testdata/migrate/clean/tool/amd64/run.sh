#!/bin/sh
echo amd64
