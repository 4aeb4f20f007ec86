#!/usr/bin/env bash
# The shell completion scripts `cspwatch completion bash|zsh` writes (the .deb installs them):
# they parse (bash -n, zsh -n), every subcommand of
# `cspwatch --help`, at every level, is in them, and bash completes commands, options, the
# choices of --format and the names --partner takes as a user would see them.
# Usage: completion_test.sh CSPWATCH_BINARY OUT_DIR
set -euo pipefail
bin=$1 out=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
mkdir -p "$out"
"$bin" completion bash >"$out/cspwatch.bash"
"$bin" completion zsh >"$out/_cspwatch"
bash -n "$out/cspwatch.bash" && echo "ok: bash -n" || fail "bash -n rejects the bash script"
command -v zsh >/dev/null || fail "zsh is not installed (scripts/install-deps.sh installs it)"
zsh -n "$out/_cspwatch" && echo "ok: zsh -n" || fail "zsh -n rejects the zsh script"
head -1 "$out/_cspwatch" | grep -qx '#compdef cspwatch' || fail "_cspwatch does not start with #compdef"

# shellcheck disable=SC1090
source "$out/cspwatch.bash"
complete_words() {  # complete_words WORD... : COMPREPLY for the last word, sorted, on one line
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _cspwatch
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# Every subcommand at every level, found by walking --help as the man page does.
queue=("")
count=0
while [ ${#queue[@]} -gt 0 ]; do
  path=${queue[0]}
  queue=("${queue[@]:1}")
  # shellcheck disable=SC2086
  subs=$(env -u CSPWATCH_CONFIG "$bin" $path --help | sed -n '/^Subcommands:/,$p' |
         sed -nE 's/^  ([a-z][a-z0-9-]*) .*/\1/p')
  # shellcheck disable=SC2086
  got=" $(complete_words cspwatch $path '') "
  for s in $subs; do
    count=$((count + 1))
    [[ $got == *" $s "* ]] || fail "completing 'cspwatch $path' does not offer '$s' (got:$got)"
    queue+=("${path:+$path }$s")
  done
done
[ $count -gt 20 ] && echo "ok: $count subcommands offered where --help lists them" ||
  fail "only $count subcommands found in --help"

check() {  # check WANT WORD...
  local want=$1 got
  shift
  got=$(complete_words "$@")
  [ "$got" = "$want" ] && echo "ok: $* -> $got" || fail "$*: got '$got', want '$want'"
}
check "findings" cspwatch fin
check "list show" cspwatch findings ''
check "list" cspwatch -c x.yaml findings l
check "csv json table" cspwatch findings list --format ''
check "json" cspwatch --config /etc/x.yaml tenants list --format j
check "--state" cspwatch findings list --sta
check "debug error info trace warn" cspwatch --log-level ''
check "--config" cspwatch scans list --conf
check "--partner" cspwatch scans list --part

# --partner's values: the accounts' names, asked of the binary as typed (the first word) with
# the configuration typed before it.
cat >"$out/partners.yaml" <<'EOF'
partners:
  - name: contoso
    partner: {name: C, tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64, email_domains: [c.example]}
    sources: {inventory: {path: c.csv}}
  - name: fabrikam
    partner: {name: F, tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64, email_domains: [f.example]}
    sources: {inventory: {path: f.csv}}
EOF
check "contoso fabrikam" "$bin" --config "$out/partners.yaml" findings list --partner ''
check "fabrikam" "$bin" -c "$out/partners.yaml" --partner f
check "" "$bin" -c "$out/missing.yaml" --partner ''

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
