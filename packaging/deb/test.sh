#!/usr/bin/env bash
# `make deb-test`: installs build/kiosk-terminal_*.deb and build/kiosk-backend_*.deb
# into a throwaway Debian 12 root (mmdebstrap, a plain chroot in a private mount and
# PID namespace: nothing it mounts or starts outlives it) and checks them there:
# the Depends resolve from the Debian mirror, every shared library of the venv is
# found, `kiosk --version`, `kiosk config check`, `kiosk devices selftest --sim`,
# one frame of the touchscreen off screen, the app under cage (wlroots' headless
# backend), `kiosk-backend code` and `serve` on PostgreSQL, the users, the data
# folder's mode, the conffiles, the enabled units, `systemd-analyze verify` and
# `security` on each unit, installing twice, an update from a signed repository
# and its rollback, purging; then lintian on both packages.
# Each check prints one line; any failure ends it with one line saying why (exit 1).
#
#   packaging/deb/test.sh            (after packaging/deb/build.sh)
#
# The base root (minbase, systemd and the simulators' own needs: vsmartcard-vpcd,
# ippeveprinter, which the terminal package never depends on; PostgreSQL, which the
# backend only recommends) is cached as
# build/deb-test/base-<hash>.tar.zst, and the Debian packages apt fetched in
# build/deb-test/archives: a second run downloads nothing. The mirror is
# $DEBIAN_MIRROR (default: the first Debian one in /etc/apt/sources.list*).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/build/deb-test
chroot_dir=$work/root

fail() { echo "deb-test: FAILED: $*" >&2; exit 1; }
step_started=0
step() { printf 'deb-test: %-58s ' "$1"; step_started=$(date +%s); }
ok() { echo "ok${1:+ ($1)} [$(( $(date +%s) - step_started )) s]"; }

# ---------------------------------------------------------------------------
# Inside the private namespaces: mount what a Debian root needs, run the checks.
# ---------------------------------------------------------------------------
mounts() {
  local R=$chroot_dir
  mount -t proc proc "$R/proc"
  mount -t sysfs -o ro sysfs "$R/sys"
  mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/debs"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
  rm -f "$R/dev/ptmx" && ln -s pts/ptmx "$R/dev/ptmx"
  mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
  mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
  mount -t tmpfs -o mode=755 tmpfs "$R/run"
  mkdir -p "$R/run/lock" "$R/run/user"
  mount --bind "$work/archives" "$R/var/cache/apt/archives"
  mount --bind -o ro "$root/build" "$R/debs"
  mkdir -p "$R/repo" "$R/repo-unsigned"
  mount --bind -o ro "$work/repo" "$R/repo"
  mount --bind -o ro "$work/repo-unsigned" "$R/repo-unsigned"
  # no service starts at install: there is no init here
  printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
  chmod 0755 "$R/usr/sbin/policy-rc.d"
}

inside() {
  local phase=$1 R=$chroot_dir
  mounts
  local terminal backend
  terminal=$(cd "$root/build" && ls kiosk-terminal_*_amd64.deb | tail -1)
  backend=$(cd "$root/build" && ls kiosk-backend_*_amd64.deb | tail -1)
  in_root() {
    chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
  }
  as_user() {  # as the package's system user, in its home, as the unit would run it
    local user=$1; shift
    in_root runuser -u "$user" -- /usr/bin/env HOME="/var/lib/$user" "$@"
  }
  local out

  if [[ $phase == install ]]; then
    install_phase
  else
    # no network but its own loopback: the simulators' pcscd/vpcd and printers
    # listen on fixed ports, which must not meet this machine's own
    ip link set lo up
    checks_phase
  fi
}

