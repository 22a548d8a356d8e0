#!/usr/bin/env bash
# make package-test: proves the .deb on this machine (root, Debian 12) and checks the .rpm.
#   install (dpkg -i) -> files, modes, owners, conffiles, the system user, the env file against the
#   config -> systemd-analyze verify and security on the unit -> the installed binary run as the
#   service user with the installed config and env file (no capabilities, no new privileges),
#   healthy, an event sent and found in the SIEM file under /var/lib/otelcol-siem -> reinstall and
#   upgrade keep an edited config -> dpkg -r keeps the queue and the user -> dpkg -P deletes both.
#   .rpm: metadata, files, config flags and scriptlets with rpm -qp (rpm from Debian's archive), and
#   the scriptlets run with rpm's arguments (install, upgrade, erase keeps the queue).
# It changes the system (a package, a user, /etc/otelcol-siem, /var/lib/otelcol-siem), so it refuses
# to run where otelcol-siem is already installed, and undoes all of it on exit, pass or fail.
# Inputs (from the Makefile): PKG_VERSION, PKG_ARCH, PKG_DIR, NFPM, SECEVENT_DEMO_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

NAME=otelcol-siem
VERSION=${PKG_VERSION:?PKG_VERSION is builder-config.yaml dist.version}
ARCH=${PKG_ARCH:-$(dpkg --print-architecture)}
PKG_DIR=${PKG_DIR:-_build/packages}
DEB=$REPO/$PKG_DIR/${NAME}_${VERSION}_${ARCH}.deb
DEMO=${SECEVENT_DEMO_BIN:-$REPO/_build/secevent-demo}
NFPM=${NFPM:-}
ETC=/etc/otelcol-siem
STATE=/var/lib/otelcol-siem
UNIT=/lib/systemd/system/otelcol-siem.service
BIN=/usr/bin/otelcol-siem

started=$(date +%s)
step() { echo; echo "== $*"; }
ok() { echo "   ok: $*"; }
fail() {
  echo "package-test: FAIL: $*" >&2
  exit 1
}
trap 'rc=$?; echo "package-test: FAIL: line $LINENO: $BASH_COMMAND (exit $rc)" >&2' ERR

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i, a system user)"
command -v dpkg >/dev/null || fail "needs dpkg (Debian)"
[ -f "$DEB" ] || fail "no $DEB (make package builds it)"
RPM=$(compgen -G "$REPO/$PKG_DIR/$NAME-$VERSION-*.rpm" | head -n1) || true
[ -n "$RPM" ] || fail "no $PKG_DIR/$NAME-$VERSION-*.rpm (make package builds it)"
[ -x "$DEMO" ] || fail "no $DEMO (make _build/secevent-demo)"

# Never touch an install that is not ours.
if dpkg-query -W -f='${Status}' "$NAME" 2>/dev/null | grep -qv '^unknown ok not-installed$' ||
  getent passwd "$NAME" >/dev/null || getent group "$NAME" >/dev/null || [ -e "$ETC" ] || [ -e "$STATE" ]; then
  fail "this machine already has otelcol-siem (package, user, $ETC or $STATE); the test would remove it. Purge it first: dpkg -P $NAME"
fi

WORK=$(mktemp -d /tmp/otelcol-siem-package-test.XXXXXX)
collector_pid=
touched_system=no
cleanup() {
  local rc=$?
  trap - ERR
  if [ -n "$collector_pid" ] && kill -0 "$collector_pid" 2>/dev/null; then
    kill -TERM "$collector_pid" 2>/dev/null || true
    wait "$collector_pid" 2>/dev/null || true
  fi
  if [ "$touched_system" = yes ]; then
    if dpkg-query -W -f='${Status}' "$NAME" 2>/dev/null | grep -qv 'not-installed'; then
      dpkg -P "$NAME" >/dev/null 2>&1 || echo "package-test: cleanup: dpkg -P $NAME failed" >&2
    fi
    getent passwd "$NAME" >/dev/null && { userdel "$NAME" || true; }
    getent group "$NAME" >/dev/null && { groupdel "$NAME" || true; }
    rm -rf "$ETC" "$STATE"
  fi
  rm -rf "$WORK"
  if [ "$rc" = 0 ]; then
    echo; echo "package-test: PASS ($(($(date +%s) - started)) s)"
  else
    echo "package-test: FAILED (exit $rc, $(($(date +%s) - started)) s); the system is cleaned up" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT

check_stat() { # path mode owner group
  local got
  got=$(stat -c '%a %U %G' "$1" 2>/dev/null) || fail "$1 is missing"
  [ "$got" = "$2 $3 $4" ] || fail "$1: mode and owner are '$got', want '$2 $3 $4'"
  ok "$1 $got"
}
dpkg_status() { dpkg-query -W -f='${Status}' "$NAME" 2>/dev/null || echo "unknown ok not-installed"; }
used_ports=" "
# Below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768 and up by default), so an
# outgoing connection cannot take the port between this check and the collector's bind, and free of
# any socket in any state, not only listeners.
free_port() { # free_port VAR: a TCP port no socket uses, not handed out before in this run
  local p low
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 21000 ] 2>/dev/null || low=32768
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % (low - 20000)))
    case "$used_ports" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htan "sport = :$p")" ]; then
      used_ports="$used_ports$p "
      printf -v "$1" '%s' "$p"
      return
    fi
  done
  fail "no free loopback port"
}

