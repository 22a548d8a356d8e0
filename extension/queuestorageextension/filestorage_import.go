package queuestorageextension

// Reading the databases written by contrib's file_storage extension
// (github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage v0.165.1,
// go.etcd.io/bbolt v1.5.0), so that a persistent queue left by it can be imported on the first start.
//
// The database is read in two independent passes:
//
//  1. A bounds-checked walk of the bbolt file format in pure Go (ReadAt into heap buffers, no mmap,
//     no unsafe). Every page id, page header, overflow span, element array and key/value range is
//     checked before use, pages can be reached only once, and the keys of the bucket must come out
//     strictly increasing. Damaged pages are skipped and reported; what is returned from the other
//     pages is taken byte for byte from leaf pages that passed all checks.
//  2. Only when the walk found no damage: a read of the same bucket through bbolt itself, opened
//     read-only without loading the freelist, which must agree exactly with the walk.
//
// bbolt code paths avoided (go.etcd.io/bbolt@v1.5.0):
//   - db.go:223-231 Open forces PreLoadFreelist=true unless ReadOnly; db.go:303-305 then calls
//     loadFreelist, which for file_storage databases (NoFreelistSync: true, so meta.freelist ==
//     PgidNoFreelist) calls freepages() (db.go:425-427), which starts a goroutine at db.go:1293 running
//     recursivelyCheckBucket; tx.page's FastCheck (tx.go:633/640, internal/common/page.go:90-97)
//     panics there ("Page expected to be: N, but self identifies as ...") with no recover: the
//     reported crash. ReadOnly: true + PreLoadFreelist: false skips all of it.
//   - tx.Check (tx_check.go:30) and db.Batch (db.go:994) also start goroutines: never called.
//   - Write transactions (db.go:839-842 refuses them when ReadOnly), db.init for an empty file
//     (db.go:272-279: an empty file is refused here before bbolt sees it).
//
// Page access by bbolt (mmap'd, unchecked pointer arithmetic, db.go:1130-1133) and by the walk runs in
// the calling goroutine under debug.SetPanicOnFault(true) with a recover, so a SIGBUS/SIGSEGV from the
// mapping (e.g. the file shrinking under us) or a bbolt assertion becomes an error.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
)

// fileStorageBucket is the only bucket file_storage uses (contrib filestorage client.go: defaultBucket).
const fileStorageBucket = "default"

// fileStorageImportLockTimeout bounds how long readFileStorageDB waits for bbolt's shared file lock.
// A file still locked exclusively by a running file_storage (another process) gives bbolt.ErrTimeout
// instead of blocking forever (bbolt Options.Timeout 0 would wait indefinitely).
var fileStorageImportLockTimeout = time.Second

var (
	// errFileStorageDBEmpty: the file has zero length (file_storage never initialised it); it holds no data.
	errFileStorageDBEmpty = errors.New("file_storage database file is empty")
	// errFileStorageDBDamaged: the file is damaged. readFileStorageDB may still return the entries it could
	// salvage from intact leaf pages alongside an error wrapping this.
	errFileStorageDBDamaged = errors.New("file_storage database file is damaged")
)

// fileStorageFileName returns the name file_storage gives the database of one client
// (kind, component id, storage name), exactly as contrib filestorage v0.165.1 computes it
// (extension.go GetClient: "<kind>_<type>_<name>[_<storageName>]", then sanitize).
//
// When that name is too long for the filesystem (ENAMETOOLONG), file_storage falls back to
// fileStorageHashedFileName.
func fileStorageFileName(kind component.Kind, id component.ID, storageName string) string {
	var rawName string
	if storageName == "" {
		rawName = fmt.Sprintf("%s_%s_%s", fileStorageKindString(kind), id.Type(), id.Name())
	} else {
		rawName = fmt.Sprintf("%s_%s_%s_%s", fileStorageKindString(kind), id.Type(), id.Name(), storageName)
	}
	return fileStorageSanitize(rawName)
}

// fileStorageHashedFileName is the name file_storage uses instead of fileStorageFileName when creating
// that one failed with ENAMETOOLONG: hex SHA-256 of the sanitised name (contrib extension.go hash).
func fileStorageHashedFileName(kind component.Kind, id component.ID, storageName string) string {
	sum := sha256.Sum256([]byte(fileStorageFileName(kind, id, storageName)))
	return hex.EncodeToString(sum[:])
}

