#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs every benchmark and writes one Markdown table (bench/run.sh calls this after building).

Usage: bench/report.py BIN_DIR OUT_DIR [--sizes 1000:1,10000:10] [--bursts 1,10,60] [--reuse]
Writes OUT_DIR/report.md (also printed) and each benchmark's raw output beside it.
Environment: BENCH_SIZES overrides --sizes (TENANTS:SCALE,...; the growth figures compare the
first and the last), BENCH_BURSTS --bursts (the simulator's bucket shapes, seconds of refill a
full bucket holds): every size is scanned with every burst.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_bench  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Scans: the targets of issue 17 (docs/performance.md), for every bucket shape and size.
SCAN_TARGET = 1.05  # wall / rate-limit floor
SHARE_429_TARGET = 0.01  # requests answered 429, all APIs
PC_PER_TENANT_TARGET = 1.1  # Partner Center requests per tenant
ALL_PER_TENANT_TARGET = 5.0  # requests per tenant in all, sign-ins included
IDLE_RSS_TARGET_MB = 30
MEMORY_TARGET_TENANTS = 10_000  # the RSS targets are for scans of this many tenants
RULES_TARGET = 1_000_000
APPLY_UNCHANGED_TARGET = 1.0
APPLY_CHANGED_TARGET = 0.2
PEAK_RSS_TARGET_MB = 100
GROWTH_TARGET = 1.10  # linear in tenants, not worse
SIM_RATE_TARGET = 2000
SIM_STARTUP_TARGET = 1.0


REUSE = False  # --reuse: read the raw outputs of the last run instead of running anything


