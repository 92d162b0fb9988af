"""Profile parser throughput (`make bench`).

Parses every profile in ../shared/profiles repeatedly and prints medians of several runs for:
- `Profile.load` end to end from Python (file reads, inspec.yml and the full InSpec model;
  properties stay lazy);
- tree-sitter-ruby (a general Ruby parser in C; syntax tree only, no model);
- the original project's regex (`control\\s+"([\\w-]+)"`: ids only; it finds 0 controls here).

The parser alone, without file I/O or Python (per phase, one thread and all cores), is timed by
`cargo run --release --no-default-features --example parse_bench` (`make bench` runs it).

The methods are interleaved inside each run, so a busy machine slows them alike; both wall-clock
and CPU-time medians are printed. MB/s counts the bytes of controls/*.rb and libraries/*.rb.
`--quick`: one run of one pass, for `make test` (a smoke run; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ansible_inspec_rs import Profile

ROOT = Path(__file__).resolve().parent.parent
PROFILES_DEFAULT = ROOT.parent / "shared" / "profiles"
ORIGINAL_REGEX = re.compile(r'control\s+"([\w-]+)"')
TREE_SITTER = "tree-sitter-ruby (syntax tree only)"
LOAD = "Profile.load from Python (with file I/O)"
# The floor kept from the retired parser-speed target (issue 17): Profile.load at >= 5x the
# throughput of tree-sitter-ruby, which builds a syntax tree only.
FLOOR_RATIO = 5.0


def rb_files(profile: Path) -> list[Path]:
    return sorted([*profile.glob("controls/*.rb"), *profile.glob("libraries/*.rb")])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="runs per method (medians are printed)")
    ap.add_argument("--inner", type=int, default=5, help="passes over all profiles per run")
    ap.add_argument("--profiles", type=Path, default=PROFILES_DEFAULT, help="the real profiles")
    ap.add_argument("--quick", action="store_true", help="one run of one pass (smoke run for `make test`)")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.inner = 1, 1
    if not args.profiles.is_dir():
        print(f"SKIPPED: {args.profiles} is not present", file=sys.stderr)
        return 0
    profiles = sorted(p for p in args.profiles.iterdir() if (p / "inspec.yml").is_file())
    blobs = [f.read_bytes() for p in profiles for f in rb_files(p)]
    texts = [b.decode("utf-8", "replace") for b in blobs]
    rb_bytes = sum(len(b) for b in blobs)
    controls = sum(len(Profile.load(p)) for p in profiles)
    mb = rb_bytes / 1e6

    # Each method runs `inner` passes over the corpus; returns (wall s per pass, controls found).
    def load() -> tuple[float, int]:
        start = time.perf_counter()
        found = 0
        for _ in range(args.inner):
            found = sum(len(Profile.load(p)) for p in profiles)
        return (time.perf_counter() - start) / args.inner, found

    def regex() -> tuple[float, int]:
        start = time.perf_counter()
        found = 0
        for _ in range(args.inner):
            found = sum(len(ORIGINAL_REGEX.findall(t)) for t in texts)
        return (time.perf_counter() - start) / args.inner, found

    methods: dict[str, Callable[[], tuple[float, int]]] = {LOAD: load}
    try:
        import tree_sitter_ruby
        from tree_sitter import Language, Parser

        ts_parser = Parser(Language(tree_sitter_ruby.language()))

        def tree_sitter() -> tuple[float, int]:
            start = time.perf_counter()
            for _ in range(args.inner):
                for b in blobs:
                    ts_parser.parse(b)
            return (time.perf_counter() - start) / args.inner, controls

        methods[TREE_SITTER] = tree_sitter
    except ImportError as e:
        print(f"tree-sitter-ruby is not installed ({e}); `make bench` installs requirements-bench.txt")
    methods["original regex (ids only)"] = regex

    for m in methods.values():  # warm-up
        m()
    wall: dict[str, list[float]] = {name: [] for name in methods}
    cpu: dict[str, list[float]] = {name: [] for name in methods}
    found: dict[str, int] = {}
    for _ in range(args.runs):
        for name, m in methods.items():
            c0 = time.process_time()
            t, found[name] = m()
            cpu[name].append((time.process_time() - c0) / args.inner)
            wall[name].append(t)

    print(
        f"corpus: {len(profiles)} profiles, {len(blobs)} .rb files, {rb_bytes} bytes, {controls} controls; "
        f"{args.runs} interleaved runs x {args.inner} passes; medians\n"
    )
    ts_wall = statistics.median(wall[TREE_SITTER]) if TREE_SITTER in wall else None
    ts_cpu = statistics.median(cpu[TREE_SITTER]) if TREE_SITTER in cpu else None
    print(
        f"{'':42} {'wall ms':>8} {'MB/s':>7} {'controls/s':>10} {'x t-s':>6} | "
        f"{'CPU ms':>7} {'MB/s':>7} {'x t-s':>6} | found"
    )
    for name in methods:
        w = statistics.median(wall[name])
        c = statistics.median(cpu[name])
        rw = f"{ts_wall / w:.1f}" if ts_wall else "-"
        rc = f"{ts_cpu / c:.1f}" if ts_cpu and c > 0 else "-"
        cmb = f"{mb / c:7.1f}" if c > 0 else "      -"
        print(
            f"{name:42} {w * 1000:8.2f} {mb / w:7.1f} {found[name] / w:10.0f} {rw:>6} | "
            f"{c * 1000:7.2f} {cmb} {rc:>6} | {found[name]}"
        )
    print("\nx t-s: throughput relative to tree-sitter-ruby measured in the same run.")
    print("CPU time includes the threads Profile.load parses files on.")
    w1, c1 = statistics.median(wall[LOAD]), statistics.median(cpu[LOAD])
    if ts_wall and ts_cpu and c1 > 0:
        for label, ratio in (("wall", ts_wall / w1), ("CPU", ts_cpu / c1)):
            met = "met" if ratio >= FLOOR_RATIO else "NOT met"
            print(
                f"floor ({label}): Profile.load at {ratio:.1f}x tree-sitter-ruby's throughput; "
                f"needs >= {FLOOR_RATIO:.0f}x: {met}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
