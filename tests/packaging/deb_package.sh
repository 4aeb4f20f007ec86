#!/usr/bin/env bash
# Builds the Debian package with CPack from a built tree and checks what it holds: the files and
# their modes, the conffiles, the maintainer scripts, Depends (from dpkg-shlibdeps), the man
# page, and that the packaged binary, sysusers and tmpfiles snippets work.
# Usage: deb_package.sh BUILD_DIR SOURCE_DIR VERSION OUT_DIR
# Leaves OUT_DIR/cspwatch_<VERSION>_<arch>.deb for tests that need the package (ctest fixture).
set -euo pipefail
build=$1 src=$2 version=$3 out=$4

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

for tool in cpack dpkg-deb dpkg-shlibdeps file readelf; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (run scripts/install-deps.sh)"; exit 1; }
done

arch=$(dpkg --print-architecture)
rm -rf "$out"
mkdir -p "$out"
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1; then
  echo "FAIL: cpack -G DEB failed:"
  cat "$out/cpack.log"
  exit 1
fi
deb=$out/cspwatch_${version}_${arch}.deb
if [ ! -f "$deb" ]; then
  echo "FAIL: cpack did not write $deb; it wrote:"
  ls -la "$out"
  exit 1
fi
ok "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
rm -rf "$out/_CPack_Packages"

# --- control fields ---------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = cspwatch ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', want $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
[ "$(field Section)" = admin ] || fail "Section is '$(field Section)'"
[[ "$(field Maintainer)" =~ ^.+\ \<.+@.+\>$ ]] || fail "Maintainer is '$(field Maintainer)'"
# A real address, not a placeholder domain (RFC 2606/6761).
if grep -qiE '@([a-z0-9-]+\.)*(example\.(com|org|net)|invalid|localhost|test)>' <<<"$(field Maintainer)"; then
  fail "Maintainer is a placeholder: '$(field Maintainer)'"
else
  ok "Maintainer: $(field Maintainer)"
fi
depends=$(field Depends)
echo "Depends: $depends"
# Package names only, one a line.
dep_names=$(tr ',|' '\n\n' <<<"$depends" | sed -E 's/\(.*\)//; s/:.*//; s/[[:space:]]//g' | grep -v '^$')
has_dep() { grep -qxE "$1" <<<"$dep_names"; }       # a regular expression
has_pkg() { grep -qxF "$1" <<<"$dep_names"; }       # a package name
for want in ca-certificates procps systemd tzdata 'libpocofoundation[0-9]+' 'libpoconet[0-9]+' 'libpoconetssl[0-9]+' \
            'libyaml-cpp[0-9.]+' 'libsqlite3-0' 'libsystemd0' 'libc6'; do
  has_dep "$want" && ok "Depends has $want" || fail "Depends lacks $want"
done

# --- files ------------------------------------------------------------------------------------
listing=$(dpkg-deb -c "$deb")
# "MODE PATH" per entry, directories without their trailing slash.
entries=$(awk '{ p = $6; sub(/\/$/, "", p); print $1, p }' <<<"$listing")
mode_of() { awk -v p="./${1#/}" '$2 == p { print $1 }' <<<"$entries"; }
expect() {  # expect PATH MODE
  local m
  m=$(mode_of "$1")
  if [ -z "$m" ]; then fail "missing $1"; elif [ "$m" != "$2" ]; then fail "$1 has mode $m, want $2"; else ok "$1 $m"; fi
}
expect /usr/bin/cspwatch -rwxr-xr-x
expect /usr/lib/systemd/system/cspwatch.service -rw-r--r--
expect /usr/lib/sysusers.d/cspwatch.conf -rw-r--r--
expect /usr/lib/tmpfiles.d/cspwatch.conf -rw-r--r--
expect /usr/share/man/man1/cspwatch.1.gz -rw-r--r--
expect /etc/cspwatch drwxr-xr-x
expect /etc/cspwatch/credentials drwx------
expect /etc/cspwatch/cspwatch.yaml -rw-r--r--
expect /usr/share/doc/cspwatch/README.md -rw-r--r--
expect /usr/share/doc/cspwatch/configuration.md -rw-r--r--
expect /usr/share/doc/cspwatch/operations.md -rw-r--r--
expect /usr/share/cspwatch/defaults/cspwatch.yaml -rw-r--r--
expect /usr/share/cspwatch/prometheus/cspwatch.rules.yml -rw-r--r--
expect /usr/share/doc/cspwatch/copyright -rw-r--r--
expect /usr/share/bash-completion/completions/cspwatch -rw-r--r--
expect /usr/share/zsh/vendor-completions/_cspwatch -rw-r--r--
# Every shipped rule file, rule test, fixture and template, in /etc and as pristine defaults.
while IFS= read -r rel; do
  expect "/etc/cspwatch/$rel" -rw-r--r--
  expect "/usr/share/cspwatch/defaults/$rel" -rw-r--r--
