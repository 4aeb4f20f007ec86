#!/usr/bin/env bash
# The package as a machine runs it: boots systemd in throwaway namespaces over an overlay of /
# (every write lands in a tmpfs; the host's files, /tmp and services are untouched), installs the
# .deb there, configures the demo inventory with the file transport and an HTTP token kept in
# /etc/cspwatch/credentials, and checks the real `cspwatch run` under the hardened unit: not
# enabled by the install, starts (READY=1), STATUS=, /healthz, the token from
# $CREDENTIALS_DIRECTORY, reload, a stop within 10 s, purge.
#
# Opt-in (it boots an init; needs root, user/pid/mount namespaces and overlayfs):
#   CSPWATCH_SERVICE_SANDBOX=1 ctest --test-dir build -R sandbox --output-on-failure
# Exit 77 (ctest: skipped) when not asked for or not possible.
# Usage: service_sandbox.sh DEB SOURCE_DIR
set -euo pipefail
deb=$(realpath "$1") src=$(realpath "$2")

skip() { echo "SKIP: $*"; exit 77; }
[ "${CSPWATCH_SERVICE_SANDBOX:-}" = 1 ] || skip "set CSPWATCH_SERVICE_SANDBOX=1 to boot systemd in a sandbox"
[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd"
# A second systemd would share the host's cgroup hierarchies with the host's own.
[ ! -d /run/systemd/system ] || skip "systemd is this machine's init: use a VM or systemd-nspawn"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlayfs"
command -v python3 >/dev/null || skip "no python3"
[ -f "$deb" ] || { echo "FAIL: no package $deb"; exit 1; }

work=$(mktemp -d /var/tmp/cspwatch-sandbox.XXXXXX)
init_pid=""
started=$(date +%s)
# The sandbox's systemd makes its cgroups (init.scope, system.slice, *.mount) at the root of each
# cgroup hierarchy (the host's cgroup file systems are bind-mounted into the sandbox); they
# outlive it, empty. Remove those made since the start. (Hence no sandbox on a systemd host.)
remove_cgroups() {
  local mp d
  for mp in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
    find "$mp" -mindepth 1 -maxdepth 1 -type d -newermt "@$((started - 1))" \
      \( -name init.scope -o -name '*.slice' -o -name '*.mount' -o -name '*.swap' \) -print |
      while IFS= read -r d; do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
  done
}
cleanup() {
  if [ -n "$init_pid" ]; then kill -9 "$init_pid" 2>/dev/null || true; fi
  sleep 0.5
  remove_cgroups
  rm -rf "$work"
}
trap cleanup EXIT

# Runs inside the new namespaces: overlay root, pivot, install the package, exec systemd.
cat >"$work/inner.sh" <<'EOF'
set -euo pipefail
work=$1 deb=$2 src=$3
mount --make-rprivate /
mount -t tmpfs -o mode=700 tmpfs "$work/mnt"
mkdir "$work/mnt/upper" "$work/mnt/work" "$work/mnt/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/mnt/upper,workdir=$work/mnt/work" "$work/mnt/root"
r=$work/mnt/root
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=755 tmpfs "$r/run"
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
mkdir -p "$r/oldroot"
cd "$r"
pivot_root . oldroot
cd /
mount --make-rprivate /oldroot
umount -l /oldroot
rmdir /oldroot
mount --make-rshared /  # systemd moves credential mounts; they must propagate
rm -f /usr/sbin/policy-rc.d  # container images forbid service actions with it
dpkg -i "$deb" >/var/log/cspwatch-dpkg.log 2>&1
cp "$src/etc/demo/inventory.json" /etc/cspwatch/inventory.json
cat >/etc/cspwatch/cspwatch.yaml <<EOC
partner:
  name: Northwind IT Services
  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64
  distributor_tenant_ids: [8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73]
  trusted_partner_tenant_ids: [b7e4d1a9-2c6f-4b83-9e05-7a1d3c8f2e56]
  email_domains: [northwind-it.com.au]
sources:
  inventory:
    path: /etc/cspwatch/inventory.json
http:
  token_file: /etc/cspwatch/credentials/http_token
alerts:
  transport: file
  from: "cspwatch <cspwatch@northwind-it.com.au>"
  routes:
    - name: service-desk
      to: [servicedesk@northwind-it.com.au]
      default: true
EOC
install -m 0600 /dev/null /etc/cspwatch/credentials/http_token
printf 'sandbox-token' >/etc/cspwatch/credentials/http_token
exec env container=cspwatch-sandbox /lib/systemd/systemd --system --unit=basic.target --log-target=journal
EOF

mkdir "$work/mnt"
setsid unshare --pid --fork --mount --net --uts --ipc --cgroup \
  bash "$work/inner.sh" "$work" "$deb" "$src" >"$work/boot.log" 2>&1 </dev/null &
unshare_pid=$!
for _ in $(seq 50); do
  init_pid=$(pgrep -P "$unshare_pid" || true)
  [ -n "$init_pid" ] && [ "$(cat /proc/"$init_pid"/comm 2>/dev/null)" = systemd ] && break
  sleep 0.2
done
[ -n "$init_pid" ] || { echo "FAIL: systemd did not start:"; cat "$work/boot.log"; exit 1; }
inside() {
  nsenter -t "$init_pid" -m -p -u -i -n -C -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_COLORS=0 SYSTEMD_PAGER= "$@"
}
for _ in $(seq 100); do
  state=$(inside systemctl is-system-running 2>/dev/null || true)
  case $state in running | degraded) break ;; esac
  sleep 0.2
