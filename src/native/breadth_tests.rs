//! Ruby library code and InSpec helpers that public profiles use beyond the resource
//! catalogue: `Shellwords`, the `platform` resource's family checks.

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::run;

fn one(results: &[ControlResult], id: &str) -> ControlResult {
    results
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no control {id} in {results:#?}"))
}

fn passes(code: &str, id: &str) {
    let r = run(code);
    let c = one(&r, id);
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
}

/// Ruby's lib/shellwords.rb: a backslash before every character outside
/// `[A-Za-z0-9_\-.,:+/@\n]`, a newline quoted as `'\n'`, `''` for the empty string.
#[test]
fn shellwords_escape_and_join_as_ruby() {
    passes(
        r##"
control 'sw' do
  describe Shellwords.escape("it's a $test") do
    it { should eq "it\\'s\\ a\\ \\$test" }
  end
  describe Shellwords.escape('') do
    it { should eq "''" }
  end
  describe Shellwords.escape("a\nb") do
    it { should eq "a'\n'b" }
  end
  describe Shellwords.shellescape('/usr/bin/x-1.2,3:4+5@h') do
    it { should eq '/usr/bin/x-1.2,3:4+5@h' }
  end
  describe Shellwords.join(['ls', 'my file']) do
    it { should eq 'ls my\\ file' }
  end
  describe Shellwords.escape(5432) do
    it { should eq '5432' }
  end
end
"##,
        "sw",
    );
}