install_phase() {
  step "apt install both packages (Depends from the mirror)"
  in_root apt-get update -qq >"$work/apt.log" 2>&1 || { tail -5 "$work/apt.log"; fail "apt-get update in the test root"; }
  in_root apt-get install -y -qq --no-install-recommends "/debs/$terminal" "/debs/$backend" \
    >>"$work/apt.log" 2>&1 || { tail -15 "$work/apt.log"; fail "apt-get install of the packages (build/deb-test/apt.log)"; }
  ok

  step "every shared library of /opt/kiosk is found (ldd)"
  # Qt plugins for other platforms and databases that the terminal never loads
  # (X11/xcb, GTK, MySQL, ODBC, ...) may lack theirs; nothing else may.
  in_root sh -c 'find /opt/kiosk /opt/kiosk-backend -name "*.so*" -type f | while read -r f; do
      ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"; done' > "$work/ldd-missing.txt"
  # a library a wheel bundles (in its *.libs folder, found through the RUNPATH of
  # the module that loads it) is not missing, whatever ldd says of it alone
  find "$R/opt" -name '*.so*' -printf '%f\n' | sort -u > "$work/bundled.txt"
  sed -e 's/[[:space:]]*#.*//' -e '/^$/d' "$root/packaging/deb/ldd-unused.txt" > "$work/ldd-unused.re"
  local missing
  missing=$(grep -v -E -f "$work/ldd-unused.re" "$work/ldd-missing.txt" \
    | awk -F'\t' 'NR == FNR { bundled[$0] = 1; next } { split($2, lib, " "); if (!(lib[1] in bundled)) print }' \
      "$work/bundled.txt" - || true)
  [[ -z $missing ]] || { echo "$missing" | head -20 >&2; fail "shared libraries not found (build/deb-test/ldd-missing.txt): a Depends is missing"; }
  ok "the rest: only in Qt plugins the terminal never loads"
}

