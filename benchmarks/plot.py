"""Plots of benchmark runs as hand-written SVG (no plotting library needed).

    .venv/bin/python -m benchmarks.plot RUN.json [RUN2.json ...] --labels before after --out docs/perf-throughput.svg

Two panels: throughputs on a log scale (raw limits of the same run drawn as reference bars), and latencies.
One bar per run for every figure, so a before/after comparison reads at a glance.
"""
from __future__ import annotations

import argparse
import html
import json
import math
from pathlib import Path

COLOURS = ["#9aa5b1", "#1f77b4", "#d62728", "#2ca02c"]


def throughput_rows(r: dict) -> list[tuple[str, float | None]]:
    raw = r["raw_limits"]
    return [
        ("raw Kafka produce (msg/s)", raw["kafka_produce_per_s"]),
        ("raw Kafka consume (msg/s)", raw["kafka_consume_per_s"]),
        ("raw MongoDB insert_many (docs/s)", raw["mongo_insert_many_per_s"]),
        ("ballots counted (Kafka path)", r["burst"]["processed_per_s"]),
        ("ballots into leaderboard", r["burst"]["into_leaderboard_per_s"]),
        ("HTTP casting (ballots/s)", r["http"]["accepted_per_s"]),
        ("judge scores (criterion scores/s)", r["scores"]["scores_per_s"]),
    ]


def latency_rows(r: dict) -> list[tuple[str, float | None]]:
    s, h = r["steady"], r["http"]
    return [
        (f"freshness p50 at {s['rate_asked']}/s (ms)", s["freshness_p50_ms"]),
        (f"freshness p99 at {s['rate_asked']}/s (ms)", s["freshness_p99_ms"]),
        ("HTTP cast p50 (ms)", h["p50_ms"]),
        ("HTTP cast p99 (ms)", h["p99_ms"]),
        ("judge score sheet p99 (ms)", r["scores"]["p99_ms"]),
    ]


def panel(title: str, rows_per_run: list[list[tuple[str, float | None]]], labels: list[str], y0: int,
          log: bool, target: dict[str, float] | None = None) -> tuple[list[str], int]:
    left, width, bar, gap = 290, 560, 12, 10
    names = [n for n, _ in rows_per_run[0]]
    values = [v for rows in rows_per_run for _, v in rows if v]
    top = max(values) if values else 1
    lo = 10 ** math.floor(math.log10(max(1, min(values)))) if log and values else 0
    hi = 10 ** math.ceil(math.log10(top)) if log else top * 1.1

    def x(v: float) -> float:
        if log:
            return left + width * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return left + width * v / hi

    out = [f'<text x="10" y="{y0 + 16}" font-size="14" font-weight="bold">{html.escape(title)}</text>']
    y = y0 + 30
    for i, name in enumerate(names):
        out.append(f'<text x="{left - 8}" y="{y + bar * len(labels) / 2 + 4}" font-size="11" '
                   f'text-anchor="end">{html.escape(name)}</text>')
        for k, rows in enumerate(rows_per_run):
            v = rows[i][1]
            if v:
                out.append(f'<rect x="{left}" y="{y}" width="{max(1.0, x(v) - left):.1f}" height="{bar - 2}" '
                           f'fill="{COLOURS[k % len(COLOURS)]}"/>')
                out.append(f'<text x="{x(v) + 4:.1f}" y="{y + bar - 3}" font-size="10">{v:,.0f}</text>')
            y += bar
        if target and name in target:
            tx = x(target[name])
            out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y - bar * len(labels) - 2}" y2="{y + 2}" '
                       'stroke="black" stroke-dasharray="3,2"/>')
        y += gap
    ticks = []
    if log:
        p = lo
        while p <= hi:
            ticks.append(p)
            p *= 10
    else:
        step = 10 ** math.floor(math.log10(hi / 2)) if hi > 0 else 1
        ticks = [step * i for i in range(int(hi / step) + 1)]
    for t in ticks:
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y0 + 26}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{x(t):.1f}" y="{y + 12}" font-size="9" text-anchor="middle">{t:,.0f}</text>')
    return out, y + 24


def svg(runs: list[dict], labels: list[str]) -> str:
    targets_t = {"ballots counted (Kafka path)": 5000, "HTTP casting (ballots/s)": 2000}
    targets_l = {f"freshness p99 at {runs[0]['steady']['rate_asked']}/s (ms)": 1000, "HTTP cast p99 (ms)": 100}
    a, y = panel("Throughput per second (log scale); dashed line = target", [throughput_rows(r) for r in runs],
                 labels, 40, True, targets_t)
    b, y = panel("Latency in milliseconds (log scale); dashed line = target", [latency_rows(r) for r in runs],
                 labels, y, True, targets_l)
    legend = []
    for k, label in enumerate(labels):
        legend.append(f'<rect x="{10 + k * 220}" y="8" width="12" height="12" fill="{COLOURS[k % len(COLOURS)]}"/>')
        legend.append(f'<text x="{28 + k * 220}" y="18" font-size="11">{html.escape(label)}</text>')
    body = "\n".join(legend + a + b)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="960" height="{y + 10}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--labels", nargs="*")
    ap.add_argument("--out", type=Path, default=Path("docs/perf-throughput.svg"))
    args = ap.parse_args()
    runs = [json.loads(p.read_text()) for p in args.runs]
    labels = args.labels or [f"{r['started_at']} ({r['args']['replicas']} voting replica(s))" for r in runs]
    args.out.write_text(svg(runs, labels))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