// fileStorageKindString is contrib filestorage's kindString.
func fileStorageKindString(k component.Kind) string {
	switch k {
	case component.KindReceiver:
		return "receiver"
	case component.KindProcessor:
		return "processor"
	case component.KindExporter:
		return "exporter"
	case component.KindExtension:
		return "extension"
	case component.KindConnector:
		return "connector"
	default:
		return "other"
	}
}

// fileStorageSanitize is contrib filestorage's sanitize: every rune other than [A-Za-z0-9._-]
// (including '~' itself) becomes "~" followed by its code point as %04X.
func fileStorageSanitize(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "~%04X", r)
		}
	}
	return b.String()
}

// readFileStorageDB reads every key/value of a file_storage database file without modifying it.
// It never panics and never lets bbolt start a goroutine that can panic: a damaged file returns an error.
//
// Limitation: bbolt has no checksums on data pages. Damage confined to the key/value bytes inside a
// leaf page, leaving every structural check intact, cannot be detected here (the result may even come
// with a nil error); the caller must validate what it imports (e.g. unmarshal each queue item, check
// item keys against the queue metadata).
//
// Results:
//   - intact file: all entries of the file_storage bucket, nil error (an intact file without the bucket
//     gives an empty map);
//   - damaged file: an error wrapping errFileStorageDBDamaged, together with the entries salvaged from the
//     leaf pages that passed every structural check (possibly none, then the map is nil). bbolt has no
//     checksums on data pages, so bytes damaged inside a value payload cannot be detected at this level;
//   - a file that cannot be opened as a bbolt database at all: nil and an error; it wraps
//     errFileStorageDBDamaged when both meta pages are invalid or the file is too small, and
//     berrors.ErrTimeout when another process holds file_storage's exclusive lock.
//
// The returned values never alias file or mmap memory.
func readFileStorageDB(path string) (entries map[string][]byte, err error) {
	err = fileStorageGuard("read", func() error {
		var rerr error
		entries, rerr = readFileStorageDBUnguarded(path)
		return rerr
	})
	if err != nil && !errors.Is(err, errFileStorageDBDamaged) {
		entries = nil
	}
	return entries, err
}

// fileStorageGuard runs fn in the calling goroutine with faults on unexpected addresses turned into
// panics (debug.SetPanicOnFault), and turns any panic into an error.
func fileStorageGuard(what string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: panic: %v", errFileStorageDBDamaged, what, r)
		}
	}()
	return fn()
}

