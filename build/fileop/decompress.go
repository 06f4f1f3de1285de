package fileop

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Magic numbers of the compressions ADD recognises, as Docker's
// archive.DetectCompression does.
var (
	magicGzip  = []byte{0x1f, 0x8b, 0x08}
	magicBzip2 = []byte{0x42, 0x5a, 0x68}
	magicXz    = []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// errXzMissing: xz archives are decompressed by the host's xz, as Docker does.
var errXzMissing = errors.New("xz is not installed: install it (apt-get install xz-utils) to ADD .xz archives")

// decompress returns r decompressed according to its magic number (or as
// is), and a function that releases what decompression holds.
func decompress(ctx context.Context, r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(6)
	nop := func() error { return nil }
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nop, err
		}
		return zr, zr.Close, nil
	case bytes.HasPrefix(head, magicBzip2):
		return bzip2.NewReader(br), nop, nil
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nop, err
		}
		return zr, func() error { zr.Close(); return nil }, nil
	case bytes.HasPrefix(head, magicXz):
		return xzReader(ctx, br)
	}
	return br, nop, nil
}

// xzReader runs "xz -d -c -q" on r.
func xzReader(ctx context.Context, r io.Reader) (io.Reader, func() error, error) {
	if _, err := exec.LookPath("xz"); err != nil {
		return nil, func() error { return nil }, errXzMissing
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, "xz", "-d", "-c", "-q")
	cmd.Stdin = r
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, func() error { return nil }, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, func() error { return nil }, fmt.Errorf("running xz: %w", err)
	}
	x := &xzOutput{r: out, cmd: cmd, stderr: &stderr}
	closer := func() error {
		cancel()
		if !x.done {
			x.done = true
			_ = cmd.Wait()
		}
		return nil
	}
	return x, closer, nil
}

// xzOutput reports xz's own error when its output ends early.
type xzOutput struct {
	r      io.Reader
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   bool
}

func (x *xzOutput) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if errors.Is(err, io.EOF) && !x.done {
		x.done = true
		if werr := x.cmd.Wait(); werr != nil {
			return n, fmt.Errorf("xz: %v: %s", werr, bytes.TrimSpace(x.stderr.Bytes()))
		}
	}
	return n, err
}

// isArchive reports whether the file at host is a tar archive, plain or
// compressed: BuildKit's test is that the first tar header reads.
func isArchive(ctx context.Context, host string) (bool, error) {
	f, err := os.Open(host)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r, closeFn, err := decompress(ctx, f)
	if errors.Is(err, errXzMissing) {
		return false, err
	}
	if err != nil {
		return false, nil
	}
	defer closeFn()
	_, err = tar.NewReader(r).Next()
	return err == nil, nil
}