checks_phase() {
  local out
  step "kiosk --version"
  out=$(in_root kiosk --version 2>&1) || fail "kiosk --version: $out"
  ok "$out"

  step "kiosk config check (the packaged /etc/kiosk/kiosk.toml)"
  out=$(in_root kiosk config check 2>&1) || fail "kiosk config check: $out"
  ok

  step "kiosk devices selftest --sim"
  out=$(in_root kiosk devices selftest --sim 2>&1) || { echo "$out" >&2; fail "kiosk devices selftest --sim"; }
  ok

  step "kiosk run --sim --screenshot (QML packaged, as user kiosk)"
  out=$(as_user kiosk sh -c 'cd /var/lib/kiosk && QT_QPA_PLATFORM=offscreen kiosk run --sim --screenshot /tmp/shot.png' 2>&1) \
    || { echo "$out" | tail -5 >&2; fail "kiosk run --sim --screenshot"; }
  [[ -s $R/tmp/shot.png ]] || fail "kiosk run --screenshot wrote no picture"
  cp "$R/tmp/shot.png" "$work/screenshot.png"
  ok "build/deb-test/screenshot.png"

  step "kiosk run under cage on Wayland, as user kiosk (headless)"
  # the session's command line, on wlroots' headless backend (no display here)
  mkdir -p "$R/run/kiosk" && in_root chown kiosk:kiosk /run/kiosk && chmod 0700 "$R/run/kiosk"
  as_user kiosk env XDG_RUNTIME_DIR=/run/kiosk WLR_BACKENDS=headless WLR_RENDERER=pixman \
    WLR_LIBINPUT_NO_DEVICES=1 QT_QPA_PLATFORM=wayland timeout 120 \
    /usr/bin/cage -- /opt/kiosk/bin/kiosk run --quit-after 10 > "$work/cage.log" 2>&1 \
    || { tail -5 "$work/cage.log" >&2; fail "kiosk run under cage (build/deb-test/cage.log)"; }
  grep -q '"msg": "kiosk stopped"' "$work/cage.log" || { tail -5 "$work/cage.log" >&2; fail "kiosk under cage did not run to its end"; }
  ok "build/deb-test/cage.log"

  step "the on-screen keyboard comes up under cage (Wayland)"
  mkdir -p "$R/run/kiosk-check" && cp "$root/packaging/deb/keyboard-check.qml" "$R/run/kiosk-check/"
  in_root chown -R kiosk:kiosk /run/kiosk-check
  as_user kiosk env XDG_RUNTIME_DIR=/run/kiosk WLR_BACKENDS=headless WLR_RENDERER=pixman \
    WLR_LIBINPUT_NO_DEVICES=1 QT_QPA_PLATFORM=wayland QT_IM_MODULE=qtvirtualkeyboard timeout 60 \
    /usr/bin/cage -- /opt/kiosk/bin/python -c 'import sys
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
app = QGuiApplication(sys.argv)
engine = QQmlApplicationEngine("/run/kiosk-check/keyboard-check.qml")
sys.exit(app.exec())' > "$work/keyboard.log" 2>&1 || true
  grep -q 'keyboard-check: panel active=true' "$work/keyboard.log" \
    || { tail -5 "$work/keyboard.log" >&2; fail "Qt's virtual keyboard did not come up under cage (build/deb-test/keyboard.log)"; }
  ok "Qt's client-side warning is harmless"

  step "kiosk-backend code (as user kiosk-backend, SQLite)"
  out=$(as_user kiosk-backend kiosk-backend code --data /var/lib/kiosk-backend 2>&1) \
    || fail "kiosk-backend code: $out"
  ok "$(echo "$out" | tail -1)"

  step "users, data folders 0700, conffiles, enabled units"
  check_installed
  ok

  step "CUPS keeps no printed document (cups-privacy, as the postinst)"
  mkdir -p "$R/run/cups"
  in_root /usr/sbin/cupsd || fail "cupsd did not start in the test root"
  for _ in $(seq 50); do in_root lpstat -r 2>/dev/null | grep -q 'is running' && break; sleep 0.2; done
  out=$(in_root /usr/lib/kiosk-terminal/cups-privacy 2>&1) || fail "cups-privacy: $out"
  for setting in 'PreserveJobFiles No' 'PreserveJobHistory No'; do
    grep -qx "$setting" "$R/etc/cups/cupsd.conf" || fail "cupsd.conf lacks '$setting' after cups-privacy"
  done
  in_root getent group lpadmin >/dev/null || fail "no lpadmin group (kiosk.service's SupplementaryGroups)"
  ok "$out"

  step "kiosk-backend serve on PostgreSQL, as the unit runs it"
  backend_on_postgresql
  ok "$(grep -m1 -o "fleet console: .*" "$work/backend-serve.log")"

  step "systemd-analyze verify: the kiosk's 6 units, the backend's 3"
  out=$(in_root sh -c 'systemd-analyze verify /lib/systemd/system/kiosk*.service \
        /lib/systemd/system/kiosk-update.timer /lib/systemd/system/kiosk-update-confirm.path \
        /lib/systemd/system/kiosk-backend-warnings.timer' 2>&1) \
    || { echo "$out" >&2; fail "systemd-analyze verify"; }
  [[ -z $out ]] || { echo "$out" >&2; fail "systemd-analyze verify has warnings"; }
  ok

  step "systemd-analyze security (exposure, 0 best .. 10 worst)"
  : > "$work/security.txt"
  local unit score scores=()
  for unit in kiosk.service kiosk-backend.service; do
    in_root systemd-analyze security --offline=true --no-pager "/lib/systemd/system/$unit" \
      > "$work/security-$unit.txt" 2>&1 || true
    score=$(grep -o 'Overall exposure level for .*' "$work/security-$unit.txt" | sed 's/Overall exposure level for //')
    [[ -n $score ]] || { tail -5 "$work/security-$unit.txt" >&2; fail "systemd-analyze security $unit gave no score"; }
    echo "$score" >> "$work/security.txt"
    scores+=("$score")
  done
  ok "$(IFS=';'; echo "${scores[*]}")"

  step "install again over itself (dpkg -i twice): edits and data kept"
  in_root sed -i 's/^id = "unset-terminal"/id = "test-terminal"/' /etc/kiosk/kiosk.toml
  echo marker > "$R/var/lib/kiosk/marker"
  in_root dpkg -i "/debs/$terminal" "/debs/$backend" >"$work/dpkg-again.log" 2>&1 \
    || { tail -10 "$work/dpkg-again.log" >&2; fail "dpkg -i a second time"; }
  grep -q '^id = "test-terminal"' "$R/etc/kiosk/kiosk.toml" || fail "the second install replaced the edited conffile"
  [[ -f $R/var/lib/kiosk/marker ]] || fail "the second install lost /var/lib/kiosk's data"
  check_installed
  out=$(in_root kiosk config check 2>&1) || fail "kiosk config check after the second install: $out"
  ok

  updates_and_rollback

  step "dpkg --purge both: nothing left behind"
  local left
  in_root dpkg --purge kiosk-terminal kiosk-backend >"$work/dpkg-purge.log" 2>&1 \
    || { tail -10 "$work/dpkg-purge.log" >&2; fail "dpkg --purge"; }
  for left in /opt/kiosk /opt/kiosk-backend /var/lib/kiosk /var/lib/kiosk-backend /etc/kiosk \
      /var/lib/kiosk-updates /usr/lib/kiosk-terminal /etc/systemd/system/timers.target.wants/kiosk-update.timer \
      /etc/kiosk-backend /usr/bin/kiosk /etc/systemd/system/graphical.target.wants/kiosk.service \
      /etc/systemd/system/multi-user.target.wants/kiosk-backend.service \
      /etc/systemd/system/timers.target.wants/kiosk-backend-warnings.timer \
      /etc/systemd/system/kiosk-backend.service.wants/kiosk-backend-warnings.timer; do
    [[ ! -e $R$left && ! -L $R$left ]] || fail "after purge, $left is still there"
  done
  if grep -q 'directory .* not empty' "$work/dpkg-purge.log"; then
    grep 'not empty' "$work/dpkg-purge.log" >&2; fail "purge left files dpkg did not know"
  fi
  ok
}

