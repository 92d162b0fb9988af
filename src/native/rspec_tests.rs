//! RSpec forms inside `describe` as real profiles use them (issue 14, section 2, finding 2):
//! `subject { }`, `let`, `it 'text' do expect(...).to m, 'message' end`, `is_expected`,
//! `not_to` / `to_not`.

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::run;

fn one(results: &[ControlResult], id: &str) -> ControlResult {
    results
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no control {id} in {results:#?}"))
}

fn outcomes(r: &ControlResult) -> Vec<(String, ControlStatus, Option<String>)> {
    r.results
        .iter()
        .map(|c| (c.code_desc.clone(), c.status, c.message.clone()))
        .collect()
}

#[test]
fn a_subject_block_is_the_subject_of_its_examples() {
    let r = run(r#"
control 's' do
  describe 'The passwd file' do
    subject { file('/etc/passwd') }
    it { should exist }
    its('owner') { should eq 'root' }
    it { is_expected.to be_file }
  end
  describe 'A number' do
    subject { 1 + 1 }
    it { should eq 2 }
    it { should_not eq 3 }
  end
end
"#);
    let c = one(&r, "s");
    assert_eq!(
        outcomes(&c),
        vec![
            (
                "The passwd file is expected to exist".into(),
                ControlStatus::Passed,
                None
            ),
            (
                "The passwd file owner is expected to eq \"root\"".into(),
                ControlStatus::Passed,
                None
            ),
            (
                "The passwd file is expected to be file".into(),
                ControlStatus::Passed,
                None
            ),
            (
                "A number is expected to eq 2".into(),
                ControlStatus::Passed,
                None
            ),
            (
                "A number is expected not to eq 3".into(),
                ControlStatus::Passed,
                None
            ),
        ]
    );
}

#[test]
fn lets_are_lazy_memoized_and_see_each_other() {
    let r = run(r#"
control 'l' do
  describe 'pwquality' do
    let(:value) { Array(config[setting]) }
    let(:config) { { 'ucredit' => '-1' } }
    let(:setting) { 'ucredit' }
    let(:broken) { raise 'never evaluated unless used' }
    it 'has `ucredit` set' do
      expect(value).not_to be_empty, 'ucredit is not set'
    end
    it 'only sets `ucredit` once' do
      expect(value.length).to eq(1), 'ucredit is set more than once'
    end
    it 'does not set `ucredit` to a positive value' do
      expect(value.first.to_i).to cmp < 0, 'ucredit is not negative'
    end
    it 'is not 5' do
      expect(value.first.to_i).to_not eq(5)
    end
  end
end
"#);
    let c = one(&r, "l");
    assert_eq!(
        c.results
            .iter()
            .map(|x| (x.code_desc.as_str(), x.status))
            .collect::<Vec<_>>(),
        vec![
            ("pwquality has `ucredit` set", ControlStatus::Passed),
            ("pwquality only sets `ucredit` once", ControlStatus::Passed),
            (
                "pwquality does not set `ucredit` to a positive value",
                ControlStatus::Passed
            ),
            ("pwquality is not 5", ControlStatus::Passed),
        ],
        "{c:#?}"
    );
}

#[test]
fn a_custom_message_replaces_the_failure_message() {
    let r = run(r#"
control 'm' do
  describe 'pwquality' do
    let(:value) { [] }
    it 'has `ucredit` set' do
      expect(value).not_to be_empty, 'ucredit is not set in pwquality.conf'
    end
    it 'is set once' do
      expect(value.length).to eq(1), 'ucredit is set more than once'
    end
    it 'keeps the matcher message without one' do
      expect(value.length).to eq(1)
    end
    it { should_not eq('pwquality'), 'the subject is the text' }
  end
end
"#);
    let c = one(&r, "m");
    let msgs: Vec<Option<String>> = c.results.iter().map(|x| x.message.clone()).collect();
    assert_eq!(
        msgs,
        vec![
            Some("ucredit is not set in pwquality.conf".into()),
            Some("ucredit is set more than once".into()),
            Some("\nexpected: 1\n     got: 0\n\n(compared using ==)\n".into()),
            Some("the subject is the text".into()),
        ],
        "{c:#?}"
    );
    assert!(c.results.iter().all(|x| x.status == ControlStatus::Failed));
}

#[test]
fn a_let_that_raises_fails_only_the_examples_using_it() {
    let r = run(r#"
control 'e' do
  describe 'things' do
    let(:bad) { raise ArgumentError, 'no good' }
    let(:good) { 3 }
    it 'uses bad' do
      expect(bad).to eq 1
    end
    it 'uses good' do
      expect(good).to eq 3
    end
  end
end
"#);
    let c = one(&r, "e");
    assert_eq!(c.results.len(), 2, "{c:#?}");
    assert_eq!(c.results[0].status, ControlStatus::Failed);
    assert_eq!(c.results[0].exception.as_deref(), Some("ArgumentError"));
    assert_eq!(c.results[1].status, ControlStatus::Passed);
}

#[test]
fn a_subject_is_memoized_per_example_and_inherited_by_inner_describes() {
    let r = run(r#"
control 'i' do
  counter = []
  describe 'outer' do
    subject { counter << 1; counter.length }
    it { should eq 1 }
    it { should eq 2 }
    describe 'inner' do
      it 'sees the outer subject' do
        expect(subject).to eq subject
      end
    end
  end
end
"#);
    let c = one(&r, "i");
    assert_eq!(
        c.results
            .iter()
            .map(|x| (x.code_desc.as_str(), x.status))
            .collect::<Vec<_>>(),
        vec![
            ("outer is expected to eq 1", ControlStatus::Passed),
            ("outer is expected to eq 2", ControlStatus::Passed),
            ("outer inner sees the outer subject", ControlStatus::Passed),
        ],
        "{c:#?}"
    );
}

#[test]
fn coverage_counts_lets_and_subjects_as_supported() {
    let src = r#"
control 'cov' do
  describe 'pwquality' do
    let(:config) { parse_config_file('/etc/security/pwquality.conf', multiple_values: true) }
    let(:value) { Array(config.params['ucredit']) }
    it 'has `ucredit` set' do
      expect(value).not_to be_empty, 'ucredit is not set in pwquality.conf'
    end
  end
  describe 'A subject' do
    subject { package('openssh-server') }
    it { should be_installed }
  end
end
control 'let-outside' do
  let(:x) { 1 }
end
control 'bad' do
  describe 'unknown' do
    it 'names an unknown method' do
      expect(not_a_let).to eq 1
    end
  end
end
"#;
    let profile =
        crate::profile::from_source(src, "/tmp/any/rspec.rb").unwrap_or_else(|e| panic!("{e}"));
    let cov = crate::native::coverage(&profile);
    let supported: Vec<(String, bool)> = cov
        .controls
        .iter()
        .map(|c| (c.id.clone(), c.supported))
        .collect();
    assert_eq!(
        supported,
        vec![
            ("cov".to_string(), true),
            ("let-outside".to_string(), false),
            // An unknown name in an example is Ruby's NameError, which InSpec reports as
            // the example's failure: evaluated.
            ("bad".to_string(), true)
        ],
        "{:#?}",
        cov.controls
    );
}

/// RSpec describes a matcher given to `include` or `contain_exactly` by its description in
/// parentheses (composable.rb `surface_descriptions_in`, `DescribableItem#inspect`), and one
/// inside another value by its description (ObjectFormatter's `DescribableMatcherInspector`);
/// `include` matches an item with it (`values_match?`). Rows are InSpec 7.1.16's.
#[test]
fn composed_matchers_are_described_and_matched_as_rspec_does() {
    let r = run(r##"
control 'incl' do
  describe [] do
    it { should include(match(/\/var\/spool\/mail/)) }
  end
  describe ['a'] do
    it { should include(match(/b/), 'c') }
    it { should_not include(match(/a/)) }
    it { should include(eq('z')) }
    it { should include(start_with('q')) }
    it { should include(be_nil) }
    it { should eq [match(/z/)] }
    it { should contain_exactly(match(/z/)) }
    it { should include(match(/a/)) }
  end
  describe({'a'=>'b'}) do
    it { should include('a' => match(/c/)) }
  end
end
"##);
    use ControlStatus::{Failed as F, Passed as P};
    let got: Vec<(String, ControlStatus)> = outcomes(&one(&r, "incl"))
        .into_iter()
        .map(|(d, s, _)| (d, s))
        .collect();
    let want = [
        (
            r#"[] is expected to include (match /\/var\/spool\/mail/)"#,
            F,
        ),
        (r#"["a"] is expected to include (match /b/) and "c""#, F),
        (r#"["a"] is expected not to include (match /a/)"#, F),
        (r#"["a"] is expected to include (eq "z")"#, F),
        (r#"["a"] is expected to include (start with "q")"#, F),
        (r#"["a"] is expected to include (be nil)"#, F),
        (r#"["a"] is expected to eq [match /z/]"#, F),
        (r#"["a"] is expected to contain exactly (match /z/)"#, F),
        (r#"["a"] is expected to include (match /a/)"#, P),
        (
            r#"{"a"=>"b"} is expected to include {"a" => (match /c/)}"#,
            F,
        ),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(d, s)| (d.to_string(), *s))
            .collect::<Vec<_>>()
    );
    let messages: Vec<Option<String>> = outcomes(&one(&r, "incl"))
        .into_iter()
        .map(|(_, _, m)| m)
        .collect();
    assert_eq!(
        messages[0].as_deref(),
        Some(r#"expected [] to include (match /\/var\/spool\/mail/)"#)
    );
}

/// RSpec's `it` returns the Example it defines (rspec-core example_group.rb
/// define_example_method): a truthy object, so `it { a } || it { b }` defines only the
/// first example, as InSpec 7.1.16 ran djif's `it { should_not be_enabled } || it { should_not
/// be_installed }`; `&&` defines both.
#[test]
fn it_answers_its_example_so_or_defines_only_the_first() {
    let r = crate::native::testing::run(
        "control 'c' do\n  describe 'x' do\n    it { should eq 'x' } || it { should eq 'y' }\n    it { should eq 'x' } && it { should_not eq 'z' }\n  end\nend\n",
    );
    let c = one(&r, "c");
    let got: Vec<String> = c.results.iter().map(|x| x.code_desc.clone()).collect();
    assert_eq!(
        got,
        vec![
            "x is expected to eq \"x\"",
            "x is expected to eq \"x\"",
            "x is expected not to eq \"z\""
        ]
    );
}
