//! `cargo run --release --no-default-features --example parse_bench -- [RUNS] [DIR...]`:
//! reads the profiles once (default: ../shared/profiles/*), then times each phase over the
//! whole corpus RUNS times (default 15) and prints the median MB/s of controls/ + libraries/.
//! Phases: lex (tokens only), parse (tokens + syntax tree), full (`build_shared_with_threads(1)`:
//! inspec.yml, syntax tree and model, single-threaded) and full on all cores.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ansible_inspec_rs::profile::{self, lexer, parser, ProfileSources};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let runs: usize = match args.peek().and_then(|a| a.parse().ok()) {
        Some(n) => {
            args.next();
            n
        }
        None => 15,
    };
    let mut dirs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if dirs.is_empty() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/profiles");
        if let Ok(rd) = std::fs::read_dir(&root) {
            dirs = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.join("inspec.yml").is_file())
                .collect();
        }
        dirs.sort();
    }
    let sources: Vec<Arc<ProfileSources>> = dirs
        .iter()
        .filter_map(|d| match profile::read_sources(d) {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => {
                eprintln!("{}: {e}", d.display());
                None
            }
        })
        .collect();
    let rb: Vec<&str> = sources
        .iter()
        .flat_map(|s| s.controls.iter().chain(&s.libraries))
        .map(|(_, t)| &**t)
        .collect();
    let bytes: usize = rb.iter().map(|t| t.len()).sum();
    let controls: usize = sources
        .iter()
        .filter_map(|s| profile::build_shared_with_threads(s, 1).ok())
        .map(|p| p.controls.len())
        .sum();
    println!(
        "{} profiles, {} .rb files, {bytes} bytes, {controls} controls, {runs} runs (medians)",
        sources.len(),
        rb.len()
    );
    // Each phase returns what it built, dropped after the clock stops: phases time building only.
    // Tokens borrow the sources, so the result is any value, not a 'static `Any`.
    trait Built {}
    impl<T> Built for T {}
    type Phase<'a> = (&'a str, &'a dyn Fn() -> Box<dyn Built + 'a>);
    let phases: [Phase; 4] = [
        ("lex", &|| {
            Box::new(
                rb.iter()
                    .map(|t| lexer::tokenize(t, 0, t.len(), 0).map(|l| l.tokens))
                    .collect::<Vec<_>>(),
            )
        }),
        ("parse", &|| {
            Box::new(
                rb.iter()
                    .map(|t| parser::parse_program(t))
                    .collect::<Vec<_>>(),
            )
        }),
        ("full, 1 thread", &|| {
            Box::new(
                sources
                    .iter()
                    .map(|s| profile::build_shared_with_threads(s, 1))
                    .collect::<Vec<_>>(),
            )
        }),
        ("full, all cores", &|| {
            Box::new(
                sources
                    .iter()
                    .map(profile::build_shared)
                    .collect::<Vec<_>>(),
            )
        }),
    ];
    let only = std::env::var("PHASE").ok();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); phases.len()];
    for _ in 0..runs {
        for (i, (name, f)) in phases.iter().enumerate() {
            if only.as_deref().is_some_and(|o| o != *name) {
                continue;
            }
            let t = Instant::now();
            let built = f();
            let secs = t.elapsed().as_secs_f64();
            drop(built);
            if let Some(v) = times.get_mut(i) {
                v.push(secs);
            }
        }
    }
    for ((name, _), t) in phases.iter().zip(times) {
        if t.is_empty() {
            continue;
        }
        let s = median(t);
        println!(
            "{name:16} {:8.2} ms {:7.1} MB/s {:9.0} controls/s",
            s * 1e3,
            bytes as f64 / s / 1e6,
            controls as f64 / s
        );
    }
}
