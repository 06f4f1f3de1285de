package build

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/polyarch/polyarch/store"
)

// CacheStats is the build cache's size, for polyarch du.
type CacheStats struct {
	Records    int
	CacheMount int64 // bytes in RUN --mount=type=cache dirs
}

// CacheUsage counts the build cache records and cache-mount bytes.
func CacheUsage(st *store.Store) CacheStats {
	var s CacheStats
	_ = filepath.WalkDir(filepath.Join(st.Root(), "build-cache"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			s.Records++
		}
		return nil
	})
	_ = filepath.WalkDir(filepath.Join(st.Root(), "cache-mounts"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				s.CacheMount += info.Size()
			}
		}
		return nil
	})
	return s
}

// CacheRecord is one build cache record file and when it was last used.
type CacheRecord struct {
	Path     string
	LastUsed time.Time
}

// CacheRecords lists the build cache records, least recently used first,
// for prune --filter until=… and --keep-storage.
func CacheRecords(st *store.Store) ([]CacheRecord, error) {
	var recs []CacheRecord
	err := filepath.WalkDir(filepath.Join(st.Root(), "build-cache"), func(p string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			recs = append(recs, CacheRecord{p, info.ModTime()})
		}
		return nil
	})
	sort.Slice(recs, func(i, j int) bool { return recs[i].LastUsed.Before(recs[j].LastUsed) })
	return recs, err
}
