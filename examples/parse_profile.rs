//! `cargo run --example parse_profile -- DIR...`: parse profiles and print a summary.
fn main() {
    for arg in std::env::args().skip(1) {
        match ansible_inspec_rs::profile::load(&arg) {
            Ok(p) => {
                println!(
                    "{arg}: {} controls, {} warnings",
                    p.controls.len(),
                    p.warnings.len()
                );
                for w in &p.warnings {
                    println!("  warning {}:{:?}: {}", w.file, w.line, w.message);
                }
            }
            Err(e) => println!("{arg}: ERROR {e}"),
        }
    }
}
