package image

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/platform"
)

// EventKind says what happened to a layer.
type EventKind int

const (
	// LayerCached: the layer is already in the store; nothing is downloaded.
	LayerCached EventKind = iota
	// LayerDownloading: Done of Total bytes have arrived. Sent when a
	// download starts and then at least every progressStep bytes.
	LayerDownloading
	// LayerDone: the layer was downloaded completely (it is verified and
	// stored by the time Pull returns).
	LayerDone
)

func (k EventKind) String() string {
	switch k {
	case LayerCached:
		return "cached"
	case LayerDownloading:
		return "downloading"
	case LayerDone:
		return "done"
	}
	return "unknown"
}

// Event is one progress report of a Pull, for WithProgress.
type Event struct {
	Ref      string            // the image being pulled, normalised (ref.Name())
	Platform platform.Platform // the platform being pulled
	Layer    v1.Hash           // the layer's (compressed) digest
	Kind     EventKind
	Done     int64 // bytes downloaded so far (Total when cached or done)
	Total    int64 // the layer's compressed size, from the manifest
}

// progressStep is how many bytes pass between LayerDownloading events.
const progressStep = 512 << 10

// progressImage reports its layers' downloads to a callback. The store only
// calls LayerByDigest for layers it does not have.
type progressImage struct {
	v1.Image
	emit  func(Event)
	event Event // Ref and Platform filled in
}

func (i *progressImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return &progressLayer{Layer: l, img: i, digest: h}, nil
}

type progressLayer struct {
	v1.Layer
	img    *progressImage
	digest v1.Hash
}

func (l *progressLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		size = -1
	}
	ev := l.img.event
	ev.Layer, ev.Total, ev.Kind = l.digest, size, LayerDownloading
	l.img.emit(ev)
	return &progressReader{rc: rc, emit: l.img.emit, ev: ev}, nil
}

// progressReader counts bytes read and reports them. Like any reader it is
// read by one goroutine at a time.
type progressReader struct {
	rc   io.ReadCloser
	emit func(Event)
	ev   Event
	last int64
	done bool
}

func (r *progressReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.ev.Done += int64(n)
	switch {
	case err == io.EOF && !r.done:
		r.done = true
		ev := r.ev
		ev.Kind = LayerDone
		r.emit(ev)
	case n > 0 && r.ev.Done-r.last >= progressStep:
		r.last = r.ev.Done
		r.emit(r.ev)
	}
	return n, err
}

func (r *progressReader) Close() error { return r.rc.Close() }
