#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Many partner accounts on standby instances, and failover: the real daemons against simulators.

Starts a PostgreSQL server of its own (tests/support/postgres_server.sh), one `cspwatch-sim
--generate N` per partner account (each its own process, port, world and rate limits, as
bench/scan_bench.py starts one), and `cspwatch run` instances on the one store, each "on a
machine of its own" (CSPWATCH_MACHINE_ID a, b, ...: none can see that another's process died, so
a takeover waits for the lease as it would across machines). Then:

1. Many partner accounts. All instances start at once (--stagger: the others once the first
   has made every account's tables); the wall time from the first one's start until every
   account's first scan completed, and for each account: which instance scanned it (its
   lease's holder while the scan ran, else the instance whose log tells of that scan), its
   scan's wall time (the daemon's `cspwatch_scan_duration_seconds{partner}` when the log's line
   for that scan agrees, else the log's; else the times this harness saw the scan `running`
   and ended in the account's `scans` table, polled every 0.2 s), its rate-limit floor (as
   scan_bench.py computes it, from that account's simulator: (Partner Center requests admitted
   - the bucket's capacity) / its rate), wall / floor, and the time before the first request
   and after the last with the ratio at the real limits estimated from it, as scan_bench.py
   does. Overall: the wall time against the largest per-account floor (the accounts scan in
   parallel, each against its own limits, so the whole should be near the largest floor, not
   the sum), and how the accounts were spread: which instance scanned each, and the leases
   once settled (every lease held, none past an instance's share, no scan running, for a
   second: an account given up to an instance that joined is scanned again by it).
2. Failover. `POST /v1/scan` on the instance holding the most leases; once its scans are under
   way (--kill-at of the first scan's wall time into them), kill -9 of that instance. For each
   account it held: the time from the kill until another instance holds the lease (the
   `leases` table, and that instance's `cspwatch_lease_held{partner}`), and until that
   account's next scan completed; both against `storage.lease_period` (the design: within two
   periods; from the kill, 2/3 to 4/3 of one for a lease alone, docs/performance.md). The
   takeover scan's wall time against its floor: what the bucket held at the takeover (its
   level followed from the simulator's counts) at once, the rest at its rate. Then, for every
   account, that nothing is doubled: no (rule, tenant, subject) open twice, the open findings
   the same as after the clean first scan, and the same as the simulator's truth
   (--write-truth).

Layouts (--layout): `partners` writes one configuration with a `partners:` list, one entry per
account, each its own store (PostgreSQL schema `<storage.schema>_<name>`) and lease
(`partner:<name>`); `single` (one account only) writes the top-level `partner` and `sources` of
a configuration without `partners:` (lease `partner:default`, schema `storage.schema`), the
layout of one account before `partners:`. `auto`: `single` for one account, else `partners`.

Scaling (--scale K) as in scan_bench.py: the simulators' limits and the client's starting pace
times K, the latencies and the burst's seconds divided by K; the lease period is not scaled.

Usage: bench/ha_bench.py BIN_DIR RULES_DIR [--tenants 2000] [--accounts 3] [--instances 2]
                         [--scale K] [--lease-period S] [--burst S] [--kill-at F]
                         [--layout auto|single|partners] [--no-failover] [--stagger]
                         [--keep]
Prints one JSON object on stdout; progress on stderr.
"""
import argparse
import datetime
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_bench  # noqa: E402
from scan_bench import free_port, http_get, request_counts  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_SCRIPT = os.path.join(ROOT, "tests", "support", "postgres_server.sh")
SCHEMA = "cspwatch"  # storage.schema
NAMES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
POLL_S = 0.2  # the database and the metrics while waiting for scans
FAST_POLL_S = 0.05  # after the kill


def say(text):
    print(f"ha_bench: {text}", file=sys.stderr, flush=True)


def account_names(n):
    return [NAMES[i] if i < len(NAMES) else f"p{i + 1}" for i in range(n)]


def samples(text, name):
    """The samples of one metric family: [({label: value}, value)], every label kept."""
    out = []
    for line in text.splitlines():
        m = re.match(re.escape(name) + r"(?:\{([^}]*)\})?\s+(\S+)$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
            out.append((labels, float(m.group(2))))
    return out


def http_post(url, timeout=5.0):
    req = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status


class Psql:
    """One psql session kept open: a query costs a round trip, not a process."""

    def __init__(self, url, password):
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=0", url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=env, bufsize=1)

    def query(self, sql):
        """The rows, each a list of text fields; RuntimeError on an error."""
        self.proc.stdin.write(sql.strip().rstrip(";") + ";\n\\echo __END__\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("psql exited")
            line = line.rstrip("\n")
            if line == "__END__":
                break
            lines.append(line)
        if any(l.startswith(("ERROR:", "FATAL:", "psql:")) for l in lines):
            raise RuntimeError("; ".join(lines))
        return [l.split("\t") for l in lines if l != ""]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class Postgres:
    """The benchmark's own server, as the `ha` tests start theirs."""

    def __init__(self, work):
        self.state = os.path.join(work, "pg")
        out = subprocess.run(["bash", PG_SCRIPT, "start", self.state], capture_output=True,
                             text=True)
        if out.returncode != 0:
            raise RuntimeError(f"postgres_server.sh start failed: {out.stderr.strip()}")
        self.started = True
        m = re.search(r"\(PostgreSQL\) (\S+)", out.stdout)
        self.version = "PostgreSQL " + (m.group(1) if m else "?")
        self.url = open(os.path.join(self.state, "url")).read().strip()
        self.password_file = os.path.join(self.state, "password")
        self.password = open(self.password_file).read().strip()

    def stop(self):
        if self.started:
            subprocess.run(["bash", PG_SCRIPT, "stop", self.state], capture_output=True)
            self.started = False


class Simulator:
    """One partner account's simulator: its own process, port, world and buckets."""

    def __init__(self, bin_dir, rules_dir, work, name, seed, tenants, scale, burst, latency_ms,
                 token_latency_ms, now):
        self.name = name
        self.dir = os.path.join(work, f"sim-{name}")
        os.makedirs(self.dir)
        self.latency = int(round(latency_ms / scale))
        self.token_latency = int(round(token_latency_ms / scale))
        self.burst = burst / scale
        self.config = os.path.join(self.dir, "cspwatch.yaml")
        self.truth_file = os.path.join(self.dir, "truth.json")
        cmd = [
            os.path.join(bin_dir, "cspwatch-sim"), "--generate", str(tenants), "--seed", str(seed),
            "--now", now, "--page-size", "100", "--latency-ms", str(self.latency),
            "--pc-rate", str(scan_bench.PC_PER_MINUTE * scale),
            "--graph-rate", str(scan_bench.GRAPH_PER_10S * scale),
            "--pc-burst", repr(self.burst), "--graph-burst", repr(self.burst),
            "--token-latency-ms", str(self.token_latency), "--write-config", self.config,
            "--write-truth", self.truth_file, "--rules-path", rules_dir
        ]
        self.err = open(os.path.join(self.dir, "sim.err"), "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err, text=True)
        first = self.proc.stdout.readline().strip()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+)$", first)
        if not m:
            raise RuntimeError(f"cspwatch-sim ({name}) did not start: {first!r}")
        self.url = m.group(1)
        self.shapes = self.proc.stdout.readline().strip()

        # The Partner Center bucket's level, followed from the requests it admitted between
        # two looks (it refills at its rate up to its capacity; a 429 takes nothing), so that
        # the floor of a scan that starts on a bucket another scan spent can be told.
        self.level = self.level_at = None
        self.admitted = 0
        # When the first request came and when the count last changed (scan_bench.py's
        # before_first_request_s and after_last_request_s: time the scaling does not shorten).
        self.first_request_at = self.last_change_at = None
        self.total = 0
        self.stats()

    def stats(self):
        """/_sim/stats; each call also follows the bucket's level. Call it often (every 0.2 s
        or less) while requests are made: between two calls, the refill is counted first."""
        st = json.loads(http_get(self.url + "/_sim/stats"))
        now = time.monotonic()
        bucket = st.get("buckets", {}).get("partner_center")
        admitted = request_counts(st)["partner_center"]
        if st["requests_total"] != self.total:
            if self.total == 0:
                self.first_request_at = now
            self.total, self.last_change_at = st["requests_total"], now
        if bucket:
            if self.level is None:
                self.level = bucket["capacity"]  # it starts full
            else:
                refilled = min(bucket["capacity"],
                               self.level + bucket["per_second"] * (now - self.level_at))
                self.level = max(0.0, refilled - (admitted - self.admitted))
            self.level_at, self.admitted = now, admitted
        return st

    def truth(self):
        """The (rule, tenant, subject) of every finding a correct scan opens."""
        with open(self.truth_file) as f:
            t = json.load(f)
        return {(e["rule"], e["tenant_id"], e["subject"]) for e in t["findings"]
                if e["outcome"] == "fail"}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def floor_of(pc_requests, bucket):
    """The least time Partner Center's bucket allows for `pc_requests` admitted requests: its
    capacity at once, the rest at its rate (scan_bench.py)."""
    return max(0, pc_requests - bucket["capacity"]) / bucket["per_second"]


# The configuration ----------------------------------------------------------------------------

def block(text, key):
    """The lines of a top-level section of the simulator's config, without its key line."""
    m = re.search(r"^" + re.escape(key) + r":\n((?:  .*\n)+)", text, re.M)
    if not m:
        raise RuntimeError(f"unexpected config from cspwatch-sim --write-config: no {key}:")
    return m.group(1)


def absolute_paths(section, sim_dir):
    """The credential and inventory files of a simulator's config, made absolute."""
    def repl(m):
        path = m.group(2)
        return m.group(1) + (path if os.path.isabs(path) else os.path.join(sim_dir, path))
    return re.sub(r"^(\s+(?:client_secret_file|refresh_token_file|path): )(\S+)$", repl, section,
                  flags=re.M)


def pacing(indent, scale, concurrency):
    pad = " " * indent
    return (f"{pad}concurrency: {concurrency}\n"
            f"{pad}pc_requests_per_minute: {scan_bench.CLIENT_PC_PER_MINUTE * scale}\n"
            f"{pad}graph_requests_per_10s: {scan_bench.CLIENT_GRAPH_PER_10S * scale}\n")


def sources_of(sim, indent, scale, concurrency):
    """The simulator's `sources` section, indented by `indent` more, with the client's pacing."""
    text = open(sim.config).read()
    sources = absolute_paths(block(text, "sources"), sim.dir)
    anchor = re.search(r"^    refresh_token_file: .*\n", sources, re.M)
    if not anchor:
        raise RuntimeError("unexpected config from cspwatch-sim --write-config")
    sources = sources[:anchor.end()] + pacing(4, scale, concurrency) + sources[anchor.end():]
    return "".join(" " * indent + line + "\n" for line in sources.splitlines())


def storage_yaml(pg, schema, lease_period):
    return (f"storage:\n  url: {pg.url}\n  password_file: {pg.password_file}\n"
            f"  schema: {schema}\n  lease_period: {lease_period}s\n")


def write_configs(work, sims, layout, pg, rules_dir, lease_period, scale, concurrency, ports):
    """One configuration per instance (they differ in http.listen only): its path."""
    rules = f"rules:\n  paths: [{rules_dir}]\n"
    schedule = "schedule:\n  interval: 6h\n"  # no second scan unless asked for
    if layout == "single":
        sim = sims[0]
        text = open(sim.config).read()
        body = ("partner:\n" + block(text, "partner") + "sources:\n" +
                sources_of(sim, 0, scale, concurrency) + storage_yaml(pg, SCHEMA, lease_period) +
                rules + schedule)
    else:
        body = storage_yaml(pg, SCHEMA, lease_period) + rules + schedule + "partners:\n"
        for sim in sims:
            text = open(sim.config).read()
            partner = "".join("    " + l + "\n" for l in block(text, "partner").splitlines())
            body += (f"  - name: {sim.name}\n    partner:\n{partner}    sources:\n" +
                     sources_of(sim, 4, scale, concurrency))
    paths = []
    for label, port in ports:
        path = os.path.join(work, f"cspwatch-{label}.yaml")
        with open(path, "w") as f:
            f.write(f"# ha_bench.py: instance {label}\n" + body +
                    f"http:\n  listen: 127.0.0.1:{port}\n")
        paths.append(path)
    return paths


# The instances --------------------------------------------------------------------------------

class Instance:
    def __init__(self, bin_dir, label, config, port, work):
        self.label, self.config, self.port = label, config, port
        self.log_path = os.path.join(work, f"cspwatch-{label}.log")
        self.log = open(self.log_path, "w")
        env = dict(os.environ, CSPWATCH_MACHINE_ID=f"ha-bench-{label}")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "cspwatch"), "--config", config, "--log-level", "info", "run"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.proc.pid
        self.killed = False

    def alive(self):
        return self.proc.poll() is None

    def metrics(self):
        try:
            return http_get(f"http://127.0.0.1:{self.port}/metrics", timeout=2)
        except OSError:
            return ""

    def lease_held(self, text=None):
        """{partner: held} from cspwatch_lease_held."""
        text = self.metrics() if text is None else text
        return {labels["partner"]: v == 1 for labels, v in samples(text, "cspwatch_lease_held")
                if "partner" in labels}

    def usage(self):
        """CPU seconds so far and peak RSS (KiB) of the process, while it runs."""
        try:
            user, system = scan_bench.proc_cpu_seconds(self.pid)
            return {"cpu_s": user + system,
                    "peak_rss_kib": scan_bench.proc_status(self.pid).get("VmHWM")}
        except OSError:
            return None

    def stop(self):
        code = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        else:
            code = self.proc.returncode
        self.log.close()
        return code


def logged_duration(inst, partner, layout, scan_id, wait=2.0):
    """The seconds the instance's log gives the scan `scan_id` of `partner` ("partner NAME: scan
    ID completed in 93.5s"; no prefix with one account), waiting up to `wait` s for the line."""
    prefix = "" if layout == "single" else f"partner {re.escape(partner)}: "
    pattern = re.compile(prefix + rf"scan {scan_id} \w+ in ([0-9.]+)s")
    deadline = time.monotonic() + wait
    while True:
        with open(inst.log_path, errors="replace") as f:
            m = pattern.search(f.read())
        if m or time.monotonic() > deadline:
            return float(m.group(1)) if m else None
        time.sleep(0.05)


def scanned_in_log(instances, partner, layout, scan_id):
    """The instance whose log tells of the end of scan `scan_id` of `partner`."""
    for inst in instances:
        if logged_duration(inst, partner, layout, scan_id, wait=0) is not None:
            return inst.label
    return None


def wall_of(inst, text, partner, layout, scan_id):
    """A scan's wall time and where it came from: the daemon's cspwatch_scan_duration_seconds
    when its log says the same of that scan (to 0.1 s: the metric is the account's last scan,
    which may not yet be this one), else the log's figure."""
    logged = logged_duration(inst, partner, layout, scan_id) if inst else None
    gauge = scan_duration(text, partner, layout)
    if gauge is not None and logged is not None and abs(gauge - logged) <= 0.06:
        return gauge, "metric"
    if logged is not None:
        return logged, "log"
    return None, None


def scan_duration(text, partner, layout):
    """The daemon's cspwatch_scan_duration_seconds of `partner` (the last scan it ended), when
    its metrics say which account it is of (a `partner` label, or the single-account layout)."""
    for labels, v in samples(text, "cspwatch_scan_duration_seconds"):
        if labels.get("partner") == partner or ("partner" not in labels and layout == "single"):
            return v
    return None


# The store ------------------------------------------------------------------------------------

class Store:
    """What the database says of each account: its scans, its lease, its findings."""

    def __init__(self, pg, accounts, layout):
        self.db = Psql(pg.url, pg.password)
        self.accounts = accounts
        self.layout = layout
        self.lease_tables = []

    def schema(self, account):
        return SCHEMA if self.layout == "single" else f"{SCHEMA}_{account}"

    def partner(self, account):
        """The account's name in its lease and its metrics' `partner` label."""
        return "default" if self.layout == "single" else account

    def lease_name(self, account):
        return "partner:" + self.partner(account)

    def tables(self):
        rows = self.db.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            f"WHERE table_schema LIKE '{SCHEMA}%' AND table_name IN ('scans', 'leases')")
        return {(s, t) for s, t in rows}

    def snapshot(self):
        """{account: {"scans": [...], "lease": {...} or None}}; leases wherever a `leases`
        table holds them (each account's schema, or one shared)."""
        tables = self.tables()
        out = {a: {"scans": [], "lease": None} for a in self.accounts}
        parts = []
        for a in self.accounts:
            s = self.schema(a)
            if (s, "scans") in tables:
                parts.append(
                    f"SELECT '{a}', id, started_at, coalesce(finished_at, 0), status, "
                    f"tenants_total, tenants_full FROM {s}.scans")
        if parts:
            for a, i, st, fin, status, total, full in self.db.query(
                    " UNION ALL ".join(parts) + " ORDER BY 1, 2"):
                out[a]["scans"].append({"id": int(i), "started_at": int(st),
                                        "finished_at": int(fin) or None, "status": status,
                                        "tenants_total": int(total), "tenants_full": int(full)})
        lease_schemas = sorted(s for s, t in tables if t == "leases")
        if lease_schemas:
            by_name = {self.lease_name(a): a for a in self.accounts}
            rows = self.db.query(" UNION ALL ".join(
                f"SELECT name, holder, token, version, pid FROM {s}.leases"
                for s in lease_schemas))
            for name, holder, token, version, pid in rows:
                a = by_name.get(name)
                if a is not None and (out[a]["lease"] is None or holder):
                    out[a]["lease"] = {"holder": holder, "token": int(token),
                                       "version": int(version), "pid": int(pid)}
        return out

    def findings(self, account):
        """Open findings: how many, how many (rule, tenant, subject) are there more than once,
        and their keys."""
        s = self.schema(account)
        rows = self.db.query(
            f"SELECT rule_id, tenant_id, subject FROM {s}.findings WHERE state = 'open'")
        keys = [tuple(r) if len(r) == 3 else (r[0], r[1], "") for r in rows]
        return {"open": len(keys), "duplicate_keys": len(keys) - len(set(keys)),
                "keys": set(keys)}

    def close(self):
        self.db.close()


