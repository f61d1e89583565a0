#!/usr/bin/env bash
# The signed apt repository terminals update from (docs/updates.md): a flat
# repository (Packages and InRelease at its top, the .debs in pool/) holding every
# version given, signed with the operators' key, served by any web server. Which
# version a terminal installs is not the repository's business: the backend's
# operators stage it terminal by terminal (`kiosk-backend release stage`).
#
#   packaging/deb/repo.sh REPO_DIR KEY_ID DEB...
#
# KEY_ID is a signing key in gpg's keyring ($GNUPGHOME). Adds the .debs to the
# repository (older ones stay: a terminal's rollback needs the version before),
# then writes Packages, Packages.gz, Release, InRelease and Release.gpg, and the
# public key as kiosk-archive-keyring.gpg for the terminals' Signed-By.
set -euo pipefail

fail() { echo "repo: $*" >&2; exit 1; }
[[ $# -ge 3 ]] || fail "usage: packaging/deb/repo.sh REPO_DIR KEY_ID DEB..."
repo=$1 key=$2
shift 2
for tool in dpkg-scanpackages gpg; do
  command -v $tool >/dev/null || fail "$tool not found (dpkg-dev, gpg)"
done
gpg --batch --list-secret-keys "$key" >/dev/null 2>&1 || fail "no secret key $key in ${GNUPGHOME:-~/.gnupg}"

mkdir -p "$repo/pool"
for deb in "$@"; do
  [[ -f $deb ]] || fail "$deb: no such file"
  dpkg-deb --field "$deb" Package >/dev/null 2>&1 || fail "$deb: not a Debian package"
  # a hard link where the file system allows: the terminal's .deb is 600 MB
  ln -f "$deb" "$repo/pool/" 2>/dev/null || cp -f "$deb" "$repo/pool/"
done

cd "$repo"
dpkg-scanpackages --multiversion pool /dev/null > Packages 2>/dev/null
gzip -9nkf Packages
{
  echo "Origin: police-kiosk"
  echo "Label: police-kiosk terminals"
  echo "Date: $(date -R -u)"
  echo "Architectures: amd64"
  echo "SHA256:"
  for f in Packages Packages.gz; do
    printf ' %s %s %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
  done
} > Release
rm -f InRelease Release.gpg
gpg --batch --yes --local-user "$key" --clearsign -o InRelease Release
gpg --batch --yes --local-user "$key" --detach-sign --armor -o Release.gpg Release
gpg --batch --yes --export "$key" > kiosk-archive-keyring.gpg
echo "repo: $(grep -c '^Package:' Packages) package(s) in $repo, signed by $key"
