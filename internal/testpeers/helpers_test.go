package testpeers

import (
	"fmt"
	"runtime"
	"testing"
)

// fatalRecorder is a testing.TB whose Fatal ends only the goroutine run started, so a test can
// assert that the harness fails a test (and how) without failing itself.
type fatalRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalRecorder) Fatal(args ...any) { f.record(fmt.Sprint(args...)) }
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.record(fmt.Sprintf(format, args...))
}
func (f *fatalRecorder) FailNow() { f.record("FailNow") }

func (f *fatalRecorder) record(msg string) {
	f.failed, f.msg = true, msg
	runtime.Goexit()
}

// run calls fn in a goroutine (Fatal ends it with Goexit) and waits for it.
func (f *fatalRecorder) run(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}