updates_and_rollback() {
  # An update as a terminal gets it: the version the backend staged (the app wrote
  # it into update/wanted) from the signed repository (built outside, bound at
  # /repo), on probation; three failed starts and the fourth rolls it back. No
  # systemd here: the units' commands are run as the units would run them.
  local R=$chroot_dir a b out updates=/var/lib/kiosk-updates
  local tool=/usr/lib/kiosk-terminal/kiosk-update
  a=$(chroot "$R" dpkg-query -W -f='${Version}' kiosk-terminal)
  b=$next_version
  version_is() {
    [[ $(chroot "$R" dpkg-query -W -f='${Version}' kiosk-terminal) == "$1" ]] \
      || fail "kiosk-terminal is $(chroot "$R" dpkg-query -W -f='${Version}' kiosk-terminal), not $1 ($2)"
    out=$(in_root kiosk --version 2>&1)
    [[ $out == *"$1"* ]] || fail "kiosk --version says '$out', not $1 ($2)"
  }
  sources() {  # the terminal's apt source for the kiosk repository
    mkdir -p "$R/etc/apt/keyrings"
    cp "$work/repo/kiosk-archive-keyring.gpg" "$R/etc/apt/keyrings/kiosk.gpg"
    printf 'Types: deb\nURIs: file:%s\nSuites: ./\nSigned-By: /etc/apt/keyrings/kiosk.gpg\n' "$1" \
      > "$R/etc/apt/sources.list.d/kiosk.sources"
  }
  sources /repo
  as_user kiosk sh -c "mkdir -p /var/lib/kiosk/update && echo before > /var/lib/kiosk/state.txt \
    && echo '$b' > /var/lib/kiosk/update/wanted"

  step "update: no update under a citizen's session"
  as_user kiosk sh -c 'echo 1 > /var/lib/kiosk/update/in-session'
  in_root env KIOSK_UPDATE_WAIT_S=0 "$tool" apply > "$work/update-apply.log" 2>&1 \
    || { tail -8 "$work/update-apply.log" >&2; fail "kiosk-update apply during a session (build/deb-test/update-apply.log)"; }
  version_is "$a" "a session in progress"
  grep -q 'a citizen is being served' "$work/update-apply.log" || fail "apply did not say it waits for the session"
  rm -f "$R/var/lib/kiosk/update/in-session"
  ok

  step "update: kiosk-update apply installs the staged $b"
  in_root "$tool" apply > "$work/update-apply.log" 2>&1 \
    || { tail -8 "$work/update-apply.log" >&2; fail "kiosk-update apply (build/deb-test/update-apply.log)"; }
  version_is "$b" "after apply"
  grep -q "\"from\": \"$a\", \"to\": \"$b\"" "$R$updates/pending.json" || fail "no probation of $b in pending.json"
  [[ $(cat "$R$updates/snapshot/state.txt") == before ]] || fail "the preinst took no snapshot of the data"
  ls "$R$updates/debs/kiosk-terminal_${a}_amd64.deb" >/dev/null 2>&1 || fail "the running version's .deb was not kept"
  ok "$a -> $b, on probation"

  step "update: three failed starts of $b, the fourth rolls back"
  as_user kiosk sh -c 'echo migrated > /var/lib/kiosk/state.txt'
  for attempt in 1 2 3; do
    in_root "$tool" guard 2>/dev/null || fail "the guard refused start $attempt of $b"
  done
  if in_root "$tool" guard 2>/dev/null; then fail "the fourth start of an unconfirmed $b was let through"; fi
  in_root "$tool" rollback > "$work/update-rollback.log" 2>&1 \
    || { tail -8 "$work/update-rollback.log" >&2; fail "kiosk-update rollback (build/deb-test/update-rollback.log)"; }
  version_is "$a" "after the rollback"
  [[ $(cat "$R/var/lib/kiosk/state.txt") == before ]] || fail "the rollback did not restore the data"
  [[ $(chroot "$R" stat -c '%a %U' /var/lib/kiosk) == "700 kiosk" ]] || fail "the restored /var/lib/kiosk lost its owner or mode"
  [[ $(cat "$R$updates/after-failed-update/state.txt") == migrated ]] || fail "what $b wrote was not kept aside"
  grep -q '"result": "rolled_back"' "$R$updates/outcome.json" || fail "outcome.json: $(cat "$R$updates/outcome.json")"
  [[ ! -e $R$updates/pending.json && ! -e $R$updates/snapshot ]] || fail "the probation did not end"
  ok "$(sed -n 's/.*"reason": "\([^"]*\)".*/\1/p' "$R$updates/outcome.json")"

  step "update: a version rolled back is not installed again"
  in_root "$tool" apply > "$work/update-apply.log" 2>&1 || fail "kiosk-update apply: $(tail -1 "$work/update-apply.log")"
  version_is "$a" "a rolled-back version staged again"
  ok "$(tail -1 "$work/update-apply.log" | sed 's/^kiosk-update: //')"

  step "update: a start the app confirms ends the probation"
  rm -f "$R$updates/refused"  # as if the operators had staged a fixed version
  in_root "$tool" apply > "$work/update-apply.log" 2>&1 || fail "kiosk-update apply: $(tail -3 "$work/update-apply.log")"
  version_is "$b" "the second apply"
  as_user kiosk sh -c "echo '$b' > /var/lib/kiosk/update/confirmed"
  in_root "$tool" confirm 2>/dev/null || fail "kiosk-update confirm"
  grep -q '"result": "installed"' "$R$updates/outcome.json" || fail "outcome.json: $(cat "$R$updates/outcome.json")"
  [[ ! -e $R$updates/pending.json && ! -e $R$updates/snapshot ]] || fail "the confirmed probation did not end"
  in_root "$tool" guard 2>/dev/null || fail "the guard refused a confirmed version"
  ok

  step "update: an unsigned repository is refused"
  sources /repo-unsigned
  as_user kiosk sh -c "echo '$b+later' > /var/lib/kiosk/update/wanted"
  if in_root "$tool" apply > "$work/update-unsigned.log" 2>&1; then fail "kiosk-update apply took an unsigned repository"; fi
  grep -q 'is not signed' "$work/update-unsigned.log" || { tail -5 "$work/update-unsigned.log" >&2; fail "apt did not say the repository is unsigned"; }
  version_is "$b" "an unsigned repository"
  rm -f "$R/etc/apt/sources.list.d/kiosk.sources"
  ok
}

backend_on_postgresql() {
  # PostgreSQL is a test-only package here (kiosk-backend recommends it); its
  # database as docs/deploying.md makes it, then the unit's command line with the
  # settings of the packaged EnvironmentFile
  local R=$chroot_dir out pid
  mkdir -p "$R/run/postgresql" && in_root chown postgres:postgres /run/postgresql
  out=$(in_root pg_ctlcluster 15 main start 2>&1) || fail "PostgreSQL did not start: $out"
  in_root runuser -u postgres -- createuser kiosk-backend
  in_root runuser -u postgres -- createdb --owner kiosk-backend kiosk_backend
  local KIOSK_BACKEND_DB KIOSK_BACKEND_HOST KIOSK_BACKEND_PORT KIOSK_BACKEND_OPTIONS
  # shellcheck disable=SC1091
  . "$R/etc/kiosk-backend/kiosk-backend.env"
  out=$(as_user kiosk-backend kiosk-backend code --db "$KIOSK_BACKEND_DB" --data /var/lib/kiosk-backend 2>&1) \
    || fail "kiosk-backend code on PostgreSQL: $out"
  as_user kiosk-backend sh -c "cd /var/lib/kiosk-backend && exec kiosk-backend serve \
    --db '$KIOSK_BACKEND_DB' --data /var/lib/kiosk-backend --host '$KIOSK_BACKEND_HOST' \
    --port '$KIOSK_BACKEND_PORT' $KIOSK_BACKEND_OPTIONS" > "$work/backend-serve.log" 2>&1 &
  pid=$!
  if ! in_root /opt/kiosk-backend/bin/python - "http://$KIOSK_BACKEND_HOST:$KIOSK_BACKEND_PORT/console" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5) as reply:
            sys.exit(0 if reply.status == 200 else 1)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.5)
PY
  then
    kill "$pid" 2>/dev/null || true
    tail -5 "$work/backend-serve.log" >&2
    fail "kiosk-backend serve on PostgreSQL: its console did not answer"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  in_root pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
}

