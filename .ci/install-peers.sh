#!/bin/sh
# Installs the real syslog peers used by the e2e tests (internal/testpeers) on Debian 12, as root.
#
#   syslog-ng-core, syslog-ng-scl  apt-installed (syslog-ng 3.38: strict RFC 6587 octet counting, TLS)
#   liblognorm-utils                apt-installed (lognormalizer: the CEF oracle, liblognorm 2.0.6)
#   openssl                         apt-installed (manual TLS checks: openssl s_client; the harness itself
#                                   generates certificates in Go and uses syslog-ng's ca-file())
#   prometheus                      NOT installed but unpacked into /opt/promtool: only its promtool is
#                                   used (make rules-test), and the package would bring a service
#   rsyslog, rsyslog-gnutls,        NOT installed but unpacked into /opt/rsyslog, because Debian's
#   rsyslog-openssl                 rsyslog and syslog-ng-core Conflict (both Provide system-log-daemon);
#                                   their runtime libraries are apt-installed.
#
# Idempotent. Needs only Debian's archive. It starts no daemon and leaves any system syslog service
# alone: it refuses to run if another system-log-daemon package is installed (apt would remove it),
# keeps the syslog-ng service it installs from starting (policy-rc.d) and disables that service
# (it must not become the machine's logger at the next boot).
# Quiet on success (one summary line); on failure prints what failed and the tail of the log.
set -eu

RSYSLOG_DIR=/opt/rsyslog
PROMTOOL_DIR=/opt/promtool
STATE_DIR=/var/lib/otelcol-siem-peers
export DEBIAN_FRONTEND=noninteractive

