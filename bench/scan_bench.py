#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A whole scan by the real daemon against the simulator, each in its own process.

Starts `cspwatch-sim --generate N` with latency and Partner Center's and Graph's rate limits,
then `cspwatch run` against it (the config the simulator writes, plus client pacing and an
`http.listen` port), waits for its first scan to end (`/metrics`), and measures:

- the scan's wall time (`cspwatch_scan_duration_seconds`) against the rate-limit floor: the
  least time the simulator's Partner Center bucket allows for the Partner Center requests the
  scan made, its capacity at once and the rest at its rate: (requests - capacity) / rate;
- the share of requests answered 429, all APIs, and the requests per tenant in all and by API
  (Partner Center, Graph, sign-ins at the token endpoint), from `/_sim/stats`;
- the cspwatch process's CPU time (user+sys, all threads, /proc/PID/stat) when the scan ended,
  its peak RSS (VmHWM) then, its RSS after `--idle` seconds of idling, and ru_maxrss from
  wait4() after SIGTERM. The simulator is another process: its memory and CPU do not count.

The bucket's shape (--burst S): Microsoft publishes rates, not bursts, so the simulator's
buckets hold S seconds of their refill (`--pc-burst`, `--graph-burst`; docs/simulator.md).

Scaling (--scale K): the simulator's limits (--pc-rate, --graph-rate) and the client's pacing
(pc_requests_per_minute, graph_requests_per_10s) are multiplied by K, the latencies and the
burst's seconds divided by K, so a minute of limits passes in 60/K seconds, every time the
scan spends is K times shorter, and the simulator's buckets hold as many requests as unscaled
(S/K seconds of a K-fold rate). A scaled run is then the unscaled one with time divided by K,
except Retry-After's whole seconds (a throttled request waits up to K times longer,
relatively). See bench/README.md and docs/performance.md.

Usage: bench/scan_bench.py BIN_DIR RULES_DIR [--tenants N] [--scale K] [--burst S]
                           [--latency-ms MS] [--token-latency-ms MS] [--concurrency C]
                           [--idle S] [--keep]
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PC_PER_MINUTE = 500  # Partner Center, per partner (documented)
GRAPH_PER_10S = 3500  # Graph, per app and tenant (documented, small tenant)
CLIENT_PC_PER_MINUTE = 480  # cspwatch's default pacing (config/app_config.h)
CLIENT_GRAPH_PER_10S = 3000
# Entra's token endpoint answers in about 100-300 ms: 50 ms of every answer plus this.
TOKEN_LATENCY_MS = 150
TOKEN_ROUTE = "POST /login/{tenant}/oauth2/v2.0/token"  # sign-ins, in /_sim/stats


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def proc_status(pid: int) -> dict:
    """VmHWM, VmRSS, ... in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.startswith("Vm") or key.startswith("Rss"):
                out[key] = int(value.split()[0])
    return out


def proc_cpu_seconds(pid: int):
    """(utime, stime) of the whole process (every thread, living or ended), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def metric(text: str, name: str):
    """The samples of one metric family: {labels text: value}, the partner account's label left
    out (one account here: "default")."""
    found = {}
    for line in text.splitlines():
        m = re.match(re.escape(name) + r"(\{[^}]*\})?\s+(\S+)$", line)
        if m:
            labels = re.sub(r'partner="[^"]*",?', "", m.group(1) or "")
            found["" if labels == "{}" else labels] = float(m.group(2))
    return found


def request_counts(stats: dict) -> dict:
    """The requests of /_sim/stats by API: those answered (a 429 is not counted under its
    route), the 429s of each API, and all sent."""
    requests = stats["requests"]
    c = {
        "partner_center": sum(n for k, n in requests.items() if " /pc/" in k),
        "graph": sum(n for k, n in requests.items() if " /graph/" in k),
        "login": sum(n for k, n in requests.items() if " /login/" in k),
        "sign_ins": requests.get(TOKEN_ROUTE, 0),
        "total": stats["requests_total"],
        "answered_429": stats.get("throttled_429", 0),
        "answered_429_partner_center": stats.get("throttled_429_partner_center", 0),
        "answered_429_graph": stats.get("throttled_429_graph", 0),
    }
    c["sent"] = c["total"] + c["answered_429"]
    return c