func readFileStorageDBUnguarded(path string) (map[string][]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("file_storage database %s: not a regular file", path)
	}
	if fi.Size() == 0 {
		// bbolt.Open would try to initialise (write) an empty file: db.go:272-279.
		return nil, fmt.Errorf("%s: %w", path, errFileStorageDBEmpty)
	}

	// Opening takes a shared flock (bolt_unix.go flock, LOCK_SH because ReadOnly), maps the file
	// PROT_READ, validates both meta pages' checksums (db.go:538-549) and does nothing else.
	var db *bbolt.DB
	err = fileStorageGuard("bbolt open", func() error {
		var oerr error
		db, oerr = bbolt.Open(path, 0, &bbolt.Options{
			ReadOnly:        true,  // O_RDONLY, shared lock, no write transactions, no db.init.
			PreLoadFreelist: false, // no loadFreelist -> no freepages() goroutine (db.go:303-305, 1293).
			NoFreelistSync:  true,  // as file_storage; irrelevant read-only, kept for parity.
			FreelistType:    bbolt.FreelistMapType,
			Timeout:         fileStorageImportLockTimeout,
			NoStatistics:    true,
		})
		return oerr
	})
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) ||
		(err != nil && fi.Size() < 2*int64(os.Getpagesize())) { // db.go:448-449 "file size too small"
		err = fileStorageAsDamage(err)
	}
	if err != nil {
		return nil, fmt.Errorf("file_storage database %s: open: %w", path, err)
	}
	defer func() { _ = db.Close() }()

	// A second, plain read-only descriptor for the bounds-checked walk. bbolt's shared lock is held,
	// so a well-behaved file_storage cannot write meanwhile.
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, err
	}

	w := &fileStorageWalker{
		r:        f,
		fileSize: uint64(fi.Size()),
		pageSize: uint64(db.Info().PageSize),
		visited:  map[uint64]struct{}{},
	}
	if err = w.chooseMeta(); err != nil {
		return nil, fmt.Errorf("file_storage database %s: %w", path, err)
	}
	found, err := w.walk()
	if err != nil {
		return nil, fmt.Errorf("file_storage database %s: %w", path, err)
	}
	if damage := w.damageError(); damage != nil {
		if len(w.out) == 0 {
			return nil, fmt.Errorf("file_storage database %s: %w", path, damage)
		}
		return w.out, fmt.Errorf("file_storage database %s: %w (salvaged %d entries)", path, damage, len(w.out))
	}
	if w.out == nil {
		w.out = map[string][]byte{}
	}

	// Structure fully validated: every page bbolt will touch lies inside the file and has been checked.
	// Read it through bbolt as well; both readers must agree.
	err = fileStorageGuard("bbolt read", func() error {
		return db.View(func(tx *bbolt.Tx) error {
			if uint64(tx.ID()) != w.meta.txid {
				return fmt.Errorf("bbolt uses txid %d, walk used %d", tx.ID(), w.meta.txid)
			}
			b := tx.Bucket([]byte(fileStorageBucket))
			if b == nil {
				if found {
					return errors.New("bbolt does not find the bucket the walk found")
				}
				return nil
			}
			n := 0
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					return fmt.Errorf("bbolt: nested bucket %q", k)
				}
				if want, ok := w.out[string(k)]; !ok || !bytes.Equal(want, v) {
					return fmt.Errorf("bbolt and walk disagree on key %q", k)
				}
				n++
				if n > len(w.out) {
					break
				}
			}
			if n != len(w.out) {
				return fmt.Errorf("bbolt returns %d entries, walk %d", n, len(w.out))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("file_storage database %s: %w", path, fileStorageAsDamage(err))
	}
	return w.out, nil
}

func fileStorageAsDamage(err error) error {
	if errors.Is(err, errFileStorageDBDamaged) {
		return err
	}
	return fmt.Errorf("%w: %w", errFileStorageDBDamaged, err)
}

// bbolt v1.5.0 on-disk layout (internal/common): native byte order, no padding.
const (
	fsPageHeaderSize = 16 // Page{id uint64, flags uint16, count uint16, overflow uint32}
	fsElemSize       = 16 // leafPageElement{flags, pos, ksize, vsize uint32}, branchPageElement{pos, ksize uint32, pgid uint64}
	fsMetaSize       = 64 // Meta{magic, version, pageSize, flags uint32, root{pgid, seq}, freelist, pgid, txid, checksum uint64}
	fsMetaChecksumAt = 56
	fsBucketHdrSize  = 16 // InBucket{root pgid, sequence uint64}

	fsBranchFlag = 0x01
	fsLeafFlag   = 0x02
	fsBucketLeaf = 0x01 // leafPageElement.flags for a nested bucket

	fsMagic   = 0xED0CDAED
	fsVersion = 2

	fsMaxDepth     = 64 // a B+tree of uint16-count pages is never close to this deep
	fsMaxDamageErr = 8  // damage errors kept verbatim
)

var fsNE = binary.NativeEndian // bbolt writes its structs with unsafe casts

type fileStorageMeta struct {
	pageSize, root, pgid, txid uint64
}

type fileStorageEntry struct {
	key, value []byte
	flags      uint32
}

type fileStorageWalker struct {
	r        io.ReaderAt
	fileSize uint64
	pageSize uint64
	meta     fileStorageMeta
	visited  map[uint64]struct{}

	out     map[string][]byte
	lastKey []byte

	damage      []error
	damageCount int
}

func (w *fileStorageWalker) addDamage(err error) {
	w.damageCount++
	if len(w.damage) < fsMaxDamageErr {
		w.damage = append(w.damage, err)
	}
}

func (w *fileStorageWalker) damageError() error {
	if w.damageCount == 0 {
		return nil
	}
	err := errors.Join(w.damage...)
	if more := w.damageCount - len(w.damage); more > 0 {
		err = fmt.Errorf("%w\n(and %d more)", err, more)
	}
	return fmt.Errorf("%w: %d damaged pages or elements: %w", errFileStorageDBDamaged, w.damageCount, err)
}

// readMeta reads and validates the meta page at offset off like bbolt's Meta.Validate
// (internal/common/meta.go: magic, version, FNV-64a checksum of the fields before it).
func (w *fileStorageWalker) readMeta(off uint64) (fileStorageMeta, error) {
	var buf [fsPageHeaderSize + fsMetaSize]byte
	if _, err := w.r.ReadAt(buf[:], int64(off)); err != nil {
		return fileStorageMeta{}, err
	}
	m := buf[fsPageHeaderSize:]
	if fsNE.Uint32(m[0:]) != fsMagic {
		return fileStorageMeta{}, errors.New("bad magic")
	}
	if fsNE.Uint32(m[4:]) != fsVersion {
		return fileStorageMeta{}, errors.New("bad version")
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:fsMetaChecksumAt])
	if h.Sum64() != fsNE.Uint64(m[fsMetaChecksumAt:]) {
		return fileStorageMeta{}, errors.New("bad checksum")
	}
	return fileStorageMeta{
		pageSize: uint64(fsNE.Uint32(m[8:])),
		root:     fsNE.Uint64(m[16:]),
		pgid:     fsNE.Uint64(m[40:]),
		txid:     fsNE.Uint64(m[48:]),
	}, nil
}

