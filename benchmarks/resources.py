"""CPU seconds and peak resident memory of processes we started (each with its children), sampled while a
benchmark runs. Children count: noida-db's launcher runs the broker as a child process."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil


@dataclass
class Usage:
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0


@dataclass
class ResourceSampler:
    pids: dict[str, int]
    interval: float = 0.25
    own_only: set[str] = field(default_factory=set)  # these without their children (the benchmark itself)
    usage: dict[str, Usage] = field(default_factory=dict)
    _start_cpu: dict[int, float] = field(default_factory=dict)
    _last_cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _tree(self, pid: int) -> list[psutil.Process]:
        try:
            p = psutil.Process(pid)
            return [p] + p.children(recursive=True)
        except psutil.Error:
            return []

    def _sample(self, first: bool = False) -> None:
        for name, pid in self.pids.items():
            cpu, rss = 0.0, 0.0
            for p in (self._tree(pid)[:1] if name in self.own_only else self._tree(pid)):
                try:
                    t = p.cpu_times()
                    r = p.memory_info().rss / 1e6
                except psutil.Error:
                    continue
                now = t.user + t.system
                if first or p.pid not in self._start_cpu:
                    self._start_cpu.setdefault(p.pid, now if first else 0.0)
                self._last_cpu[(name, p.pid)] = now - self._start_cpu[p.pid]
                rss += r
            cpu = sum(v for (n, _), v in self._last_cpu.items() if n == name)  # exited children keep their share
            u = self.usage.setdefault(name, Usage())
            u.cpu_seconds = cpu
            u.peak_rss_mb = max(u.peak_rss_mb, rss)

    def __enter__(self) -> ResourceSampler:
        self._sample(first=True)

        def loop():
            while not self._stop.is_set():
                time.sleep(self.interval)
                self._sample()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._sample()

    def table(self, seconds: float) -> dict[str, dict[str, float]]:
        return {n: {"cpu_percent": round(100 * u.cpu_seconds / max(seconds, 1e-9), 1),
                    "peak_rss_mb": round(u.peak_rss_mb, 1)}
                for n, u in self.usage.items()}
