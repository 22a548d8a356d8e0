package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// frameSink is a loopback TCP (or TLS) server that reads RFC 6587 / RFC 5425 octet-counted frames
// ("LEN SP MSG") from any number of connections and counts them. Both distributions and the floor
// writer send to the same sink, so they are measured by one yardstick.
type frameSink struct {
	ln      net.Listener
	frames  atomic.Int64
	bytes   atomic.Int64
	badConn atomic.Int64
	alerts  atomic.Int64 // frames whose syslog MSGID is "alert" (the alert processor's own records)
	first   atomic.Int64 // unix ns of the first frame
	last    atomic.Int64 // unix ns of the latest frame
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func newFrameSink(tlsConfig *tls.Config) (*frameSink, error) {
	return newFrameSinkAt("127.0.0.1:0", tlsConfig)
}

// newFrameSinkAt listens on addr: a SIEM that comes up where a collector already sends.
func newFrameSinkAt(addr string, tlsConfig *tls.Config) (*frameSink, error) {
	var ln net.Listener
	var err error
	if tlsConfig != nil {
		ln, err = tls.Listen("tcp", addr, tlsConfig)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	s := &frameSink{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *frameSink) Addr() string { return s.ln.Addr().String() }

func (s *frameSink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *frameSink) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReaderSize(c, 256<<10)
	buf := make([]byte, 0, 64<<10)
	for {
		n, err := readFrameLen(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.badConn.Add(1)
			}
			return
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			s.badConn.Add(1)
			return
		}
		switch msgID(buf[:n]) {
		case "alert":
			s.alerts.Add(1)
			continue
		case "audit":
			// The collector's own records (integrity checkpoints, audit events): not the load.
			continue
		}
		now := time.Now().UnixNano()
		s.first.CompareAndSwap(0, now)
		s.last.Store(now)
		s.bytes.Add(int64(n))
		s.frames.Add(1)
	}
}

// readFrameLen reads "LEN SP" strictly: 1..9 digits, no leading zero, then one space.
func readFrameLen(r *bufio.Reader) (int, error) {
	n, digits := 0, 0
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == ' ' && digits > 0 {
			return n, nil
		}
		if b < '0' || b > '9' || digits == 9 || (digits == 0 && b == '0') {
			return 0, fmt.Errorf("invalid frame header byte %q after %d digits", b, digits)
		}
		n = n*10 + int(b-'0')
		digits++
	}
}

// Reset zeroes the counters between runs.
func (s *frameSink) Reset() {
	s.frames.Store(0)
	s.bytes.Store(0)
	s.first.Store(0)
	s.last.Store(0)
	s.badConn.Store(0)
	s.alerts.Store(0)
}

// msgID returns an RFC 5424 message's MSGID (the 6th header field) when it is "alert" or "audit":
// otelcol-siem's own records (alerts, integrity checkpoints, audit events), not part of the load
// both distributions carry. Else "".
func msgID(msg []byte) string {
	fields := 0
	for i := 0; i < len(msg); i++ {
		if msg[i] != ' ' {
			continue
		}
		fields++
		if fields == 5 {
			rest := msg[i+1:]
			for _, id := range []string{"alert", "audit"} {
				if len(rest) > len(id) && string(rest[:len(id)]) == id && rest[len(id)] == ' ' {
					return id
				}
			}
			return ""
		}
	}
	return ""
}

// WaitFrames waits until n frames arrived, or no frame arrived for idle, and returns the count.
func (s *frameSink) WaitFrames(n int64, idle time.Duration) int64 {
	lastCount, lastChange := int64(-1), time.Now()
	for {
		got := s.frames.Load()
		if got >= n {
			return got
		}
		if got != lastCount {
			lastCount, lastChange = got, time.Now()
		} else if time.Since(lastChange) > idle {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Close stops the listener and every connection.
func (s *frameSink) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// appendOctetCounted frames msg as RFC 6587 octet counting.
func appendOctetCounted(dst, msg []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(msg)), 10)
	dst = append(dst, ' ')
	return append(dst, msg...)
}