def run(cmd, out_file):
    """Runs a benchmark binary; returns its stdout (also saved to out_file)."""
    if REUSE:
        with open(out_file) as f:
            return f.read()
    print(f"bench: {' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))}",
          file=sys.stderr, flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    with open(out_file, "w") as f:
        f.write(r.stdout + r.stderr)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def grab(pattern, text, what, cast=float):
    m = re.search(pattern, text)
    if not m:
        raise RuntimeError(f"no '{what}' in the benchmark's output")
    return tuple(cast(g) for g in m.groups()) if len(m.groups()) > 1 else cast(m.group(1))


def loadavg():
    with open("/proc/loadavg") as f:
        return " / ".join(f.read().split()[:3])


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    try:
        commit = subprocess.run(
            ["git", "-C", ROOT, "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "cores": os.cpu_count(),
        "model": model,
        "memory_gib": mem_kib / 1024 / 1024,
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
    }


def verdict(ok):
    return "PASS" if ok else "**FAIL**"


def mb(kib):
    return kib * 1024 / 1e6


def n(x, digits=0):
    return f"{x:,.{digits}f}"


def fail_mark(ok):
    """A figure's mark in the scans table: nothing when it meets its target."""
    return "" if ok else " **FAIL**"


def label(s):
    return f"{n(s['tenants'])} x{s['scale']}, {s['burst_s']:g} s"


def fixed_s(s):
    """Seconds before the first request and after the last: CPU work the scaling leaves as is."""
    return s.get("before_first_request_s", 0) + s.get("after_last_request_s", 0)


def real_ratio(s):
    """wall / floor estimated at the real limits: the time outside the requests (start-up, the
    inventory, the final apply) does not shrink with K, so it is counted once."""
    k, fixed = s["scale"], fixed_s(s)
    return ((s["wall_s"] - fixed) * k + fixed) / (s["floor_s"] * k) if s["floor_s"] else None


def per_tenant(s, key):
    return s["requests"][key] / s["tenants"]


def all_per_tenant(s):
    """Every request sent per tenant, sign-ins and requests answered 429 included."""
    return s["requests"]["sent"] / s["tenants"]


def run_scans(b, out, sizes, bursts):
    """Every size with every burst: the scan_bench results, in the order of the table."""
    scans = []
    for burst in bursts:
        for tenants, scale in sizes:
            print(f"bench: scan of {tenants:,} tenants, scale x{scale}, burst {burst:g} s",
                  file=sys.stderr, flush=True)
            raw = out(f"scan-{tenants}-burst{burst:g}.json")
            if REUSE:
                with open(raw) as f:
                    r = json.load(f)
            else:
                r = scan_bench.scan(b(""), os.path.join(ROOT, "etc/rules.d"), tenants, scale, 50,
                                    8, 5, False, 3600, burst, scan_bench.TOKEN_LATENCY_MS)
                with open(raw, "w") as f:
                    json.dump(r, f, indent=2)
            if r["scan_status"] != "completed":
                raise RuntimeError(f"the {tenants}-tenant scan (burst {burst:g} s) ended "
                                   f"{r['scan_status']}")
            scans.append(r)
    return scans


def worst(scans, figure, higher_is_worse=True):
    """The scan with the worst figure, and the figure."""
    s = (max if higher_is_worse else min)(scans, key=lambda x: figure(x) or 0)
    return s, figure(s)


def scan_rows(row, scans):
    """The scans' targets in the main table: the worst scan for each, every shape and size."""
    with_floor = [s for s in scans if s["wall_over_floor"] is not None]
    if with_floor:
        s, ratio = worst(with_floor, lambda x: x["wall_over_floor"])
        # A scan whose requests all fitted in the first bucketful has no floor to compare with.
        row(f"scans: wall / rate-limit floor, worst of {len(with_floor)} (every shape and size; "
            "table below)", f"**{ratio:.3f}** ({label(s)})", f"at most {SCAN_TARGET:.2f}",
            verdict(ratio <= SCAN_TARGET))
    s, share = worst(scans, lambda x: x["share_429"])
    row("scans: share of requests answered 429 (all APIs), worst",
        f"**{share * 100:.2f}%** ({label(s)}: {n(s['requests']['answered_429'])} of "
        f"{n(s['requests']['sent'])})", f"at most {SHARE_429_TARGET * 100:.0f}%",
        verdict(share <= SHARE_429_TARGET))
    s, pc = worst(scans, lambda x: per_tenant(x, "partner_center"))
    row("scans: Partner Center requests per tenant (answered), worst", f"**{pc:.2f}** ({label(s)})",
        f"at most {PC_PER_TENANT_TARGET}", verdict(pc <= PC_PER_TENANT_TARGET))
    s, total = worst(scans, all_per_tenant)
    row("scans: requests per tenant in all (sign-ins and 429s included), worst",
        f"**{total:.2f}** ({label(s)})", f"at most {ALL_PER_TENANT_TARGET:g}",
        verdict(total <= ALL_PER_TENANT_TARGET))
    big = [x for x in scans if x["tenants"] >= MEMORY_TARGET_TENANTS] or scans
    s, peak = worst(big, lambda x: mb(x["peak_rss_kib"]))
    row(f"peak RSS of `cspwatch run` during a scan of {n(s['tenants'])} tenants (VmHWM), worst "
        "shape", f"**{n(peak, 1)} MB** ({label(s)}; ru_maxrss {n(mb(s['ru_maxrss_kib']), 1)} MB)",
        f"under {PEAK_RSS_TARGET_MB} MB", verdict(peak < PEAK_RSS_TARGET_MB))
    s, idle = worst(big, lambda x: mb(x["idle_rss_kib"]))
    row(f"idle RSS of `cspwatch run`, {n(s['idle_s'], 0)} s after a scan of {n(s['tenants'])} "
        "tenants, worst shape", f"**{n(idle, 1)} MB** ({label(s)})",
        f"under {IDLE_RSS_TARGET_MB} MB", verdict(idle < IDLE_RSS_TARGET_MB))
    cpu = ", ".join(f"{x['cpu_s_at_scan_end'] / x['tenants'] * 1000:.2f} ms ({label(x)})"
                    for x in scans)
    row("CPU (user+sys) per tenant, start-up included", cpu, "(no worse than before)", "")


def growth_rows(row, scans, sizes, bursts):
    """Per burst, the largest size against the smallest: time per tenant relative to the floor,
    requests per tenant and CPU per tenant."""
    if len(sizes) < 2:
        return
    pairs = []
    for burst in bursts:
        of = [s for s in scans if s["burst_s"] == burst]
        pairs.append((burst, of[0], of[-1]))
    largest, smallest = n(sizes[-1][0]), n(sizes[0][0])
    what = [
        ("time per tenant relative to the floor (1.0 = linear)",
         lambda s: s["wall_over_floor"]),
        ("requests per tenant", all_per_tenant),
        ("CPU per tenant", lambda s: s["cpu_s_at_scan_end"] / s["tenants"]),
    ]
    for name, figure in what:
        ratios = [(b, figure(l) / figure(f)) for b, f, l in pairs if figure(f) and figure(l)]
        if not ratios:
            continue
        row(f"growth: {name} at {largest} vs {smallest} tenants",
            ", ".join(f"{r:.3f} ({b:g} s)" for b, r in ratios), f"at most {GROWTH_TARGET:.2f}",
            verdict(all(r <= GROWTH_TARGET for _, r in ratios)))


def scans_table(scans):
    """Every figure of every scan, a line per shape and size; a figure past its target is marked."""
    md = ["| burst | tenants (limits) | wall / floor | at the real limits | wall, floor | answered "
          "429 | requests per tenant: all, Partner Center, Graph, sign-ins | peak RSS | idle RSS "
          "| CPU per tenant | time per tenant (at the real limits) |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in scans:
        ratio, real = s["wall_over_floor"], real_ratio(s)
        ratio_text = "no floor" if ratio is None else (
            f"**{ratio:.3f}**{fail_mark(ratio <= SCAN_TARGET)}")
        big = s["tenants"] >= MEMORY_TARGET_TENANTS
        peak, idle = mb(s["peak_rss_kib"]), mb(s["idle_rss_kib"])
        pc, total = per_tenant(s, "partner_center"), all_per_tenant(s)
        md.append(
            f"| {s['burst_s']:g} s | {n(s['tenants'])} (x{s['scale']}) | {ratio_text} | "
            + (f"{real:.3f}" if real else "") + " | "
            f"{n(s['wall_s'], 1)} s, {n(s['floor_s'], 1)} s | "
            f"{s['share_429'] * 100:.2f}%{fail_mark(s['share_429'] <= SHARE_429_TARGET)} "
            f"({n(s['requests']['answered_429_partner_center'])} PC, "
            f"{n(s['requests']['answered_429_graph'])} Graph) | "
            f"{total:.2f}{fail_mark(total <= ALL_PER_TENANT_TARGET)}, "
            f"{pc:.2f}{fail_mark(pc <= PC_PER_TENANT_TARGET)}, {per_tenant(s, 'graph'):.2f}, "
            f"{per_tenant(s, 'sign_ins'):.2f} | "
            f"{n(peak, 1)} MB{fail_mark(not big or peak < PEAK_RSS_TARGET_MB)} | "
            f"{n(idle, 1)} MB{fail_mark(not big or idle < IDLE_RSS_TARGET_MB)} | "
            f"{s['cpu_s_at_scan_end'] / s['tenants'] * 1000:.2f} ms | "
            f"{s['wall_s'] / s['tenants'] * 1000:.1f} ms "
            f"({s['wall_s'] * s['scale'] / s['tenants'] * 1000:.0f} ms) |")
    return md


def scan_notes(scans, bursts):
    return [
        "Scans: `cspwatch run` and `cspwatch-sim --generate N --seed 1` as separate processes, "
        "8 workers, 50 ms latency on every answer and 150 ms more on the token endpoint's "
        "(Entra's sign-ins take about 100-300 ms) at the real limits: Partner Center 500 a "
        "minute per partner, Graph 3,500 per 10 s per app and tenant; cspwatch's pacing starts "
        "at 480 and 3,000 and follows what it learns from the answers (msapi/pacer.h). Microsoft publishes rates, not bursts, so each size is scanned with "
        "buckets that hold " + ", ".join(f"{b:g}" for b in bursts) + " s of their refill "
        "(`--pc-burst`, `--graph-burst`): a full Partner Center bucket admits "
        + ", ".join(f"{n(max(1, b * 500 / 60), 0)}" for b in bursts) + " requests at once. "
        "Wall time is `cspwatch_scan_duration_seconds`; the floor is the least time the "
        "simulator's Partner Center bucket allows for the Partner Center requests it admitted: "
        "`max(0, requests - capacity) / rate`. Requests per tenant: every request sent "
        "(answered 429 included) for all, the answered ones by API; sign-ins are the token "
        "endpoint's requests.",
        "Scaling: a scan at the real limits would take "
        + ", ".join(f"{n(s['floor_s'] * s['scale'] / 60, 0)} min ({label(s)})" for s in scans)
        + " of floor alone. So the simulator's limits (`--pc-rate`, `--graph-rate`) and the "
        "client's pacing (`pc_requests_per_minute`, `graph_requests_per_10s`) are multiplied "
        "by K, and the latencies and the burst's seconds divided by K: the simulator's buckets "
        "hold as many requests as unscaled, every time the scan spends is K times shorter, and "
        "so is the floor. What does not scale: `Retry-After` is whole seconds (at least 1, so "
        "a throttled request waits up to K times longer than unscaled, relatively), and the "
        "CPU work "
        "outside the requests (start-up, the inventory, the final apply), measured from the "
        "simulator's request count and counted once in the \"at the real limits\" estimate: "
        "((wall - that) x K + that) / (floor x K).",
        "Memory and CPU are the `cspwatch` process's own (/proc/PID/status VmHWM and VmRSS, "
        "/proc/PID/stat utime+stime when the scan ended; ru_maxrss from wait4 after SIGTERM); "
        "the simulator is another process. Reconcile times: `bench/storage_bench.cpp`, a real "
        "SQLite file (WAL, synchronous FULL); judged on the least of the runs, with CPU time "
        "beside it, since other work on the machine adds to wall time.",
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin_dir")
    p.add_argument("out_dir")
    p.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000:1,10000:10"))
    p.add_argument("--bursts", default=os.environ.get("BENCH_BURSTS", "1,10,60"))
    p.add_argument("--reuse", action="store_true",
                   help="rewrite the report from the raw outputs in OUT_DIR (no benchmark runs)")
    a = p.parse_args()
    global REUSE
    REUSE = a.reuse
    os.makedirs(a.out_dir, exist_ok=True)
    sizes = [tuple(int(x) for x in s.split(":")) for s in a.sizes.split(",")]
    bursts = [float(x) for x in a.bursts.split(",")]
    began = time.monotonic()
    m = machine()
    load_start = loadavg()
    b = lambda name: os.path.join(a.bin_dir, name)  # noqa: E731
    out = lambda name: os.path.join(a.out_dir, name)  # noqa: E731

    rules_txt = run([b("rules_bench"), "10000", "3"], out("rules.txt"))
    rules_rate = grab(r"rule evaluations per CPU-second: (\d+)", rules_txt, "evaluations")
    convert_rate = grab(r"conversions per CPU-second: (\d+)", rules_txt, "conversions")

    storage_txt = run([b("storage_bench"), "10000"], out("storage.txt"))
    unchanged = grab(r"unchanged scan of (\d+) open findings: apply ([\d.]+)s \(min ([\d.]+)s, "
                     r"cpu ([\d.]+)s\)", storage_txt, "unchanged apply")
    changed = grab(r"scan with (\d+) of (\d+) findings resolved \(([\d.]+)%\): apply ([\d.]+)s "
                   r"\(median of 3; min ([\d.]+)s, cpu ([\d.]+)s\)", storage_txt, "1% apply")

    sim_txt = run([b("sim_bench"), "10000", "5", "4"], out("sim.txt"))
    sim_startup = grab(r"start-up with \d+ generated tenants: ([\d.]+) s", sim_txt, "start-up")
    sim_rate = grab(r"requests served on one core: (\d+) per second", sim_txt, "requests/s")
    sim_cpu_rate = grab(r"requests per CPU-second of the simulator: (\d+)", sim_txt,
                        "requests per CPU-second")

    scans = run_scans(b, out, sizes, bursts)
    load_end = loadavg()
    took = time.monotonic() - began

    rows = []
    row = lambda *cells: rows.append("| " + " | ".join(cells) + " |")  # noqa: E731
    scan_rows(row, scans)
    growth_rows(row, scans, sizes, bursts)
    row("rule evaluations per CPU-second, one core (default pack, 10,000 tenants)",
        f"**{n(rules_rate)}** (tenant-to-value conversions: {n(convert_rate)})",
        f"at least {n(RULES_TARGET)}", verdict(rules_rate >= RULES_TARGET))
    row(f"reconcile (apply), {n(unchanged[0])} findings unchanged",
        f"**{unchanged[2]:.3f} s** (least of 5; mean {unchanged[1]:.3f} s; "
        f"CPU {unchanged[3]:.3f} s)",
        f"under {APPLY_UNCHANGED_TARGET:.0f} s", verdict(unchanged[2] < APPLY_UNCHANGED_TARGET))
    row(f"reconcile (apply), {changed[2]:.0f}% changed "
        f"({n(changed[0])} of {n(changed[1])} resolved)",
        f"**{changed[4]:.3f} s** (least of 3; median {changed[3]:.3f} s; CPU {changed[5]:.3f} s)",
        f"under {APPLY_CHANGED_TARGET} s", verdict(changed[4] < APPLY_CHANGED_TARGET))
    row("simulator: requests per second on one core (per CPU-second of the simulator)",
        f"{n(sim_rate)} ({n(sim_cpu_rate)})", f"at least {n(SIM_RATE_TARGET)}",
        verdict(max(sim_rate, sim_cpu_rate) >= SIM_RATE_TARGET))
    row("simulator: start-up with 10,000 generated tenants", f"{sim_startup:.2f} s",
        f"under {SIM_STARTUP_TARGET:.0f} s", verdict(sim_startup < SIM_STARTUP_TARGET))

    md = []
    md.append("# cspwatch benchmark report (`bench/run.sh`)")
    md.append("")
    md.append(f"Machine: {m['cores']} cores, {m['model']}, {m['memory_gib']:.1f} GiB, Linux "
              f"{m['kernel']}; {m['date']}; commit {m['commit']}; release preset "
              f"(RelWithDebInfo).  ")
    md.append(f"Load average (1/5/15 min): {load_start} at the start, {load_end} at the end "
              f"(with other work running, trust the CPU-time and ratio figures over wall "
              f"times).  ")
    md.append(f"The whole report took {took / 60:.1f} min.")
    md.append("")
    md.append("| measure | figure | target | |")
    md.append("|---|---|---|---|")
    md.extend(rows)
    md.append("")
    md.append(f"Scans, every figure (targets: wall / floor at most {SCAN_TARGET:.2f}, at most "
              f"{SHARE_429_TARGET * 100:.0f}% answered 429, at most {PC_PER_TENANT_TARGET} "
              f"Partner Center and {ALL_PER_TENANT_TARGET:g} requests in all per tenant, at "
              f"{n(MEMORY_TARGET_TENANTS)} tenants peak RSS under {PEAK_RSS_TARGET_MB} MB and "
              f"idle under {IDLE_RSS_TARGET_MB} MB):")
    md.append("")
    md.extend(scans_table(scans))
    md.append("")
    md.extend(f"- {x}" for x in scan_notes(scans, bursts))
    text = "\n".join(md) + "\n"
    with open(out("report.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
