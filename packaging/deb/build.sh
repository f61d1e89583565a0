#!/usr/bin/env bash
# `make deb`: builds build/kiosk-terminal_VERSION_amd64.deb and
# build/kiosk-backend_VERSION_amd64.deb.
#
# Each package is its tree here (packaging/deb/<package>/: units, configuration,
# tmpfiles, lintian overrides), its control template (<package>.control), its
# Depends with their reasons (<package>.depends), the shared maintainer scripts
# (maintscripts/) and a virtual environment at its final path (/opt/kiosk,
# /opt/kiosk-backend) made with Debian's /usr/bin/python3.11 from the project's
# wheel and its lock file (packaging/requirements-<part>.lock, hashes required).
# The venv is made in the staging folder and then moved to its final path in the
# scripts it holds (shebangs, activate, pyvenv.cfg) and in its bytecode
# (compileall -s/-p, hash-checked so dpkg's timestamps do not matter).
#
#   packaging/deb/build.sh [terminal|backend ...]     (default: both)
#
# KIOSK_DEB_VERSION=V builds version V instead of the tree's (wire/__init__.py),
# KIOSK_DEB_OUT=DIR writes the packages there instead of build/.
#
# Needs: python3.11 and python3-venv (Debian's), dpkg-dev, zstd; pyscard is built
# from source (gcc, swig, libpcsclite-dev, python3-dev: packaging/apt-packages.txt).
# pip's cache is build/pip-cache, so a second build downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$(date +%s)
parts=("$@")
[[ $# -gt 0 ]] || parts=(terminal backend)

fail() { echo "deb: $*" >&2; exit 1; }
say() { echo "deb: $*"; }
# pip, without the warnings about this machine's own pip.conf find-links folders
pip() { "$root/$tools/bin/pip" "$@" 2> >(grep -v '^WARNING: Location .* is ignored' >&2); }

python=/usr/bin/python3.11  # Debian's: the one the terminal has
[[ -x $python ]] || fail "$python not found (Debian's python3.11 package)"
version=$($python -c 'import re,sys; print(re.search(r"^__version__ = \"(.+)\"", open("wire/__init__.py").read(), re.M).group(1))')
maintainer="Police kiosk maintainers <maintainers@users.noreply.h-seed-841780c5.example>"
work=build/deb
tools=$work/tools
export PIP_CACHE_DIR=$root/build/pip-cache PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# a fixed date for the changelog; dpkg-deb clamps file times to it too
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH

# The tools' venv: pip (with --python, to install into a venv that has no pip).
if [[ ! -x $tools/bin/pip ]]; then
  $python -m venv "$tools"
fi
pip install -q --upgrade 'pip>=23'

# Another version number (make deb-test builds a second, newer version to update
# to and roll back from): the wheel is built from a copy of the tree that says so.
source=.
if [[ -n ${KIOSK_DEB_VERSION:-} ]]; then
  [[ $KIOSK_DEB_VERSION =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || fail "KIOSK_DEB_VERSION=$KIOSK_DEB_VERSION is not a version"
  version=$KIOSK_DEB_VERSION
  source=$work/source-$version
  rm -rf "$source" && mkdir -p "$source"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$source"
  sed -i "s/^__version__ = .*/__version__ = \"$version\"/" "$source/wire/__init__.py"
fi
out=${KIOSK_DEB_OUT:-build}
mkdir -p "$out"

# The project's wheel (setuptools' own build/lib is cleared: no stale modules).
say "wheel of police-kiosk $version"
rm -rf "$source/build/lib" "$source/build/bdist.linux-x86_64" "$work/dist"
pip wheel -q --no-deps -w "$work/dist" "$source" >/dev/null
wheel=$(ls "$work"/dist/police_kiosk-"$version"-py3-none-any.whl) || fail "no wheel built"

build_one() {
  local part=$1 name prefix user data unit gecos state enabled lock stage venv
  case $part in
    terminal) name=kiosk-terminal prefix=/opt/kiosk user=kiosk data=/var/lib/kiosk
              unit=kiosk.service gecos="Police kiosk terminal" state=/var/lib/kiosk-updates
              enabled="kiosk.service kiosk-update.timer kiosk-update-confirm.path" ;;
    backend)  name=kiosk-backend prefix=/opt/kiosk-backend user=kiosk-backend
              data=/var/lib/kiosk-backend unit=kiosk-backend.service
              gecos="Police kiosk backend" state=""
              enabled="kiosk-backend.service kiosk-backend-warnings.timer" ;;
    *) fail "unknown package part: $part (terminal or backend)" ;;
  esac
  lock=packaging/requirements-$part.lock
  stage=$root/$work/$name
  venv=$stage$prefix
  say "$name: virtual environment at $prefix from $lock"
  rm -rf "$stage"
  cp -a "packaging/deb/$name" "$stage"
  find "$stage" -name .gitkeep -delete
  if [[ $part == terminal ]]; then
    # the devices' stable names (/dev/kiosk/<device>), made from drivers/usb_ids.toml
    install -D -m 0644 packaging/udev/70-kiosk-devices.rules \
      "$stage/lib/udev/rules.d/70-kiosk-devices.rules"
    install -D -m 0644 docs/updates.md "$stage/usr/share/doc/$name/updates.md"
  fi
  $python -m venv --without-pip "$venv"
  pip --python "$venv/bin/python" install -q --no-compile \
    --require-hashes -r "$lock"
  pip --python "$venv/bin/python" install -q --no-compile --no-deps "$wheel"
  # the backend's venv has the project's wheel but not the terminal's dependencies:
  # no `kiosk` command there
  if [[ $part == backend ]]; then rm -f "$venv/bin/kiosk"; fi
  # the staging path out of every file that names it
  rm -f "$venv"/lib/python3.11/site-packages/police_kiosk-*.dist-info/direct_url.json
  grep -rlI --null -F "$stage" "$venv/bin" "$venv/pyvenv.cfg" | xargs -0 -r sed -i "s|$stage||g"
  if grep -rlI -F "$stage" "$venv" >/dev/null; then
    fail "$name: the staging path is still in: $(grep -rlI -F "$stage" "$venv" | head -3 | tr '\n' ' ')"
  fi
  # bytecode, as the files will be named once installed; a few third-party files
  # are not Python 3.11 (templates, tests of other versions): those stay source
  "$venv/bin/python" -m compileall -q -j 0 --invalidation-mode checked-hash \
    -s "$stage" -p / "$venv/lib" >/dev/null || true
  # shared objects are loaded, never run: no execute bit (as Debian ships them)
  find "$venv" -type f -name '*.so*' -exec chmod 0644 {} +
  mkdir -p "$stage/usr/bin"
  ln -s "$prefix/bin/$([[ $part == terminal ]] && echo kiosk || echo kiosk-backend)" "$stage/usr/bin/"

  # documentation: copyright, changelog (a native package's: changelog.gz)
  local doc=$stage/usr/share/doc/$name
  mkdir -p "$doc"
  sed -e "s|@NAME@|$name|g" -e "s|@PREFIX@|$prefix|g" -e "s|@PART@|$part|g" \
    packaging/deb/copyright > "$doc/copyright"
  {
    echo "$name ($version) bookworm; urgency=medium"
    echo
    echo "  * Built from police-kiosk $(git rev-parse --short HEAD 2>/dev/null || echo '(no git)')."
    echo
    echo " -- $maintainer  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
  } | gzip -9n > "$doc/changelog.gz"

  # the control area
  local debian=$stage/DEBIAN depends
  mkdir -p "$debian"
  # the shared scripts (maintscripts/<script>), and a package's own (<package>.<script>)
  local script source
  for script in preinst postinst prerm postrm; do
    source=packaging/deb/maintscripts/$name.$script
    [[ -f $source ]] || source=packaging/deb/maintscripts/$script
    [[ -f $source ]] || continue
    sed -e "s|@NAME@|$name|g" -e "s|@USER@|$user|g" -e "s|@DATA@|$data|g" \
      -e "s|@UNIT@|$unit|g" -e "s|@PREFIX@|$prefix|g" -e "s|@GECOS@|$gecos|g" \
      -e "s|@VERSION@|$version|g" -e "s|@STATE@|$state|g" -e "s|@ENABLED@|$enabled|g" \
      "$source" > "$debian/$script"
    chmod 0755 "$debian/$script"
  done
  (cd "$stage" && find etc -type f -printf '/%p\n' | sort) > "$debian/conffiles"
  # the backend's settings may hold a database password: root only (systemd reads it)
  if [[ $part == backend ]]; then chmod 0640 "$stage/etc/kiosk-backend/kiosk-backend.env"; fi
  depends=$(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' \
    "packaging/deb/$name.depends" | paste -sd, | sed 's/,/, /g')
  local size
  size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  sed -e "s|@VERSION@|$version|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
    "packaging/deb/$name.control" > "$debian/control"
  (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
    | xargs -0 md5sum) > "$debian/md5sums"
  chmod 0644 "$debian/control" "$debian/conffiles" "$debian/md5sums"
  # modes as Debian wants them, whatever the checkout's umask was
  find "$stage" -path "$debian" -prune -o -type d -exec chmod 0755 {} +

  local deb=$out/${name}_${version}_amd64.deb
  say "$name: $deb (zstd)"
  dpkg-deb --root-owner-group -Zzstd -z6 --threads-max="$(nproc)" --build "$stage" "$deb" >/dev/null
  say "$name: $(du -h "$deb" | cut -f1) ($(( size / 1024 )) MB installed)"
}

for part in "${parts[@]}"; do
  build_one "$part"
done
say "done in $(( $(date +%s) - started )) s"