apt_install() { # apt_install PACKAGE: from Debian's archive, refreshing the lists once if needed
  echo "   apt-get install -y $1"
  apt-get install -y --no-install-recommends "$1" >>"$WORK/apt.log" 2>&1 ||
    { apt-get update >>"$WORK/apt.log" 2>&1 && apt-get install -y --no-install-recommends "$1" >>"$WORK/apt.log" 2>&1; }
}

step "tools: systemd-analyze, curl, ss, setpriv"
if ! command -v systemd-analyze >/dev/null; then
  echo "   systemd-analyze is missing"
  apt_install systemd || { cat "$WORK/apt.log" >&2; fail "could not install systemd (for systemd-analyze)"; }
fi
ok "$(systemd-analyze --version | head -n1)"
command -v curl >/dev/null || apt_install curl || fail "needs curl"
command -v ss >/dev/null || apt_install iproute2 || fail "needs ss (iproute2)"
command -v setpriv >/dev/null || fail "needs setpriv (util-linux)"

step "dpkg -i $(basename "$DEB")"
touched_system=yes
dpkg -i "$DEB" </dev/null
[ "$(dpkg_status)" = "install ok installed" ] || fail "dpkg status '$(dpkg_status)'"
got=$(dpkg-query -W -f='${Version}' "$NAME")
[ "$got" = "$VERSION" ] || fail "package version $got, want $VERSION"
got=$("$BIN" --version)
[ "$got" = "$NAME version $VERSION" ] || fail "'$BIN --version' says '$got', the package is $VERSION"
ok "installed $VERSION; $BIN --version: $got"

step "files, modes, owners"
check_stat "$BIN" 755 root root
check_stat "$ETC" 755 root root
check_stat "$ETC/config.yaml" 644 root root
check_stat "$ETC/otelcol-siem.env" 600 root root
check_stat "$UNIT" 644 root root
check_stat /usr/share/doc/otelcol-siem/install.md 644 root root
check_stat "$STATE" 750 "$NAME" "$NAME"
cmp -s "$ETC/config.yaml" otelcol-config.yaml || fail "$ETC/config.yaml differs from otelcol-config.yaml"
cmp -s "$ETC/otelcol-siem.env" packaging/otelcol-siem.env || fail "$ETC/otelcol-siem.env differs from packaging/otelcol-siem.env"
cmp -s "$UNIT" packaging/otelcol-siem.service || fail "$UNIT differs from packaging/otelcol-siem.service"
ok "config.yaml, otelcol-siem.env and the unit are the repository's"
conffiles=$(dpkg-query -W -f='${Conffiles}' "$NAME")
for f in "$ETC/config.yaml" "$ETC/otelcol-siem.env"; do
  grep -q "^ $f " <<<"$conffiles" || fail "$f is not a conffile: $conffiles"
done
ok "conffiles: $ETC/config.yaml $ETC/otelcol-siem.env"
dpkg -L "$NAME" | grep -qx "$STATE" && fail "$STATE is in the package's file list (dpkg -r would touch the queue)"
ok "$STATE is not a packaged path (postinstall made it)"

