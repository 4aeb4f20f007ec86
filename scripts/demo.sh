#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and runs cspwatch over the
# shipped demo (etc/demo/: ~30 fictional customer tenants of "Northwind IT Services").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
. scripts/presets.sh
build=$(preset_dir release)
bin=$build/bin/cspwatch
config=etc/demo/cspwatch.yaml
# The demo's data is a snapshot taken on this day; evaluate it as of then.
now=2026-11-25T00:00:00Z

step() { printf '\n== %s\n' "$*"; }

step "cspwatch rules check etc/rules.d"
"$bin" rules check etc/rules.d
step "cspwatch rules test etc/rules.d"
"$bin" rules test etc/rules.d | tail -1
step "cspwatch --config $config tenants list"
"$bin" --config "$config" tenants list
step "cspwatch --config $config scan --once --dry-run --now $now"
"$bin" --config "$config" scan --once --dry-run --now "$now"
step "the first finding in full (--format json)"
"$bin" --config "$config" scan --once --dry-run --now "$now" --format json | sed -n '/"findings"/,/}/p' | head -14

# The live data path: cspwatch-sim plays Partner Center, Graph and the login endpoint over
# HTTP on 127.0.0.1, serving the demo world; --write-config points cspwatch at it.
sim_dir=$build/demo-sim
rm -rf "$sim_dir" && mkdir -p -m 0755 "$sim_dir"
$build/bin/cspwatch-sim --world etc/demo/world.json --now "$now" --write-config "$sim_dir/cspwatch.yaml" \
  --rules-path "$PWD/etc/rules.d" >"$sim_dir/sim.out" 2>"$sim_dir/sim.err" &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$sim_dir/sim.out" 2>/dev/null && break; sleep 0.1; done
step "cspwatch-sim: $(head -1 "$sim_dir/sim.out"), serving etc/demo/world.json"
step "cspwatch --config $sim_dir/cspwatch.yaml scan --once (through Partner Center and Graph)"
"$bin" --log-level info --config "$sim_dir/cspwatch.yaml" scan --once --now "$now"
step "cspwatch --config $sim_dir/cspwatch.yaml findings list"
"$bin" --config "$sim_dir/cspwatch.yaml" findings list
kill $sim_pid 2>/dev/null || true
wait $sim_pid 2>/dev/null || true
trap - EXIT

# Recording from the inventory alone: a fresh database under build/demo/, two scans six hours apart.
mkdir -p -m 0755 $build/demo
rm -rf $build/demo/cspwatch.db $build/demo/cspwatch.db-wal $build/demo/cspwatch.db-shm $build/demo/mail \
  $build/demo/webhooks
# The service desk's route also posts each event, signed, to a webhook: a small receiver on
# 127.0.0.1:9808 (etc/demo/cspwatch.yaml) checks each signature and writes each event to
# build/demo/webhooks/<event id>.json. The shared secret is the demo's (etc/demo/webhook.secret),
# readable only by its owner as a real one must be.
chmod 0600 etc/demo/webhook.secret
python3 scripts/webhook-receiver.py --port 9808 --secret-file etc/demo/webhook.secret \
  --out-dir $build/demo/webhooks >$build/demo/webhook-receiver.out 2>&1 &
receiver_pid=$!
trap 'kill $receiver_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening $build/demo/webhook-receiver.out 2>/dev/null && break; sleep 0.1; done
grep -q listening $build/demo/webhook-receiver.out || { cat $build/demo/webhook-receiver.out; exit 1; }
step "cspwatch --config $config scan --once (recorded), twice"
"$bin" --config "$config" scan --once --now "$now"
"$bin" --config "$config" scan --once --now 2026-11-25T06:00:00Z
kill $receiver_pid 2>/dev/null || true
wait $receiver_pid 2>/dev/null || true
trap - EXIT
step "cspwatch --config $config findings list"
"$bin" --config "$config" findings list
step "cspwatch --config $config scans list"
"$bin" --config "$config" scans list
step "cspwatch --config $config alerts outbox --all (the digests and webhook events the two scans queued and delivered)"
"$bin" --config "$config" alerts outbox --all

# The alert mail: transport 'file' writes each message as an .eml file (open it in any mail
# client). Show where they are and the plain-text part of the service desk's first digest.
step "the digest emails are in $build/demo/mail/"
ls -l $build/demo/mail/*.eml
first_digest=$(grep -l '^To: servicedesk@' $build/demo/mail/*.eml | xargs ls -tr | head -1)
step "$first_digest: its text part"
python3 - "$first_digest" <<'PY'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("Subject:", msg["Subject"])
print("To:", msg["To"])
print()
print(msg.get_body(preferencelist=("plain",)).get_content())
PY
echo "(the HTML part of the same message: open $first_digest in a mail client, or run"
echo " $bin --config $config alerts preview --format html --to servicedesk@northwind-it.com.au)"

# The webhook events the service desk's receiver got, each checked against its signature.
step "the webhook events are in $build/demo/webhooks/ ($(ls $build/demo/webhooks | wc -l) events, signatures checked)"
sed 's/^webhook-receiver: /  /' $build/demo/webhook-receiver.out | head -6
first_event=$(ls -tr $build/demo/webhooks/*.json | head -1)
step "$first_event"
cat "$first_event"
