//! `cargo run --release --example time_files -- PHASE FILE...` (PHASE: lex | parse | full):
//! runs one phase 20 times per file and prints MB/s (wall clock).
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let phase = args.next().unwrap_or_default();
    for f in args {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let n = 20;
        let t = Instant::now();
        for _ in 0..n {
            match phase.as_str() {
                "lex" => drop(ansible_inspec_rs::profile::lexer::tokenize(
                    &text,
                    0,
                    text.len(),
                    0,
                )),
                "parse" => drop(ansible_inspec_rs::profile::parser::parse_program(&text)),
                _ => drop(ansible_inspec_rs::profile::from_source(
                    &text,
                    "controls/x.rb",
                )),
            }
        }
        let secs = t.elapsed().as_secs_f64() / n as f64;
        println!(
            "{phase:>5} {:8} B {:7.1} MB/s {f}",
            text.len(),
            text.len() as f64 / secs / 1e6
        );
    }
}