step "system user"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$NAME") || fail "no user $NAME"
sys_uid_max=$(awk '$1=="SYS_UID_MAX"{print $2}' /etc/login.defs)
[ "$uid" -le "${sys_uid_max:-999}" ] || fail "$NAME has uid $uid, not a system uid (<= ${sys_uid_max:-999})"
[ "$(getent group "$NAME" | cut -d: -f3)" = "$gid" ] || fail "$NAME's primary group is not $NAME"
[ "$home" = "$STATE" ] || fail "$NAME's home is $home, want $STATE"
case "$shell" in */nologin | /bin/false) ;; *) fail "$NAME's shell is $shell, want nologin" ;; esac
[ "$(id -nG "$NAME")" = "$NAME" ] || fail "$NAME is in groups '$(id -nG "$NAME")', want only $NAME"
ok "$NAME uid $uid gid $gid home $home shell $shell"

step "env file: every variable of the config, with the config's default"
mapfile -t defaults < <(grep -o '\${env:OTELCOL_SIEM_[A-Z0-9_]*:-[^}]*}' "$ETC/config.yaml" | sed 's/^\${env://; s/}$//' | sort -u)
[ "${#defaults[@]}" -gt 30 ] || fail "found only ${#defaults[@]} variables in $ETC/config.yaml"
declare -A want_set=([OTELCOL_SIEM_STORAGE_DIR]=$STATE/queue [OTELCOL_SIEM_SYSLOG_FILE]=$STATE/siem-events.log)
for d in "${defaults[@]}"; do
  var=${d%%:-*} def=${d#*:-}
  lines=$(grep -E "^(# )?$var=" "$ETC/otelcol-siem.env" || true)
  [ "$(grep -c . <<<"$lines")" = 1 ] || fail "$var: want one line in the env file, got: ${lines:-none}"
  if [ -n "${want_set[$var]:-}" ]; then
    [ "$lines" = "$var=${want_set[$var]}" ] || fail "$var: want '$var=${want_set[$var]}', got '$lines'"
  else
    [ "$lines" = "# $var=$def" ] || fail "$var: want '# $var=$def' (the config's default, commented), got '$lines'"
  fi
done
# Nothing in the env file that the config does not read (a typo would be silently ignored).
while read -r var; do
  printf '%s\n' "${defaults[@]}" | grep -q "^$var:-" || fail "env file names $var, which the config does not read"
done < <(grep -oE '^(# )?OTELCOL_SIEM_[A-Z0-9_]+=' "$ETC/otelcol-siem.env" | sed 's/^# //; s/=$//')
# README's table (full names) lists nothing the env file lacks.
while read -r var; do
  grep -qE "^(# )?$var=" "$ETC/otelcol-siem.env" || fail "README names $var; the env file does not"
done < <(grep -o 'OTELCOL_SIEM_[A-Z0-9_]*' README.md | sort -u)
ok "${#defaults[@]} variables: STORAGE_DIR and SYSLOG_FILE set under $STATE, the rest commented with the config's default"

step "systemd-analyze verify $UNIT"
if ! out=$(systemd-analyze verify "$UNIT" 2>&1); then
  echo "$out" >&2
  fail "systemd-analyze verify"
fi
if grep -q "otelcol-siem" <<<"$out"; then
  echo "$out" >&2
  fail "systemd-analyze verify warns about the unit"
fi
ok "verify: clean${out:+ (about other units: $(wc -l <<<"$out") lines)}"
for directive in 'User=otelcol-siem' 'Group=otelcol-siem' 'StateDirectory=otelcol-siem' \
  'EnvironmentFile=/etc/otelcol-siem/otelcol-siem.env' \
  'ExecStart=/usr/bin/otelcol-siem --config /etc/otelcol-siem/config.yaml' 'Restart=on-failure' \
  'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
  'CapabilityBoundingSet=' 'AmbientCapabilities=' 'SystemCallFilter=@system-service' \
  'SystemCallArchitectures=native' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
  'ProtectControlGroups=yes' 'RestrictNamespaces=yes' 'LockPersonality=yes' 'MemoryDenyWriteExecute=yes' \
  'RestrictRealtime=yes' 'RestrictSUIDSGID=yes' 'PrivateDevices=yes' 'UMask=0077'; do
  grep -qx "$directive" "$UNIT" || fail "$UNIT lacks '$directive'"
done
ok "the unit has the user, state directory, env file, restart policy and sandbox directives"
security=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1) || true
exposure=$(grep -oE 'Overall exposure level for [^:]+: [0-9.]+ [A-Z]+' <<<"$security" | tail -n1)
[ -n "$exposure" ] || { echo "$security" >&2; fail "systemd-analyze security gave no exposure level"; }
score=$(awk '{print $(NF-1)}' <<<"$exposure")
awk -v s="$score" 'BEGIN{exit !(s <= 2.0)}' || { echo "$security" >&2; fail "$exposure (want 2.0 or less)"; }
ok "systemd-analyze security: $exposure"