check_installed() {
  local R=$chroot_dir u d mode
  for u in kiosk kiosk-backend; do
    [[ $(grep -c "^$u:" "$R/etc/passwd") == 1 ]] || fail "user $u: not exactly one"
    d=/var/lib/$u
    mode=$(chroot "$R" stat -c '%a %U %G' "$d") || fail "$d missing"
    [[ $mode == "700 $u $u" ]] || fail "$d is '$mode', not '700 $u $u'"
  done
  chroot "$R" dpkg-query -W -f='${Conffiles}\n' kiosk-terminal | grep -q ' /etc/kiosk/kiosk.toml ' \
    || fail "/etc/kiosk/kiosk.toml is not a conffile"
  chroot "$R" dpkg-query -W -f='${Conffiles}\n' kiosk-backend | grep -q ' /etc/kiosk-backend/kiosk-backend.env ' \
    || fail "/etc/kiosk-backend/kiosk-backend.env is not a conffile"
  [[ $(stat -c %a "$R/etc/kiosk-backend/kiosk-backend.env") == 640 ]] \
    || fail "/etc/kiosk-backend/kiosk-backend.env is not mode 0640"
  cmp -s "$R/lib/udev/rules.d/70-kiosk-devices.rules" "$root/packaging/udev/70-kiosk-devices.rules" \
    || fail "/lib/udev/rules.d/70-kiosk-devices.rules missing or not packaging/udev's"
  [[ -L $R/etc/systemd/system/graphical.target.wants/kiosk.service ]] || fail "kiosk.service not enabled"
  [[ -L $R/etc/systemd/system/multi-user.target.wants/kiosk-backend.service ]] \
    || fail "kiosk-backend.service not enabled"
  [[ -L $R/etc/systemd/system/timers.target.wants/kiosk-backend-warnings.timer ]] \
    || fail "kiosk-backend-warnings.timer not enabled"
}

