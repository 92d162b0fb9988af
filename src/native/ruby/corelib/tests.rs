//! The `ruby-core` fixture profile on the recorded Debian 12 host: File through the
//! transport, Set, Date/Time, Ruby regexps.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::job::ControlStatus;
use crate::native::testing::evaluate_on;
use crate::transport::Host;

#[test]
fn ruby_core_profile_passes_on_the_debian_fixture() {
    let results = evaluate_on("debian12", "ruby-core");
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["file-paths", "file-on-target", "sets", "dates", "regexps"]
    );
    for r in &results {
        assert_eq!(r.status, ControlStatus::Passed, "{r:#?}");
        assert!(!r.results.is_empty(), "{}", r.id);
    }
}

/// (Ruby expression, its `inspect` in Ruby) — expected values from Ruby's core
/// documentation (String, Regexp, MatchData, Enumerable, Enumerator, Set, Date, Time,
/// File, JSON).
const RUBY: &[(&str, &str)] = &[
    // Core classes are closed (the class's methods in InSpec's Ruby), Enumerable#each_entry.
    (
        "begin; [].empty; rescue NoMethodError => e; e.class.to_s; end",
        r#""NoMethodError""#,
    ),
    ("c = 0; [[1, 2], [3]].each_entry { |x| c += x.size }; c", "3"),
    // Regexp and String with regexps.
    (r#""hello world" =~ /o w/"#, "4"),
    (r#""foobar".match?(/bar\z/)"#, "true"),
    (r#""foo\nbar"[/^bar$/]"#, r#""bar""#),
    (r#""ab12cd"[/(?<d>\d+)/, "d"]"#, r#""12""#),
    (r#""ab12cd"[/[a-z](\d)/, 1]"#, r#""1""#),
    (r#""hello".gsub(/l/, "L")"#, r#""heLLo""#),
    (r#""hello".gsub(/([aeiou])/, '<\1>')"#, r#""h<e>ll<o>""#),
    (
        r#""hello".gsub(/[eo]/, 'e' => 3, 'o' => '*')"#,
        r#""h3ll*""#,
    ),
    (r#""hello".gsub(/l/) { |m| m.upcase }"#, r#""heLLo""#),
    (r#""hello".sub(/l/, '[\0]')"#, r#""he[l]lo""#),
    (r#""a-b_c".tr('-_', '  ')"#, r#""a b c""#),
    (r#""1,2,,3,,".split(",")"#, r#"["1", "2", "", "3"]"#),
    (
        r#""1,2,,3,,".split(",", -1)"#,
        r#"["1", "2", "", "3", "", ""]"#,
    ),
    (r#""hi mom".split(%r{\s*})"#, r#"["h", "i", "m", "o", "m"]"#),
    (r#""1-2-3".split(/(-)/)"#, r#"["1", "-", "2", "-", "3"]"#),
    (r#""a b  c".split(/\s+/, 2)"#, r#"["a", "b  c"]"#),
    (
        r#""cruel world".scan(/(...)(..)/)"#,
        r#"[["cru", "el"], [" wo", "rl"]]"#,
    ),
    (r#""cruel world".scan(/\w+/)"#, r#"["cruel", "world"]"#),
    (
        r#"("x=1" =~ /(?<k>\w)=(?<v>\d)/) && [$~[:k], $2, $`, $']"#,
        r#"["x", "1", "", ""]"#,
    ),
    (r#"/(\d+)/.match("ab 42 c").captures"#, r#"["42"]"#),
    (
        r#"/(?<y>\d{4})-(?<m>\d\d)/.match("on 2024-05").named_captures"#,
        r#"{"y"=>"2024", "m"=>"05"}"#,
    ),
    (r#"Regexp.escape("a.b*c")"#, r#""a\\.b\\*c""#),
    (
        r#""PermitRootLogin no" =~ /^(?!#)\s*permitrootlogin\s+no/i"#,
        "0",
    ),
    (r#""x(?=y)" =~ Regexp.new("(?<=x)\\(")"#, "1"),
    // String methods.
    (r#""abc".start_with?("x", "a")"#, "true"),
    (r#""aaabbb".squeeze"#, r#""ab""#),
    (r#""abc".casecmp?("ABC")"#, "true"),
    (r#""ab".ljust(4, ".")"#, r#""ab..""#),
    (
        r#"format("%05.1f|%-3s|%x", 3.14159, "a", 255)"#,
        r#""003.1|a  |ff""#,
    ),
    (r#""%s=%d" % ["a", 1]"#, r#""a=1""#),
    // Enumerable and Enumerator.
    (
        "%w(a b c).each_with_index.map { |x, i| x * (i + 1) }",
        r#"["a", "bb", "ccc"]"#,
    ),
    (
        "%w(a b c).map.with_index(1) { |x, i| \"#{i}#{x}\" }",
        r#"["1a", "2b", "3c"]"#,
    ),
    (
        "%w(a b c d).select.with_index { |x, i| i.even? }",
        r#"["a", "c"]"#,
    ),
    ("(1..6).each_slice(2).to_a", "[[1, 2], [3, 4], [5, 6]]"),
    ("(1..4).each_cons(2).map { |a, b| b - a }", "[1, 1, 1]"),
    ("3.times.map { |i| i * i }", "[0, 1, 4]"),
    (r#""abc".each_char.to_a"#, r#"["a", "b", "c"]"#),
    ("%w(a b a c a).tally", r#"{"a"=>3, "b"=>1, "c"=>1}"#),
    ("[1, 2, 3, 4].partition(&:even?)", "[[2, 4], [1, 3]]"),
    ("[3, 1, 2].minmax", "[1, 3]"),
    ("[[1, [2, 3]]].flat_map { |a, b| b }", "[2, 3]"),
    ("{a: {b: 1}}.dig(:a, :b)", "1"),
    ("{a: 1}.fetch(:b, 5)", "5"),
    ("{a: 1}.fetch(:b) { |k| k.to_s }", r#""b""#),
    (
        "{a: 1, b: 2}.transform_values { |v| v * 10 }",
        "{:a=>10, :b=>20}",
    ),
    (
        "[1, 2, 3].each_with_object([]) { |x, acc| acc << x * 2 }",
        "[2, 4, 6]",
    ),
    ("[1, nil, 2].filter_map { |x| x && x * 2 }", "[2, 4]"),
    ("[1, 2, 3].sum { |x| x * 2 }", "12"),
    ("[1, 2, 3].zip([4, 5, 6])", "[[1, 4], [2, 5], [3, 6]]"),
    ("[1, 2, 3].count(&:odd?)", "2"),
    ("5.clamp(1, 3)", "3"),
    ("5.between?(1, 10)", "true"),
    ("Integer('0x1A')", "26"),
    ("Float('1.5')", "1.5"),
    ("Array(nil)", "[]"),
    ("String(12)", r#""12""#),
    ("'abc'.freeze.frozen?", "true"),
    // Set.
    ("Set.new([1, 2]) | Set[3]", "#<Set: {1, 2, 3}>"),
    ("Set[1, 2].subset?(Set[1, 2, 3])", "true"),
    ("Set[1, 2, 3].superset?(Set[2])", "true"),
    ("(Set[1, 2, 3] - Set[2]).to_a", "[1, 3]"),
    ("(Set[1, 2] & Set[2, 3]).size", "1"),
    ("Set[1, 2] == Set[2, 1]", "true"),
    ("Set.new.empty?", "true"),
    ("Set[1, 2].map { |x| x + 1 }", "[2, 3]"),
    // Ruby 3.0+: Set#join is to_a.join; <=> orders by inclusion.
    (r#"(Set[] + ['/a', '/b']).join("\n\t- ")"#, r#""/a\n\t- /b""#),
    ("Set[1, 2].join", r#""12""#),
    ("Set[1] <=> Set[1, 2]", "-1"),
    ("Set[1, 3] <=> Set[1, 2]", "nil"),
    ("s = Set[1, 2]; [s.delete?(3), s.subtract([1]).to_a, s.dup.clear.size, s.size]", "[nil, [2], 0, 1]"),
    // Date, Time, DateTime.
    ("Date.parse('2001-02-03').yday", "34"),
    ("Date.new(2001, 2, 3).wday", "6"),
    ("(Date.new(2001, 2, 3) >> 1).to_s", r#""2001-03-03""#),
    ("(Date.new(2001, 3, 1) - Date.new(2001, 2, 1)).to_i", "28"),
    ("Date.strptime('03/02/2001', '%d/%m/%Y').month", "2"),
    ("Time.at(0).utc.year", "1970"),
    ("(Time.at(100) - Time.at(40)).to_i", "60"),
    ("(Time.at(0) + 86400).day", "2"),
    ("Time.parse('Tue, 1 Jul 2003 10:52:37 +0200').hour", "10"),
    ("Time.parse('2003-07-01 10:52:37 +0200').to_i", "1057049557"),
    ("DateTime.parse('2001-02-03T04:05:06+07:00').min", "5"),
    ("Time.at(0) < Time.at(1)", "true"),
    (
        "[Date.new(2001, 1, 2), Date.new(2000, 1, 1)].min.year",
        "2000",
    ),
    ("Time.new(2030, 5, 31, 23, 59, 59).month", "5"),
    ("Time.new(2030, 5, 31, 23, 59, 59, '+02:00').utc.hour", "21"),
    (
        "Time.new(2030, 5, 31, 23, 59, 59, '+00:00') > Time.now.utc",
        "true",
    ),
    ("Time.at(0).class", "Time"),
    // File paths and JSON.
    (
        "File.basename('/home/gumby/work/ruby.rb', '.rb')",
        r#""ruby""#,
    ),
    ("File.join('usr', 'mail', 'gumby')", r#""usr/mail/gumby""#),
    (
        "Pathname.new('/etc/ssh').join('sshd_config').to_s",
        r#""/etc/ssh/sshd_config""#,
    ),
    (
        r#"JSON.parse('{"a": [1, 2.5, null, true]}')"#,
        r#"{"a"=>[1, 2.5, nil, true]}"#,
    ),
    (r#"JSON.parse('{"a": 1}', symbolize_names: true)[:a]"#, "1"),
    (r#"{"a" => [1, nil]}.to_json"#, r#""{\"a\":[1,null]}""#),
    // Proc and lambda (Ruby's Proc documentation).
    ("(square = proc { |x| x**2 }; [square.call(3), square.(3), square[3]])", "[9, 9, 9]"),
    ("(x = 10; add = ->(y) { x + y }; add.call(5))", "15"),
    ("lambda { |x| x * 2 }.call(4)", "8"),
    ("[lambda { |x| x }.lambda?, proc { |x| x }.lambda?, ->() {}.lambda?]", "[true, false, true]"),
    ("proc { |x, y| [x, y] }.call(1)", "[1, nil]"),
    ("proc { |x, y| [x, y] }.call([1, 2])", "[1, 2]"),
    ("proc { |x, y| [x, y] }.call(1, 2, 3)", "[1, 2]"),
    ("begin; ->(x, y) { [x, y] }.call([1, 2]); rescue ArgumentError => e; e.message; end", r#""wrong number of arguments (given 1, expected 2)""#),
    ("->(x, k: 1) { [x, k] }.call(1, k: 2)", "[1, 2]"),
    ("->() { return 1; 2 }.call", "1"),
    ("[proc { |a, b| }.arity, proc { |*a| }.arity, lambda { |a, b = 0| }.arity, proc { |a, b = 0| }.arity]", "[2, -1, -2, 1]"),
    ("[1, 2, 3].map(&->(x) { x * 2 })", "[2, 4, 6]"),
    ("(f = proc { |w| w.upcase }; %w[a b].map(&f))", r#"["A", "B"]"#),
    ("(conv = ->(h) { h.downcase }; conv.call('NAME'))", r#""name""#),
    // Closures share the variables of the scope they were made in.
    ("(n = 0; inc = -> { n += 1 }; inc.call; inc.call; n)", "2"),
    ("(acc = []; add = ->(x) { acc << x }; add.(1); add.(2); acc)", "[1, 2]"),
    ("(make = -> { c = 0; -> { c += 1 } }; g = make.call; g.call; g.call)", "2"),
    ("(x = 1; f = ->(x) { x = 5 }; f.(2); x)", "1"),
    ("(p = Proc.new { |a, b| [a, b] }; [p.call(1), p.lambda?])", "[[1, nil], false]"),
    ("(t = 0; [1, 2, 3].each(&->(v) { t += v }); t)", "6"),
    // In-place slicing and deletion (String#slice!, Array#slice!/delete_at, Hash's bang
    // forms): the removed part is the value, the variable keeps the rest.
    (r#"(s = "PATH=/bin:$PATH:/usr"; [s.slice!("PATH="), s.slice!("$PATH:"), s.slice!("zz"), s])"#, r#"["PATH=", "$PATH:", nil, "/bin:/usr"]"#),
    (r#"(s = "héllo"; [s.slice!(1), s.slice!(1, 2), s])"#, r#"["é", "ll", "ho"]"#),
    (r#"(s = "hello world"; [s.slice!(/o\s/), s.slice!(2..3), s.slice!(/(w)(o)/, 2), s])"#, r#"["o ", "ll", "o", "hewrld"]"#),
    (r#"(s = "abc"; [s.slice!(-1), s.slice!(5), s.slice!(5, 1), s])"#, r#"["c", nil, nil, "ab"]"#),
    ("(a = [1, 2, 3, 4]; [a.delete_at(0), a.delete_at(-1), a.delete_at(9), a])", "[1, 4, nil, [2, 3]]"),
    ("(a = %w[a b c d e]; [a.slice!(1), a.slice!(1, 2), a.slice!(0..0), a.slice!(7), a])", r#"["b", ["c", "d"], ["a"], nil, ["e"]]"#),
    (r#"(h = {"a" => "1,2", "b" => "3"}; h.transform_values! { |v| v.split(",") }; h)"#, r#"{"a"=>["1", "2"], "b"=>["3"]}"#),
    ("(h = {a: 1}; [h.transform_keys!(&:to_s), h])", r#"[{"a"=>1}, {"a"=>1}]"#),
    (r#"(h = {"a" => 1, "b" => 2}; [h.select! { |k, v| v > 0 }, h.reject! { |k, v| v > 1 }, h])"#, r#"[nil, {"a"=>1}, {"a"=>1}]"#),
    (r#"(h = {"a" => 1, "b" => 2}; h.delete_if { |k, v| v == 2 }; h.keep_if { |k, v| true }; h)"#, r#"{"a"=>1}"#),
    // CSV (Ruby's CSV documentation).
    (r#"CSV.parse("foo,0\nbar,1\nbaz,2\n")"#, r#"[["foo", "0"], ["bar", "1"], ["baz", "2"]]"#),
    (r#"CSV.parse("a,,\"\",\"x,\"\"y\"\"\"")"#, r#"[["a", nil, "", "x,\"y\""]]"#),
    (r#"CSV.parse("foo:0\r\nbar:1", col_sep: ":")"#, r#"[["foo", "0"], ["bar", "1"]]"#),
    (
        r#"CSV.parse("Name,Count\nfoo,0\nbar,1\n", headers: true).map { |row| row.to_h }"#,
        r#"[{"Name"=>"foo", "Count"=>"0"}, {"Name"=>"bar", "Count"=>"1"}]"#,
    ),
    (
        r#"CSV.parse("Name,Count\nfoo,0\n", headers: true).map { |row| [row["Name"], row[1], row.headers] }"#,
        r#"[["foo", "0", ["Name", "Count"]]]"#,
    ),
    (
        r#"CSV.parse("User\tHost\nroot\tlocalhost", headers: true, header_converters: ->(h) { h.downcase }, col_sep: "\t", quote_char: "\x00").map { |r| r.to_h }"#,
        r#"[{"user"=>"root", "host"=>"localhost"}]"#,
    ),
    (
        r#"CSV.parse("Max Count\n3", headers: true, header_converters: :symbol).first.headers"#,
        "[:max_count]",
    ),
];

#[test]
fn ruby_core_table() {
    check_table(RUBY);
}

/// The zypper-style document of the REXML rows.
const ZYPPER: &str = r#"REXML::Document.new("<?xml version='1.0'?><stream><update-list><update name=\"a\" edition=\"1.0\" arch=\"x86_64\"><summary>S1</summary></update><update name=\"b\" edition=\"2\"/></update-list><x>t<y/>u</x></stream>")"#;

/// `IPAddr` (ipaddr.rb), `REXML` and `Log`: each row's value as InSpec 7.1.16 on Ruby 3.1
/// printed it (the oracle, on a snippet profile).
const STDLIB: &[(&str, &str)] = &[
    ("IPAddr.new('10.0.0.0/8').to_s", r#""10.0.0.0""#),
    ("IPAddr.new('10.0.0.0/8').include?('10.1.2.3')", "true"),
    (
        "IPAddr.new('10.0.0.0/8').include?(IPAddr.new('11.1.2.3'))",
        "false",
    ),
    ("IPAddr.new('10.0.0.0/8') === IPAddr.new('10.9.9.9')", "true"),
    ("IPAddr.new('192.168.1.77/24').to_s", r#""192.168.1.0""#),
    ("IPAddr.new('192.168.1.77').mask(16).to_s", r#""192.168.0.0""#),
    ("IPAddr.new('::1').ipv6?", "true"),
    ("IPAddr.new('::1').ipv4?", "false"),
    ("IPAddr.new('fe80::1%eth0/64').to_s", r#""fe80::%eth0""#),
    (
        "IPAddr.new('2001:db8::1/32').to_range.first.to_s",
        r#""2001:db8::""#,
    ),
    (
        "IPAddr.new('10.0.0.1')",
        "#<IPAddr: IPv4:10.0.0.1/255.255.255.255>",
    ),
    ("IPAddr.new('10.0.0.1/8')", "#<IPAddr: IPv4:10.0.0.0/255.0.0.0>"),
    ("IPAddr.new('10.0.0.1').to_i", "167772161"),
    ("IPAddr.new('10.0.0.1').prefix", "32"),
    ("IPAddr.new('10.0.0.1/8').to_string", r#""10.0.0.0""#),
    ("IPAddr.new('10.0.0.1') == '10.0.0.1'", "true"),
    ("IPAddr.new('10.0.0.1').private?", "true"),
    ("IPAddr.new('127.0.0.1').loopback?", "true"),
    ("IPAddr.new('::ffff:10.0.0.1').to_s", r#""::ffff:10.0.0.1""#),
    (
        "IPAddr.new('2001:0db8:0000:0000:0000:0000:0000:0001').to_s",
        r#""2001:db8::1""#,
    ),
    ("IPAddr.new('10.0.0.1').reverse", r#""1.0.0.10.in-addr.arpa""#),
    (
        "begin; IPAddr.new('10.0.0.300'); rescue ArgumentError => e; e.message; end",
        r#""invalid address: ""#,
    ),
    ("(IPAddr.new('not an ip') rescue nil)", "nil"),
    (
        "d = ZYPPER; n = []; REXML::XPath.each(REXML::XPath.first(d, '//update-list'), 'update') { |el| n << el.attributes['name'] }; n",
        r#"["a", "b"]"#,
    ),
    (
        "REXML::XPath.match(ZYPPER, '//update').map { |e| e.attributes['edition'] }",
        r#"["1.0", "2"]"#,
    ),
    ("ZYPPER.root.name", r#""stream""#),
    ("REXML::XPath.first(ZYPPER, '//summary').text", r#""S1""#),
    (
        "ZYPPER.elements['stream/update-list/update'].attributes['arch']",
        r#""x86_64""#,
    ),
    ("ZYPPER.elements.to_a('//update').size", "2"),
    ("REXML::XPath.first(ZYPPER, '//x').text", r#""t""#),
    ("REXML::XPath.first(ZYPPER, '//nothing')", "nil"),
    ("REXML::XPath.first(ZYPPER, '//update/@name').to_s", r#""a""#),
    ("REXML::XPath.first(ZYPPER, '//update/@name').value", r#""a""#),
    (
        "REXML::XPath.first(ZYPPER, '//update').to_s",
        r#""<update arch='x86_64' edition='1.0' name='a'><summary>S1</summary></update>""#,
    ),
    (
        "REXML::XPath.first(ZYPPER, '//update').inspect",
        r#""<update name='a' edition='1.0' arch='x86_64'> ... </>""#,
    ),
    (
        "REXML::XPath.first(ZYPPER, '//update').attribute('name').value",
        r#""a""#,
    ),
    ("REXML::XPath.first(ZYPPER, '//update')['name']", r#""a""#),
    (
        "REXML::XPath.first(ZYPPER, '//x').texts.map(&:to_s)",
        r#"["t", "u"]"#,
    ),
    ("c = 0; ZYPPER.elements.each('//update') { |e| c += 1 }; c", "2"),
    ("ZYPPER.root.elements.size", "2"),
    ("ZYPPER.root.elements[1].name", r#""update-list""#),
    (
        "REXML::XPath.first(ZYPPER, '//summary').parent.name",
        r#""update""#,
    ),
    (
        "REXML::XPath.first(ZYPPER, '//update').get_text('summary').to_s",
        r#""S1""#,
    ),
    ("REXML::XPath.first(ZYPPER, '//update').has_elements?", "true"),
    ("REXML::Document.new('').root", "nil"),
    (
        "begin; REXML::Document.new('<a><b></a>'); rescue REXML::ParseException; 'bad'; end",
        r#""bad""#,
    ),
    ("Log.debug('x')", "nil"),
    ("Log.warn('x')", "nil"),
];

#[test]
fn stdlib_table() {
    let rows: Vec<(String, &str)> = STDLIB
        .iter()
        .map(|(e, want)| (e.replace("ZYPPER", ZYPPER), *want))
        .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(e, w)| (e.as_str(), *w)).collect();
    check_table(&rows);
}

/// Evaluates `(expr).inspect` for each row; every value must be as Ruby prints it.
fn check_table(rows: &[(&str, &str)]) {
    let mut src = String::new();
    for (i, (expr, _)) in rows.iter().enumerate() {
        src.push_str(&format!(
            "control 'c{i}' do\n  describe(({expr}).inspect) do\n    it {{ should eq 'x' }}\n  end\nend\n"
        ));
    }
    let results = crate::native::testing::run(&src);
    let mut bad = Vec::new();
    for (i, (expr, want)) in rows.iter().enumerate() {
        let id = format!("c{i}");
        let got = match results.iter().find(|r| r.id == id) {
            None => "<no result>".to_string(),
            Some(r) => match r.results.first() {
                Some(c) if c.skip_message.is_some() => {
                    format!("SKIP {}", c.skip_message.clone().unwrap_or_default())
                }
                Some(c) if c.code_desc.contains("Source Code Error") => {
                    format!("ERROR {}", c.message.clone().unwrap_or_default())
                }
                Some(c) => c
                    .code_desc
                    .trim_end_matches(" is expected to eq \"x\"")
                    .to_string(),
                None => "<empty>".to_string(),
            },
        };
        if got != *want {
            bad.push(format!("{expr}\n   want {want}\n   got  {got}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {}:\n{}",
        bad.len(),
        rows.len(),
        bad.join("\n")
    );
}

/// Runs `call` (with `NAME` replaced) once per name; the names whose call is not
/// implemented (NotImplementedError, or outside the native subset).
fn unimplemented(names: &[&str], call: &str) -> Vec<String> {
    let mut src = String::new();
    for (i, n) in names.iter().enumerate() {
        let call = call.replace("NAME", n);
        src.push_str(&format!(
            "control 's{i}' do\n  r = begin\n    {call}\n    'ok'\n  rescue NotImplementedError\n    'missing'\n  rescue StandardError\n    'ok'\n  end\n  describe r do\n    it {{ should eq 'ok' }}\n  end\nend\n"
        ));
    }
    let results = crate::native::testing::run(&src);
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let id = format!("s{i}");
            !results
                .iter()
                .any(|r| r.id == id && r.status == ControlStatus::Passed)
        })
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Every name in the String and Enumerable method tables (what coverage reads) is
/// implemented.
#[test]
fn method_tables_are_implemented() {
    use crate::native::ruby::methods::{ENUMERABLE_METHODS, STRING_METHODS};
    let strings: Vec<&str> = STRING_METHODS
        .iter()
        .flat_map(|g| g.iter().copied())
        .collect();
    let bad = unimplemented(&strings, "'a-b'.send('NAME', 'a')");
    assert!(bad.is_empty(), "String: {bad:?}");
    let enums: Vec<&str> = ENUMERABLE_METHODS
        .iter()
        .flat_map(|g| g.iter().copied())
        .collect();
    let bad = unimplemented(&enums, "[1, 2].send('NAME', 1) { |x, y| x }");
    assert!(bad.is_empty(), "Enumerable: {bad:?}");
    // The check itself finds a String method (Ruby's) that is not implemented; a name
    // String lacks is Ruby's NoMethodError, not a gap.
    assert_eq!(
        unimplemented(&["crypt"], "'a'.send('NAME', 'ab')"),
        ["crypt"]
    );
    assert!(unimplemented(&["no_such"], "'a'.send('NAME')").is_empty());
}

/// The results of controls file `src` (at `path`) evaluated on `local://`.
fn on_local(src: &str, path: &str) -> Vec<crate::job::ControlResult> {
    let profile = crate::profile::from_source(src, path).unwrap();
    let host = Arc::new(Host::new(
        Box::new(crate::transport::LocalTransport::new()),
        None,
        CancellationToken::new(),
    ));
    crate::native::evaluate(&profile, host, &serde_json::Map::new())
}

/// `File` on `local://`: access checks run `test -r/-w/-x` on the target as the connected
/// user, sizes and contents come from the `file` resource.
#[test]
fn file_class_on_local_target() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("airs-file-class-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("run.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (d, s, e) = (dir.display(), script.display(), empty.display());
    let src = format!(
        "control 'local' do\n  describe [File.executable?('{s}'), File.executable?('{e}'), File.readable?('{e}'), File.size?('{e}'), File.size?('{s}'), File.zero?('{e}'), File.read('{s}'), Dir.exist?('{d}'), File.readlines('{s}')] do\n    it {{ should eq [true, false, true, nil, 10, true, \"#!/bin/sh\\n\", true, [\"#!/bin/sh\\n\"]] }}\n  end\nend\n"
    );
    let results = on_local(&src, "controls/local.rb");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        results[0].status,
        ControlStatus::Passed,
        "{:#?}",
        results[0]
    );
}

/// `File.read` of a path without content raises Ruby's Errno: EACCES for a file the user may
/// not read (what an unprivileged scan meets on /etc/shadow; a write-only sysfs file refuses
/// root as well), EISDIR for a directory, ENOENT for nothing there.
#[test]
fn file_read_raises_rubys_errno() {
    let refused = "/sys/bus/pci/rescan";
    assert!(
        std::path::Path::new(refused).exists(),
        "{refused}: a write-only file is needed"
    );
    let read = |v: &str, p: &str| {
        format!("  {v} = begin\n    File.read('{p}')\n  rescue Errno::EACCES, Errno::EISDIR, Errno::ENOENT => e\n    \"#{{e.class}}: #{{e.message}}\"\n  end\n")
    };
    let src = format!(
        "control 'errno' do\n{}{}{}  describe [a, b, c] do\n    it {{ should eq ['Errno::EACCES: Permission denied @ rb_sysopen - {refused}', 'Errno::EISDIR: Is a directory @ io_fread - /etc', 'Errno::ENOENT: No such file or directory @ rb_sysopen - /nonexistent/x'] }}\n  end\nend\n",
        read("a", refused),
        read("b", "/etc"),
        read("c", "/nonexistent/x"),
    );
    let results = on_local(&src, "controls/errno.rb");
    assert_eq!(
        results[0].status,
        ControlStatus::Passed,
        "{:#?}",
        results[0]
    );
}
