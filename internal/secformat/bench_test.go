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
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		// What cef_syslog does: the CEF line written in place after the header.
		buf, _ = s.AppendRecord(buf[:0], res, lr, f)
	}
	b.SetBytes(int64(len(buf)))
}