if [[ ${1:-} == --inside ]]; then
  inside "$2"
  exit 0
fi

# ---------------------------------------------------------------------------
# Outside: the base root, then the checks in private namespaces, then lintian.
# ---------------------------------------------------------------------------
started=$(date +%s)
[[ $(id -u) -eq 0 ]] || fail "needs root (mmdebstrap --mode=root, chroot, mount)"
ls build/kiosk-terminal_*_amd64.deb build/kiosk-backend_*_amd64.deb >/dev/null 2>&1 \
  || fail "no packages in build/: run make deb first"
for tool in mmdebstrap lintian unshare zstd; do
  command -v $tool >/dev/null || fail "$tool not found (packaging/apt-build.txt)"
done
mkdir -p "$work/archives/partial"

mirror=${DEBIAN_MIRROR:-$(grep -h -o -E 'https?://[^ ]+/debian/?$' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=${mirror%/debian}/debian-security
test_only="systemd,vsmartcard-vpcd,cups-ipp-utils,dbus,python3,ca-certificates,postgresql"
key=$(echo "bookworm minbase $mirror $test_only v1" | sha256sum | cut -c1-12)
base=$work/base-$key.tar.zst

# lintian reads 2 GB of files: it runs alongside the root's checks
# (DEB_TEST_LINTIAN=0 skips it, while working on the checks themselves)
mkdir -p "$work/lintian-tmp"
[[ ${DEB_TEST_LINTIAN:-1} == 0 ]] && lintian() { echo "skipped (DEB_TEST_LINTIAN=0)"; }
TMPDIR=$work/lintian-tmp lintian --no-tag-display-limit --show-overrides build/kiosk-terminal_*_amd64.deb \
  build/kiosk-backend_*_amd64.deb > "$work/lintian.txt" 2>&1 &
lintian_pid=$!
trap 'kill $lintian_pid 2>/dev/null || true' EXIT

step "base root (mmdebstrap, cached)"
if [[ ! -s $base ]]; then
  rm -f "$work"/base-*.tar.zst
  mmdebstrap --quiet --mode=root --variant=minbase --include="$test_only" \
    --aptopt='APT::Install-Recommends "false"' \
    bookworm "$work/part-$key.tar.zst" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main" >"$work/mmdebstrap.log" 2>&1 \
    || { tail -5 "$work/mmdebstrap.log" >&2; fail "mmdebstrap (build/deb-test/mmdebstrap.log)"; }
  mv "$work/part-$key.tar.zst" "$base"
  ok "made $(du -h "$base" | cut -f1)"
else
  ok "cached $(basename "$base")"
fi

step "unpack the throwaway root"
if [[ -d $chroot_dir ]]; then
  # only ever mounted inside the private namespace: nothing to unmount out here
  if findmnt -rn -o TARGET | grep -q "^$chroot_dir"; then fail "$chroot_dir has mounts: not removing it"; fi
  rm -rf "$chroot_dir"
fi
mkdir -p "$chroot_dir"
tar --zstd -xpf "$base" -C "$chroot_dir"
ok

step "a newer kiosk-terminal and the signed repository (updates)"
# the version the test updates to and rolls back from, and a throwaway signing key
version=$(basename "$(ls build/kiosk-terminal_*_amd64.deb | tail -1)" | sed 's/^kiosk-terminal_\(.*\)_amd64.deb$/\1/')
export next_version=$version+update1
rm -rf "$work/next" "$work/repo" "$work/repo-unsigned" "$work/gnupg"
KIOSK_DEB_VERSION=$next_version KIOSK_DEB_OUT=$work/next packaging/deb/build.sh terminal > "$work/build-next.log" 2>&1 \
  || { tail -5 "$work/build-next.log" >&2; fail "building $next_version (build/deb-test/build-next.log)"; }
mkdir -m 0700 "$work/gnupg"
export GNUPGHOME=$work/gnupg
gpg --batch --quiet --passphrase '' --quick-gen-key 'police-kiosk test repository' ed25519 sign never 2>/dev/null
packaging/deb/repo.sh "$work/repo" 'police-kiosk test repository' "build/kiosk-terminal_${version}_amd64.deb" \
  "$work/next/kiosk-terminal_${next_version}_amd64.deb" > "$work/repo.log" 2>&1 \
  || { cat "$work/repo.log" >&2; fail "packaging/deb/repo.sh"; }
gpgconf --kill all
mkdir -p "$work/repo-unsigned"
# the same repository with its Release file but no signature
cp -al "$work/repo/pool" "$work/repo/Packages" "$work/repo/Packages.gz" "$work/repo/Release" "$work/repo-unsigned/"
ok "$next_version; $(tail -1 "$work/repo.log" | sed 's/^repo: //')"

# private mounts and processes: nothing mounted or started in the root outlives it
unshare --mount --propagation private --pid --fork --kill-child -- "$0" --inside install
unshare --mount --propagation private --pid --fork --kill-child --net -- "$0" --inside checks
rm -rf "$work/next" "$work/repo" "$work/repo-unsigned" "$work/gnupg"

step "lintian on both packages"
wait $lintian_pid || true
trap - EXIT
if [[ ${DEB_TEST_LINTIAN:-1} == 0 ]]; then
  echo "skipped (DEB_TEST_LINTIAN=0)"
  rm -rf "$chroot_dir"
  echo "deb-test: checks passed WITHOUT lintian in $(( $(date +%s) - started )) s"
  exit 0
fi
errors=$(grep -c '^E: ' "$work/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$work/lintian.txt" || true)
overridden=$(grep '^O: ' "$work/lintian.txt" | awk '{print $2, $3}' | sort -u | wc -l)
[[ $errors -eq 0 ]] || { grep '^E: ' "$work/lintian.txt" | head -20 >&2; fail "lintian: $errors error(s) (build/deb-test/lintian.txt)"; }
ok "0 errors, $warnings warnings, $overridden tags overridden with reasons"

rm -rf "$chroot_dir"
echo "deb-test: all checks passed in $(( $(date +%s) - started )) s; security: $(paste -sd';' "$work/security.txt")"
