package secformat

import "testing"

// The typical event is the seed's failed login (schema doc example) with the connector's resource.
func BenchmarkCEF(b *testing.B) {
	f, err := NewCEF(DefaultCEFConfig())
	if err != nil {
		b.Fatal(err)
	}
	res, lr := seedEvents()[1].build(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], res, lr)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkJSON(b *testing.B) {
	f := NewJSON()
	res, lr := seedEvents()[1].build(1)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], res, lr)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkSyslog5424CEF(b *testing.B) {
	f, err := NewCEF(DefaultCEFConfig())
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSyslog(DefaultSyslogConfig())
	if err != nil {
		b.Fatal(err)
	}
	res, lr := seedEvents()[1].build(1)
	msg := make([]byte, 0, 4096)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		msg = f.Append(msg[:0], res, lr)
		buf = s.Append(buf[:0], res, lr, msg)
	}
	b.SetBytes(int64(len(buf)))
}
