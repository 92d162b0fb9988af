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
