fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let kind: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let src = match kind {
        0 => "[".repeat(n),
        1 => format!("x = {}1{}", "(".repeat(n), ")".repeat(n)),
        2 => format!("x = {}", "!".repeat(n)),
        3 => format!("\"{}\"", "#{\"".repeat(n)),
        4 => "if a\n".repeat(n),
        5 => "foo do\n".repeat(n),
        6 => format!("{}1", "-".repeat(n)),
        _ => "a if b ".repeat(n),
    };
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let r = ansible_inspec_rs::profile::parse_ruby(&src, "x.rb");
            println!("{:?}", r.err().map(|e| e.to_string()));
        })
        .unwrap();
    h.join().unwrap();
}
