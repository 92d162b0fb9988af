//! Ruby that profiles' `libraries/` use beyond plain classes (issue 15): classes deriving
//! from InSpec's resource classes and from Ruby's core classes, `include Comparable` /
//! `Enumerable`, `yield`, `Regexp` options, `JSON.parse` order, and a skipped custom
//! resource skipping only its `describe`. Expected values follow Ruby's documentation.

use serde_json::json;

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::{one, run_with};

/// Runs control `c` (with `lib` as `libraries/lib.rb`) and asserts each of its checks passed.
pub(super) fn passes(lib: &str, code: &str) -> ControlResult {
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
        "{bad:#?} {:?}",
        c.status
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

#[test]
fn include_comparable_derives_the_comparisons_from_the_spaceship() {
    // doc/Comparable: <, <=, ==, >, >= and between?, clamp from <=>; nil from <=> makes ==
    // false and the others raise ArgumentError "comparison of X with Y failed".
    let lib = r##"
class Ver
  include Comparable
  attr_reader :n
  def initialize(n)
    @n = n
  end
  def <=>(other)
    return nil unless other.is_a?(Ver)
    n <=> other.n
  end
  def to_s
    "v#{n}"
  end
end
"##;
    passes(
        lib,
        r##"
control 'c' do
  a = Ver.new(1)
  b = Ver.new(2)
  describe [a < b, a <= b, a > b, a >= b, a == Ver.new(1), a != b, a == 'x'] do
    it { should eq [true, true, false, false, true, true, false] }
  end
  describe [Ver.new(2).between?(a, Ver.new(3)), Ver.new(5).clamp(a, b).to_s, Ver.new(0).clamp(a, b).to_s, b.clamp(a, Ver.new(3)).to_s] do
    it { should eq [true, 'v2', 'v1', 'v2'] }
  end
  # Array#sort, #min and #max use <=> (doc/Comparable).
  describe [[b, a, Ver.new(3)].sort.map(&:to_s), [b, a, Ver.new(3)].max.to_s, [b, a].min.to_s] do
    it { should eq [['v1', 'v2', 'v3'], 'v3', 'v1'] }
  end
  describe((begin; a < 'x'; rescue ArgumentError => e; e.message; end)) do
    it { should eq 'comparison of Ver with String failed' }
  end
  describe((begin; a.clamp(b, a); rescue ArgumentError => e; e.message; end)) do
    it { should eq 'min argument must be less than or equal to max argument' }
  end
end
"##,
    );
}

#[test]
fn include_enumerable_runs_the_collection_methods_over_each() {
    // doc/Enumerable: a class with `each` that yields gets map, select, include?, sort, ...
    // `yield` runs the caller's block with the caller's variables; `&block` passes it on.
    let lib = r##"
class Bag
  include Enumerable
  def initialize(*items)
    @items = items
  end
  def each
    return to_enum(:each) unless block_given?
    @items.each { |i| yield i }
    self
  end
end
class Pairs
  include Enumerable
  def initialize(h)
    @h = h
  end
  def each(&block)
    @h.each(&block)
  end
end
def twice
  yield(1) + yield(2)
end
"##;
    passes(
        lib,
        r##"
control 'c' do
  bag = Bag.new(3, 1, 2)
  seen = []
  bag.each { |x| seen << x * 10 }
  describe seen do
    it { should eq [30, 10, 20] }
  end
  describe [bag.map { |x| x + 1 }, bag.select(&:odd?), bag.sort, bag.to_a, bag.include?(2), bag.count, bag.min, bag.first, bag.sort_by { |x| -x }] do
    it { should eq [[4, 2, 3], [3, 1], [1, 2, 3], [3, 1, 2], true, 3, 1, 3, [3, 2, 1]] }
  end
  describe bag.inject(0) { |s, x| s + x } do
    it { should eq 6 }
  end
  describe Pairs.new('a' => 1, 'b' => 2).map { |k, v| "#{k}=#{v}" } do
    it { should eq ['a=1', 'b=2'] }
  end
  base = 100
  describe twice { |x| x + base } do
    it { should eq 203 }
  end
end
"##,
    );
}

#[test]
fn a_class_deriving_from_array_is_an_array_with_its_own_methods() {
    // `class Rules < Array`: self is the array (Array's methods, `self[...]`, `super`), one
    // object however many references hold it, and Array#include?/index/== call the
    // elements' own `==` (here an alias of a fuzzy `match?`).
    let lib = r##"
class Lines
  class Rules < Array
    def initialize(origin)
      @origin = origin
    end
    def origin
      @origin
    end
    def names
      collect(&:name).sort.uniq
    end
    def include?(rule)
      rule = Rule.new(rule) if rule.is_a?(String)
      super(rule)
    end
    def between(a, b)
      first = index(Rule.new(a))
      last = index(Rule.new(b))
      self[first..last].map(&:to_s)
    end
    def to_s
      join(",")
    end
    # Kernel functions stay reachable from the array's methods.
    def wrapped(x)
      Array(x).length + Integer('1')
    end
  end
  class Rule
    attr_reader :name
    def initialize(text)
      @name = text
    end
    def match?(other)
      other = Rule.new(other) if other.is_a?(String)
      !(name =~ Regexp.new("^#{other.name}$")).nil?
    end
    alias == match?
    def to_s
      name
    end
  end
  attr_reader :rules
  def initialize(*names)
    @rules = Rules.new('test')
    @all = @rules
    names.each { |n| @rules.push(Rule.new(n)) }
  end
  def all
    @all
  end
end
class Words < Hash
  def add(k)
    self[k] = (self[k] || 0) + 1
    self
  end
end
class Shout < String
  def shout
    upcase + '!'
  end
end
Point = Struct.new(:x, :y)
class Point3 < Struct.new(:x, :y, :z)
  def sum
    x + y + z
  end
end
"##;
    passes(
        lib,
        r##"
control 'c' do
  l = Lines.new('pam_unix.so', 'pam_deny.so', 'pam_env.so')
  describe [l.rules.length, l.all.length, l.rules.origin, l.rules.names, l.rules.to_s] do
    it { should eq [3, 3, 'test', ['pam_deny.so', 'pam_env.so', 'pam_unix.so'], 'pam_unix.so,pam_deny.so,pam_env.so'] }
  end
  describe [l.rules.include?('pam_.*deny.so'), l.rules.include?('pam_x.so'), l.rules.between('pam_unix.so', 'pam_deny.so')] do
    it { should eq [true, false, ['pam_unix.so', 'pam_deny.so']] }
  end
  describe [l.rules.is_a?(Array), l.rules.is_a?(Lines::Rules), l.rules.is_a?(Enumerable), l.rules.class.to_s, l.rules.first.to_s, l.rules[1].to_s] do
    it { should eq [true, true, true, 'Lines::Rules', 'pam_unix.so', 'pam_deny.so'] }
  end
  describe l.rules.wrapped('a') do
    it { should eq 2 }
  end
  # rb_equal: an element is equal to itself whatever its `==` says ('pam_(a|b)' does
  # not match its own pattern).
  odd = Lines::Rule.new('pam_(a|b)')
  describe [[odd] == [odd], [odd].include?(odd), odd == odd] do
    it { should eq [true, true, false] }
  end
  describe [l.rules.index(Lines::Rule.new('pam_e.*')), l.rules == [Lines::Rule.new('pam_unix.so'), Lines::Rule.new('pam_deny.so'), Lines::Rule.new('pam_env.so')]] do
    it { should eq [2, true] }
  end
  w = Words.new.add('a').add('b').add('a')
  describe [w['a'], w.keys, w.is_a?(Hash)] do
    it { should eq [2, ['a', 'b'], true] }
  end
  describe [Shout.new('hi').shout, Shout.new('hi').length] do
    it { should eq ['HI!', 2] }
  end
  describe [Point3.new(1, 2, 3).sum, Point3.new(1, 2, 3).y, Point.new(4, 5).x] do
    it { should eq [6, 2, 4] }
  end
end
"##,
    );
}

#[test]
fn a_class_deriving_from_a_builtin_resource_class_reaches_the_builtin() {
    // InSpec's OSResource < PlatformResource: `initialize` sets @platform; a library class
    // named `os` replaces the built-in one; methods it does not define, `super` and
    // `os[:name]` reach the built-in resource.
    let lib = r##"
class MyOS < PlatformResource
  name 'os'
  supports platform: 'unix'
  %w{debian? redhat?}.each do |f|
    define_method(f.to_sym) do
      @platform.send(f)
    end
  end
  def version
    @platform.release.split('.').map(&:to_i)
  end
  def family
    "#{super}-family"
  end
  def to_s
    'Operating System Detection'
  end
end
class Passwd2 < Inspec::Resources::FileResource
  name 'passwd_file'
  def initialize
    super('/etc/passwd')
  end
  def owner_is_root?
    owner == 'root'
  end
end
"##;
    passes(
        lib,
        r##"
control 'c' do
  describe os do
    it { should be_debian }
    it { should_not be_redhat }
    its('version') { should eq [22, 4] }
    its('name') { should eq 'ubuntu' }
    its('family') { should eq 'debian-family' }
  end
  describe os[:name] do
    it { should eq 'ubuntu' }
  end
  describe [os.is_a?(PlatformResource), os.to_s] do
    it { should eq [true, 'Operating System Detection'] }
  end
  describe passwd_file do
    it { should be_owner_is_root }
    its('mode') { should cmp '0644' }
    its('group') { should eq 'root' }
  end
  describe passwd_file.to_s do
    it { should eq 'File /etc/passwd' }
  end
end
"##,
    );
}

#[test]
fn a_skipped_custom_resource_skips_only_the_describes_that_use_it() {
    // resource.rb supersuper_initialize: ResourceSkipped in `initialize` leaves a skipped
    // resource; the control goes on (rule.rb only stops at an exception of its block).
    let lib = r##"
class Gone < Inspec.resource(1)
  name 'gone'
  def initialize(path)
    @path = path
    raise Inspec::Exceptions::ResourceSkipped, "No such thing: #{path}"
  end
  def size
    0
  end
  def to_s
    "Gone #{@path}"
  end
end
"##;
    let code = r##"
control 'c' do
  g = gone('/x')
  describe g do
    its('size') { should eq 0 }
  end
  describe 'still evaluated' do
    it { should eq 'still evaluated' }
  end
  describe g.to_s do
    it { should eq 'Gone /x' }
  end
end
"##;
    let r = run_with(code, &[("libraries/lib.rb", lib)], json!({}), None);
    let c = one(&r, "c");
    let got: Vec<(ControlStatus, Option<String>)> = c
        .results
        .iter()
        .map(|x| (x.status, x.skip_message.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                ControlStatus::Skipped,
                Some("No such thing: /x".to_string())
            ),
            (ControlStatus::Passed, None),
            (ControlStatus::Passed, None),
        ],
        "{c:#?}"
    );
    // reporters/cli.rb profile_summary: a control with a skipped result and none failed
    // counts as skipped.
    assert_eq!(c.status, ControlStatus::Skipped);
}