step "run $BIN as $NAME with the installed config and env file"
grpc='' http='' health='' metrics=''
free_port grpc; free_port http; free_port health; free_port metrics
# The env file's settings as systemd passes them (its set lines are plain VAR=value), then the
# test's loopback ports. Started as the service starts it: the user, no capabilities, no new
# privileges, umask 0077, working directory /var/lib/otelcol-siem.
mapfile -t site_env < <(grep -Ev '^[[:space:]]*(#|$)' "$ETC/otelcol-siem.env")
(
  cd "$STATE"
  umask 0077
  exec setpriv --reuid="$NAME" --regid="$NAME" --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${site_env[@]}" \
    OTELCOL_SIEM_OTLP_GRPC_ENDPOINT="127.0.0.1:$grpc" OTELCOL_SIEM_OTLP_HTTP_ENDPOINT="127.0.0.1:$http" \
    OTELCOL_SIEM_HEALTH_ENDPOINT="127.0.0.1:$health" OTELCOL_SIEM_METRICS_PORT="$metrics" \
    "$BIN" --config "$ETC/config.yaml"
) >"$WORK/collector.log" 2>&1 &
collector_pid=$!
healthy=no
for _ in $(seq 300); do
  if curl -fsS "http://127.0.0.1:$health/" >/dev/null 2>&1; then healthy=yes; break; fi
  kill -0 "$collector_pid" 2>/dev/null || break
  sleep 0.1
done
[ "$healthy" = yes ] || { cat "$WORK/collector.log" >&2; fail "the installed collector did not become healthy"; }
[ "$(stat -c %U "/proc/$collector_pid")" = "$NAME" ] || fail "the collector does not run as $NAME"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$collector_pid/status" || fail "the collector runs without no_new_privs"
grep -q '^CapEff:[[:space:]]*0*$' "/proc/$collector_pid/status" || fail "the collector has capabilities"
ok "healthy on 127.0.0.1:$health (pid $collector_pid, user $NAME, no capabilities, no_new_privs)"
metrics_text=$(curl -fsS "http://127.0.0.1:$metrics/metrics") || fail "no answer from 127.0.0.1:$metrics/metrics"
grep -q '^otelcol_' <<<"$metrics_text" || fail "no otelcol_ metrics on 127.0.0.1:$metrics"
ok "metrics on 127.0.0.1:$metrics/metrics"
[ -d "$STATE/queue" ] || fail "no queue directory $STATE/queue"
[ "$(stat -c %U "$STATE/queue")" = "$NAME" ] || fail "$STATE/queue is not owned by $NAME"
ok "queue in $STATE/queue ($(stat -c '%a %U %G' "$STATE/queue"))"

"$DEMO" -count 20 -mix warn -endpoint "127.0.0.1:$grpc" -id-prefix "pkgtest-$$-" -ids-file "$WORK/ids" \
  >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; fail "secevent-demo could not send"; }
[ "$(grep -c . "$WORK/ids")" = 20 ] || fail "secevent-demo sent $(grep -c . "$WORK/ids") events, want 20"
arrived=0
for _ in $(seq 300); do
  arrived=$(grep -oF -f "$WORK/ids" "$STATE/siem-events.log" 2>/dev/null | sort -u | grep -c . || true)
  [ "$arrived" = 20 ] && break
  sleep 0.1
done
[ "$arrived" = 20 ] || { tail -n 30 "$WORK/collector.log" >&2; fail "$arrived of 20 events reached $STATE/siem-events.log"; }
# Read into a variable, not through `| grep -q`: with pipefail, grep -q closing the pipe early can
# fail the pipeline (SIGPIPE in the writer) although the match was found.
first=$(grep -m1 -F -- "$(head -n1 "$WORK/ids")" "$STATE/siem-events.log" || true)
case "$first" in *'CEF:0|'*) ;; *) fail "the events are not CEF: ${first:0:200}" ;; esac
ok "20 of 20 events sent over OTLP arrived as CEF in $STATE/siem-events.log ($(stat -c '%a %U' "$STATE/siem-events.log"))"