done < <(cd "$src/etc" && find rules.d templates -type f | sort)
# Nothing but /etc and /usr, nothing owned by anyone but root, no simulator, tests or benches.
bad=$(awk '$2 != "root/root"' <<<"$listing")
[ -z "$bad" ] || fail "entries not owned by root/root:"$'\n'"$bad"
bad=$(awk '{ print $2 }' <<<"$entries" | grep -vE '^\.(/etc|/usr)?(/|$)' || true)
[ -z "$bad" ] || fail "entries outside /etc and /usr:"$'\n'"$bad"
bad=$(awk '{ print $2 }' <<<"$entries" | grep -E 'cspwatch-sim|_tests$|_bench$|/var/' || true)
[ -z "$bad" ] || fail "entries that must not be packaged:"$'\n'"$bad"

# --- conffiles: exactly the regular files under /etc --------------------------------------------
ctrl=$out/control
mkdir -p "$ctrl"
dpkg-deb -e "$deb" "$ctrl"
etc_files=$(awk '$1 ~ /^-/ && $2 ~ /^\.\/etc\// { print substr($2, 2) }' <<<"$entries" | sort)
conffiles=$(sort "$ctrl/conffiles" 2>/dev/null || true)
if [ -n "$etc_files" ] && [ "$etc_files" = "$conffiles" ]; then
  ok "conffiles list the $(wc -l <<<"$conffiles") files under /etc/cspwatch"
else
  fail "conffiles differ from the files under /etc:"$'\n'"$(diff <(echo "$etc_files") <(echo "$conffiles") || true)"
fi

# --- maintainer scripts -------------------------------------------------------------------------
for s in postinst prerm postrm; do
  if [ ! -x "$ctrl/$s" ]; then fail "no executable $s"; continue; fi
  sh -n "$ctrl/$s" && ok "$s parses" || fail "$s: syntax error"
done
grep -q 'systemd-sysusers cspwatch.conf' "$ctrl/postinst" || fail "postinst does not run systemd-sysusers"
grep -q 'systemd-tmpfiles --create cspwatch.conf' "$ctrl/postinst" || fail "postinst does not run systemd-tmpfiles"
# A first install must neither enable nor start the service: the operator configures it first.
if grep -vE '^[[:space:]]*#' "$ctrl/postinst" |
     grep -E 'systemctl[^#]*(enable|start)|deb-systemd-helper[^#]*enable|deb-systemd-invoke[^#]*( start| restart)'; then
  fail "postinst enables or starts cspwatch.service"
fi
grep -q 'rm -rf /var/lib/cspwatch' "$ctrl/postrm" || fail "postrm purge does not remove /var/lib/cspwatch"
# ... and only on purge: the rm sits inside the purge branch.
awk '/"\$1" = "purge"/ { p = 1 } /^fi/ { p = 0 } /rm -rf \/var\/lib\/cspwatch/ && !p { bad = 1 } END { exit bad }' \
  "$ctrl/postrm" || fail "postrm removes /var/lib/cspwatch outside the purge branch"

# --- contents that must work -------------------------------------------------------------------
root=$out/root
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
cmp -s "$root/usr/lib/systemd/system/cspwatch.service" "$src/systemd/cspwatch.service" ||
  fail "the packaged unit differs from systemd/cspwatch.service"
