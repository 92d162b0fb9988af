"""Profile parser throughput (`make bench`).

Parses every profile in ../shared/profiles repeatedly and prints, as medians of several runs:
- this parser, full InSpec model (lexer + parser + model extraction + inspec.yml), timed inside
  Rust by `_core._parse_bench` (files read once up front; no I/O, no Python objects built),
  single-threaded and parallel across files (all cores);
- `Profile.load` end to end from Python (file reads included; properties stay lazy);
- tree-sitter-ruby (a general Ruby parser in C; syntax tree only, no model);
- the original project's regex (`control\\s+"([\\w-]+)"`: ids only; it finds 0 controls here).
MB/s counts the bytes of controls/*.rb and libraries/*.rb.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from ansible_inspec_rs import Profile, _core

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT.parent / "shared" / "profiles"
ORIGINAL_REGEX = re.compile(r'control\s+"([\w-]+)"')


def rb_files(profile: Path) -> list[Path]:
    return sorted([*profile.glob("controls/*.rb"), *profile.glob("libraries/*.rb")])


def median_rate(samples: list[float], amount: float) -> tuple[float, float]:
    t = statistics.median(samples)
    return t, amount / t if t > 0 else float("inf")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="runs per measurement (median is printed)")
    ap.add_argument("--inner", type=int, default=5, help="passes over all profiles per run")
    args = ap.parse_args()
    if not PROFILES.is_dir():
        print(f"SKIPPED: {PROFILES} is not present", file=sys.stderr)
        return 0
    profiles = sorted(p for p in PROFILES.iterdir() if (p / "inspec.yml").is_file())
    sources = {p: [f.read_bytes() for f in rb_files(p)] for p in profiles}
    rb_bytes = sum(len(b) for bs in sources.values() for b in bs)
    controls = sum(len(Profile.load(p)) for p in profiles)
    mb = rb_bytes / 1e6
    print(
        f"corpus: {len(profiles)} profiles, {sum(len(v) for v in sources.values())} .rb files, "
        f"{rb_bytes} bytes, {controls} controls; {args.runs} runs x {args.inner} passes, medians\n"
    )

    results: dict[str, tuple[float, float, int]] = {}  # name -> (seconds per pass, MB/s, controls found)

    def rust(threads: int | None) -> tuple[float, int]:
        total = 0.0
        found = 0
        for p in profiles:
            r = _core._parse_bench(p, args.inner, threads)
            total += sum(r["seconds"])
            found += int(r["controls"])
        return total / args.inner, found

    for label, threads in (
        ("this parser, full model, 1 thread", 1),
        ("this parser, full model, all cores", None),
    ):
        rust(threads)  # warm-up
        samples = []
        found = 0
        for _ in range(args.runs):
            t, found = rust(threads)
            samples.append(t)
        t, rate = median_rate(samples, mb)
        results[label] = (t, rate, found)

    samples = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for _ in range(args.inner):
            for p in profiles:
                Profile.load(p)
        samples.append((time.perf_counter() - start) / args.inner)
    t, rate = median_rate(samples, mb)
    results["Profile.load from Python (with file I/O)"] = (t, rate, controls)

    try:
        import tree_sitter_ruby
        from tree_sitter import Language, Parser

        parser = Parser(Language(tree_sitter_ruby.language()))
        blobs = [b for bs in sources.values() for b in bs]
        for b in blobs:
            parser.parse(b)
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for _ in range(args.inner):
                for b in blobs:
                    parser.parse(b)
            samples.append((time.perf_counter() - start) / args.inner)
        t, rate = median_rate(samples, mb)
        results["tree-sitter-ruby (syntax tree only)"] = (t, rate, controls)
    except ImportError as e:
        print(f"tree-sitter-ruby not installed ({e}); `make bench` installs requirements-bench.txt")

    texts = [b.decode("utf-8", "replace") for bs in sources.values() for b in bs]
    samples = []
    found = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        for _ in range(args.inner):
            found = sum(len(ORIGINAL_REGEX.findall(t)) for t in texts)
        samples.append((time.perf_counter() - start) / args.inner)
    t, rate = median_rate(samples, mb)
    results["original regex (ids only)"] = (t, rate, found)

    ts = results.get("tree-sitter-ruby (syntax tree only)")
    print(f"{'':44} {'ms/pass':>9} {'MB/s':>9} {'controls/s':>12} {'found':>6} {'vs tree-sitter':>15}")
    for name, (t, rate, found) in results.items():
        ratio = f"{rate / ts[1]:.1f}x" if ts else "-"
        print(f"{name:44} {t * 1000:9.2f} {rate:9.1f} {found / t:12.0f} {found:6d} {ratio:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
