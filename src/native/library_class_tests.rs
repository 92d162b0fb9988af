//! Ruby that profiles' `libraries/` use beyond plain classes (issue 15): classes deriving
//! from InSpec's resource classes and from Ruby's core classes, `include Comparable` /
//! `Enumerable`, `yield`, `Regexp` options, `JSON.parse` order, and a skipped custom
//! resource skipping only its `describe`. Expected values follow Ruby's documentation.

use serde_json::json;

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::run_with;

fn one(results: &[ControlResult], id: &str) -> ControlResult {
    results
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no control {id} in {results:#?}"))
}

/// Runs control `c` (with `lib` as `libraries/lib.rb`) and asserts each of its checks passed.
fn passes(lib: &str, code: &str) -> ControlResult {
    let r = run_with(code, &[("libraries/lib.rb", lib)], json!({}), None);
    let c = one(&r, "c");
    let bad: Vec<String> = c
        .results
        .iter()
        .filter(|x| x.status != ControlStatus::Passed)
        .map(|x| format!("{} {:?} {:?}", x.code_desc, x.message, x.skip_message))
        .collect();
    assert!(
        bad.is_empty() && c.status == ControlStatus::Passed,
        "{bad:#?} {c:#?}"
    );
    c
}

#[test]
fn regexp_options_are_rubys_constants_and_letters() {
    // Regexp::IGNORECASE == 1, EXTENDED == 2, MULTILINE == 4; `x` ignores whitespace and
    // `#` comments (doc/regexp.rdoc, "Extended Mode").
    passes(
        "",
        r##"
control 'c' do
  describe [Regexp::IGNORECASE, Regexp::EXTENDED, Regexp::MULTILINE] do
    it { should eq [1, 2, 4] }
  end
  rule = <<-'EOM'
    ^\s*
    # the type [auth|account]
    (?<type>\w+)\s+   # then the control
    (?<control>\S+)
  EOM
  describe 'auth required pam_unix.so'.match(Regexp.new(rule, Regexp::EXTENDED))[:control] do
    it { should eq 'required' }
  end
  describe 'AUTH' =~ Regexp.new('a u t h', Regexp::EXTENDED | Regexp::IGNORECASE) do
    it { should eq 0 }
  end
  describe "a\nb" =~ Regexp.new('a.b', Regexp::MULTILINE) do
    it { should eq 0 }
  end
  describe 'A B' =~ Regexp.new('a b', 'i') do
    it { should eq 0 }
  end
  describe 'ab' =~ / a b # letters
                    /x do
    it { should eq 0 }
  end
end
"##,
    );
}

#[test]
fn json_parse_keeps_the_documents_key_order() {
    // Ruby hashes enumerate in insertion order; JSON.parse inserts keys as they come.
    passes(
        "",
        r##"
control 'c' do
  h = JSON.parse('{"zeta": 1, "alpha": {"y": 2, "b": 3}, "mid": [1], "zeta": 4}')
  describe h.keys do
    it { should eq ['zeta', 'alpha', 'mid'] }
  end
  describe h['alpha'].keys do
    it { should eq ['y', 'b'] }
  end
  describe h['zeta'] do
    it { should eq 4 }
  end
  describe JSON.parse('{"b": 1, "a": 2}', symbolize_names: true).keys do
    it { should eq [:b, :a] }
  end
end
"##,
    );
}
