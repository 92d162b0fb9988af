//! Ruby errors where InSpec reports them (InSpec 7.1.16 on Ruby 3.1, checked on snippet
//! profiles): FrozenError from `# frozen_string_literal: true`, NoMethodError / NameError
//! inside examples and control bodies, exceptions while computing a `describe` argument.

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::run;

/// (code_desc, status, message) of a control's results.
fn rows(results: &[ControlResult], id: &str) -> Vec<(String, ControlStatus, Option<String>)> {
    results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no control {id} in {results:#?}"))
        .results
        .iter()
        .map(|c| {
            (
                c.code_desc.clone(),
                c.status,
                c.message.clone().or(c.skip_message.clone()),
            )
        })
        .collect()
}

fn row(
    desc: &str,
    status: ControlStatus,
    message: Option<&str>,
) -> (String, ControlStatus, Option<String>) {
    (desc.to_string(), status, message.map(str::to_string))
}

const SOURCE_ERROR: &str = "Control Source Code Error test/controls/test.rb:";

/// rule.rb rescues the control block's exception into a "Control Source Code Error"
/// example; the describes registered before it stay, the rest of the block does not run.
#[test]
fn a_frozen_literal_changed_in_the_control_body_is_a_source_code_error() {
    let r = run(r#"# frozen_string_literal: true

control 'f' do
  describe file('/etc/passwd') do
    it { should exist }
  end
  path = '/etc'
  x = command('ls ' << path).stdout
  describe x do
    it { should_not be_empty }
  end
end

control 'h' do
  v = 'abc'
  v.upcase!
end
"#);
    assert_eq!(
        rows(&r, "f"),
        vec![
            row(
                "File /etc/passwd is expected to exist",
                ControlStatus::Passed,
                None
            ),
            row(
                &format!("{SOURCE_ERROR}3 "),
                ControlStatus::Failed,
                Some("can't modify frozen String: \"ls \"")
            ),
        ]
    );
    assert_eq!(
        rows(&r, "h"),
        vec![row(
            &format!("{SOURCE_ERROR}14 "),
            ControlStatus::Failed,
            Some("can't modify frozen String: \"abc\"")
        )]
    );
}

/// Which strings are frozen (Ruby ≥ 3.0): plain literals under the magic comment, not
/// interpolated ones, `String.new`, `+''`, `dup` or a method's result; `frozen?` says so.
/// Inside an example the FrozenError fails that example only.
#[test]
fn only_plain_literals_are_frozen_and_frozen_answers_it() {
    let r = run(r#"# frozen_string_literal: true
control 'g' do
  s = String.new('a')
  s << 'b'
  t = +'c'
  t << 'd'
  u = "i#{1}"
  u << 'j'
  w = 'lit'
  describe [s, t, u, 'x'.frozen?, s.frozen?, 'k'.dup.frozen?, w.frozen?, [].frozen?, 1.frozen?] do
    it { should eq ['ab', 'cd', 'i1j', true, false, false, true, false, true] }
  end
end
control 'i' do
  describe 'sub' do
    it { expect('abc'.sub!(/z/, 'y')).to be_nil }
  end
  describe 'after' do
    it { should eq 'after' }
  end
end
"#);
    assert_eq!(
        rows(&r, "g")[0].1,
        ControlStatus::Passed,
        "{:?}",
        rows(&r, "g")
    );
    assert_eq!(
        rows(&r, "i"),
        vec![
            row(
                "sub ",
                ControlStatus::Failed,
                Some("can't modify frozen String: \"abc\"")
            ),
            row(
                "after is expected to eq \"after\"",
                ControlStatus::Passed,
                None
            ),
        ]
    );
}

/// Without the magic comment literals are mutable, but `freeze` freezes a string.
#[test]
fn freeze_freezes_without_the_magic_comment() {
    let r = run(r#"control 'j' do
  a = 'a'
  a << 'b'
  b = 'c'.freeze
  describe a do
    it { should eq 'ab' }
  end
  b << 'd'
end
"#);
    assert_eq!(
        rows(&r, "j"),
        vec![
            row("ab is expected to eq \"ab\"", ControlStatus::Passed, None),
            row(
                &format!("{SOURCE_ERROR}1 "),
                ControlStatus::Failed,
                Some("can't modify frozen String: \"c\"")
            ),
        ]
    );
}
