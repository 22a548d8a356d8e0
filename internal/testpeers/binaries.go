package testpeers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Environment variables that point the harness at peers installed elsewhere than where
// .ci/install-peers.sh puts them.
const (
	// EnvRsyslogDir is the root of the unpacked rsyslog packages (default /opt/rsyslog): rsyslogd is
	// <dir>/usr/sbin/rsyslogd and its modules are in <dir>/usr/lib/<multiarch>/rsyslog.
	EnvRsyslogDir = "TESTPEERS_RSYSLOG_DIR"
	// EnvSyslogNG is the syslog-ng binary (default: syslog-ng on PATH, else /usr/sbin/syslog-ng).
	EnvSyslogNG = "TESTPEERS_SYSLOG_NG"
	// EnvLognormalizer is liblognorm's lognormalizer binary (default: on PATH, else /usr/bin/lognormalizer).
	EnvLognormalizer = "TESTPEERS_LOGNORMALIZER"
)

const defaultRsyslogDir = "/opt/rsyslog"

func missing(what, detail string) string {
	return fmt.Sprintf("testpeers: %s not found (%s); install the test peers as root with %s (Debian 12)",
		what, detail, InstallScript)
}

// rsyslogPaths returns rsyslogd and its module folder (rsyslogd's built-in module path points at
// /usr/lib, where the unpacked packages are not).
func rsyslogPaths(t testing.TB) (bin, modDir string) {
	t.Helper()
	dir := os.Getenv(EnvRsyslogDir)
	if dir == "" {
		dir = defaultRsyslogDir
	}
	bin = filepath.Join(dir, "usr", "sbin", "rsyslogd")
	if !isExecutable(bin) {
		t.Fatal(missing("rsyslogd", bin))
	}
	mods, _ := filepath.Glob(filepath.Join(dir, "usr", "lib", "*", "rsyslog", "imtcp.so"))
	if len(mods) == 0 {
		t.Fatal(missing("rsyslog modules", filepath.Join(dir, "usr/lib/*/rsyslog/imtcp.so")))
	}
	return bin, filepath.Dir(mods[0])
}

func syslogNGPath(t testing.TB) string {
	t.Helper()
	return findBinary(t, EnvSyslogNG, "syslog-ng", "/usr/sbin/syslog-ng")
}

func lognormalizerPath(t testing.TB) string {
	t.Helper()
	return findBinary(t, EnvLognormalizer, "lognormalizer", "/usr/bin/lognormalizer")
}

// findBinary honours the environment override strictly (a wrong override is an error, not a reason
// to fall back), else looks on PATH and then at the Debian location (PATH may lack /usr/sbin).
func findBinary(t testing.TB, env, name, debianPath string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if !isExecutable(p) {
			t.Fatal(missing(name, env+"="+p))
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if isExecutable(debianPath) {
		return debianPath
	}
	t.Fatal(missing(name, "not on PATH nor at "+debianPath))
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