// chooseMeta picks the meta page bbolt uses (db.go:1141-1162: the one with the higher txid if valid,
// else the other) and checks it against the file.
func (w *fileStorageWalker) chooseMeta() error {
	if w.pageSize < 512 || w.pageSize > 1<<20 || w.pageSize&(w.pageSize-1) != 0 {
		return fmt.Errorf("%w: implausible page size %d", errFileStorageDBDamaged, w.pageSize)
	}
	if w.fileSize < 2*w.pageSize {
		return fmt.Errorf("%w: file size %d is below two pages of %d", errFileStorageDBDamaged, w.fileSize, w.pageSize)
	}
	m0, err0 := w.readMeta(0)
	m1, err1 := w.readMeta(w.pageSize)
	var m fileStorageMeta
	switch {
	case err0 == nil && err1 == nil:
		m = m0
		if m1.txid > m0.txid {
			m = m1
		}
	case err0 == nil:
		m = m0
	case err1 == nil:
		m = m1
	default:
		return fmt.Errorf("%w: both meta pages invalid: %w; %w", errFileStorageDBDamaged, err0, err1)
	}
	if m.pageSize != w.pageSize {
		return fmt.Errorf("%w: meta page size %d, bbolt uses %d", errFileStorageDBDamaged, m.pageSize, w.pageSize)
	}
	if m.root < 2 || m.root >= m.pgid {
		return fmt.Errorf("%w: root page %d outside [2, %d)", errFileStorageDBDamaged, m.root, m.pgid)
	}
	if m.pgid > w.fileSize/w.pageSize {
		// Pages at or beyond the end of the file fail to read and are reported by the walk.
		w.addDamage(fmt.Errorf("file truncated: high water mark %d pages of %d bytes, file has %d bytes", m.pgid, w.pageSize, w.fileSize))
	}
	w.meta = m
	return nil
}

