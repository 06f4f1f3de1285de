# Sourced by the scripts: puts Go on PATH and lets an older go fetch the
# toolchain go.mod asks for through the module proxy.
export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
