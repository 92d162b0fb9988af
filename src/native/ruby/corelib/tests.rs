//! The `ruby-core` fixture profile on the recorded Debian 12 host: File through the
//! transport, Set, Date/Time, Ruby regexps.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::job::ControlStatus;
use crate::transport::fixture::FixtureTransport;
use crate::transport::Host;

#[test]
fn ruby_core_profile_passes_on_the_debian_fixture() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let t = FixtureTransport::open(&root.join("hosts/debian12"));
    let host = Arc::new(Host::new(Box::new(t), None, CancellationToken::new()));
    let profile = crate::profile::load(root.join("fixture-profiles/ruby-core")).unwrap();
    let results = crate::native::evaluate(&profile, host, &serde_json::Map::new());
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["file-paths", "file-on-target", "sets", "dates", "regexps"]
    );
    for r in &results {
        assert_eq!(r.status, ControlStatus::Passed, "{r:#?}");
        assert!(!r.results.is_empty(), "{}", r.id);
    }
}
