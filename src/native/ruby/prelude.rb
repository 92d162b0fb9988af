# Helper modules InSpec ships for resources and that profile libraries include, written
# here in the Ruby subset after their documented behaviour, loaded before `libraries/`.

# inspec/utils/file_reader.rb: a file's content, or the resource skipped saying why.
module FileReader
  def read_file_content(path, allow_empty = false)
    file = inspec.file(path)
    raise Inspec::Exceptions::ResourceSkipped, "Can't find file: #{path}" unless file.file?

    raw_content = file.content
    raise Inspec::Exceptions::ResourceSkipped, "Can't read file: #{path}" if raw_content.nil?
    raise Inspec::Exceptions::ResourceSkipped, "File is empty: #{path}" if !allow_empty && raw_content.empty?

    raw_content
  end
end

# inspec/utils/object_traversal.rb: a value found by a path of keys through nested hashes
# (a key as given, else as a string) and arrays (an Integer index, else a method of the
# array such as `first`); nil where the path leaves the structure.
module ObjectTraverser
  def extract_value(keys, value)
    return nil if value.nil?

    key, *rest = keys
    return nil if key.nil?

    value =
      if value.is_a?(Array)
        if key.is_a?(Integer)
          value[key]
        elsif value.respond_to?(key.to_sym)
          value.send(key.to_sym)
        end
      elsif value.is_a?(Hash)
        if value.key?(key)
          value[key]
        elsif value.key?(key.to_s)
          value[key.to_s]
        end
      end
    return value if rest.first.nil?

    extract_value(rest, value)
  end
end

# Ruby's Comparable (doc/Comparable): the comparisons of a class that defines `<=>`. `<=>`
# answering nil means the objects do not compare: `==` is then false, the others raise.
module Comparable
  def ==(other)
    return true if equal?(other)

    (self <=> other) == 0
  end

  def >(other)
    comparable_cmp(other) > 0
  end

  def >=(other)
    comparable_cmp(other) >= 0
  end

  def <(other)
    comparable_cmp(other) < 0
  end

  def <=(other)
    comparable_cmp(other) <= 0
  end

  def between?(min, max)
    self >= min && self <= max
  end

  def clamp(min, max = nil)
    if max.nil? && min.is_a?(Range)
      max = min.end
      min = min.begin
    end
    raise ArgumentError, 'min argument must be less than or equal to max argument' if !min.nil? && !max.nil? && (min <=> max) > 0
    return min if !min.nil? && self < min
    return max if !max.nil? && self > max

    self
  end

  private

  def comparable_cmp(other)
    c = (self <=> other)
    if c.nil?
      shown = [nil, true, false].include?(other) || other.is_a?(Numeric) || other.is_a?(Symbol) ? other.inspect : other.class
      raise ArgumentError, "comparison of #{self.class} with #{shown} failed"
    end
    c
  end
end

# Ruby's Enumerable (doc/Enumerable): a class that defines `each` and includes it gets the
# collection methods; the interpreter runs them on `to_a`, the elements `each` yields.
module Enumerable
  def to_a(*args)
    items = []
    each(*args) { |*x| items << (x.length <= 1 ? x.first : x) }
    items
  end

  def entries(*args)
    to_a(*args)
  end
end

# Ruby's shellwords library (lib/shellwords.rb), which InSpec's database sessions and profile
# libraries use to quote arguments of commands run on the target.
module Shellwords
  def self.escape(str)
    str = str.to_s
    return "''" if str.empty?

    str.gsub(/[^A-Za-z0-9_\-.,:+\/@\n]/) { |c| "\\" + c }.gsub("\n", "'\n'")
  end

  def self.shellescape(str)
    Shellwords.escape(str)
  end

  def self.join(array)
    array.map { |arg| Shellwords.escape(arg) }.join(" ")
  end

  def self.shelljoin(array)
    Shellwords.join(array)
  end
end

# inspec/utils/database_helpers.rb: the result of a database session's query (the
# `mysql_session`/`postgres_session` libraries build it from parsed rows). `rows` are the
# rows as given, `column(name)` that key of each row, `row(i).column(name).value` one cell
# (keys are looked up downcased; a missing row gives "").
module DatabaseHelper
  class SQLColumn
    def initialize(row, name)
      @row = row
      @name = name
    end

    def value
      return '' if @row.nil?

      @row[@name.downcase]
    end

    def to_s
      'SQL Column'
    end
  end

  class SQLRow
    def initialize(query, row)
      @query = query
      @row = row
    end

    def column(name)
      SQLColumn.new(@row, name)
    end

    def to_s
      'SQL Row'
    end
  end

  class SQLQueryResult
    attr_reader :error

    def initialize(cmd, results)
      @cmd = cmd
      @results = results
    end

    def rows
      @results
    end

    def row(id)
      SQLRow.new(self, @results[id])
    end

    def column(name)
      @results.map { |r| r[name] }
    end

    def size
      @results.size
    end

    def empty?
      @results.empty?
    end

    def successful?
      @cmd.exit_status == 0 && @error.nil?
    end

    def inspect
      to_s
    end

    def to_s
      'SQL ResultSet'
    end
  end
end
