//! Ruby that a session-style library uses (issue 15): procs and lambdas passed on and
//! called, `CSV.parse` with headers into a `Hashie::Mash` subclass, and InSpec's
//! `DatabaseHelper::SQLQueryResult` (lib/inspec/utils/database_helpers.rb) over the rows.
//! Expected values follow Ruby's and InSpec's documentation; static coverage agrees.

use crate::native::library_class_tests::passes;
use crate::native::testing::snippet_profile;

/// Asserts that static coverage finds nothing blocking control `c` and that it passes.
fn assert_passes(lib: &str, code: &str) {
    let profile = snippet_profile(code, &[("libraries/lib.rb", lib)], None);
    let cov = crate::native::coverage::coverage(&profile);
    assert!(cov.total == 1 && cov.supported == 1, "{:#?}", cov.blockers);
    passes(lib, code);
}

#[test]
fn procs_are_called_yielded_to_and_passed_as_blocks() {
    assert_passes(
        r#"
class Twice
  def run(&blk)
    [blk.call(1), yield(2)]
  end

  def apply(f)
    [3, 4].map(&f)
  end
end
"#,
        r#"
control 'c' do
  inc = ->(x) { x + 1 }
  describe Twice.new.run(&inc) do
    it { should eq [2, 3] }
  end
  describe Twice.new.apply(proc { |x| x * 10 }) do
    it { should eq [30, 40] }
  end
  describe inc.(41) do
    it { should eq 42 }
  end
  describe Twice.new.apply(Proc.new { |x| -x }) do
    it { should eq [-3, -4] }
  end
end
"#,
    );
}

#[test]
fn csv_rows_become_mash_subclass_rows_of_a_query_result() {
    assert_passes(
        r#"
require 'hashie/mash'
require 'csv' unless defined?(CSV)

class Row < ::Hashie::Mash
  disable_warnings
end

class Result
  attr_reader :results

  def initialize(out)
    converter = ->(header) { header.downcase }
    rows = CSV.parse(out.strip, headers: true, header_converters: converter, col_sep: "\t", quote_char: "\x00").map { |row| Row.new(row.to_h) }
    @results = DatabaseHelper::SQLQueryResult.new(nil, rows)
  end
end
"#,
        "
control 'c' do
  r = Result.new(\"User\\tHost\\nroot\\tlocalhost\\nmysql.sys\\t%\\n\").results
  describe r.column('user') do
    it { should eq ['root', 'mysql.sys'] }
  end
  describe r.rows.map { |row| row['host'] } do
    it { should eq ['localhost', '%'] }
  end
  describe [r.size, r.empty?, r.row(1).column('host').value] do
    it { should eq [2, false, '%'] }
  end
end
",
    );
}

#[test]
fn a_mash_subclass_answers_its_keys_as_methods() {
    // Hashie::Mash: `m.key` reads a key; a subclass's instances are Mashes.
    passes(
        "class Row < ::Hashie::Mash\n  disable_warnings\nend\n",
        "
control 'c' do
  describe Row.new('host' => 'localhost').host do
    it { should eq 'localhost' }
  end
end
",
    );
}

#[test]
fn procs_passed_in_a_loop_each_reach_their_own_call() {
    // A passed proc is dropped when its call ends; the next call's proc must still be the
    // one it was given (the list of passed procs is reused across the loop).
    passes(
        "",
        "
control 'c' do
  f = ->(x) { x + 1 }
  n = 0
  2000.times { n += [1].map(&f).first }
  describe [n, [5].map(&proc { |x| x * 2 })] do
    it { should eq [4000, [10]] }
  end
end
",
    );
}
