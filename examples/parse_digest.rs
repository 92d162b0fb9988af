//! `cargo run --release --no-default-features --example parse_digest -- [DIR...]`: prints a
//! SHA-256 of the token streams, the syntax trees and the model JSON of each profile (default:
//! ../shared/profiles/* and tests/fixtures/*), so a change meant to make the parser faster can
//! show that it builds exactly what it built before: run it before and after, compare.
use std::path::PathBuf;

use ansible_inspec_rs::profile::{self, lexer, parser};
use sha2::{Digest, Sha256};

fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for parent in [root.join("../shared/profiles"), root.join("tests/fixtures")] {
            if let Ok(rd) = std::fs::read_dir(&parent) {
                dirs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
            }
        }
        dirs.sort();
    }
    let mut all = Sha256::new();
    for dir in &dirs {
        let Ok(src) = profile::read_sources(dir) else {
            continue;
        };
        let (mut toks, mut trees) = (Sha256::new(), Sha256::new());
        for (name, text) in src.controls.iter().chain(&src.libraries) {
            toks.update(name.as_bytes());
            trees.update(name.as_bytes());
            match lexer::tokenize(text, 0, text.len(), 0) {
                Ok(l) => toks.update(format!("{:?}{:?}{:?}", l.tokens, l.lits, l.end_marker)),
                Err(e) => toks.update(format!("ERR {e:?}")),
            }
            match parser::parse_program(text) {
                Ok(p) => trees.update(format!("{p:?}")),
                Err(e) => trees.update(format!("ERR {e:?}")),
            }
        }
        let model = match profile::build(&src) {
            Ok(p) => serde_json::to_string(&p).unwrap_or_default(),
            Err(e) => format!("ERR {e}"),
        };
        // The model names its directory: digests of two checkouts must still compare.
        let model = model.replace(&src.path, "");
        let (t, s, m) = (hex(toks), hex(trees), hex(Sha256::new_with_prefix(&model)));
        all.update(format!("{t}{s}{m}"));
        println!(
            "{}: tokens {} trees {} model {}",
            dir.display(),
            &t[..12],
            &s[..12],
            &m[..12]
        );
    }
    println!("all: {}", hex(all));
}
