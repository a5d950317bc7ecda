"""CPU seconds and peak resident memory of processes we started, sampled while a benchmark runs."""
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
    usage: dict[str, Usage] = field(default_factory=dict)
    _start_cpu: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _procs(self) -> dict[str, psutil.Process]:
        out = {}
        for name, pid in self.pids.items():
            try:
                out[name] = psutil.Process(pid)
            except psutil.NoSuchProcess:
                pass
        return out

    def _sample(self, procs: dict[str, psutil.Process]) -> None:
        for name, p in procs.items():
            try:
                t = p.cpu_times()
                rss = p.memory_info().rss / 1e6
            except psutil.Error:
                continue
            u = self.usage.setdefault(name, Usage())
            u.cpu_seconds = t.user + t.system - self._start_cpu.get(name, 0.0)
            u.peak_rss_mb = max(u.peak_rss_mb, rss)

    def __enter__(self) -> ResourceSampler:
        procs = self._procs()
        for name, p in procs.items():
            t = p.cpu_times()
            self._start_cpu[name] = t.user + t.system

        def loop():
            while not self._stop.is_set():
                self._sample(procs)
                time.sleep(self.interval)
            self._sample(procs)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def table(self, seconds: float) -> dict[str, dict[str, float]]:
        return {n: {"cpu_percent": round(100 * u.cpu_seconds / max(seconds, 1e-9), 1), "peak_rss_mb": round(u.peak_rss_mb, 1)}
                for n, u in self.usage.items()}