// readPage reads page id with its overflow pages, checking that it is a branch or leaf page that
// identifies itself as id, lies below the high water mark and inside the file, and overlaps no page
// read before.
func (w *fileStorageWalker) readPage(id uint64) ([]byte, error) {
	if id < 2 || id >= w.meta.pgid {
		return nil, fmt.Errorf("page id %d outside [2, %d)", id, w.meta.pgid)
	}
	if _, dup := w.visited[id]; dup {
		return nil, fmt.Errorf("page %d reached twice", id)
	}
	w.visited[id] = struct{}{}
	head := make([]byte, w.pageSize)
	if _, err := w.r.ReadAt(head, int64(id*w.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := fsNE.Uint64(head[0:]); got != id {
		return nil, fmt.Errorf("page %d identifies itself as %d", id, got)
	}
	if fl := fsNE.Uint16(head[8:]); fl != fsBranchFlag && fl != fsLeafFlag {
		return nil, fmt.Errorf("page %d: unexpected flags %#x", id, fl)
	}
	overflow := uint64(fsNE.Uint32(head[12:]))
	if overflow >= w.meta.pgid-id {
		return nil, fmt.Errorf("page %d: overflow %d beyond high water mark %d", id, overflow, w.meta.pgid)
	}
	if overflow == 0 {
		return head, nil
	}
	for j := id + 1; j <= id+overflow; j++ {
		if _, dup := w.visited[j]; dup {
			return nil, fmt.Errorf("page %d: overflow overlaps page %d", id, j)
		}
	}
	for j := id + 1; j <= id+overflow; j++ {
		w.visited[j] = struct{}{}
	}
	if (id+overflow+1)*w.pageSize > w.fileSize {
		return nil, fmt.Errorf("page %d (+%d overflow): beyond end of file", id, overflow)
	}
	buf := make([]byte, (overflow+1)*w.pageSize)
	copy(buf, head)
	if _, err := w.r.ReadAt(buf[w.pageSize:], int64((id+1)*w.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d overflow: %w", id, err)
	}
	return buf, nil
}

// fileStorageLeafEntries checks and decodes a leaf page (page bytes p, header included). Keys and values
// alias p.
func fileStorageLeafEntries(p []byte) ([]fileStorageEntry, error) {
	count := uint64(fsNE.Uint16(p[10:]))
	dataStart := fsPageHeaderSize + count*fsElemSize
	if dataStart > uint64(len(p)) {
		return nil, fmt.Errorf("%d elements do not fit the page", count)
	}
	entries := make([]fileStorageEntry, 0, count)
	next := dataStart // bbolt writes keys and values back to back in element order (common.WriteInodeToPage)
	for i := uint64(0); i < count; i++ {
		e := fsPageHeaderSize + i*fsElemSize
		flags := fsNE.Uint32(p[e:])
		pos := uint64(fsNE.Uint32(p[e+4:]))
		ksize := uint64(fsNE.Uint32(p[e+8:]))
		vsize := uint64(fsNE.Uint32(p[e+12:]))
		ks := e + pos
		ke := ks + ksize
		ve := ke + vsize
		if flags&^fsBucketLeaf != 0 {
			return nil, fmt.Errorf("element %d: unexpected flags %#x", i, flags)
		}
		if ksize == 0 || ks != next || ve > uint64(len(p)) {
			return nil, fmt.Errorf("element %d: key/value [%d, %d) not at %d or beyond %d", i, ks, ve, next, len(p))
		}
		next = ve
		k := p[ks:ke:ke]
		if i > 0 && bytes.Compare(entries[i-1].key, k) >= 0 {
			return nil, fmt.Errorf("element %d: keys out of order", i)
		}
		entries = append(entries, fileStorageEntry{key: k, value: p[ke:ve:ve], flags: flags})
	}
	return entries, fileStorageCheckUsed(p, next)
}

// fileStorageCheckUsed checks that a page with overflow needs its last page: bbolt allocates
// ceil(node.size()/pageSize) pages for a node (node.go spill), node.size() being exactly the bytes used.
// Inline pages (no page id, any length) are not checked.
func fileStorageCheckUsed(p []byte, used uint64) error {
	overflow := uint64(fsNE.Uint32(p[12:]))
	if overflow == 0 {
		return nil
	}
	if ps := uint64(len(p)) / (overflow + 1); used <= overflow*ps {
		return fmt.Errorf("%d bytes used do not need %d overflow pages", used, overflow)
	}
	return nil
}

// fileStorageBranchChildren checks and decodes a branch page: child page ids and separator keys (aliasing p).
func fileStorageBranchChildren(p []byte) (children []uint64, seps [][]byte, err error) {
	count := uint64(fsNE.Uint16(p[10:]))
	if count == 0 {
		return nil, nil, errors.New("empty branch page")
	}
	dataStart := fsPageHeaderSize + count*fsElemSize
	if dataStart > uint64(len(p)) {
		return nil, nil, fmt.Errorf("%d elements do not fit the page", count)
	}
	children = make([]uint64, 0, count)
	seps = make([][]byte, 0, count)
	next := dataStart
	for i := uint64(0); i < count; i++ {
		e := fsPageHeaderSize + i*fsElemSize
		pos := uint64(fsNE.Uint32(p[e:]))
		ksize := uint64(fsNE.Uint32(p[e+4:]))
		ks := e + pos
		ke := ks + ksize
		if ksize == 0 || ks != next || ke > uint64(len(p)) {
			return nil, nil, fmt.Errorf("element %d: key [%d, %d) not at %d or beyond %d", i, ks, ke, next, len(p))
		}
		next = ke
		k := p[ks:ke:ke]
		if i > 0 && bytes.Compare(seps[i-1], k) >= 0 {
			return nil, nil, fmt.Errorf("element %d: keys out of order", i)
		}
		seps = append(seps, k)
		children = append(children, fsNE.Uint64(p[e+8:]))
	}
	return children, seps, fileStorageCheckUsed(p, next)
}

// walkTree visits the B+tree rooted at page id in key order and hands every checked leaf to onLeaf.
// Every key below id must lie in [lo, hi) (nil: unbounded): bbolt's search (cursor.go searchBranch)
// sends key k to the last child whose separator is <= k, so a readable database keeps the keys of child
// i at or above separator i (i > 0) and below separator i+1. A leaf or branch breaking that, or with
// any other defect, is recorded as damage and its subtree skipped.
func (w *fileStorageWalker) walkTree(id uint64, depth int, lo, hi []byte, onLeaf func(where string, entries []fileStorageEntry)) {
	if depth > fsMaxDepth {
		w.addDamage(fmt.Errorf("page %d: tree deeper than %d", id, fsMaxDepth))
		return
	}
	p, err := w.readPage(id)
	if err != nil {
		w.addDamage(err)
		return
	}
	inRange := func(k []byte) bool {
		return (lo == nil || bytes.Compare(k, lo) >= 0) && (hi == nil || bytes.Compare(k, hi) < 0)
	}
	if fsNE.Uint16(p[8:]) == fsLeafFlag {
		entries, err := fileStorageLeafEntries(p)
		if err == nil && len(entries) > 0 && (!inRange(entries[0].key) || !inRange(entries[len(entries)-1].key)) {
			err = errors.New("keys outside the range given by the parent branch")
		}
		if err != nil {
			w.addDamage(fmt.Errorf("leaf page %d: %w", id, err))
			return
		}
		onLeaf(fmt.Sprintf("leaf page %d", id), entries)
		return
	}
	children, seps, err := fileStorageBranchChildren(p)
	if err == nil {
		for i := 1; i < len(seps); i++ {
			if !inRange(seps[i]) {
				err = errors.New("separators outside the range given by the parent branch")
				break
			}
		}
	}
	if err != nil {
		w.addDamage(fmt.Errorf("branch page %d: %w", id, err))
		return
	}
	for i, c := range children {
		clo, chi := lo, hi
		if i > 0 {
			clo = seps[i]
		}
		if i+1 < len(seps) {
			chi = seps[i+1]
		}
		w.walkTree(c, depth+1, clo, chi, onLeaf)
	}
}

// walk finds the file_storage bucket in the root bucket and collects its entries into w.out.
// It returns an error only when nothing can be read at all; other damage is recorded.
func (w *fileStorageWalker) walk() (found bool, err error) {
	var bucketValue []byte
	w.walkTree(w.meta.root, 0, nil, nil, func(_ string, entries []fileStorageEntry) {
		for _, e := range entries {
			if string(e.key) == fileStorageBucket && e.flags&fsBucketLeaf != 0 {
				bucketValue = bytes.Clone(e.value)
			}
		}
	})
	if bucketValue == nil {
		if w.damageCount > 0 {
			return false, fmt.Errorf("bucket %q not found: %w", fileStorageBucket, w.damageError())
		}
		return false, nil // an intact database without the bucket holds nothing
	}
	if len(bucketValue) < fsBucketHdrSize {
		return true, fmt.Errorf("%w: bucket %q header of %d bytes", errFileStorageDBDamaged, fileStorageBucket, len(bucketValue))
	}

	onLeaf := func(where string, entries []fileStorageEntry) {
		if len(entries) == 0 {
			return
		}
		if w.lastKey != nil && bytes.Compare(entries[0].key, w.lastKey) <= 0 {
			w.addDamage(fmt.Errorf("%s: keys out of order with earlier pages", where))
			return
		}
		for _, e := range entries {
			if e.flags&fsBucketLeaf != 0 {
				w.addDamage(fmt.Errorf("%s: nested bucket %q (file_storage creates none)", where, e.key))
				return
			}
		}
		if w.out == nil {
			w.out = make(map[string][]byte)
		}
		for _, e := range entries {
			w.out[string(e.key)] = bytes.Clone(e.value)
		}
		w.lastKey = bytes.Clone(entries[len(entries)-1].key)
	}

	if root := fsNE.Uint64(bucketValue[0:]); root != 0 {
		w.walkTree(root, 0, nil, nil, onLeaf)
		return true, nil
	}
	// Inline bucket: a leaf page follows the bucket header inside the value (bbolt bucket.go openBucket).
	p := bucketValue[fsBucketHdrSize:]
	if len(p) < fsPageHeaderSize || fsNE.Uint16(p[8:]) != fsLeafFlag {
		return true, fmt.Errorf("%w: bucket %q: malformed inline page", errFileStorageDBDamaged, fileStorageBucket)
	}
	entries, lerr := fileStorageLeafEntries(p)
	if lerr != nil {
		return true, fmt.Errorf("%w: bucket %q inline page: %w", errFileStorageDBDamaged, fileStorageBucket, lerr)
	}
	onLeaf("inline page", entries)
	return true, nil
}