kill -TERM "$collector_pid"
rc=0
wait "$collector_pid" || rc=$?
collector_pid=
[ "$rc" = 0 ] || { tail -n 30 "$WORK/collector.log" >&2; fail "the collector exited $rc on SIGTERM"; }
# Console log lines are "<time>\t<level>\t<caller>\t<message>".
if grep -qP '^\S+\t(error|dpanic|panic|fatal)\t|^panic:' "$WORK/collector.log"; then
  grep -P '^\S+\t(error|dpanic|panic|fatal)\t|^panic:' "$WORK/collector.log" >&2
  fail "the collector logged errors"
fi
ok "stopped cleanly on SIGTERM"

step "reinstall and upgrade keep an edited config"
echo "# package-test: edited by the site" >>"$ETC/config.yaml"
sed -i 's|^# OTELCOL_SIEM_LOG_LEVEL=info$|OTELCOL_SIEM_LOG_LEVEL=warn|' "$ETC/otelcol-siem.env"
grep -qx 'OTELCOL_SIEM_LOG_LEVEL=warn' "$ETC/otelcol-siem.env" || fail "could not edit the env file"
uid_before=$(id -u "$NAME")
check_edits() {
  tail -n1 "$ETC/config.yaml" | grep -qx '# package-test: edited by the site' || fail "$1: the edit of $ETC/config.yaml is lost"
  grep -qx 'OTELCOL_SIEM_LOG_LEVEL=warn' "$ETC/otelcol-siem.env" || fail "$1: the edit of $ETC/otelcol-siem.env is lost"
  if compgen -G "$ETC/*.dpkg-*" >/dev/null; then fail "$1: dpkg left a copy beside the config: $(compgen -G "$ETC/*.dpkg-*")"; fi
  [ "$(dpkg_status)" = "install ok installed" ] || fail "$1: dpkg status '$(dpkg_status)'"
  [ "$(id -u "$NAME")" = "$uid_before" ] || fail "$1: $NAME's uid changed"
  [ -f "$STATE/siem-events.log" ] || fail "$1: $STATE/siem-events.log is gone"
  [ -d "$STATE/queue" ] || fail "$1: $STATE/queue is gone"
}
dpkg -i "$DEB" </dev/null
check_edits "reinstall of $VERSION"
ok "dpkg -i of the same .deb: edits kept, user and $STATE untouched"
if [ -n "$NFPM" ]; then
  # A real upgrade: the same content at a higher version.
  next="$VERSION+pkgtest1"
  OTELCOL_SIEM_PKG_VERSION=$next OTELCOL_SIEM_PKG_ARCH=$ARCH OTELCOL_SIEM_PKG_MAINTAINER="package-test" \
    "$NFPM" package --config packaging/nfpm.yaml --packager deb --target "$WORK/next.deb" >"$WORK/nfpm.log" 2>&1 ||
    { cat "$WORK/nfpm.log" >&2; fail "nfpm could not build the upgrade package"; }
  dpkg -i "$WORK/next.deb" </dev/null
  [ "$(dpkg-query -W -f='${Version}' "$NAME")" = "$next" ] || fail "upgrade to $next did not happen"
  check_edits "upgrade to $next"
  ok "upgrade $VERSION -> $next: edits kept, user and $STATE untouched"
fi

step "dpkg -r keeps the queue and the user"
echo "undelivered" >"$STATE/queue/package-test-marker"
chown "$NAME:$NAME" "$STATE/queue/package-test-marker"
dpkg -r "$NAME" </dev/null
[ "$(dpkg_status)" = "deinstall ok config-files" ] || fail "after dpkg -r: status '$(dpkg_status)'"
[ ! -e "$BIN" ] || fail "$BIN is still there after dpkg -r"
[ ! -e "$UNIT" ] || fail "$UNIT is still there after dpkg -r"
[ "$(cat "$STATE/queue/package-test-marker" 2>/dev/null)" = undelivered ] || fail "dpkg -r deleted the queue"
[ -f "$STATE/siem-events.log" ] || fail "dpkg -r deleted $STATE/siem-events.log"
getent passwd "$NAME" >/dev/null || fail "dpkg -r deleted the user"
for f in "$ETC/config.yaml" "$ETC/otelcol-siem.env"; do
  [ -f "$f" ] || fail "dpkg -r deleted the conffile $f"
done
ok "binary and unit gone; $STATE (queue marker), the user and the config kept"

step "dpkg -P deletes the queue, the user and the config"
dpkg -P "$NAME" </dev/null
case "$(dpkg_status)" in *not-installed) ;; *) fail "after dpkg -P: status '$(dpkg_status)'" ;; esac
[ ! -e "$STATE" ] || fail "dpkg -P left $STATE"
! getent passwd "$NAME" >/dev/null || fail "dpkg -P left the user $NAME"
! getent group "$NAME" >/dev/null || fail "dpkg -P left the group $NAME"
[ ! -e "$ETC" ] || fail "dpkg -P left $ETC: $(ls -A "$ETC")"
ok "$STATE, the user, the group and $ETC are gone"

step "rpm: $(basename "$RPM")"
if ! command -v rpm >/dev/null; then
  echo "   rpm is missing"
  apt_install rpm || true
fi
if ! command -v rpm >/dev/null; then
  echo "   rpm could not be installed from Debian's archive: the .rpm was built, not checked"
else
  q() { rpm -qp --nosignature "$@" "$RPM" 2>/dev/null; }
  got=$(q --qf '%{NAME} %{VERSION} %{OS}')
  [ "$got" = "$NAME $VERSION linux" ] || fail "rpm name/version/os '$got', want '$NAME $VERSION linux'"
  for req in /usr/sbin/useradd /usr/sbin/groupadd /usr/bin/getent; do
    q --requires | grep -qx "$req" || fail "the .rpm does not require $req"
  done
  files=$(q --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]')
  for want in "$BIN -rwxr-xr-x root root " \
    "$ETC/config.yaml -rw-r--r-- root root cn" "$ETC/otelcol-siem.env -rw------- root root cn" \
    "/usr/lib/systemd/system/otelcol-siem.service -rw-r--r-- root root "; do
    grep -qxF "$want" <<<"$files" || { echo "$files" >&2; fail "the .rpm lacks '$want'"; }
  done
  grep -q "^$STATE" <<<"$files" && fail "the .rpm owns $STATE"
  ok "rpm -qlp: binary, %config(noreplace) config.yaml and otelcol-siem.env, unit in /usr/lib/systemd/system"
  scripts=$(q --scripts)
  for s in 'postinstall scriptlet' 'preuninstall scriptlet' 'postuninstall scriptlet'; do
    grep -q "^$s" <<<"$scripts" || { echo "$scripts" >&2; fail "the .rpm has no $s"; }
  done
  [ "$(q --qf '%{POSTIN}')" = "$(cat packaging/scripts/postinstall.sh)" ] || fail "rpm %post is not packaging/scripts/postinstall.sh"
  [ "$(q --qf '%{PREUN}')" = "$(cat packaging/scripts/preremove.sh)" ] || fail "rpm %preun is not packaging/scripts/preremove.sh"
  [ "$(q --qf '%{POSTUN}')" = "$(cat packaging/scripts/postremove.sh)" ] || fail "rpm %postun is not packaging/scripts/postremove.sh"
  ok "rpm -qp --scripts: %post, %preun, %postun are packaging/scripts/*.sh"
  # The scriptlets with rpm's arguments, here ($1: 1 install, 2 upgrade, 0 erase).
  sh packaging/scripts/postinstall.sh 1
  getent passwd "$NAME" >/dev/null || fail "rpm %post 1 did not create the user"
  check_stat "$STATE" 750 "$NAME" "$NAME"
  echo "undelivered" >"$STATE/package-test-marker"
  sh packaging/scripts/postinstall.sh 2
  sh packaging/scripts/preremove.sh 1
  sh packaging/scripts/postremove.sh 1
  [ -f "$STATE/package-test-marker" ] || fail "rpm upgrade scriptlets deleted the queue"
  sh packaging/scripts/preremove.sh 0
  sh packaging/scripts/postremove.sh 0
  [ -f "$STATE/package-test-marker" ] || fail "rpm erase (%postun 0) deleted the queue"
  getent passwd "$NAME" >/dev/null || fail "rpm erase deleted the user"
  ok "scriptlets: %post 1 creates the user and $STATE; upgrade (2/1/1) and erase (0) keep the queue and the user"
  userdel "$NAME"
  getent group "$NAME" >/dev/null && groupdel "$NAME"
  rm -rf "$STATE"
fi
