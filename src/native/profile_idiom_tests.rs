//! Ruby and InSpec idioms of public profiles' `libraries/` found by a third held-out set
//! (issue 15): Mash keys read and written as methods, resources deriving from a library
//! resource of another file, `return` inside a proc, recursive lambdas, `eq` through a
//! library class's `==`, custom matchers joined with `.and`/`.or`, `its(['k'])` on a Hash
//! subclass. Each snippet must both count as covered and pass when evaluated; expected
//! values follow Ruby's and InSpec's documentation.

use crate::native::library_class_tests::passes;
use crate::native::testing::snippet_profile;

/// The snippet counts as covered (every control natively evaluated) and passes.
fn covered_and_passes(libs: &[(&str, &str)], code: &str) {
    let cov = crate::native::coverage::coverage(&snippet_profile(code, libs, None));
    assert!(cov.total == 1 && cov.supported == 1, "{:#?}", cov.controls);
    match libs {
        [(_, lib)] => {
            passes(lib, code);
        }
        _ => {
            let r = crate::native::testing::run_with(code, libs, serde_json::json!({}), None);
            let c = crate::native::testing::one(&r, "c");
            assert_eq!(c.status, crate::job::ControlStatus::Passed, "{c:#?}");
        }
    }
}

#[test]
fn mash_keys_are_read_and_written_as_methods() {
    // Hashie::Mash: `m.key` reads, `m.key = v` and `m.key ||= v` write (README, "Mash").
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class SettingsTable < Inspec.resource(1)
  name 'settings_table'

  def initialize(text)
    @h = Hashie::Mash.new
    text.lines.each do |l|
      k, v = l.strip.split(/\s*=\s*/, 2)
      if k.start_with?('Defaults')
        @h.Defaults ||= Hashie::Mash.new
        @h.Defaults[k.split(' ', 2)[1]] = v.split(',')
      else
        @h[k] = v
      end
    end
  end

  def settings
    @h
  end
end
"#,
        )],
        r#"
control 'c' do
  t = settings_table("Defaults env_reset = a,b\nDefaults  use_pty = yes\nroot = ALL\n")
  describe t.settings.Defaults['env_reset'] do
    it { should eq %w[a b] }
  end
  describe t.settings.Defaults.keys do
    it { should eq ['env_reset', 'use_pty'] }
  end
  describe t.settings['root'] do
    it { should eq 'ALL' }
  end
end
"#,
    );
}

#[test]
fn a_resource_may_derive_from_a_library_resource_of_another_file() {
    covered_and_passes(
        &[
            (
                "libraries/base_process.rb",
                r#"
class BaseProcess < Inspec.resource(1)
  name 'base_process'

  def initialize(flags = nil)
    @flags = flags
  end

  def params
    @params ||= @flags.to_s.scan(/--([\w-]+)=(\S+)/).to_h
  end

  def method_missing(name)
    params[name.to_s]
  end
end
"#,
            ),
            (
                "libraries/my_daemon.rb",
                r#"
require 'base_process'

class MyDaemon < BaseProcess
  name 'my_daemon'

  def initialize(flags = '--tls-min-version=VersionTLS12 --port=0')
    super(flags)
  end
end
"#,
            ),
        ],
        r#"
control 'c' do
  describe my_daemon do
    its('tls-min-version') { should cmp 'VersionTLS12' }
    its('port') { should cmp 0 }
  end
end
"#,
    );
}

#[test]
fn return_in_a_proc_and_recursive_lambdas() {
    // A lambda's `return` leaves the lambda; a lambda can call itself through the variable
    // it is assigned to (Proc docs, "Lambda and non-lambda semantics").
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class Walker
  def first_even(list)
    list.each { |x| return x if x.even? }
    nil
  end
end
"#,
        )],
        r#"
control 'c' do
  check = ->(x) { return 'small' if x < 10; 'big' }
  fact = ->(n) { n <= 1 ? 1 : n * fact.call(n - 1) }
  flat = lambda do |v|
    v.is_a?(Array) ? v.flat_map { |i| flat.(i) } : [v]
  end
  describe [check.call(3), check.call(30)] do
    it { should eq %w[small big] }
  end
  describe fact.call(5) do
    it { should eq 120 }
  end
  describe flat.call([1, [2, [3]]]) do
    it { should eq [1, 2, 3] }
  end
  describe Walker.new.first_even([1, 4, 6]) do
    it { should eq 4 }
  end
end
"#,
    );
}

#[test]
fn eq_uses_a_library_classs_equality() {
    // RSpec's `eq` is `actual == expected`: a class's own `==` decides.
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class Version3
  include Comparable
  attr_reader :parts

  def initialize(s)
    @parts = s.to_s.split('.').map(&:to_i)
  end

  def <=>(other)
    other = Version3.new(other) unless other.is_a?(Version3)
    parts <=> other.parts
  end

  def ==(other)
    (self <=> other).zero?
  end
end
"#,
        )],
        r#"
control 'c' do
  describe Version3.new('1.2.0') do
    it { should eq '1.2.0' }
    it { should_not eq '1.3' }
    it { should be >= '1.1' }
  end
end
"#,
    );
}

#[test]
fn custom_matchers_join_with_and_or() {
    // RSpec's Compound matchers: "<first> and|or <second>" describes them.
    let lib = r#"
RSpec::Matchers.define :be_even_number do
  match { |actual| actual.even? }
end

RSpec::Matchers.define :be_above do |n|
  match { |actual| actual > n }
end
"#;
    let code = r#"
control 'c' do
  describe 4 do
    it { should be_even_number.and be_above(3) }
    it { should be_above(10).or be_even_number }
    it { should_not be_above(10).and be_even_number }
  end
end
"#;
    covered_and_passes(&[("libraries/lib.rb", lib)], code);
    let c = passes(lib, code);
    let descs: Vec<&str> = c.results.iter().map(|r| r.code_desc.as_str()).collect();
    assert_eq!(
        descs,
        [
            "4 is expected to be even number and be above 3",
            "4 is expected to be above 10 or be even number",
            "4 is expected not to be above 10 and be even number",
        ]
    );
}