def scan(bin_dir, rules_dir, tenants, scale, latency_ms, concurrency, idle, keep, timeout,
         burst=60, token_latency_ms=0):
    work = tempfile.mkdtemp(prefix=f"cspwatch-scan-bench-{tenants}-")
    bin_dir, rules_dir = os.path.abspath(bin_dir), os.path.abspath(rules_dir)
    failed = True
    sim_latency = int(round(latency_ms / scale))
    sim_token_latency = int(round(token_latency_ms / scale))
    sim_burst = burst / scale  # seconds of a K-fold rate: the unscaled bucket's requests
    sim_cmd = [
        os.path.join(bin_dir, "cspwatch-sim"), "--generate", str(tenants), "--seed", "1",
        # Pages of 100, the order of Graph's default page sizes: the simulator's small default
        # pages (2 or 3) are for tests; at 10,000 tenants they would make the customer list,
        # read page by page, the bottleneck instead of the rate limits measured here.
        "--page-size", "100",
        "--latency-ms", str(sim_latency), "--pc-rate", str(PC_PER_MINUTE * scale),
        "--graph-rate", str(GRAPH_PER_10S * scale), "--pc-burst", repr(sim_burst),
        "--graph-burst", repr(sim_burst), "--token-latency-ms", str(sim_token_latency),
        "--write-config",
        os.path.join(work, "cspwatch.yaml"), "--rules-path", rules_dir
    ]
    sim_err = open(os.path.join(work, "sim.err"), "w")
    sim = subprocess.Popen(sim_cmd, stdout=subprocess.PIPE, stderr=sim_err, text=True)
    daemon = log = None
    try:
        first = sim.stdout.readline().strip()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+)$", first)
        if not m:
            raise RuntimeError(f"cspwatch-sim did not start: {first!r}")
        sim_url = m.group(1)
        shapes = sim.stdout.readline().strip()  # "rate limits: ..." (docs/simulator.md)
        config = os.path.join(work, "cspwatch.yaml")
        with open(config) as f:
            text = f.read()
        pacing = (f"    concurrency: {concurrency}\n"
                  f"    pc_requests_per_minute: {CLIENT_PC_PER_MINUTE * scale}\n"
                  f"    graph_requests_per_10s: {CLIENT_GRAPH_PER_10S * scale}\n")
        anchor = "    refresh_token_file: refresh_token\n"
        if anchor not in text:
            raise RuntimeError("unexpected config from cspwatch-sim --write-config")
        text = text.replace(anchor, anchor + pacing)
        http_port = free_port()
        text += f"http:\n  listen: 127.0.0.1:{http_port}\n"
        with open(config, "w") as f:
            f.write(text)

        log = open(os.path.join(work, "cspwatch.log"), "w")
        started = time.monotonic()
        daemon = subprocess.Popen(
            [os.path.join(bin_dir, "cspwatch"), "--config", config, "--log-level", "info", "run"],
            stdout=log, stderr=subprocess.STDOUT)
        metrics_url = f"http://127.0.0.1:{http_port}/metrics"
        scans = {}
        # The simulator's request count, watched to find the time spent before the first
        # request (start-up, the inventory) and after the last (the final staging, the apply):
        # CPU work that the scaling does not shorten.
        first_request = last_change = None
        last_total = 0
        while sum(scans.values()) == 0:  # every status is listed from the start, at 0
            if daemon.poll() is not None:
                raise RuntimeError(f"cspwatch run exited with {daemon.returncode}; "
                                   f"see {work}/cspwatch.log")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"no scan ended within {timeout} s; see {work}")
            time.sleep(0.1)
            now = time.monotonic() - started
            total = json.loads(http_get(sim_url + "/_sim/stats"))["requests_total"]
            if total > 0 and first_request is None:
                first_request = now
            if total != last_total:
                last_change, last_total = now, total
            try:
                text = http_get(metrics_url)
            except OSError:
                continue  # not listening yet
            scans = metric(text, "cspwatch_scans_total")
        user, system = proc_cpu_seconds(daemon.pid)
        cpu = user + system
        status = proc_status(daemon.pid)
        ended = time.monotonic() - started
        duration = metric(text, "cspwatch_scan_duration_seconds")[""]
        tenant_counts = metric(text, "cspwatch_tenants")
        scan_status = next(k for k, v in scans.items() if v > 0).split('"')[1]
        time.sleep(idle)
        idle_status = proc_status(daemon.pid)
        idle_cpu = sum(proc_cpu_seconds(daemon.pid))
        daemon.send_signal(signal.SIGTERM)
        _, exit_status, rusage = os.wait4(daemon.pid, 0)
        exit_code = os.waitstatus_to_exitcode(exit_status)
        daemon = None

        stats = json.loads(http_get(sim_url + "/_sim/stats"))
        counts = request_counts(stats)
        bucket = stats["buckets"]["partner_center"]
        # The least time for the Partner Center requests the bucket admitted (a 429 takes no
        # token): its capacity at once, the rest at its rate.
        floor = max(0, counts["partner_center"] - bucket["capacity"]) / bucket["per_second"]
        scan_start = ended - duration
        before = max(0.0, (first_request or scan_start) - scan_start)
        after = max(0.0, ended - (last_change or ended))
        failed = False
        return {
            "tenants": tenants,
            "tenants_read": {k.split('"')[1]: int(v) for k, v in tenant_counts.items()},
            "scan_status": scan_status,
            "scale": scale,
            "latency_ms": sim_latency,
            "latency_ms_unscaled": sim_latency * scale,
            "token_latency_ms": sim_token_latency,
            "token_latency_ms_unscaled": sim_token_latency * scale,
            "concurrency": concurrency,
            "sim_pc_per_minute": PC_PER_MINUTE * scale,
            "sim_graph_per_10s": GRAPH_PER_10S * scale,
            "client_pc_per_minute": CLIENT_PC_PER_MINUTE * scale,
            "client_graph_per_10s": CLIENT_GRAPH_PER_10S * scale,
            "wall_s": duration,
            "process_to_scan_end_s": ended,
            "floor_s": floor,
            "wall_over_floor": duration / floor if floor > 0 else None,
            "burst_s": burst,
            "sim_burst_s": sim_burst,
            "sim_buckets": stats["buckets"],
            "sim_rate_limits": shapes,
            "burst": bucket["capacity"],
            "before_first_request_s": before,
            "after_last_request_s": after,
            "requests": counts,
            # Each route's answered requests per tenant: what each part of a tenant costs.
            "requests_per_tenant_by_route": {k: n / tenants for k, n in
                                             sorted(stats["requests"].items())},
            "requests_per_tenant": {k: counts[k] / tenants for k in
                                    ("total", "partner_center", "graph", "sign_ins")},
            "share_429": counts["answered_429"] / counts["sent"] if counts["sent"] else 0.0,
            "time_per_tenant_ms": duration / tenants * 1000,
            "time_per_tenant_ms_unscaled": duration * scale / tenants * 1000,
            "cpu_ms_per_tenant": cpu / tenants * 1000,
            "cpu_s_at_scan_end": cpu,
            "cpu_user_s": user,
            "cpu_sys_s": system,
            "cpu_s_idle": idle_cpu - cpu,
            "cpu_s_total": rusage.ru_utime + rusage.ru_stime,
            "peak_rss_kib": status["VmHWM"],
            "rss_at_scan_end_kib": status["VmRSS"],
            "idle_rss_kib": idle_status["VmRSS"],
            "idle_s": idle,
            "ru_maxrss_kib": rusage.ru_maxrss,
            "exit_code": exit_code,
            "work_dir": work if keep else None,
        }
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        if log is not None:
            log.close()
        if sim.poll() is None:
            sim.send_signal(signal.SIGTERM)
            try:
                sim.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait()
        sim_err.close()
        if failed:
            print(f"scan_bench: the work directory is kept: {work}", file=sys.stderr)
        elif not keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bin_dir")
    p.add_argument("rules_dir")
    p.add_argument("--tenants", type=int, default=2000)
    p.add_argument("--scale", type=int, default=1,
                   help="rate limits and pacing times K, latency divided by K")
    p.add_argument("--burst", type=float, default=60,
                   help="seconds of refill the simulator's buckets hold (1, 10, 60; unscaled)")
    p.add_argument("--latency-ms", type=int, default=50, help="unscaled latency of every answer")
    p.add_argument("--token-latency-ms", type=int, default=TOKEN_LATENCY_MS,
                   help="unscaled latency added to the token endpoint's answers (sign-ins)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--idle", type=float, default=5, help="seconds to idle before the idle RSS")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    result = scan(a.bin_dir, a.rules_dir, a.tenants, a.scale, a.latency_ms, a.concurrency, a.idle,
                  a.keep, a.timeout, a.burst, a.token_latency_ms)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