#[test]
fn a_custom_matcher_from_rspec_matchers_define() {
    // rspec-expectations' custom matcher DSL: the block's parameter is the expected value,
    // `match` decides, `chain` methods set instance variables and return the matcher,
    // `description` names it in the check, helper `def`s are the matcher's methods, and
    // without `failure_message` the message is "expected <actual> to <description>".
    let lib = r##"
RSpec::Matchers.define :be_multiple_of do |expected|
  match do |actual|
    @actual = actual
    ok = (actual % expected).zero?
    ok && within_limit?(actual)
  end
  chain :below do |limit|
    @limit = limit
  end
  description do
    "be a multiple of #{expected}" + (@limit ? " below #{@limit}" : '')
  end
  diffable

  private

  def within_limit?(n)
    @limit.nil? || n < @limit
  end
end
RSpec::Matchers.define :start_with_letter do |letter|
  match { |actual| actual.start_with?(letter) }
  failure_message { |actual| "#{actual} does not start with #{letter}" }
end
RSpec::Matchers.define :be_blank_text do
  match { |actual| actual.strip.empty? }
end
"##;
    let code = r##"
control 'c' do
  describe 12 do
    it { should be_multiple_of(3) }
    it { should_not be_multiple_of(5) }
    it { should be_multiple_of(4).below(20) }
    it { should be_multiple_of(4).below(10) }
  end
  describe 'abc' do
    it { should start_with_letter('b') }
    it { should_not be_blank_text }
    it { should be_blank_text }
  end
end
"##;
    let r = run_with(code, &[("libraries/matchers.rb", lib)], json!({}), None);
    let c = one(&r, "c");
    let got: Vec<(String, ControlStatus, Option<String>)> = c
        .results
        .iter()
        .map(|x| (x.code_desc.clone(), x.status, x.message.clone()))
        .collect();
    let p = ControlStatus::Passed;
    let f = ControlStatus::Failed;
    assert_eq!(
        got,
        [
            ("12 is expected to be a multiple of 3".into(), p, None),
            ("12 is expected not to be a multiple of 5".into(), p, None),
            (
                "12 is expected to be a multiple of 4 below 20".into(),
                p,
                None
            ),
            (
                "12 is expected to be a multiple of 4 below 10".into(),
                f,
                Some("expected 12 to be a multiple of 4 below 10".into())
            ),
            (
                "abc is expected to start with letter \"b\"".into(),
                f,
                Some("abc does not start with b".into())
            ),
            ("abc is expected not to be blank text".into(), p, None),
            (
                "abc is expected to be blank text".into(),
                f,
                Some("expected \"abc\" to be blank text".into())
            ),
        ],
        "{c:#?}"
    );
}