fail() { echo "install-peers: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root"
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found (Debian 12 expected)"

LOG=$(mktemp /tmp/install-peers.XXXXXX.log)
WORK=$(mktemp -d /tmp/install-peers.XXXXXX)
OWN_POLICY=""
cleanup() {
	[ -z "$OWN_POLICY" ] || rm -f /usr/sbin/policy-rc.d
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# run CMD...: runs a step quietly; on failure shows the step and the log tail, then exits.
run() {
	if ! "$@" >>"$LOG" 2>&1; then
		echo "install-peers: failed: $*" >&2
		tail -n 30 "$LOG" >&2
		echo "install-peers: full log: $LOG" >&2
		exit 1
	fi
}
installed() { dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

# Another system logger (rsyslog, busybox-syslogd, inetutils-syslogd, ...) would be removed by apt
# when syslog-ng-core comes in: refuse instead of silently replacing the machine's logger.
others=$(dpkg-query -W -f '${Package} ${db:Status-Status} ${Provides}\n' 2>/dev/null |
	awk '$2 == "installed" && $1 != "syslog-ng-core" && /system-log-daemon/ { print $1 }')
[ -z "$others" ] || fail "system log daemon package(s) installed: $others; installing syslog-ng-core would remove them. Run on a machine without them (e.g. a CI container)."

run apt-get update -qq

# Keep the syslog-ng service from starting during the install: Debian's maintainer scripts honour
# policy-rc.d (exit 101 = action forbidden). An existing policy-rc.d is left as it is.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	OWN_POLICY=1
fi
fresh_sng=""
installed syslog-ng-core || fresh_sng=1
# Name only what is missing: naming an installed library would upgrade it (and its dependants) for
# nothing. rsyslog's runtime libraries are its Depends in Debian 12 (rsyslog, -gnutls, -openssl).
want_pkgs=""
for p in syslog-ng-core syslog-ng-scl liblognorm-utils openssl \
	libestr0 libfastjson4 liblognorm5 libsystemd0 libuuid1 libzstd1 zlib1g libgnutls30 libssl3; do
	installed "$p" || want_pkgs="$want_pkgs $p"
done
# shellcheck disable=SC2086 # word splitting of the package list is intended
[ -z "$want_pkgs" ] || run apt-get install -y -qq --no-install-recommends $want_pkgs
mkdir -p "$STATE_DIR"
[ -z "$fresh_sng" ] || : >"$STATE_DIR/syslog-ng-installed-by-us"
if [ -e "$STATE_DIR/syslog-ng-installed-by-us" ]; then
	# We brought syslog-ng in only as a test peer: it must not be enabled as the system logger.
	# (systemctl works on unit files also when systemd is not running, e.g. in a container.)
	if command -v systemctl >/dev/null 2>&1; then
		run systemctl --no-reload --quiet disable syslog-ng.service
	elif [ -e /etc/init.d/syslog-ng ] && command -v update-rc.d >/dev/null 2>&1; then
		run update-rc.d syslog-ng disable
	fi
fi
if [ -n "$OWN_POLICY" ]; then rm -f /usr/sbin/policy-rc.d; OWN_POLICY=""; fi

# unpack DIR BIN PKG...: unpacks the archive's current version of the packages PKG (one source
# package, one version) into DIR, unless that exact version is there already with DIR/BIN.
unpack() {
	dir=$1 bin=$2
	shift 2
	want=$(apt-cache policy "$1" | awk '/Candidate:/ { print $2 }')
	[ -n "$want" ] && [ "$want" != "(none)" ] || fail "no $1 candidate in the apt sources"
	[ "$(cat "$dir/.version" 2>/dev/null || true)" != "$want" ] || [ ! -x "$dir/$bin" ] || return 0
	# apt-get download runs as the _apt user: give it the download folder.
	chown _apt "$WORK" 2>/dev/null || chmod 777 "$WORK"
	rm -f "$WORK"/*.deb
	for p in "$@"; do
		(cd "$WORK" && run apt-get download -qq "$p=$want")
	done
	rm -rf "$dir.new"
	mkdir -p "$dir.new"
	for p in "$@"; do
		f=$(ls "$WORK/${p}_"*.deb 2>/dev/null | head -n 1)
		[ -n "$f" ] || fail "download of $p failed"
		run dpkg-deb -x "$f" "$dir.new"
	done
	echo "$want" >"$dir.new/.version"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
}

# rsyslog (see the top) and promtool (Prometheus' rule checker, a static binary, from the
# prometheus package) are unpacked, not installed.
unpack "$RSYSLOG_DIR" usr/sbin/rsyslogd rsyslog rsyslog-gnutls rsyslog-openssl
unpack "$PROMTOOL_DIR" usr/bin/promtool prometheus
want_prom=$(cat "$PROMTOOL_DIR/.version")
"$PROMTOOL_DIR/usr/bin/promtool" --version >/dev/null 2>&1 || fail "$PROMTOOL_DIR/usr/bin/promtool does not run"

# Check that what the tests load resolves (a missing runtime library shows here, not mid-test).
moddir=$(ls -d "$RSYSLOG_DIR"/usr/lib/*/rsyslog 2>/dev/null | head -n 1)
[ -n "$moddir" ] || fail "no rsyslog module folder under $RSYSLOG_DIR/usr/lib"
for f in "$RSYSLOG_DIR/usr/sbin/rsyslogd" "$moddir/imtcp.so" "$moddir/imudp.so" "$moddir/mmnormalize.so" \
	"$moddir/mmpstrucdata.so" "$moddir/lmnsd_gtls.so" "$moddir/lmnsd_ossl.so"; do
	[ -e "$f" ] || fail "missing $f"
	missing=$(ldd "$f" 2>&1 | grep 'not found' || true)
	[ -z "$missing" ] || fail "$f: unresolved libraries: $missing"
done
for b in syslog-ng lognormalizer openssl; do
	command -v "$b" >/dev/null 2>&1 || fail "$b not on PATH after install"
done
rs=$("$RSYSLOG_DIR/usr/sbin/rsyslogd" -v 2>&1 | awk 'NR == 1 { print $1, $2 }')
sng=$(syslog-ng --version 2>&1 | head -n 1)
rm -f "$LOG"
echo "install-peers: ok: $rs ($RSYSLOG_DIR, -M $moddir); $sng; lognormalizer (liblognorm $(dpkg-query -W -f '${Version}' liblognorm5)); promtool $want_prom ($PROMTOOL_DIR)"
