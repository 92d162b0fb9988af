#!/usr/bin/env python3
"""Audit the native evaluator against real InSpec on the same target.

Runs `inspec exec PROFILE -t TARGET --reporter json` (the oracle) and
`ansible-inspec-rs exec PROFILE -t TARGET --reporter json` (ours) for each profile and
prints, per profile, how many controls end with the same status and how many results
(one per `describe`/`its`: code_desc + status) agree, then the divergences.

InSpec is not a dependency of this project and this script is not run in CI. Give it
either an `inspec` executable or an InSpec source checkout with `--inspec` (or the
INSPEC_AUDIT_INSPEC environment variable). For a checkout, the script runs it with the
system `ruby`, the checkout's lib/, `--ruby-lib` directories (train's lib/ at least;
resource packs such as inspec-docker-resources' lib/ are preloaded) and no-op stand-ins
for the licensing gems (chef-licensing, license-acceptance), which need a license server.
See README.md, "Auditing against InSpec".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Ruby launcher for an InSpec checkout: no EULA prompt, no license check (stubs below), and
# resource packs that InSpec 7 would fetch from rubygems.org loaded from --ruby-lib.
LAUNCHER = """
Encoding.default_external = Encoding::UTF_8
Encoding.default_internal = Encoding::UTF_8
require "yaml"
require "inspec/cli"
require "inspec/resource"
$LOAD_PATH.each do |dir|
  Dir.glob(File.join(dir, "*-resources", "resources", "*.rb")).sort.each { |f| require f }
end
Inspec::InspecCLI.start(ARGV, enforce_license: false)
"""

# No-op stand-ins for the licensing gems, written to a temporary directory on the load path.
STUBS = {
    "chef-licensing.rb": """
module ChefLicensing
  class Error < StandardError; end
  class SoftwareNotEntitled < Error; end
  module LicenseKeyFetcher
    class LicenseKeyNotFetchedError < ChefLicensing::Error; end
    class LicenseKeyAddNotAllowed < ChefLicensing::Error; end
  end
  class Config
    class << self
      attr_accessor :output, :chef_product_name, :chef_entitlement_id,
        :chef_executable_name, :license_server_url, :logger
    end
  end
  def self.configure; yield Config; end
  def self.fetch_and_persist; []; end
  def self.check_software_entitlement!; true; end
  def self.license_keys; []; end
  def self.license_context; nil; end
end
""",
    "chef-licensing/cli_flags/thor.rb": """
require "chef-licensing"
module ChefLicensing; module CLIFlags; module Thor; end; end; end
""",
    "license_acceptance/acceptor.rb": """
module LicenseAcceptance
  class LicenseNotAcceptedError < StandardError; end
  class Acceptor
    def self.check_and_persist(*_args); true; end
  end
end
""",
    "license_acceptance/cli_flags/thor.rb": """
module LicenseAcceptance; module CLIFlags; module Thor; end; end; end
""",
}


@dataclass
class Comparison:
    """Agreement of one profile's two reports."""

    profile: str
    controls: int = 0
    controls_agree: int = 0
    results: int = 0
    results_agree: int = 0
    # Results whose status agrees but whose code_desc differs (counted as divergences).
    wording_only: int = 0
    divergences: list[str] = field(default_factory=list)
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "controls": self.controls,
            "controls_agree": self.controls_agree,
            "results": self.results,
            "results_agree": self.results_agree,
            "wording_only": self.wording_only,
            "divergences": self.divergences,
            "note": self.note,
        }


def pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def inspec_command(inspec: str, ruby_libs: list[str], stub_dir: Path) -> list[str]:
    """The argv prefix that runs InSpec (an executable, or a checkout through ruby)."""
    path = Path(inspec)
    if path.is_dir():
        if not (path / "lib" / "inspec.rb").is_file():
            raise SystemExit(f"--inspec {inspec}: not an InSpec checkout (no lib/inspec.rb)")
        for rel, text in STUBS.items():
            target = stub_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        includes = [str(stub_dir), str(path / "lib"), *ruby_libs]
        return ["ruby", *(f"-I{d}" for d in includes), "-e", LAUNCHER, "--"]
    found = shutil.which(inspec)
    if found is None:
        raise SystemExit(f"--inspec {inspec}: neither an InSpec checkout nor an executable")
    return [found]


