//! Ruby errors where InSpec reports them (InSpec 7.1.16 on Ruby 3.1, checked on snippet
//! profiles): FrozenError from `# frozen_string_literal: true`, NoMethodError / NameError
//! inside examples and control bodies, exceptions while computing a `describe` argument.

use crate::job::ControlStatus;
use crate::native::testing::{run, status_rows as rows};

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

/// An exception while computing a describe's argument is the control block's: rule.rb's
/// Control Source Code Error, and the describes after it are not registered.
#[test]
fn a_describe_argument_that_raises_ends_the_control() {
    let r = run(r#"control 'arg' do
  describe file('/etc/passwd') do
    it { should exist }
  end
  describe "value #{nil.foo}" do
    it { should eq 'x' }
  end
  describe file('/etc/group') do
    it { should exist }
  end
end
"#);
    assert_eq!(
        rows(&r, "arg"),
        vec![
            row(
                "File /etc/passwd is expected to exist",
                ControlStatus::Passed,
                None
            ),
            row(
                &format!("{SOURCE_ERROR}1 "),
                ControlStatus::Failed,
                Some("undefined method `foo' for nil:NilClass")
            ),
        ]
    );
}

/// `control` is no method of an `Inspec::Rule`: a control opened inside another (a missing
/// `end`) raises NoMethodError in the outer control's body, its Control Source Code Error,
/// and the inner control is never registered.
#[test]
fn a_control_inside_a_control_is_the_outer_controls_no_method_error() {
    let r = run(r#"control 'outer' do
  describe file('/etc/passwd') do
    it { should exist }
  end
  control 'inner' do
    describe file('/etc/group') do
      it { should exist }
    end
  end
end
"#);
    assert_eq!(
        rows(&r, "outer"),
        vec![
            row(
                "File /etc/passwd is expected to exist",
                ControlStatus::Passed,
                None
            ),
            row(
                &format!("{SOURCE_ERROR}1 "),
                ControlStatus::Failed,
                Some("undefined method `control' for #<Inspec::Rule>")
            ),
        ]
    );
    assert!(r.iter().all(|c| c.id != "inner"), "{r:#?}");
    let profile = crate::native::testing::snippet_profile(
        "control 'outer' do\n  control 'inner' do\n  end\nend\n",
        &[],
        None,
    );
    let c = crate::native::coverage::coverage(&profile);
    assert!(c.controls.iter().all(|k| k.blockers.is_empty()), "{c:#?}");
}

/// An undefined name inside an example fails that example (no matcher ran: the describe's
/// text and a space), the describe's other examples still run; in the control's body it is
/// the Control Source Code Error. InSpec 7.1.16's rows for the same controls.
#[test]
fn undefined_names_fail_the_example_or_the_control_as_ruby_raises_them() {
    let r = run(r#"control 'typo' do
  describe file('/etc/passwd') do
    it { shold_not exist }
    it { should exist }
  end
end

control 'bare' do
  describe 'Temporary accounts' do
    it { should be empty }
    it { should eq 'Temporary accounts' }
  end
end

control 'body' do
  describe file('/etc/passwd') do
    it { should exist }
  end
  if auditd_cfg_remote_plugin
    describe 'x' do
      it { should eq 'x' }
    end
  end
end

control 'arr' do
  x = [].empty
end

control 'nilmeth' do
  describe 'nil' do
    it { expect(nil.dns).to eq 1 }
  end
end
"#);
    let status_desc = |id: &str| -> Vec<(String, ControlStatus)> {
        rows(&r, id)
            .into_iter()
            .map(|(d, s, m)| {
                (
                    if s == ControlStatus::Skipped {
                        format!("{d} {m:?}")
                    } else {
                        d
                    },
                    s,
                )
            })
            .collect()
    };
    let sd = |d: &str, s: ControlStatus| (d.to_string(), s);
    assert_eq!(
        status_desc("typo"),
        vec![
            sd("File /etc/passwd ", ControlStatus::Failed),
            sd(
                "File /etc/passwd is expected to exist",
                ControlStatus::Passed
            ),
        ]
    );
    assert_eq!(
        status_desc("bare"),
        vec![
            sd("Temporary accounts ", ControlStatus::Failed),
            sd(
                "Temporary accounts is expected to eq \"Temporary accounts\"",
                ControlStatus::Passed
            ),
        ]
    );
    assert!(rows(&r, "bare")[0]
        .2
        .as_deref()
        .is_some_and(|m| m.starts_with("undefined local variable or method `empty' for ")));
    assert_eq!(
        status_desc("body"),
        vec![
            sd(
                "File /etc/passwd is expected to exist",
                ControlStatus::Passed
            ),
            sd(&format!("{SOURCE_ERROR}15 "), ControlStatus::Failed),
        ]
    );
    assert_eq!(
        rows(&r, "arr"),
        vec![row(
            &format!("{SOURCE_ERROR}26 "),
            ControlStatus::Failed,
            Some("undefined method `empty' for []:Array")
        )]
    );
    assert_eq!(
        rows(&r, "nilmeth"),
        vec![row(
            "nil ",
            ControlStatus::Failed,
            Some("undefined method `dns' for nil:NilClass")
        )]
    );
}

/// A name the profile's libraries mention may be defined there (on any class): not known
/// to be undefined, so outside the subset as before.
#[test]
fn a_name_the_libraries_mention_stays_unsupported() {
    let r = crate::native::testing::run_with(
        "control 'lib' do\n  describe 'x' do\n    it { helper_check }\n  end\nend\n",
        &[(
            "libraries/h.rb",
            "class Object\n  def helper_check\n    true\n  end\nend\n",
        )],
        serde_json::json!({}),
        None,
    );
    assert_eq!(
        rows(&r, "lib")[0].1,
        ControlStatus::Skipped,
        "{:?}",
        rows(&r, "lib")
    );
}

/// NilClass stays closed when a library names the method (cis-docker-benchmark's
/// `docker.version.Client.Version` without docker: InSpec 7.1.16 fails it with
/// "undefined method `Version' for nil:NilClass").
#[test]
fn nil_stays_closed_when_a_library_names_the_method() {
    let r = crate::native::testing::run_with(
        "control 'nil' do\n  v = nil\n  describe 'x' do\n    it { expect(v.Version).to eq 1 }\n  end\nend\n",
        &[("libraries/v.rb", "class Thing\n  def Version\n    1\n  end\nend\n")],
        serde_json::json!({}),
        None,
    );
    let got = rows(&r, "nil");
    assert_eq!(got[0].1, ControlStatus::Failed, "{got:?}");
    assert!(
        got[0]
            .2
            .as_deref()
            .is_some_and(|m| m.contains("undefined method `Version'")),
        "{got:?}"
    );
}

/// `coverage` reads the same rule: a typo InSpec also fails on is evaluated (reported as
/// Ruby raises it).
#[test]
fn coverage_counts_ruby_errors_as_evaluated() {
    let profile = crate::native::testing::snippet_profile(
        "control 'typo' do
  describe file('/etc/passwd') do
    it { shold_not exist }
  end
end
control 'body' do
  x = [].empty
  if auditd_cfg_remote_plugin
    describe 'x' do
      it { should eq 'x' }
    end
  end
end
control 'group' do
  describe 'x' do
    not_a_known_name
  end
end
",
        &[],
        None,
    );
    let c = crate::native::coverage::coverage(&profile);
    let blocked: Vec<(String, Vec<String>)> = c
        .controls
        .iter()
        .map(|k| {
            (
                k.id.clone(),
                k.blockers.iter().map(|b| b.construct.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        blocked,
        vec![
            ("typo".to_string(), vec![]),
            ("body".to_string(), vec![]),
            // In a describe block's body too, a name none of InSpec's contexts answers is
            // NameError (context_names), so the control is evaluated.
            ("group".to_string(), vec![]),
        ]
    );
}

/// RSpec's `include` on an actual without `include?` fails both ways (InSpec 7.1.16's rows
/// and messages for the same examples).
#[test]
fn include_on_nil_fails_both_ways_as_rspec_reports_it() {
    let r = run(r#"control 'nilinc' do
  describe 'nil' do
    it { expect(nil).not_to include '' }
    it { expect(nil).to include 'a' }
    it { expect(5).to include 'a' }
  end
end
"#);
    assert_eq!(
        rows(&r, "nilinc"),
        vec![
            row(
                "nil is expected not to include \"\"",
                ControlStatus::Failed,
                Some("expected nil not to include \"\", but it does not respond to `include?`")
            ),
            row(
                "nil is expected to include \"a\"",
                ControlStatus::Failed,
                Some("expected nil to include \"a\", but it does not respond to `include?`")
            ),
            row(
                "nil is expected to include \"a\"",
                ControlStatus::Failed,
                Some("expected 5 to include \"a\", but it does not respond to `include?`")
            ),
        ]
    );
}

/// Array#flatten converts each element implicitly (`to_ary`, array.c via
/// rb_check_array_type); an input without a value (NO_VALUE_SET) answers `to_ary` with
/// itself, which Ruby refuses with TypeError: in an example it fails the example, in a
/// control's body it is the Control Source Code Error (InSpec 7.1.16's rows for the same
/// controls). FilterTable's ExceptionCatcher answers `[to_s]`, which flattens.
#[test]
fn flatten_refuses_an_input_without_a_value() {
    let r = run(r#"control 'example' do
  describe 'x' do
    it { should cmp [input('no_such_input')].flatten }
  end
end
control 'body' do
  v = [input('no_such_input2')].flatten
  describe 'y' do
    it { should eq 'y' }
  end
end
control 'nested' do
  describe [[1, [2]], 3].flatten do
    it { should eq [1, 2, 3] }
  end
end
"#);
    let refused = "can't convert Inspec::Input::NO_VALUE_SET to Array \
                   (Inspec::Input::NO_VALUE_SET#to_ary gives Inspec::Input::NO_VALUE_SET)";
    assert_eq!(
        rows(&r, "example"),
        vec![row("x ", ControlStatus::Failed, Some(refused))]
    );
    assert_eq!(
        rows(&r, "body"),
        vec![row(
            &format!("{SOURCE_ERROR}6 "),
            ControlStatus::Failed,
            Some(refused)
        )]
    );
    assert_eq!(
        rows(&r, "nested"),
        vec![row(
            "[1, 2, 3] is expected to eq [1, 2, 3]",
            ControlStatus::Passed,
            None
        )]
    );
}

/// A constant neither Ruby, InSpec nor the profile defines is NameError ("uninitialized
/// constant", named from the control file's scope, the singleton class of InSpec's
/// ControlEvalContext): in a control's body the Control Source Code Error, in an example a
/// failed example (InSpec 7.1.16's rows for the same controls). One the profile assigns
/// is its value; one that exists in Ruby but is not modeled (`Etc`) stays unsupported.
#[test]
fn a_constant_nothing_defines_is_name_error() {
    let r = run(r#"control 'describe' do
  describe SSLCertificateFile do
    it { should be_nil }
  end
end
control 'scoped' do
  describe Foo::Bar do
    it { should be_nil }
  end
end
control 'example' do
  describe 1 do
    it { should eq Bogus2 }
  end
end
Later = 1
control 'defined' do
  describe 1 do
    it { should eq Later }
  end
end
control 'exists' do
  describe Etc do
    it { should_not be_nil }
  end
end
"#);
    let name_error = |id: &str| -> (String, ControlStatus, String) {
        let c = crate::native::testing::one(&r, id);
        let x = &c.results[0];
        (
            x.code_desc.clone(),
            x.status,
            x.message.clone().unwrap_or_default(),
        )
    };
    let scoped = |m: &str, name: &str| {
        m.starts_with("uninitialized constant #<Class:#<Inspec::ControlEvalContext:0x")
            && m.ends_with(&format!(">>::{name}"))
    };
    let (d, s, m) = name_error("describe");
    assert_eq!(
        (d.as_str(), s),
        (&*format!("{SOURCE_ERROR}1 "), ControlStatus::Failed)
    );
    assert!(scoped(&m, "SSLCertificateFile"), "{m}");
    let (d, s, m) = name_error("scoped");
    assert_eq!(
        (d.as_str(), s),
        (&*format!("{SOURCE_ERROR}6 "), ControlStatus::Failed)
    );
    assert!(scoped(&m, "Foo"), "{m}");
    let (d, s, m) = name_error("example");
    assert_eq!((d.as_str(), s), ("1 ", ControlStatus::Failed));
    assert!(scoped(&m, "Bogus2"), "{m}");
    assert_eq!(
        crate::native::testing::one(&r, "defined").status,
        ControlStatus::Passed
    );
    let exists = crate::native::testing::one(&r, "exists");
    assert_eq!(exists.status, ControlStatus::Skipped, "{exists:?}");
    assert!(exists.results[0]
        .skip_message
        .as_deref()
        .is_some_and(|m| m.contains("constant `Etc`")));
}

/// InSpec runs a control's body while it loads the file (rule.rb instance_evals the block)
/// and its examples after every file is loaded: a constant the file assigns below the
/// control is undefined in the body (a `describe` argument: NameError, the control's
/// Control Source Code Error) but defined in an example. rule.rb reports the error with
/// `fail e.message`, so its exception is RuntimeError whatever was raised. Checked on
/// InSpec 7.1.16.
#[test]
fn a_constant_assigned_below_a_control_is_undefined_in_its_body_not_in_its_examples() {
    let r = crate::native::testing::run(
        r#"
control 'early' do
  describe 'x' do
    it { should eq LATER }
  end
  describe LATER do
    it { should eq 'v' }
  end
end
control 'only-in-example' do
  describe 'v' do
    it { should eq LATER }
  end
end
LATER = 'v'
control 'after' do
  describe LATER do
    it { should eq 'v' }
  end
end
"#,
    );
    let early = crate::native::testing::one(&r, "early");
    assert_eq!(early.results.len(), 2, "{early:#?}");
    assert_eq!(early.results[0].code_desc, "x is expected to eq \"v\"");
    assert_eq!(early.results[0].status, ControlStatus::Failed);
    assert_eq!(early.results[1].code_desc, format!("{SOURCE_ERROR}2 "));
    let message = early.results[1].message.as_deref().unwrap_or_default();
    assert!(
        message.starts_with("uninitialized constant #<Class:#<Inspec::ControlEvalContext:0x")
            && message.ends_with(">>::LATER"),
        "{message}"
    );
    assert_eq!(early.results[1].exception.as_deref(), Some("RuntimeError"));
    for id in ["only-in-example", "after"] {
        let c = crate::native::testing::one(&r, id);
        assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    }
}

/// A `def` at a controls file's top level defines a method of the profile's control context
/// (the file is `instance_eval`ed there, profile_context.rb `load_control_file`): callable
/// from the file's top level, a block run there and a bare `describe`'s arguments, but not
/// inside a control's block (`instance_eval`ed in its `Inspec::Rule`, rule.rb `initialize`)
/// nor inside a `describe` block: NameError / NoMethodError there, the control's Control
/// Source Code Error or the example's failure.
#[test]
fn a_top_level_def_is_not_a_method_of_controls() {
    let r = run(r#"def answer
  42
end
def plus(x)
  x + answer
end
v = plus(0)
control 'uses-a-local' do
  describe v do
    it { should eq 42 }
  end
end
control 'bare-name' do
  describe answer do
    it { should eq 42 }
  end
end
control 'with-args' do
  describe plus(1) do
    it { should eq 43 }
  end
end
[1].each do |i|
  control "loop-#{plus(i)}" do
    describe 1 do
      it { should eq 1 }
    end
  end
end
describe answer do
  it { should eq 42 }
end
describe 1 do
  it { should eq answer }
end
"#);
    let c = crate::native::testing::one(&r, "uses-a-local");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    let c = crate::native::testing::one(&r, "loop-43");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(
        rows(&r, "bare-name"),
        vec![row(
            &format!("{SOURCE_ERROR}13 "),
            ControlStatus::Failed,
            Some("undefined local variable or method `answer' for #<Inspec::Rule>")
        )]
    );
    assert_eq!(
        rows(&r, "with-args"),
        vec![row(
            &format!("{SOURCE_ERROR}18 "),
            ControlStatus::Failed,
            Some("undefined method `plus' for #<Inspec::Rule>")
        )]
    );
    let generated: Vec<_> = r
        .iter()
        .filter(|c| c.id.starts_with("(generated from "))
        .collect();
    assert_eq!(generated.len(), 2, "{r:#?}");
    assert_eq!(
        generated[0].status,
        ControlStatus::Passed,
        "{:#?}",
        generated[0]
    );
    assert_eq!(
        generated[1].status,
        ControlStatus::Failed,
        "{:#?}",
        generated[1]
    );
    let m = generated[1].results[0].message.clone().unwrap_or_default();
    assert!(
        m.starts_with("undefined local variable or method `answer'"),
        "{m}"
    );
}

/// An exception out of a controls file's top-level code is InSpec's ProfileLoadFailed
/// (profile.rb `collect_tests`): "Failed to load source for PATH: MESSAGE", and no control
/// of the profile counts, neither those defined before the raise nor those of its other
/// files. An exception inside a control's block stays that control's Control Source Code
/// Error, and one rescued at top level is no failure.
#[test]
fn an_exception_at_a_files_top_level_fails_the_whole_profile() {
    use crate::native::inspec::run::{evaluate_loaded, LoadFailed};
    use crate::native::testing::{fake_factory, host};
    let load = |files: &[(&str, &str)]| {
        let src = crate::profile::ProfileSources {
            path: "test".into(),
            metadata: None,
            controls: files
                .iter()
                .map(|(p, t)| (p.to_string(), (*t).into()))
                .collect(),
            libraries: Vec::new(),
        };
        let profile = crate::profile::build(&src).expect("parses");
        evaluate_loaded(
            &profile,
            host(),
            &serde_json::Map::new(),
            &fake_factory,
            Default::default(),
        )
    };
    let ok = "control 'ok' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n";
    let raises = "control 'before' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n\
                  x = [1].map { |i| raise \"boom #{i}\" }\ncontrol 'after' do\nend\n";
    let got = load(&[("controls/a.rb", ok), ("controls/b.rb", raises)]);
    assert_eq!(
        got.err(),
        Some(LoadFailed(
            "Failed to load source for controls/b.rb: boom 1".into()
        ))
    );
    let first = "raise ArgumentError, 'bad input'\n";
    let got = load(&[("controls/a.rb", first), ("controls/b.rb", ok)]);
    assert_eq!(
        got.err(),
        Some(LoadFailed(
            "Failed to load source for controls/a.rb: bad input".into()
        ))
    );
    let rescued = "begin\n  raise 'x'\nrescue => e\n  y = e.message\nend\n\
                   control 'in-block' do\n  raise 'inside'\nend\n";
    let got = load(&[("controls/a.rb", rescued), ("controls/b.rb", ok)]).expect("loads");
    let ids: Vec<_> = got.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        ids,
        vec![
            ("in-block", ControlStatus::Failed),
            ("ok", ControlStatus::Passed)
        ]
    );
}