#[test]
fn numeric_method_defined_and_send_of_an_operator() {
    // Numeric.method_defined?(:<=) is true (Comparable's), an unknown name false; `send`
    // of an operator compares (doc/Object#send).
    passes(
        "",
        r##"
control 'c' do
  describe [Numeric.method_defined?('<='), Numeric.method_defined?(:>), Numeric.method_defined?('nope'), 5.send('<='.to_sym, 6), 7.send(:>, 9)] do
    it { should eq [true, true, false, true, false] }
  end
end
"##,
    );
}

#[test]
fn catch_and_throw_end_the_block_with_the_value() {
    // doc/Kernel#catch: `throw tag, value` ends the matching catch's block, which returns
    // the value (nil without one); a block that does not throw returns its last value.
    passes(
        "",
        r##"
control 'c' do
  seen = []
  r1 = catch(:done) do
    [1, 2, 3].each do |x|
      seen << x
      throw :done, x * 10 if x == 2
    end
    :never
  end
  r2 = catch(:outer) { catch(:inner) { throw :outer } ; :not_here }
  r3 = catch(:t) { 5 }
  describe [r1, seen, r2, r3] do
    it { should eq [20, [1, 2], nil, 5] }
  end
end
"##,
    );
}

#[test]
fn methods_lists_an_instances_public_methods_as_symbols() {
    // Object#methods: the public methods of the class and its ancestors (attr_readers
    // included, private ones not), then Object's; a profile guards with
    // `rows.methods.include?(:output)`.
    passes(
        r#"
class Lines
  attr_reader :output
  def initialize(raw)
    @output = raw
  end
  def lines
    output.split("\n")
  end
  private
  def hidden; end
end
"#,
        r#"
control 'c' do
  rows = Lines.new("a\nb")
  describe rows.methods.include?(:output) do
    it { should eq true }
  end
  describe rows.methods.include?(:lines) do
    it { should eq true }
  end
  describe rows.methods.include?(:hidden) do
    it { should eq false }
  end
  describe rows.public_methods.include?(:to_s) do
    it { should eq true }
  end
end
"#,
    );
}