got=$("$root/usr/bin/cspwatch" --version 2>&1 || true)
[ "$got" = "cspwatch $version" ] && ok "packaged binary: $got" || fail "packaged cspwatch --version: '$got'"
file -b "$root/usr/bin/cspwatch" | grep -q ', stripped' && ok "binary is stripped" || fail "binary is not stripped"
# Every shared library the binary needs comes from a package named in Depends.
for soname in $(readelf -d "$root/usr/bin/cspwatch" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p'); do
  pkg=$(dpkg -S "*/$soname" 2>/dev/null | head -1 | cut -d: -f1 || true)
  if [ -z "$pkg" ]; then fail "no installed package holds $soname"; continue; fi
  # The shlibs file may name a virtual package that $pkg provides (libspdlog1.10-fmt9).
  found=""
  for name in "$pkg" $(dpkg-query -W -f='${Provides}' "$pkg" 2>/dev/null | tr ',' '\n' | sed -E 's/\(.*\)//'); do
    if has_pkg "$name"; then found=$name; break; fi
  done
  [ -n "$found" ] && ok "$soname from $pkg (Depends: $found)" || fail "$soname comes from $pkg, which Depends lacks"
done

# The completion scripts are what the packaged binary writes, and they parse.
for shell in bash zsh; do
  f=$root/usr/share/bash-completion/completions/cspwatch
  [ $shell = zsh ] && f=$root/usr/share/zsh/vendor-completions/_cspwatch
  [ -f "$f" ] || continue
  if "$root/usr/bin/cspwatch" completion $shell | cmp -s - "$f"; then
    ok "$shell completion matches 'cspwatch completion $shell'"
  else
    fail "$f differs from 'cspwatch completion $shell'"
  fi
  if command -v $shell >/dev/null; then $shell -n "$f" || fail "$shell -n rejects $f"; fi
done

# The licence: LICENSE is Apache-2.0's official text (the SPDX headers say Apache-2.0), and the
# copyright file is in Debian's machine-readable format (DEP-5), naming the same licence.
cmp -s "$src/LICENSE" /usr/share/common-licenses/Apache-2.0 && ok "LICENSE is the Apache-2.0 text" ||
  fail "LICENSE differs from /usr/share/common-licenses/Apache-2.0"
copyright=$root/usr/share/doc/cspwatch/copyright
if [ -f "$copyright" ]; then
  head -1 "$copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
    fail "copyright: the first line is not the DEP-5 Format: field"
  grep -qx 'Upstream-Name: cspwatch' "$copyright" || fail "copyright: no Upstream-Name: cspwatch"
  awk '/^Files: \*$/ { f = 1 } f && /^Copyright: ./ { c = 1 } f && /^License: Apache-2.0$/ { l = 1 }
       END { exit !(f && c && l) }' "$copyright" ||
    fail "copyright: no 'Files: *' paragraph with Copyright: and License: Apache-2.0"
  # Every licence a Files paragraph names has its own stand-alone License paragraph (with text).
  for lic in $(awk '/^Files:/ { f = 1 } /^$/ { f = 0 } f && /^License:/ { print $2 }' "$copyright" | sort -u); do
    awk -v l="$lic" 'prev == "" && $0 == "License: " l { p = 1; next } p && /^ / { t = 1 } { prev = $0 }
         END { exit !t }' "$copyright" && ok "copyright: License paragraph for $lic" ||
      fail "copyright: no stand-alone License paragraph with text for $lic"
  done
  grep -q '/usr/share/common-licenses/Apache-2.0' "$copyright" ||
    fail "copyright: does not point to /usr/share/common-licenses/Apache-2.0"
  bad=$(grep -nvE '^$|^[A-Z][A-Za-z-]*: ?|^ ' "$copyright" || true)
  [ -z "$bad" ] || fail "copyright: lines that are neither fields nor continuations:"$'\n'"$bad"
fi

# The man page: generated by help2man, with a section for every command the binary has.
man=$(gzip -dc "$root/usr/share/man/man1/cspwatch.1.gz")
grep -q '^\.TH CSPWATCH "1"' <<<"$man" && ok "man page cspwatch(1)" || fail "cspwatch.1.gz is not a section 1 man page"
grep -q 'help2man' <<<"$man" || fail "the man page was not generated by help2man"
subs=$(env -u CSPWATCH_CONFIG "$root/usr/bin/cspwatch" --help | sed -n '/^Subcommands:/,$p' | sed -nE 's/^  ([a-z][a-z0-9-]*) .*/\1/p')
[ -n "$subs" ] || fail "cspwatch --help lists no subcommands"
for s in $subs; do
  grep -q "^\.SS \"cspwatch $s\"" <<<"$man" || fail "the man page has no section for 'cspwatch $s'"
done

# sysusers and tmpfiles snippets applied to the unpacked tree (as root only: tmpfiles chowns).
if [ "$(id -u)" -eq 0 ] && command -v systemd-sysusers >/dev/null; then
  mkdir -p "$root/etc"
  : >"$root/etc/passwd"; : >"$root/etc/group"
  if systemd-sysusers --root="$root" cspwatch.conf 2>&1 && grep -q '^cspwatch:' "$root/etc/passwd"; then
    ok "sysusers: $(grep '^cspwatch:' "$root/etc/passwd")"
  else
    fail "systemd-sysusers did not create the cspwatch user"
  fi
  if out_tf=$(systemd-tmpfiles --root="$root" --create cspwatch.conf 2>&1); then
    for d in "/var/lib/cspwatch 750" "/var/lib/cspwatch/mail 750" "/etc/cspwatch/credentials 700"; do
      set -- $d
      [ "$(stat -c %a "$root$1")" = "$2" ] && ok "tmpfiles: $1 mode $2" || fail "tmpfiles: $1 not mode $2"
    done
    uid=$(awk -F: '$1 == "cspwatch" { print $3 }' "$root/etc/passwd")
    [ "$(stat -c %u "$root/var/lib/cspwatch")" = "$uid" ] || fail "tmpfiles: /var/lib/cspwatch not owned by cspwatch"
  else
    fail "systemd-tmpfiles --create failed: $out_tf"
  fi
else
  echo "note: not root or no systemd-sysusers: sysusers/tmpfiles application not checked"
fi

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed: $deb"