#[test]
fn its_with_a_key_path_on_a_hash_subclass() {
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class Conf < Hash
  def initialize(text)
    super()
    text.lines.each do |l|
      k, v = l.split('=', 2).map(&:strip)
      self[k] = v
    end
  end
end
"#,
        )],
        r#"
control 'c' do
  describe Conf.new("a = 1\nb = two\n") do
    its(['a']) { should cmp 1 }
    its(['b']) { should eq 'two' }
    its('size') { should eq 2 }
  end
end
"#,
    );
}

#[test]
fn skip_in_a_method_and_in_an_example() {
    let code = r#"
control 'c' do
  def describe_and_skip(message)
    describe message do
      skip message
    end
  end

  describe_and_skip 'not applicable here'
  describe 'a container' do
    it 'has no ssh server' do
      skip 'not installed here'
    end
    it('needs no reason') { skip }
  end
end
"#;
    let cov = crate::native::coverage::coverage(&snippet_profile(code, &[], None));
    assert_eq!(cov.supported, 1, "{:#?}", cov.controls);
    let r = crate::native::testing::run(code);
    let c = crate::native::testing::one(&r, "c");
    assert_eq!(c.status, crate::job::ControlStatus::Skipped, "{c:#?}");
    let got: Vec<(&str, Option<&str>)> = c
        .results
        .iter()
        .map(|r| (r.code_desc.as_str(), r.skip_message.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("not applicable here", Some("not applicable here")),
            // InSpec 7 (formatters/base.rb `format_example`): a skipped example with a
            // description is named by its group, its description the skip message.
            ("a container", Some("has no ssh server")),
            ("a container", Some("needs no reason")),
        ]
    );
    assert!(c
        .results
        .iter()
        .all(|r| r.status == crate::job::ControlStatus::Skipped));
}

#[test]
fn object_traverser_extracts_nested_values() {
    // inspec/utils/object_traversal.rb, included by resources that read YAML or JSON.
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class NestedConf < Inspec.resource(1)
  name 'nested_conf'
  include ObjectTraverser

  def initialize
    @params = { 'auth' => { 'anonymous' => { 'enabled' => false } }, 'list' => [%w[a b], 'c'], sym: 1 }
  end

  def method_missing(*keys)
    keys.shift if keys[0] == :[]
    extract_value(keys, @params)
  end
end
"#,
        )],
        r#"
control 'c' do
  describe nested_conf do
    its(['auth', 'anonymous', 'enabled']) { should cmp false }
    its(['list', 0, 1]) { should eq 'b' }
    its(['list', 'last']) { should eq 'c' }
    its(['auth', 'missing', 'x']) { should be_nil }
    its([:sym]) { should eq 1 }
    its(['sym']) { should be_nil }
    its([:auth, 'anonymous', 'enabled']) { should cmp false }
  end
end
"#,
    );
}

#[test]
fn a_helper_object_keeps_the_inspec_handle_in_an_instance_variable() {
    // `@inspec = inspec`: the helper's resources are reached through `@inspec.x`.
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class Fetcher
  def initialize(inspec)
    @inspec = inspec
  end

  def platform_name
    @inspec.os.name
  end

  def passwd_owner
    @inspec.file('/etc/passwd').owner
  end
end
"#,
        )],
        r#"
control 'c' do
  f = Fetcher.new(inspec)
  describe [f.platform_name, f.passwd_owner] do
    it { should eq %w[ubuntu root] }
  end
end
"#,
    );
}

#[test]
fn inspec_profile_file_reads_the_profiles_data_files() {
    // InSpec's RuntimeProfile (runtime_profile.rb): `inspec.profile.file(name)` is the text
    // of `files/NAME`, RuntimeError "Cannot find file NAME in profile." when there is none;
    // `files` lists them. As 4linuxdevops' nginx profile reads its params.yml.
    let d = std::env::temp_dir().join(format!("airs-profile-files-{}", uuid::Uuid::new_v4()));
    let write = |rel: &str, text: &str| {
        let p = d.join(rel);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write("inspec.yml", "name: files\n");
    write(
        "files/params.yml",
        "version: 1.10.3\nmodules:\n  - http_ssl\n",
    );
    write("files/sub/x.txt", "x");
    write(
        "controls/c.rb",
        r#"
params = yaml(content: inspec.profile.file('params.yml')).params
control 'c' do
  describe [params['version'], params['modules'], inspec.profile.files] do
    it { should eq ['1.10.3', ['http_ssl'], ['params.yml', 'sub/x.txt']] }
  end
  describe(begin
    inspec.profile.file('none.yml')
  rescue RuntimeError => e
    e.message
  end) do
    it { should eq 'Cannot find file none.yml in profile.' }
  end
end
"#,
    );
    let profile = crate::profile::load(&d).expect("loads");
    let cov = crate::native::coverage::coverage(&profile);
    assert!(cov.total == 1 && cov.supported == 1, "{:#?}", cov.controls);
    let r = crate::native::inspec::run::evaluate_with(
        &profile,
        crate::native::testing::host(),
        &serde_json::Map::new(),
        &crate::native::resources::create,
    );
    let c = crate::native::testing::one(&r, "c");
    std::fs::remove_dir_all(&d).ok();
    assert_eq!(c.status, crate::job::ControlStatus::Passed, "{c:#?}");
}
