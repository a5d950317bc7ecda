"""Benchmarks: rerunnable, bounded in count and time, reported as ratios against raw limits measured in the same run."""