def unsupported_copy(profile: Path, workdir: Path) -> Path:
    """A copy of the profile whose inspec.yml lists no `supports` (so both sides run it)."""
    copy = workdir / "profiles" / profile.name
    shutil.copytree(profile, copy, symlinks=True)
    # The copy keeps the source's modes; a read-only tree (someone else's) is ours now, and
    # InSpec writes inspec.lock into it.
    for path in [copy, *copy.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    meta = copy / "inspec.yml"
    lines = meta.read_text().splitlines(keepends=True)
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith("supports:"):
            skipping = True
            continue
        if skipping and (line[:1] in (" ", "-", "\t") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    meta.write_text("".join(kept))
    return copy


def run_json(argv: list[str], out: Path, timeout: float) -> dict[str, Any] | str:
    """Run a reporter command; the parsed JSON report, or why there is none."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f}s"
    if not out.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return f"exit {proc.returncode}, no report: {' | '.join(tail)}"
    try:
        report: dict[str, Any] = json.loads(out.read_text())
    except json.JSONDecodeError as err:
        return f"unreadable report: {err}"
    return report


def control_status(results: list[dict[str, Any]]) -> str:
    """InSpec's control status from its results (failed > passed > skipped)."""
    statuses = {r.get("status") for r in results}
    if statuses & {"failed", "error"}:
        return "failed"
    if "passed" in statuses:
        return "passed"
    return "skipped"


# A `describe` outside any control gets the id `(generated from FILE:LINE HEX)`, where
# InSpec's HEX is random on every run (control_eval_context.rb: SecureRandom.hex).
GENERATED_ID = re.compile(r"^(\(generated from \S+:\d+) [0-9a-f]+\)$")


def controls_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Controls by id over every profile of a report (dependencies included); generated
    ids without their random part, numbered in order when one place generates several."""
    out: dict[str, dict[str, Any]] = {}
    for profile in report.get("profiles", []):
        for control in profile.get("controls", []):
            cid = str(control.get("id"))
            generated = GENERATED_ID.match(cid)
            if generated:
                base = f"{generated.group(1)})"
                cid = base
                n = 1
                while cid in out:
                    n += 1
                    cid = f"{base} #{n}"
            out.setdefault(cid, control)
    return out


def why(result: dict[str, Any] | None) -> str:
    if result is None:
        return "absent"
    text = result.get("message") or result.get("skip_message") or result.get("exception") or ""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return f"{result.get('status')}" + (f" ({first[:160]})" if first else "")


# Ruby's Object#to_s names an object by its heap address, and a "Control Source Code
# Error" names the profile's copy in this script's temporary directory: both differ on
# every run (and InSpec's report may come from an earlier one, see --reports).
OBJECT_ADDRESS = re.compile(r"(#<[A-Za-z_][\w:]*):0x[0-9a-f]+>")
AUDIT_WORKDIR = re.compile(r"/inspec-audit-[^/\s]+/\d+/")


def desc_key(result: dict[str, Any]) -> str:
    """A result's code_desc without what differs on every run: object addresses
    (`#<Class:0x00007f…>`) and this script's temporary directory."""
    desc = OBJECT_ADDRESS.sub(r"\1:0x…>", str(result.get("code_desc")))
    return AUDIT_WORKDIR.sub("/inspec-audit-…/", desc)


def compare(name: str, oracle: dict[str, Any], ours: dict[str, Any]) -> Comparison:
    cmp = Comparison(name)
    theirs_by_id, ours_by_id = controls_of(oracle), controls_of(ours)
    for cid in sorted(set(theirs_by_id) | set(ours_by_id)):
        theirs_c, ours_c = theirs_by_id.get(cid), ours_by_id.get(cid)
        t_results = (theirs_c or {}).get("results", [])
        o_results = (ours_c or {}).get("results", [])
        t_status = control_status(t_results) if theirs_c else "absent"
        o_status = control_status(o_results) if ours_c else "absent"
        cmp.controls += 1
        if t_status == o_status:
            cmp.controls_agree += 1
        # Results pair by code_desc, in order for repeated descriptions.
        t_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
        o_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in t_results:
            t_by[desc_key(r)].append(r)
        for r in o_results:
            o_by[desc_key(r)].append(r)
        # Results pair by code_desc (in order for repeated descriptions); the rest pair in
        # order of appearance, to tell a wording difference from a different outcome.
        t_rest: list[dict[str, Any]] = []
        o_rest: list[dict[str, Any]] = []
        for desc in list(dict.fromkeys([*t_by, *o_by])):
            ts, os_ = t_by.get(desc, []), o_by.get(desc, [])
            for i in range(max(len(ts), len(os_))):
                t = ts[i] if i < len(ts) else None
                o = os_[i] if i < len(os_) else None
                if t is None or o is None:
                    (t_rest if o is None else o_rest).append(t or o or {})
                    continue
                cmp.results += 1
                if t.get("status") == o.get("status"):
                    cmp.results_agree += 1
                else:
                    cmp.divergences.append(f"{cid} [{desc[:140]}]: ours {why(o)} / inspec {why(t)}")
        for i in range(max(len(t_rest), len(o_rest))):
            t = t_rest[i] if i < len(t_rest) else None
            o = o_rest[i] if i < len(o_rest) else None
            cmp.results += 1
            if t is not None and o is not None and t.get("status") == o.get("status"):
                cmp.wording_only += 1
            shown = " | ".join(str(r.get("code_desc"))[:120] for r in (o, t) if r is not None)
            cmp.divergences.append(f"{cid} [{shown}]: ours {why(o)} / inspec {why(t)}")
        if t_status != o_status and not (t_results or o_results):
            cmp.divergences.append(f"{cid}: control ours {o_status} / inspec {t_status}")
    return cmp


def profile_statuses(report: dict[str, Any]) -> Counter[str]:
    return Counter(str(p.get("status")) for p in report.get("profiles", []))


def audit(args: argparse.Namespace) -> list[Comparison]:
    ours_exe = args.ours or str(Path(sys.executable).with_name("ansible-inspec-rs"))
    comparisons: list[Comparison] = []
    with tempfile.TemporaryDirectory(prefix="inspec-audit-") as tmp:
        work = Path(tmp)
        inspec = inspec_command(args.inspec, args.ruby_lib, work / "stubs")
        for index, given in enumerate(args.profiles):
            profile = Path(given).resolve()
            if args.drop_supports:
                profile = unsupported_copy(profile, work / str(index))
            reports = args.reports or work
            theirs_out = reports / f"{profile.name}-inspec.json"
            ours_out = reports / f"{profile.name}-ours.json"
            ours_out.unlink(missing_ok=True)
            common = [str(profile), "-t", args.target, "--reporter"]
            oracle: dict[str, Any] | str
            if args.reports and theirs_out.is_file():
                oracle = json.loads(theirs_out.read_text())
            else:
                oracle = run_json(
                    [*inspec, "exec", *common, f"json:{theirs_out}", "--no-color"],
                    theirs_out,
                    args.timeout,
                )
            ours = run_json(
                [ours_exe, "exec", *common, f"json:{ours_out}", "--timeout", f"{args.timeout:.0f}"],
                ours_out,
                args.timeout + 30,
            )
            name = profile.name
            if isinstance(oracle, str) or isinstance(ours, str):
                comparisons.append(Comparison(name, note=f"inspec: {oracle}; ours: {ours}"))
                continue
            cmp = compare(name, oracle, ours)
            if profile_statuses(oracle) != profile_statuses(ours):
                cmp.note = (
                    f"profile status ours {dict(profile_statuses(ours))}"
                    f" / inspec {dict(profile_statuses(oracle))}"
                )
            comparisons.append(cmp)
    return comparisons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("profiles", nargs="+", help="InSpec profile directories")
    parser.add_argument(
        "--inspec",
        default=os.environ.get("INSPEC_AUDIT_INSPEC"),
        help="an inspec executable or an InSpec source checkout (env INSPEC_AUDIT_INSPEC)",
    )
    parser.add_argument(
        "--ruby-lib",
        action="append",
        default=[d for d in os.environ.get("INSPEC_AUDIT_RUBYLIB", "").split(":") if d],
        help="with a checkout: more load-path directories, e.g. train's lib/ (repeatable; "
        "env INSPEC_AUDIT_RUBYLIB, colon-separated)",
    )
    parser.add_argument("--ours", help="our CLI (default: ansible-inspec-rs beside this python)")
    parser.add_argument("-t", "--target", default="local://", help="default local://")
    parser.add_argument(
        "--drop-supports",
        action="store_true",
        help="run copies whose inspec.yml has no `supports` (profiles for other platforms)",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    parser.add_argument("--max-divergences", type=int, default=40, help="listed per profile")
    parser.add_argument(
        "--reports",
        type=Path,
        help="keep both JSON reports in this directory and reuse InSpec's from an earlier run",
    )
    parser.add_argument("--json", type=Path, help="also write the comparison as JSON here")
    args = parser.parse_args(argv)
    if not args.inspec:
        parser.error(
            "InSpec is needed as the oracle: pass --inspec (an inspec executable or an InSpec "
            "source checkout, with --ruby-lib TRAIN/lib) or set INSPEC_AUDIT_INSPEC"
        )
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    comparisons = audit(args)
    total = Comparison("TOTAL")
    for cmp in comparisons:
        print(
            f"{cmp.profile}: controls {cmp.controls_agree}/{cmp.controls}"
            f" ({pct(cmp.controls_agree, cmp.controls)}), results"
            f" {cmp.results_agree}/{cmp.results} ({pct(cmp.results_agree, cmp.results)});"
            f" {cmp.wording_only} more agree on status with another code_desc"
        )
        if cmp.note:
            print(f"  note: {cmp.note}")
        for line in cmp.divergences[: args.max_divergences]:
            print(f"  - {line}")
        if len(cmp.divergences) > args.max_divergences:
            print(f"  ... {len(cmp.divergences) - args.max_divergences} more")
        total.controls += cmp.controls
        total.controls_agree += cmp.controls_agree
        total.results += cmp.results
        total.results_agree += cmp.results_agree
        total.wording_only += cmp.wording_only
    print(
        f"TOTAL: controls {total.controls_agree}/{total.controls}"
        f" ({pct(total.controls_agree, total.controls)}), results"
        f" {total.results_agree}/{total.results} ({pct(total.results_agree, total.results)});"
        f" {total.wording_only} more agree on status with another code_desc"
    )
    if args.json:
        args.json.write_text(json.dumps([c.as_json() for c in comparisons], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
