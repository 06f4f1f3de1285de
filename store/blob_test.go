package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func hashOf(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// failingReader returns some bytes and then an error, like a connection
// dropped mid-download.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestWriteBlob(t *testing.T) {
	content := []byte("hello, polyarch")
	good := hashOf(content)
	other := hashOf([]byte("something else"))
	errDrop := errors.New("connection dropped")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		want    v1.Hash
		size    int64
		r       io.Reader
		wantErr error // nil: success
	}{
		{"digest and size", nil, good, int64(len(content)), bytes.NewReader(content), nil},
		{"digest, unknown size", nil, good, -1, bytes.NewReader(content), nil},
		{"computed digest", nil, v1.Hash{}, -1, bytes.NewReader(content), nil},
		{"wrong digest", nil, other, int64(len(content)), bytes.NewReader(content), ErrDigestMismatch},
		{"wrong digest, unknown size", nil, other, -1, bytes.NewReader(content), ErrDigestMismatch},
		{"too short", nil, good, int64(len(content)) + 1, bytes.NewReader(content), ErrSizeMismatch},
		{"too long", nil, good, int64(len(content)) - 1, bytes.NewReader(content), ErrSizeMismatch},
		{"reader fails midway", nil, good, int64(len(content)), &failingReader{content[:5], errDrop}, errDrop},
		{"computed, reader fails", nil, v1.Hash{}, -1, &failingReader{content[:5], errDrop}, errDrop},
		{"canceled", canceled, good, -1, bytes.NewReader(content), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			got, n, err := s.WriteBlob(ctx, tt.want, tt.size, tt.r)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if s.HasBlob(good) || s.HasBlob(other) {
					t.Error("a blob was left in place after a failed write")
				}
				if left := tmpEntries(t, s); len(left) != 0 {
					t.Errorf("temp files left: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != good || n != int64(len(content)) {
				t.Errorf("got %s, %d; want %s, %d", got, n, good, len(content))
			}
			rc, err := s.OpenBlob(good)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if b, _ := io.ReadAll(rc); !bytes.Equal(b, content) {
				t.Errorf("blob content = %q", b)
			}
		})
	}
}

func TestWriteBlobPresentSkipsReading(t *testing.T) {
	s := newStore(t)
	content := []byte("abc")
	h, _, err := s.WriteBlob(t.Context(), v1.Hash{}, -1, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	// A reader that would fail proves the content is not read again.
	got, n, err := s.WriteBlob(t.Context(), h, 3, &failingReader{err: errors.New("read")})
	if err != nil || got != h || n != 3 {
		t.Fatalf("rewrite: %s %d %v", got, n, err)
	}
}

func TestOpenBlobNotFound(t *testing.T) {
	s := newStore(t)
	for _, h := range []v1.Hash{hashOf([]byte("absent")), {}, {Algorithm: "sha512", Hex: "00"}} {
		if _, err := s.OpenBlob(h); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenBlob(%v) err = %v, want ErrNotFound", h, err)
		}
		if s.HasBlob(h) {
			t.Errorf("HasBlob(%v) = true", h)
		}
	}
	if _, _, err := s.WriteBlob(t.Context(), v1.Hash{Algorithm: "sha512", Hex: "00"}, -1, bytes.NewReader(nil)); err == nil {
		t.Error("WriteBlob accepted a sha512 digest")
	}
}
