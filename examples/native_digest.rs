//! `cargo run --release --no-default-features --example native_digest -- [DIR...]`: prints a
//! SHA-256 of the JSON results of each profile evaluated natively on `local://`, and of its
//! `coverage` output (default: ../shared/profiles/* and tests/fixtures/*), so a change meant
//! to restructure the native evaluator can show that it reports exactly what it reported
//! before: run it before and after, compare.
//!
//! Determinism: `run_time` and `start_time` are wall-clock values and are zeroed; the profile
//! directory is removed from the text (two checkouts must compare). Some results read this
//! machine's live state (process lists, listening ports, files other users change), so the
//! profile is evaluated `RUNS` times and a control whose JSON is not identical in every run is
//! left out of the digest (named, by id, on stderr, and counted as `unstable`): it would
//! otherwise make two runs of the same code disagree. A change that alters a stable control
//! still changes the digest.
//!
//! `NATIVE_DIGEST_DUMP=DIR`: also writes each profile's per-control JSON lines to
//! `DIR/<profile>.jsonl`, so two runs can be compared control by control (`diff`).
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use ansible_inspec_rs::job::ControlResult;
use ansible_inspec_rs::native::{self, prepare::prepare};
use ansible_inspec_rs::profile::{self, Profile};
use ansible_inspec_rs::transport::{Host, LocalTransport};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

const RUNS: usize = 3;

fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One evaluation on `local://`, one JSON text per control (timings zeroed).
fn evaluate(profile: &Profile) -> Vec<(String, String)> {
    let host = Arc::new(Host::new(
        Box::new(LocalTransport::new()),
        None,
        CancellationToken::new(),
    ));
    if let Err(e) = prepare(profile, &host) {
        return vec![("<prepare>".into(), format!("ERR {e}"))];
    }
    let mut controls: Vec<ControlResult> = native::evaluate(profile, host, &serde_json::Map::new());
    for c in &mut controls {
        for r in &mut c.results {
            r.run_time = 0.0;
            r.start_time.clear();
        }
    }
    controls
        .iter()
        .map(|c| {
            let json = serde_json::to_string(c).unwrap_or_else(|e| format!("ERR {e}"));
            (c.id.clone(), json.replace(&profile.path, ""))
        })
        .collect()
}

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        // ../shared beside the main checkout; a worktree under wt/ finds it one level up.
        let shared = ["../shared/profiles", "../../shared/profiles"]
            .map(|p| root.join(p))
            .into_iter()
            .find(|p| p.is_dir())
            .unwrap_or_default();
        for parent in [shared, root.join("tests/fixtures")] {
            if let Ok(rd) = std::fs::read_dir(&parent) {
                dirs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
            }
        }
        dirs.sort();
    }
    let (mut all_results, mut all_coverage) = (Sha256::new(), Sha256::new());
    for dir in &dirs {
        let Ok(profile) = profile::load(dir) else {
            continue;
        };
        let cov = serde_json::to_string(&native::coverage(&profile))
            .unwrap_or_else(|e| format!("ERR {e}"))
            .replace(&profile.path, "");
        let runs: Vec<Vec<(String, String)>> = (0..RUNS).map(|_| evaluate(&profile)).collect();
        let mut unstable: BTreeSet<String> = BTreeSet::new();
        let mut results = Sha256::new();
        for (i, (id, json)) in runs[0].iter().enumerate() {
            if runs[1..]
                .iter()
                .any(|r| r.get(i) != Some(&(id.clone(), json.clone())))
            {
                unstable.insert(id.clone());
                continue;
            }
            results.update(json.as_bytes());
            results.update(b"\n");
        }
        if runs[1..].iter().any(|r| r.len() != runs[0].len()) {
            unstable.insert("<count>".into());
        }
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        if let Some(out) = std::env::var_os("NATIVE_DIGEST_DUMP") {
            let lines: Vec<String> = runs[0]
                .iter()
                .map(|(id, json)| format!("{id}\t{json}"))
                .collect();
            let path = PathBuf::from(out).join(format!("{name}.jsonl"));
            if let Err(e) = std::fs::write(&path, lines.join("\n") + "\n") {
                eprintln!("{}: {e}", path.display());
            }
        }
        let (r, c) = (hex(results), hex(Sha256::new_with_prefix(&cov)));
        all_results.update(&r);
        all_coverage.update(&c);
        println!(
            "{name}: results {} coverage {} (controls {}, unstable {})",
            &r[..16],
            &c[..16],
            runs[0].len(),
            unstable.len()
        );
        if !unstable.is_empty() {
            eprintln!("{name}: unstable (left out): {unstable:?}");
        }
    }
    println!("all: results {}", hex(all_results));
    println!("all: coverage {}", hex(all_coverage));
}
