//! `cargo run --release --no-default-features --example regex_engines -- [--quick] [DIR...]`:
//! the Ruby regexp engine (fancy-regex in Oniguruma mode, `src/native/ruby/rx.rs`) against the
//! previous one (the `regex` crate behind a Ruby-to-`regex` translation, kept here verbatim
//! for the comparison) on the regexp literals of real profiles (default:
//! ../shared/profiles/* and tests/fixtures/fixture-profiles/*), matched against the text of
//! the recorded fixture hosts' /etc files, whole and line by line, as `match`/`cmp` and
//! FilterTable criteria use them. Prints compile and match time per engine, the median of
//! several rounds (`--quick`: one round), on the regexps both engines compile.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ansible_inspec_rs::native::ruby::rx;
use ansible_inspec_rs::profile::ast::{plain, ExprKind};
use ansible_inspec_rs::profile::visit::each_expr_in;

/// The previous translation (src/native/ruby/rx.rs before the engine change).
fn old_translate(source: &str, flags: &str) -> String {
    let mut out = String::from("(?m");
    if flags.contains('i') {
        out.push('i');
    }
    if flags.contains('m') {
        out.push('s');
    }
    if flags.contains('x') {
        out.push('x');
    }
    out.push(')');
    let mut chars = source.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('h') if in_class > 0 => out.push_str("0-9a-fA-F"),
                Some('h') => out.push_str("[0-9a-fA-F]"),
                Some('H') if in_class == 0 => out.push_str("[^0-9a-fA-F]"),
                Some('Z') => out.push_str(r"(?:\n?\z)"),
                Some('/') => out.push('/'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str(r"\\"),
            },
            '[' => {
                in_class += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

fn old_build(source: &str, flags: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(&old_translate(source, flags))
        .size_limit(4 << 20)
        .build()
        .ok()
}

fn regexps(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(p) = ansible_inspec_rs::profile::load(dir) else {
        eprintln!("skipped {} (does not load)", dir.display());
        return;
    };
    for f in &p.files {
        each_expr_in(&f.program.body, |x| {
            if let ExprKind::Regex { parts, flags } = &x.kind {
                if let Some(src) = plain(parts) {
                    out.push((src, flags.to_string()));
                }
            }
        });
    }
}

fn texts(root: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            texts(&p, out);
        } else if let Ok(t) = std::fs::read_to_string(&p) {
            out.push(t);
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut quick = false;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--quick" {
            quick = true;
        } else {
            dirs.push(a.into());
        }
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if dirs.is_empty() {
        for base in [
            repo.join("../shared/profiles"),
            repo.join("tests/fixtures/fixture-profiles"),
        ] {
            if let Ok(rd) = std::fs::read_dir(&base) {
                let mut ds: Vec<PathBuf> = rd
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect();
                ds.sort();
                dirs.extend(ds);
            }
        }
    }
    let mut all = Vec::new();
    for d in &dirs {
        regexps(d, &mut all);
    }
    all.sort();
    all.dedup();
    let mut files = Vec::new();
    texts(&repo.join("tests/fixtures/hosts"), &mut files);
    let haystack: Vec<String> = files.into_iter().filter(|t| t.len() < 1 << 20).collect();
    let lines: Vec<&str> = haystack.iter().flat_map(|t| t.lines()).collect();

    let both: Vec<&(String, String)> = all
        .iter()
        .filter(|(s, f)| rx::build(s, f).is_ok() && old_build(s, f).is_some())
        .collect();
    let only_new = all
        .iter()
        .filter(|(s, f)| rx::build(s, f).is_ok() && old_build(s, f).is_none())
        .count();
    let only_old = all
        .iter()
        .filter(|(s, f)| rx::build(s, f).is_err() && old_build(s, f).is_some())
        .count();
    println!(
        "{} distinct regexp literals in {} profiles; both engines compile {}; only fancy-regex {}; only regex {}",
        all.len(),
        dirs.len(),
        both.len(),
        only_new,
        only_old
    );
    println!(
        "haystack: {} files, {} lines, {} bytes",
        haystack.len(),
        lines.len(),
        haystack.iter().map(String::len).sum::<usize>()
    );
    let rounds = if quick { 1 } else { 7 };
    let (mut c_new, mut c_old, mut m_new, mut m_old) = (vec![], vec![], vec![], vec![]);
    let mut agree = true;
    for _ in 0..rounds {
        let t = Instant::now();
        let new: Vec<rx::Regex> = both
            .iter()
            .filter_map(|(s, f)| rx::build(s, f).ok())
            .collect();
        c_new.push(t.elapsed());
        let t = Instant::now();
        let old: Vec<regex::Regex> = both.iter().filter_map(|(s, f)| old_build(s, f)).collect();
        c_old.push(t.elapsed());

        let t = Instant::now();
        let mut hits_new = 0usize;
        for re in &new {
            for h in &haystack {
                hits_new += usize::from(re.find(h).ok().flatten().is_some());
            }
            for l in &lines {
                hits_new += usize::from(re.is_match(l).unwrap_or(false));
            }
        }
        m_new.push(t.elapsed());
        let t = Instant::now();
        let mut hits_old = 0usize;
        for re in &old {
            for h in &haystack {
                hits_old += usize::from(re.find(h).is_some());
            }
            for l in &lines {
                hits_old += usize::from(re.is_match(l));
            }
        }
        m_old.push(t.elapsed());
        agree &= hits_new == hits_old;
        std::hint::black_box((hits_new, hits_old));
    }
    // Where the dialects differ (ASCII \d\w\s, `^` after a final newline...): the patterns
    // whose matches differ on the haystack.
    let differ: Vec<String> = both
        .iter()
        .filter(|(s, f)| {
            let (Ok(n), Some(o)) = (rx::build(s, f), old_build(s, f)) else {
                return false;
            };
            lines
                .iter()
                .any(|l| n.is_match(l).unwrap_or(false) != o.is_match(l))
                || haystack.iter().any(|h| {
                    n.find(h).ok().flatten().map(|m| m.range()) != o.find(h).map(|m| m.range())
                })
        })
        .map(|(s, f)| format!("/{s}/{f}"))
        .collect();
    let (cn, co, mn, mo) = (median(c_new), median(c_old), median(m_new), median(m_old));
    println!("median of {rounds} round(s):");
    println!(
        "  compile  fancy-regex {:>10.3?}  regex {:>10.3?}  ratio {:.2}",
        cn,
        co,
        cn.as_secs_f64() / co.as_secs_f64().max(1e-9)
    );
    println!(
        "  match    fancy-regex {:>10.3?}  regex {:>10.3?}  ratio {:.2}",
        mn,
        mo,
        mn.as_secs_f64() / mo.as_secs_f64().max(1e-9)
    );
    println!("  same number of matches in both engines: {agree}");
    println!(
        "  regexps matching differently: {} {:?}",
        differ.len(),
        differ
    );
}