done
echo "sandbox systemd: ${state:-no answer}"

cat >"$work/checks.sh" <<'EOF'
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
journal() { journalctl -u cspwatch --no-pager -o cat | tail -20; }

getent passwd cspwatch >/dev/null && ok "user cspwatch" || fail "no cspwatch user"
[ "$(systemctl is-enabled cspwatch)" = disabled ] && ok "installed, not enabled" || fail "enabled by the install"
[ "$(systemctl is-active cspwatch)" = inactive ] && ok "not started by the install" || fail "started by the install"

if systemctl start cspwatch; then ok "started (READY=1)"; else fail "start failed:"; journal; fi
sleep 1
pid=$(systemctl show -p MainPID --value cspwatch)
status=$(systemctl show -p StatusText --value cspwatch)
[ -n "$status" ] && ok "STATUS=$status" || fail "no STATUS="
[ "$(systemctl show -p User --value cspwatch)" = cspwatch ] || fail "not running as cspwatch"
python3 - <<'PY' && ok "/healthz answers; /metrics wants the token from the credentials" || fail "HTTP endpoint"
import sys, urllib.request, urllib.error
print(urllib.request.urlopen("http://127.0.0.1:9807/healthz", timeout=5).read().decode().strip())
try:
    urllib.request.urlopen("http://127.0.0.1:9807/metrics", timeout=5)
    sys.exit("metrics answered without the token")
except urllib.error.HTTPError as e:
    assert e.code == 401, e.code
r = urllib.request.Request("http://127.0.0.1:9807/metrics", headers={"Authorization": "Bearer sandbox-token"})
assert urllib.request.urlopen(r, timeout=5).status == 200
PY
ls /var/lib/cspwatch/mail/*.eml >/dev/null 2>&1 && ok "the first scan's digest in /var/lib/cspwatch/mail" ||
  fail "no .eml in /var/lib/cspwatch/mail"

systemctl reload cspwatch && [ "$(systemctl show -p MainPID --value cspwatch)" = "$pid" ] &&
  [ "$(systemctl is-active cspwatch)" = active ] && ok "reload (same process)" || { fail "reload"; journal; }

start=$(date +%s%N)
systemctl stop cspwatch
ms=$((($(date +%s%N) - start) / 1000000))
result=$(systemctl show -p Result --value cspwatch)
[ "$result" = success ] && [ "$ms" -lt 10000 ] && ok "stopped in ${ms} ms" || { fail "stop: $result after ${ms} ms"; journal; }

dpkg --purge cspwatch >/dev/null 2>&1
[ ! -e /var/lib/cspwatch ] && [ ! -e /etc/cspwatch/credentials ] && ok "purge removed the state and secrets" ||
  fail "purge left /var/lib/cspwatch or /etc/cspwatch/credentials"
echo "$failures failure(s)"
exit $((failures != 0))
EOF
set +e
inside bash -c "$(cat "$work/checks.sh")"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "--- dpkg -i:"
  inside cat /var/log/cspwatch-dpkg.log || true
fi
exit $rc