# The benchmark --------------------------------------------------------------------------------

def holder_label(lease, instances):
    if not lease or not lease["holder"]:
        return None
    pid = lease["pid"] or int(lease["holder"].rsplit(":", 1)[-1] or 0)
    for inst in instances:
        if inst.pid == pid:
            return inst.label
    return f"pid {pid}"


def wait_migrated(inst, store, timeout=60):
    """--stagger: until the first instance has made every account's tables (`leases` is the
    newest) and answers /metrics; the others start then, as tests/faults/ha_test.cpp starts
    them. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not inst.alive():
            raise RuntimeError(f"instance {inst.label} exited with {inst.proc.returncode}; "
                               f"see {inst.log_path}")
        tables = store.tables()
        if inst.metrics() and all((store.schema(acct), t) in tables for acct in store.accounts
                                  for t in ("scans", "leases")):
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError(f"instance {inst.label} did not make the accounts' tables in {timeout} s")


def check_alive(instances):
    for inst in instances:
        if not inst.killed and not inst.alive():
            raise RuntimeError(f"instance {inst.label} exited with {inst.proc.returncode}; "
                               f"see {inst.log_path}")


ENDED_WELL = ("completed", "partial")


def first_scans(a, instances, store, sims, layout, timeout):
    """Phase 1: every account's first scan that ended completed or partial, from the first
    instance's start. A scan that ended otherwise (failed, interrupted) is noted and waited
    past."""
    accounts = [s.name for s in sims]
    sim_of = {s.name: s for s in sims}
    seen = {acct: {"running_seen": {}, "other_ends": [], "holder_running": {}}
            for acct in accounts}
    started = min(i.started for i in instances)
    while True:
        now = time.monotonic()
        check_alive(instances)
        if now - started > timeout:
            raise RuntimeError(f"not every account's first scan ended within {timeout} s")
        snap = store.snapshot()
        for sim in sims:
            sim.stats()
        for acct in accounts:
            s = seen[acct]
            if "finished_seen" in s:
                continue
            for scan in snap[acct]["scans"]:
                if scan["id"] not in s["running_seen"]:
                    # (a scan first seen ended has no exact start: the database's then)
                    s["running_seen"][scan["id"]] = (now - started
                                                     if scan["status"] == "running" else None)
                if scan["status"] == "running":
                    who = holder_label(snap[acct]["lease"], instances)
                    if who:
                        s["holder_running"][scan["id"]] = who
                    continue
                if scan["status"] not in ENDED_WELL:
                    if scan["id"] not in [e["id"] for e in s["other_ends"]]:
                        s["other_ends"].append({"id": scan["id"], "status": scan["status"]})
                        say(f"{acct}: scan {scan['id']} {scan['status']}")
                    continue
                s["finished_seen"] = now - started
                s["running_seen_at"] = s["running_seen"][scan["id"]]
                s["stats"] = sim_of[acct].stats()
                sim = sim_of[acct]
                s["requests_from_to"] = (
                    None if sim.first_request_at is None else
                    (sim.first_request_at - started, sim.last_change_at - started))
                s["scan"] = scan
                # Who scanned it: the lease's holder while it ran (an instance may give the
                # account up as soon as the scan ended), else the log that tells of it.
                s["holder"] = (s["holder_running"].get(scan["id"]) or
                               scanned_in_log(instances, store.partner(acct), layout, scan["id"])
                               or holder_label(snap[acct]["lease"], instances))
                inst = next((i for i in instances if i.label == s["holder"]), None)
                s["daemon_wall"] = wall_of(inst, inst.metrics() if inst else "",
                                           store.partner(acct), layout, scan["id"])
                say(f"{acct}: scan {scan['id']} {scan['status']} at {now - started:.1f} s "
                    f"(instance {s['holder']})")
                break
        if all("finished_seen" in seen[acct] for acct in accounts):
            return seen, snap, time.monotonic() - started
        time.sleep(POLL_S)


def spread_of(snap, instances, accounts):
    return {inst.label: sorted(acct for acct in accounts
                               if holder_label(snap[acct]["lease"], instances) == inst.label)
            for inst in instances if not inst.killed}


def spread_text(spread):
    return "+".join(str(n) for n in sorted((len(v) for v in spread.values()), reverse=True))


def settle(instances, store, accounts, share, lease_period, timeout):
    """Until every lease is held, none by an instance past its share, and no scan runs (an
    account given up to a joining instance is scanned again by it), for a second on end (the
    instance that took a lease starts its scan just after): the quiet state the failover starts
    from. Returns what it saw."""
    started = time.monotonic()
    quiet_since = None
    known = {}
    while True:
        check_alive(instances)
        snap = store.snapshot()
        spread = spread_of(snap, instances, accounts)
        running = [acct for acct in accounts
                   if any(sc["status"] == "running" for sc in snap[acct]["scans"])]
        for acct in accounts:
            for sc in snap[acct]["scans"]:
                known[(acct, sc["id"])] = sc["status"]
        all_held = all(holder_label(snap[acct]["lease"], instances) for acct in accounts)
        fair = max(len(v) for v in spread.values()) <= share
        now = time.monotonic()
        quiet = all_held and fair and not running
        quiet_since = (quiet_since or now) if quiet else None
        waited = now - started
        if (quiet and now - quiet_since >= 1.0) or waited > timeout:
            return {"settled": quiet, "after_s": waited,
                    "leases": spread, "spread": spread_text(spread),
                    "scans": {acct: [{"id": i, "status": st} for (a, i), st in sorted(
                        known.items()) if a == acct] for acct in accounts}}, snap
        time.sleep(POLL_S)


def account_result(acct, s, tenants, scale):
    stats = s["stats"]
    counts = request_counts(stats)
    bucket = stats["buckets"]["partner_center"]
    floor = floor_of(counts["partner_center"], bucket)
    observed = (s["finished_seen"] - s["running_seen_at"]
                if s["running_seen_at"] is not None else None)
    db_wall = (s["scan"]["finished_at"] - s["scan"]["started_at"]
               if s["scan"]["finished_at"] else None)
    if s["daemon_wall"][0] is not None:
        wall, source = s["daemon_wall"]
    elif observed is not None:
        wall, source = observed, "polled"
    else:
        wall, source = db_wall, "database (whole seconds)"
    # Time spent before the first request and after the last, as scan_bench.py measures it,
    # and the ratio at the real limits it estimates from them: ((wall - that) x K + that) /
    # (floor x K).
    fixed = None
    if s["requests_from_to"] and s["running_seen_at"] is not None and wall is not None:
        first_req, last_req = s["requests_from_to"]
        fixed = (max(0.0, first_req - (s["finished_seen"] - wall)) +
                 max(0.0, s["finished_seen"] - last_req))
    real = (((wall - fixed) * scale + fixed) / (floor * scale)
            if fixed is not None and floor > 0 else None)
    return {
        "instance": s["holder"],
        "scan_status": s["scan"]["status"],
        "tenants_read_fully": f"{s['scan']['tenants_full']}/{s['scan']['tenants_total']}",
        "wall_s": wall,
        "wall_source": source,
        "wall_polled_s": observed,
        "wall_database_s": db_wall,
        "started_s": s["running_seen_at"],
        "scans_ended_otherwise_before": s["other_ends"],
        "finished_s": s["finished_seen"],
        "floor_s": floor,
        "wall_over_floor": wall / floor if floor > 0 and wall is not None else None,
        "before_first_and_after_last_request_s": fixed,
        "wall_over_floor_at_real_limits": real,
        "requests": counts,
        "requests_per_tenant": counts["total"] / tenants,
        "partner_center_per_tenant": counts["partner_center"] / tenants,
        "share_429": counts["answered_429"] / counts["sent"] if counts["sent"] else 0.0,
        "sim_buckets": stats["buckets"],
    }


def failover(a, instances, store, sims, first, lease_period):
    """Phase 2: kill -9 of the instance holding the most leases, mid-scan."""
    accounts = [s.name for s in sims]
    sim_of = {s.name: s for s in sims}
    snap = store.snapshot()
    held = {inst.label: [acct for acct in accounts
                         if holder_label(snap[acct]["lease"], instances) == inst.label]
            for inst in instances}
    victim = max(instances, key=lambda i: len(held[i.label]))
    victim_accounts = held[victim.label]
    if not victim_accounts:
        raise RuntimeError("no instance holds a lease")
    last_id = {acct: snap[acct]["scans"][-1]["id"] for acct in accounts}
    say(f"failover: POST /v1/scan on instance {victim.label} (holds {victim_accounts})")
    asked = time.monotonic()
    http_post(f"http://127.0.0.1:{victim.port}/v1/scan")
    running = {}
    while time.monotonic() - asked < 20 and len(running) < len(victim_accounts):
        snap = store.snapshot()
        for sim in sims:
            sim.stats()
        for acct in victim_accounts:
            new = [s for s in snap[acct]["scans"] if s["id"] > last_id[acct]]
            if new and new[0]["status"] == "running" and acct not in running:
                running[acct] = {"scan_id": new[0]["id"], "seen": time.monotonic()}
        time.sleep(FAST_POLL_S)
    if not running:
        raise RuntimeError(f"POST /v1/scan started no scan on instance {victim.label} in 20 s")
    # Mid-scan: --kill-at of the shortest first scan of these accounts into the earliest one.
    shortest = min(first[acct]["wall_s"] for acct in running)
    kill_at = min(r["seen"] for r in running.values()) + a.kill_at * shortest
    while time.monotonic() < kill_at:
        for sim in sims:
            sim.stats()
        time.sleep(max(0.0, min(POLL_S, kill_at - time.monotonic())))
    snap = store.snapshot()
    still = [acct for acct in running if any(
        s["id"] == running[acct]["scan_id"] and s["status"] == "running"
        for s in snap[acct]["scans"])]
    pc_at_kill = {acct: request_counts(sim_of[acct].stats())["partner_center"]
                  for acct in victim_accounts}
    killed = time.monotonic()
    os.kill(victim.pid, signal.SIGKILL)
    victim.proc.wait()
    victim.killed = True
    into = {acct: killed - r["seen"] for acct, r in running.items()}
    say(f"failover: kill -9 of instance {victim.label} (pid {victim.pid}); scans under way: "
        f"{still}")
    survivors = [i for i in instances if i is not victim]
    out = {acct: {} for acct in victim_accounts}
    deadline = killed + max(60.0, 20 * lease_period) + 3 * max(f["wall_s"] for f in first.values())
    while time.monotonic() < deadline:
        snap = store.snapshot()
        now = time.monotonic()  # when the database said so (the metrics: their own times)
        for sim in sims:
            sim.stats()
        texts = {}
        for i in survivors:
            if i.alive():
                texts[i.label] = (i.metrics(), time.monotonic())
        for acct in victim_accounts:
            o = out[acct]
            lease = snap[acct]["lease"]
            who = holder_label(lease, instances)
            if "lease_in_db_s" not in o and who is not None and who != victim.label:
                o["lease_in_db_s"] = now - killed
                o["taken_by"] = who
                o["stats_at_takeover"] = sim_of[acct].stats()
                o["bucket_at_takeover"] = sim_of[acct].level
                say(f"failover: {acct}: instance {who} holds the lease {now - killed:.2f} s "
                    f"after the kill")
            name = store.partner(acct)
            for label, (text, at) in texts.items():
                if "lease_held_metric_s" not in o and \
                        next(i for i in survivors if i.label == label).lease_held(text).get(name):
                    o["lease_held_metric_s"] = at - killed
                    o["metric_instance"] = label
            after = [s for s in snap[acct]["scans"] if s["id"] > last_id[acct]]
            done = [s for s in after if s["status"] not in ("running", "interrupted")
                    and (acct not in running or s["id"] > running[acct]["scan_id"])]
            if done and "completed_s" not in o:
                o["completed_s"] = now - killed
                o["scan"] = done[0]
                o["stats_at_completion"] = sim_of[acct].stats()
                inst = next((i for i in survivors if i.label == o.get("taken_by")), None)
                o["daemon_wall"] = wall_of(inst, inst.metrics() if inst else "", name,
                                           store.layout, done[0]["id"])
                say(f"failover: {acct}: scan {done[0]['id']} {done[0]['status']} "
                    f"{now - killed:.1f} s after the kill")
        if all("completed_s" in out[acct] and "lease_in_db_s" in out[acct]
               for acct in victim_accounts):
            break
        time.sleep(FAST_POLL_S)
    snap = store.snapshot()
    results = {}
    for acct in victim_accounts:
        o = out[acct]
        r = {
            "scan_under_way_at_kill": acct in still,
            "killed_after_s_of_scan": into.get(acct),
            "taken_by": o.get("taken_by"),
            "lease_taken_s": o.get("lease_in_db_s"),
            "lease_taken_over_period": (o["lease_in_db_s"] / lease_period
                                        if "lease_in_db_s" in o else None),
            "lease_held_metric_s": o.get("lease_held_metric_s"),
            "scan_completed_s": o.get("completed_s"),
            "scan_completed_over_period": (o["completed_s"] / lease_period
                                           if "completed_s" in o else None),
            "scans_since_request": [{"id": s["id"], "status": s["status"]}
                                    for s in snap[acct]["scans"] if s["id"] > last_id[acct]],
        }
        if "completed_s" in o and "lease_in_db_s" in o:
            polled = o["completed_s"] - o["lease_in_db_s"]
            wall, source = o["daemon_wall"]
            if wall is None:
                wall, source = polled, "polled (lease taken to the scan's end seen)"
            pc = (request_counts(o["stats_at_completion"])["partner_center"] -
                  request_counts(o["stats_at_takeover"])["partner_center"])
            # What the bucket held at the takeover (the killed scan had been spending it) at
            # once, the rest at its rate.
            bucket = o["stats_at_completion"]["buckets"]["partner_center"]
            floor = max(0.0, pc - o["bucket_at_takeover"]) / bucket["per_second"]
            r.update({
                "takeover_scan_wall_s": wall,
                "takeover_scan_wall_source": source,
                "takeover_scan_floor_s": floor,
                "takeover_scan_partner_center_requests": pc,
                "bucket_at_takeover": o["bucket_at_takeover"],
                "takeover_scan_wall_over_floor": wall / floor if floor > 0 else None,
                "takeover_scan_status": o["scan"]["status"],
                "partner_center_requests_before_kill": pc_at_kill[acct] - request_counts(
                    first[acct]["stats"])["partner_center"],
            })
        results[acct] = r
    return victim, held, results


def check_findings(store, sims, clean):
    out = {}
    for sim in sims:
        f = store.findings(sim.name)
        truth = sim.truth()
        out[sim.name] = {
            "open": f["open"],
            "open_after_first_scan": clean[sim.name]["open"],
            "duplicate_keys": f["duplicate_keys"],
            "same_as_first_scan": f["keys"] == clean[sim.name]["keys"],
            "truth": len(truth),
            "same_as_truth": f["keys"] == truth,
            "missing_from_truth": len(truth - f["keys"]),
            "not_in_truth": len(f["keys"] - truth),
        }
    return out


def run(a):
    bin_dir, rules_dir = os.path.abspath(a.bin_dir), os.path.abspath(a.rules_dir)
    layout = a.layout if a.layout != "auto" else ("single" if a.accounts == 1 else "partners")
    if layout == "single" and a.accounts != 1:
        raise SystemExit("--layout single takes one account (--accounts 1)")
    work = tempfile.mkdtemp(prefix="cspwatch-ha-bench-")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    now_text = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    pg = store = None
    sims, instances = [], []
    failed = True
    try:
        pg = Postgres(work)
        say(pg.version)
        for i, name in enumerate(account_names(a.accounts)):
            sims.append(Simulator(bin_dir, rules_dir, work, name, i + 1, a.tenants, a.scale,
                                  a.burst, a.latency_ms, a.token_latency_ms, now_text))
        labels = [chr(ord("a") + i) for i in range(a.instances)]
        ports = [(label, free_port()) for label in labels]
        configs = write_configs(work, sims, layout, pg, rules_dir, a.lease_period, a.scale,
                                a.concurrency, ports)
        check = subprocess.run([os.path.join(bin_dir, "cspwatch"), "--config", configs[0],
                                "config", "check"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"cspwatch config check refused {configs[0]} (layout {layout}):\n"
                               + (check.stdout + check.stderr).strip())
        store = Store(pg, [s.name for s in sims], layout)
        say(f"{a.accounts} account(s) x {a.tenants} tenants, {a.instances} instance(s), "
            f"layout {layout}, scale {a.scale}, lease period {a.lease_period} s; work in {work}")
        stagger = None
        for (label, port), config in zip(ports, configs):
            instances.append(Instance(bin_dir, label, config, port, work))
            if len(instances) == 1 and a.stagger:
                stagger = wait_migrated(instances[0], store)
        seen, snap, total = first_scans(a, instances, store, sims, layout, a.timeout)
        accounts = {acct: account_result(acct, seen[acct], a.tenants, a.scale) for acct in seen}
        share = math.ceil(a.accounts / a.instances)
        scanned_by = {inst.label: sorted(acct for acct, r in accounts.items()
                                         if r["instance"] == inst.label) for inst in instances}
        spread = spread_of(snap, instances, list(accounts))
        floors = [r["floor_s"] for r in accounts.values()]
        usage = {inst.label: inst.usage() for inst in instances}
        clean = {sim.name: store.findings(sim.name) for sim in sims}
        say(f"first scans done in {total:.1f} s; scanned by {scanned_by}; leases {spread}")
        settled, snap = settle(instances, store, list(accounts), share, a.lease_period,
                               20 * a.lease_period + 3 * max(r["wall_s"] or 0
                                                             for r in accounts.values()))
        say(f"settled after {settled['after_s']:.1f} s more: leases {settled['leases']}")
        result = {
            "tenants": a.tenants,
            "accounts": a.accounts,
            "instances": a.instances,
            "layout": layout,
            "scale": a.scale,
            "burst_s": a.burst,
            "lease_period_s": a.lease_period,
            "latency_ms": sims[0].latency,
            "token_latency_ms": sims[0].token_latency,
            "concurrency": a.concurrency,
            "sim_rate_limits": sims[0].shapes,
            "postgres": pg.version,
            "multi": {
                "wall_s": total,
                "others_started_after_s": stagger,
                "largest_floor_s": max(floors),
                "sum_of_floors_s": sum(floors),
                "wall_over_largest_floor": total / max(floors) if max(floors) > 0 else None,
                "wall_over_sum_of_floors": total / sum(floors) if sum(floors) > 0 else None,
                "first_scans_by": scanned_by,
                "first_scans_spread": spread_text(scanned_by),
                "leases_when_done": spread,
                "fair_share": share,
                "settled": settled,
                "per_account": accounts,
                "instances_usage_at_end": usage,
            },
        }
        if not a.no_failover:
            first = {acct: {"wall_s": r["wall_s"], "stats": seen[acct]["stats"]}
                     for acct, r in accounts.items()}
            victim, held, fo = failover(a, instances, store, sims, first, a.lease_period)
            taken = [r["lease_taken_s"] for r in fo.values() if r["lease_taken_s"] is not None]
            done = [r["scan_completed_s"] for r in fo.values()
                    if r["scan_completed_s"] is not None]
            snap = store.snapshot()
            result["failover"] = {
                "killed": victim.label,
                "leases_before": held,
                "leases_after": {i.label: sorted(acct for acct in snap
                                                 if holder_label(snap[acct]["lease"], instances)
                                                 == i.label) for i in instances if not i.killed},
                "per_account": fo,
                "lease_taken_max_s": max(taken) if taken else None,
                "lease_taken_max_over_period": max(taken) / a.lease_period if taken else None,
                "within_two_periods": bool(taken) and len(taken) == len(fo) and
                max(taken) <= 2 * a.lease_period,
                "scans_completed_max_s": max(done) if done else None,
                "findings": check_findings(store, sims, clean),
            }
        result["exit_codes"] = {i.label: (None if i.killed else i.stop()) for i in instances}
        result["work_dir"] = work if a.keep else None
        failed = False
        return result
    finally:
        for inst in instances:
            if inst.alive():
                inst.proc.kill()
                inst.proc.wait()
            if not inst.log.closed:
                inst.log.close()
        if store is not None:
            store.close()
        for sim in sims:
            sim.stop()
        if pg is not None:
            pg.stop()
        if failed:
            say(f"the work directory is kept: {work}")
        elif not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bin_dir")
    p.add_argument("rules_dir")
    p.add_argument("--tenants", type=int, default=2000, help="tenants of each account")
    p.add_argument("--accounts", type=int, default=3, help="partner accounts, one simulator each")
    p.add_argument("--instances", type=int, default=2, help="cspwatch run instances")
    p.add_argument("--scale", type=int, default=1,
                   help="rate limits and pacing times K, latency divided by K (scan_bench.py)")
    p.add_argument("--lease-period", type=int, default=6, help="storage.lease_period, seconds")
    p.add_argument("--burst", type=float, default=60,
                   help="seconds of refill the simulators' buckets hold (unscaled)")
    p.add_argument("--latency-ms", type=int, default=50, help="unscaled latency of every answer")
    p.add_argument("--token-latency-ms", type=int, default=scan_bench.TOKEN_LATENCY_MS,
                   help="unscaled latency added to the token endpoint's answers")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--kill-at", type=float, default=0.3,
                   help="kill -9 this share of the first scan's wall time into the next scan")
    p.add_argument("--layout", choices=["auto", "single", "partners"], default="auto")
    p.add_argument("--no-failover", action="store_true", help="the first scans only")
    p.add_argument("--stagger", action="store_true",
                   help="start the other instances once the first has made the accounts' "
                   "tables (by default all start at once)")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    if a.accounts < 1 or a.instances < 1 or a.scale < 1 or a.lease_period < 2:
        p.error("--accounts, --instances and --scale at least 1, --lease-period at least 2")
    if a.instances < 2 and not a.no_failover:
        p.error("failover needs --instances 2 or more (or --no-failover)")
    json.dump(run(a), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
