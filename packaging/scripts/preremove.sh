#!/bin/sh
# otelcol-siem preremove (deb prerm, rpm %preun).
#   deb: $1 = remove, upgrade, deconfigure or failed-upgrade
#   rpm: $1 = 0 on erase, 1 or more on an upgrade
# On removal: stop the service when it runs and disable it. On an upgrade it keeps running; the new
# package's postinstall restarts it. Undelivered events stay in the queue either way.
set -e

NAME=otelcol-siem

case "$1" in
  remove | deconfigure | 0) ;;
  *) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
  if systemctl is-active --quiet "$NAME.service"; then
    systemctl stop "$NAME.service" || true
  fi
  systemctl --no-reload disable "$NAME.service" >/dev/null 2>&1 || true
fi
exit 0
