//! `cargo run --example dump_profile -- DIR [CONTROL_ID]`: print the model as JSON.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else { return };
    match ansible_inspec_rs::profile::load(dir) {
        Ok(p) => {
            if let Some(id) = args.get(2) {
                for c in p.controls.iter().filter(|c| c.id == *id) {
                    println!("{}", serde_json::to_string_pretty(c).unwrap_or_default());
                }
            } else {
                println!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
            }
        }
        Err(e) => println!("ERROR {e}"),
    }
}
