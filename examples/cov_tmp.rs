use ansible_inspec_rs::native;
use ansible_inspec_rs::profile;
use ansible_inspec_rs::transport::{Host, LocalTransport};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
fn main() {
    let eval = std::env::var("EVAL").is_ok();
    for d in std::env::args().skip(1) {
        let p = match profile::load(&d) {
            Ok(p) => p,
            Err(e) => {
                println!("{d}: {e}");
                continue;
            }
        };
        let c = native::coverage(&p);
        println!(
            "== {} {}/{} {:.1}%",
            c.profile, c.supported, c.total, c.percent
        );
        for b in c.blockers.iter().take(14) {
            println!("   {} {} {}", b.controls, b.construct, b.example);
        }
        if eval {
            let host = Arc::new(Host::new(
                Box::new(LocalTransport::default()),
                None,
                CancellationToken::new(),
            ));
            let t = std::time::Instant::now();
            let r = native::evaluate(&p, host, &serde_json::Map::new());
            let mut counts = std::collections::BTreeMap::new();
            for x in &r {
                *counts.entry(format!("{:?}", x.status)).or_insert(0) += 1;
            }
            let unsup = r
                .iter()
                .filter(|x| x.results.iter().any(|c| c.code_desc == "Native evaluation"))
                .count();
            println!(
                "   eval {:?} in {:?}; native-skipped {}",
                counts,
                t.elapsed(),
                unsup
            );
            if std::env::var("SHOW").is_ok() {
                for x in r
                    .iter()
                    .filter(|x| x.results.iter().any(|c| c.code_desc == "Native evaluation"))
                    .take(40)
                {
                    println!("     {} {:?}", x.id, x.results[0].skip_message);
                }
            }
        }
    }
}
