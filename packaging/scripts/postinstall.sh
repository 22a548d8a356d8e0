#!/bin/sh
# otelcol-siem postinstall (deb postinst, rpm %post).
#   deb: $1 = configure (others: abort-*), $2 = the version configured before (empty on a first install)
#   rpm: $1 = 1 on a first install, 2 or more on an upgrade
# Creates the system user and group otelcol-siem and the state directory /var/lib/otelcol-siem if
# they are missing. Never enables or starts the service: the site sets its SIEM in
# /etc/otelcol-siem/otelcol-siem.env first, then runs `systemctl enable --now otelcol-siem`
# (docs/install.md says why). An upgrade restarts the service only if it was running.
set -e

NAME=otelcol-siem
STATE_DIR=/var/lib/otelcol-siem

case "$1" in
  configure) if [ -n "$2" ]; then upgrade=yes; else upgrade=no; fi ;;
  1) upgrade=no ;;
  [2-9] | [1-9][0-9]*) upgrade=yes ;;
  *) exit 0 ;; # deb abort-upgrade, abort-remove, abort-deconfigure: nothing to undo
esac

if ! getent group "$NAME" >/dev/null; then
  groupadd --system "$NAME"
fi
if ! getent passwd "$NAME" >/dev/null; then
  shell=/usr/sbin/nologin
  [ -x "$shell" ] || shell=/sbin/nologin
  [ -x "$shell" ] || shell=/bin/false
  useradd --system --gid "$NAME" --home-dir "$STATE_DIR" --no-create-home --shell "$shell" \
    --comment "otelcol-siem collector" "$NAME"
fi

# systemd creates it too (StateDirectory=), but the binary may also be run by hand as the user, and
# a queue left by a removed (not purged) install is kept as it is.
if [ ! -d "$STATE_DIR" ]; then
  install -d -o "$NAME" -g "$NAME" -m 0750 "$STATE_DIR"
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
  if [ "$upgrade" = yes ]; then
    # The new binary replaces a running one only by a restart; a stopped service stays stopped.
    systemctl try-restart "$NAME.service" || true
  fi
fi
exit 0
