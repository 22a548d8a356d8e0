// Package testpeers starts real, independent syslog implementations (rsyslog, syslog-ng) and
// liblognorm's CEF parser as test peers for the project's end-to-end tests, so that what the
// exporters put on the wire is checked by software the SIEM side actually runs rather than by the
// project's own parsers.
//
// Every peer runs as a child process in its own process group, with its configuration, certificates,
// state and output in the calling test's t.TempDir(), listening on free 127.0.0.1 ports. Nothing here
// touches the system's syslog service or files outside the temp dir. A missing peer binary fails the
// test (it never skips), naming the install script .ci/install-peers.sh.
//
// The package is Linux-only (process groups, parent-death signal, /proc/net for the listen check).
package testpeers

// InstallScript is the script that installs every peer this package runs (see README.md).
const InstallScript = ".ci/install-peers.sh"