#[test]
fn an_instance_without_to_s_is_named_by_class_and_address() {
    // Object#to_s: "#<Lines:0x00007f…>", one address per object, the same for one object.
    passes(
        "class Plain\nend\n",
        r#"
control 'c' do
  a = Plain.new
  b = Plain.new
  describe a.to_s do
    it { should match(/\A#<Plain:0x[0-9a-f]{16}>\z/) }
    it { should eq a.to_s }
    it { should_not eq b.to_s }
  end
end
"#,
    );
}

#[test]
fn modules_included_into_inspec_rule_are_callable_from_every_control() {
    // Ruby's Module#include on `Inspec::Rule`, the class InSpec instance_evals each control's
    // block in (lib/inspec/rule.rb): the module's methods answer bare calls in control bodies
    // and `only_if` blocks, and call each other, inputs and resources. Three spellings: the
    // `include` call, `send(:include, …)`, and the class reopened with `include` and `def`,
    // each naming `::Inspec::Rule` from the top (a library's own context class has no
    // `Inspec::Rule`: lib/inspec/profile_context.rb `load_with_context`).
    let lib = r##"
module Routing
  def routed(x)
    "#{helper}-#{x}"
  end
  def helper
    input('axis', value: 'strict')
  end
end
module Other
  def other?
    true
  end
end
module Third
  def third
    3
  end
end
::Inspec::Rule.include(Routing)
::Inspec::Rule.send(:include, Other)
class ::Inspec::Rule
  include Third
  def own
    'own'
  end
end
"##;
    passes(
        lib,
        r#"
control 'c' do
  only_if('needs other') { other? }
  describe routed('a') do
    it { should eq 'strict-a' }
  end
  describe third + 1 do
    it { should eq 4 }
  end
  describe own do
    it { should eq 'own' }
  end
end
"#,
    );
}

#[test]
fn to_h_with_a_block_maps_each_item_to_a_pair() {
    // Ruby 3.1 doc: Hash#to_h, Array#to_h and Enumerable#to_h with a block take the block's
    // `[key, value]` for each item (a Hash's block gets the key and the value).
    passes(
        "",
        r#"
control 'c' do
  describe({ 'A' => 'x, y', 'B' => 'z' }.to_h { |k, v| [k.downcase, v.split(',').map(&:strip)] }) do
    it { should eq({ 'a' => ['x', 'y'], 'b' => ['z'] }) }
  end
  describe({}.to_h { |k, v| [k, v] }) do
    it { should eq({}) }
  end
  describe [1, 2].to_h { |x| [x, x * 2] } do
    it { should eq({ 1 => 2, 2 => 4 }) }
  end
  describe [[1, 2]].to_h do
    it { should eq({ 1 => 2 }) }
  end
end
"#,
    );
}

#[test]
fn class_variables_are_shared_by_the_class_its_instances_and_subclasses() {
    // Ruby's class variables (doc/syntax/assignment.rdoc, "Class Variables"): set in the
    // class body, read and memoized (`@@cache ||= …`) by instance methods, shared with
    // subclasses; reading one never set raises NameError. As csg-i's linux_port_helper does.
    let c = passes(
        r#"
class PortCache < Inspec.resource(1)
  name 'port_cache'
  @@cache = nil
  @@calls = 0
  def info
    @@calls += 1
    @@cache = { tcp: [22] } if @@cache.nil?
    @@cache
  end
  def calls
    @@calls
  end
  def missing
    @@never
  rescue NameError => e
    e.message
  end
  def set?
    [defined?(@@cache), defined?(@@never)]
  end
end
class SubCache < PortCache
  name 'sub_cache'
  def bump
    @@calls += 10
  end
end
"#,
        r#"
control 'c' do
  a = port_cache
  describe [a.info[:tcp], port_cache.info[:tcp], port_cache.calls] do
    it { should eq [[22], [22], 2] }
  end
  describe [sub_cache.bump, port_cache.calls] do
    it { should eq [12, 12] }
  end
  describe port_cache.missing do
    it { should eq 'uninitialized class variable @@never in PortCache' }
  end
  describe port_cache.set? do
    it { should eq ['class variable', nil] }
  end
end
"#,
    );
    assert_eq!(c.results.len(), 4);
}
