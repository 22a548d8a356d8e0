#!/bin/sh
# otelcol-siem postremove (deb postrm, rpm %postun).
#   deb: $1 = remove, purge, upgrade, failed-upgrade, abort-install, abort-upgrade or disappear
#   rpm: $1 = 0 on erase, 1 or more on an upgrade
# remove (deb) and erase (rpm) keep /var/lib/otelcol-siem, the persistent queue of events not yet
# delivered to the SIEM, and the otelcol-siem user that owns it: a reinstall delivers them.
# purge (deb only) deletes both. rpm has no purge: delete the directory and the user by hand
# (docs/install.md).
set -e

NAME=otelcol-siem
STATE_DIR=/var/lib/otelcol-siem

case "$1" in
  remove | 0) ;;
  purge)
    rm -rf "$STATE_DIR"
    if getent passwd "$NAME" >/dev/null; then
      userdel "$NAME" || echo "otelcol-siem: could not delete the user $NAME; delete it by hand" >&2
    fi
    if getent group "$NAME" >/dev/null; then
      groupdel "$NAME" || echo "otelcol-siem: could not delete the group $NAME; delete it by hand" >&2
    fi
    ;;
  *) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
fi
exit 0
