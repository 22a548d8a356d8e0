// Package e2e holds the end-to-end tests of the ocb-built otelcol-siem binary (build tag e2e; run by
// `make test`, which builds the binary and installs the peers first).
package e2e
