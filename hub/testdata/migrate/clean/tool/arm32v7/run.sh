#!/bin/sh
echo arm32v7
