//! Tests of the profile layer: parser constructs, error positions, the InSpec model, the
//! fixture profile, the real profiles in ../shared/profiles (when present) and a proptest
//! pass over the lexer/parser (no panics, no hangs).

use super::ast::*;
use super::model::Control;
use super::*;

const CONSTRUCTS: &str = include_str!("../../tests/fixtures/constructs.rb");
const MINI: &str = "tests/fixtures/mini-profile";

fn parse(src: &str) -> Program {
    parser::parse_program(src).unwrap_or_else(|e| {
        let (l, c) = parser::line_col(src, e.offset);
        panic!("parse error at {l}:{c}: {}", e.message)
    })
}

fn one(src: &str) -> Expr {
    let mut p = parse(src);
    assert_eq!(
        p.body.len(),
        1,
        "expected one statement in {src:?}: {:#?}",
        p.body
    );
    p.body.remove(0)
}

fn err(src: &str) -> (u32, u32, String) {
    match parse_ruby(src, "x.rb") {
        Err(ProfileError::Parse {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected a parse error for {src:?}, got {other:?}"),
    }
}

fn call_name(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Call { name, .. } => name,
        other => panic!("not a call: {other:?}"),
    }
}

fn control<'a>(p: &'a Profile, id: &str) -> &'a Control {
    p.controls
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

// ---- parser constructs ---------------------------------------------------------------------

#[test]
fn do_block_binds_to_the_command_and_brace_block_to_the_nearest_call() {
    let e = one("describe file('/x').where { a == 1 } do\n  it { should exist }\nend");
    let ExprKind::Call {
        name, args, block, ..
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!(name, "describe");
    assert!(block
        .as_ref()
        .is_some_and(|b| b.do_end && b.body.len() == 1));
    let ExprKind::Call { name, block, .. } = &args[0].kind else {
        panic!()
    };
    assert_eq!(name, "where");
    assert!(block.as_ref().is_some_and(|b| !b.do_end));
}

#[test]
fn command_calls_nest() {
    // should(be_grouped_into(os.bsd? ? 'wheel' : user))
    let e = one("should be_grouped_into os.bsd? ? 'wheel' : user");
    let ExprKind::Call { name, args, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(name, "should");
    let ExprKind::Call { name, args, .. } = &args[0].kind else {
        panic!()
    };
    assert_eq!(name, "be_grouped_into");
    assert!(matches!(args[0].kind, ExprKind::If { .. }));
}

#[test]
fn a_string_literal_right_after_a_method_name_is_its_command_argument() {
    // Ruby reads `describe"x" do ... end` as `describe("x") do ... end`: after an identifier
    // a quote can only open a string, so no space is needed before a command argument.
    let e = one("describe\"The setting\" do\n  it { should be true }\nend");
    let ExprKind::Call {
        name, args, block, ..
    } = &e.kind
    else {
        panic!("{e:#?}")
    };
    assert_eq!(name, "describe");
    assert_eq!(args.len(), 1);
    assert!(matches!(args[0].kind, ExprKind::Str(_)), "{:#?}", args[0]);
    assert!(block.is_some());
    let e = one("puts'a', 'b'");
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!("{e:#?}")
    };
    assert_eq!(args.len(), 2);
}

#[test]
fn unary_minus_and_index_spacing() {
    // `x - 1` binary, `foo -1` argument, `foo [1]` argument, `a[1]` index
    let p = parse("x = 5\nx - 1\nfoo -1\nfoo [1]\nx[1]\n");
    assert!(matches!(
        p.body[1].kind,
        ExprKind::Binary { op: BinOp::Sub, .. }
    ));
    let ExprKind::Call { args, .. } = &p.body[2].kind else {
        panic!()
    };
    assert_eq!(args[0].kind, ExprKind::Int(-1));
    let ExprKind::Call { args, .. } = &p.body[3].kind else {
        panic!()
    };
    assert!(matches!(args[0].kind, ExprKind::Array(_)));
    assert!(matches!(p.body[4].kind, ExprKind::Index { .. }));
}

#[test]
fn regex_vs_division() {
    let p = parse("a = 4\nb = a / 2\nc = a =~ /x\\/y/i\nd = %r{^/etc}m\nshould match /^a b/\n");
    let ExprKind::Assign { value, .. } = &p.body[1].kind else {
        panic!()
    };
    assert!(matches!(
        value.kind,
        ExprKind::Binary { op: BinOp::Div, .. }
    ));
    let ExprKind::Assign { value, .. } = &p.body[2].kind else {
        panic!()
    };
    let ExprKind::Binary { rhs, .. } = &value.kind else {
        panic!()
    };
    assert_eq!(
        rhs.kind,
        ExprKind::Regex {
            parts: [StrPart::Lit("x/y".into())].into(),
            flags: "i".into()
        }
    );
    let ExprKind::Assign { value, .. } = &p.body[3].kind else {
        panic!()
    };
    assert!(matches!(&value.kind, ExprKind::Regex { flags, .. } if flags == "m"));
    let ExprKind::Call { args, .. } = &p.body[4].kind else {
        panic!()
    };
    let ExprKind::Call { name, args, .. } = &args[0].kind else {
        panic!()
    };
    assert_eq!(name, "match");
    assert!(matches!(args[0].kind, ExprKind::Regex { .. }));
}

#[test]
fn strings_and_interpolation_keep_parts() {
    let e = one(r#"x = "a#{1 + 2}b\n""#);
    let ExprKind::Assign { value, .. } = &e.kind else {
        panic!()
    };
    let ExprKind::Str(parts) = &value.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], StrPart::Lit("a".into()));
    let StrPart::Code(code) = &parts[1] else {
        panic!()
    };
    assert!(matches!(
        code[0].kind,
        ExprKind::Binary { op: BinOp::Add, .. }
    ));
    assert_eq!(parts[2], StrPart::Lit("b\n".into()));
}

#[test]
fn percent_literals() {
    let p =
        parse("a = %w(x y)\nb = %i[p q]\nc = %q{it's {nested}}\nd = %Q<#{a}!>\ne = %W(#{a}z w)\n");
    let v = |i: usize| match &p.body[i].kind {
        ExprKind::Assign { value, .. } => value.kind.clone(),
        _ => panic!(),
    };
    assert!(
        matches!(v(0), ExprKind::Array(ref a) if a.len() == 2 && a[1].as_plain_str().as_deref() == Some("y"))
    );
    assert!(matches!(v(1), ExprKind::Array(ref a) if a[0].kind == ExprKind::Sym("p".into())));
    assert_eq!(
        v(2),
        ExprKind::Str([StrPart::Lit("it's {nested}".into())].into())
    );
    assert!(matches!(v(3), ExprKind::Str(ref parts) if parts.len() == 2));
    assert!(
        matches!(v(4), ExprKind::Array(ref a) if a.len() == 2 && a[0].as_plain_str().is_none())
    );
}

#[test]
fn heredocs_all_forms() {
    let p = parse("a = <<~EOS\n  x\n    y\n  EOS\nb = <<-EOS\n  k\n  EOS\nc = <<EOS\nraw\nEOS\nd = <<~'Q'\n  #{no}\n  Q\nf(<<~A, 2)\n  one\nA\n");
    let s = |i: usize| match &p.body[i].kind {
        ExprKind::Assign { value, .. } => value.as_plain_str(),
        _ => None,
    };
    assert_eq!(s(0).as_deref(), Some("x\n  y\n"));
    assert_eq!(s(1).as_deref(), Some("  k\n"));
    assert_eq!(s(2).as_deref(), Some("raw\n"));
    assert_eq!(s(3).as_deref(), Some("#{no}\n"));
    let ExprKind::Call { args, .. } = &p.body[4].kind else {
        panic!()
    };
    assert_eq!(args[0].as_plain_str().as_deref(), Some("one\n"));
    assert_eq!(args[1].kind, ExprKind::Int(2));
}

#[test]
fn symbols_numbers_hashes() {
    let e = one("f(:a, :\"b c\", 1_000, 0x10, 2.5e1, { k: 1, 'x' => 2, \"q\": 3 }, z: 4)");
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(args[0].kind, ExprKind::Sym("a".into()));
    assert_eq!(args[1].kind, ExprKind::Sym("b c".into()));
    assert_eq!(args[2].kind, ExprKind::Int(1000));
    assert_eq!(args[3].kind, ExprKind::Int(16));
    assert_eq!(args[4].kind, ExprKind::Float(25.0));
    let ExprKind::Hash {
        entries,
        braces: true,
    } = &args[5].kind
    else {
        panic!()
    };
    assert_eq!(entries.len(), 3);
    let ExprKind::Hash {
        entries,
        braces: false,
    } = &args[6].kind
    else {
        panic!()
    };
    assert_eq!(entries.len(), 1);
}

#[test]
fn control_flow_forms() {
    let p = parse(
        "if a\n 1\nelsif b\n 2\nelse\n 3\nend\nx = 1 unless c\nwhile d do d -= 1 end\nuntil e\nend\ncase f\nwhen 1, 2 then :x\nwhen String\n :y\nelse :z\nend\nbegin\n g\nrescue IOError, SystemCallError => err\n h\nelse\n i\nensure\n j\nend\nk = l ? m : n\nputs 1 if o && !p || q and r\n",
    );
    assert_eq!(p.body.len(), 8);
    let ExprKind::If { else_body, .. } = &p.body[0].kind else {
        panic!()
    };
    assert!(matches!(else_body[0].kind, ExprKind::If { .. }));
    let ExprKind::If {
        then_body,
        else_body,
        ..
    } = &p.body[1].kind
    else {
        panic!()
    };
    assert!(then_body.is_empty() && else_body.len() == 1);
    assert!(matches!(
        p.body[2].kind,
        ExprKind::While { until: false, .. }
    ));
    assert!(matches!(
        p.body[3].kind,
        ExprKind::While { until: true, .. }
    ));
    let ExprKind::Case {
        whens, else_body, ..
    } = &p.body[4].kind
    else {
        panic!()
    };
    assert_eq!(whens.len(), 2);
    assert_eq!(whens[0].patterns.len(), 2);
    assert!(else_body.is_some());
    let ExprKind::Begin(b) = &p.body[5].kind else {
        panic!()
    };
    let BeginExpr {
        rescues,
        else_body,
        ensure,
        ..
    } = &**b;
    assert_eq!(rescues[0].classes.len(), 2);
    assert!(rescues[0].var.is_some() && else_body.is_some() && ensure.is_some());
    let ExprKind::Assign { value, .. } = &p.body[6].kind else {
        panic!()
    };
    assert!(matches!(value.kind, ExprKind::If { .. }));
    let ExprKind::If { cond, .. } = &p.body[7].kind else {
        panic!()
    };
    assert!(matches!(cond.kind, ExprKind::Binary { op: BinOp::And, .. }));
}

#[test]
fn safe_navigation_blocks_params_and_defs() {
    let p = parse(
        "x&.split(',')&.each do |a, (b, c), *d, k: 1, &blk|\n  a\nend\ndef self.m(a, b = 2, *r, k:, **o, &blk)\n  super\nend\nclass Foo < Inspec.resource(1)\n  name 'foo'\n  def initialize(x = nil)\n    @x = x\n  end\nend\nmodule M; end\nl = ->(v) { v + 1 }\n",
    );
    let ExprKind::Call {
        name,
        safe_nav,
        block,
        ..
    } = &p.body[0].kind
    else {
        panic!()
    };
    assert_eq!(name, "each");
    assert!(*safe_nav);
    assert_eq!(block.as_ref().map(|b| b.params.len()), Some(5));
    let ExprKind::Def(d) = &p.body[1].kind else {
        panic!()
    };
    let DefExpr {
        singleton, params, ..
    } = &**d;
    assert!(singleton.is_some());
    assert_eq!(params.len(), 6);
    let ExprKind::Class {
        superclass, body, ..
    } = &p.body[2].kind
    else {
        panic!()
    };
    assert_eq!(superclass.as_deref().map(call_name), Some("resource"));
    assert_eq!(body.len(), 2);
    assert!(matches!(p.body[3].kind, ExprKind::Module { .. }));
    let ExprKind::Assign { value, .. } = &p.body[4].kind else {
        panic!()
    };
    assert!(matches!(value.kind, ExprKind::Lambda(_)));
}

#[test]
fn comments_and_end_marker() {
    let p = parse("a # c\n=begin\nx = 'unterminated\n=end\nb\n__END__\n}}} not ruby\n");
    assert_eq!(p.body.len(), 2);
    assert!(p.end_marker.is_some());
}

#[test]
fn adjacent_string_literals_join_with_or_without_space() {
    for src in [
        r#"x = "a" 'b' "c""#,
        r#"x = "a"'b'"c""#,
        "x = 'a' \\\n  'b'\\\n\"c\"",
    ] {
        let e = one(src);
        let ExprKind::Assign { value, .. } = &e.kind else {
            panic!("{src:?}: {e:?}")
        };
        assert_eq!(value.as_plain_str().as_deref(), Some("abc"), "{src:?}");
    }
    // Interpolated parts are kept between the joined ones.
    let e = one(r##"x = 'a'"#{y}"'c'"##);
    let ExprKind::Assign { value, .. } = &e.kind else {
        panic!()
    };
    let ExprKind::Str(parts) = &value.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 3, "{parts:?}");
    // `"b": 1` after a string is a label of a hash, not a second literal.
    let e = one(r#"f "a", "b": 1"#);
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(args.len(), 2, "{args:?}");
    // A newline ends the first literal: two statements.
    assert_eq!(parse("x = 'a'\n'b'").body.len(), 2);
}

#[test]
fn operator_method_names_after_a_dot() {
    for (src, name, nargs) in [
        ("x.+(1)", "+", 1),
        ("x.-(1)", "-", 1),
        ("x.*", "*", 0),
        ("x.**(2)", "**", 1),
        ("x./(2)", "/", 1),
        ("x.%(2)", "%", 1),
        ("x.[](0)", "[]", 1),
        ("x.[]=(0, 1)", "[]=", 2),
        ("x.!", "!", 0),
        ("x.==(y)", "==", 1),
        ("x.!=(y)", "!=", 1),
        ("x.===(y)", "===", 1),
        ("x.=~(y)", "=~", 1),
        ("x.<=>(y)", "<=>", 1),
        ("x.<<(y)", "<<", 1),
        ("x&.<(y)", "<", 1),
        ("x.~", "~", 0),
        ("x.&(y)", "&", 1),
        ("x.|(y)", "|", 1),
        ("x.^(y)", "^", 1),
    ] {
        let e = one(src);
        let ExprKind::Call {
            recv,
            name: n,
            args,
            ..
        } = &e.kind
        else {
            panic!("{src:?}: not a call: {e:?}")
        };
        assert!(recv.is_some(), "{src:?}");
        assert_eq!((n.as_str(), args.len()), (name, nargs), "{src:?}");
    }
    // At the end of a line the operator is a method name: the newline ends the statement.
    let p = parse("l = limits_conf(f).*\nnext unless l.is_a?(Array)\n");
    assert_eq!(p.body.len(), 2, "{:#?}", p.body);
    let ExprKind::Assign { value, .. } = &p.body[0].kind else {
        panic!()
    };
    assert_eq!(call_name(value), "*");
    // The operator binds as a call, not as a binary operator: `x.+ 1` is `x.+(1)`.
    assert_eq!(call_name(&one("x.+ 1")), "+");
    assert!(matches!(
        one("x.! == y").kind,
        ExprKind::Binary { op: BinOp::Eq, .. }
    ));
}

#[test]
fn alias_and_undef_take_operator_names() {
    let p = parse("class A\n  alias == match?\n  alias eql? ==\n  undef []\n  def x; end\nend\n");
    let ExprKind::Class { body, .. } = &p.body[0].kind else {
        panic!()
    };
    assert_eq!(body.len(), 4, "{body:#?}");
    assert_eq!(body[0].kind, ExprKind::Alias("==".into(), "match?".into()));
    assert_eq!(body[1].kind, ExprKind::Alias("eql?".into(), "==".into()));
    assert_eq!(body[2].kind, ExprKind::Undef(vec!["[]".into()]));
    assert_eq!(
        one("alias new_name old_name").kind,
        ExprKind::Alias("new_name".into(), "old_name".into())
    );
}

#[test]
fn a_newline_after_rescue_return_break_next_ends_it() {
    let e = one("begin\n  a\nrescue\n  x = nil\n  b\nend");
    let ExprKind::Begin(b) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(b.rescues[0].classes.is_empty(), "{:?}", b.rescues[0]);
    assert_eq!(b.rescues[0].body.len(), 2);
    let e = one("begin\n  a\nrescue Errno::ENOENT, IOError => e\n  b\nend");
    let ExprKind::Begin(b) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(
        (b.rescues[0].classes.len(), b.rescues[0].body.len()),
        (2, 1)
    );
    for kw in ["return", "break", "next"] {
        let p = parse(&format!("x.each do |y|\n  {kw}\n  y\nend"));
        let ExprKind::Call {
            block: Some(blk), ..
        } = &p.body[0].kind
        else {
            panic!()
        };
        assert_eq!(blk.body.len(), 2, "{kw}: {:?}", blk.body);
        assert!(matches!(
            blk.body[0].kind,
            ExprKind::Return(None) | ExprKind::Break(None) | ExprKind::Next(None)
        ));
    }
    // A value on the same line is still the keyword's.
    let p = parse("def f\n  return 1,\n    2\nend");
    let ExprKind::Def(d) = &p.body[0].kind else {
        panic!()
    };
    assert!(matches!(d.body[0].kind, ExprKind::Return(Some(_))));
}

#[test]
fn leading_dot_method_chains() {
    let e = one("x = foo\n  .bar(1)\n  # comment\n  .baz");
    let ExprKind::Assign { value, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(call_name(value), "baz");
}

#[test]
fn spans_cover_blocks() {
    let src = "control 'a' do\n  impact 1\nend\n";
    let e = one(src);
    assert_eq!(
        &src[e.span.start as usize..e.span.end as usize],
        "control 'a' do\n  impact 1\nend"
    );
}

// ---- errors ----------------------------------------------------------------------------------

#[test]
fn error_missing_end_names_the_opener() {
    let (line, col, msg) =
        err("control 'x' do\n  describe file('a') do\n    it { should exist }\n  end\n");
    assert_eq!((line, col), (5, 1));
    assert!(
        msg.contains("expected 'end' to close 'do' opened on line 1"),
        "{msg}"
    );
}

#[test]
fn error_unclosed_paren() {
    let (line, col, msg) = err("foo(1,\n    2\nbar\n");
    assert_eq!((line, col), (3, 1));
    assert!(msg.contains("')' to close the argument list"), "{msg}");
}

#[test]
fn error_unterminated_string_points_at_its_start() {
    let (line, col, msg) = err("a = 1\nb = 'abc\n");
    assert_eq!((line, col), (2, 5));
    assert!(msg.contains("unterminated"), "{msg}");
}

#[test]
fn error_unterminated_heredoc_and_interpolation() {
    let (line, _, msg) = err("x = 1\ny = <<~EOS\n  text\n");
    assert_eq!(line, 2);
    assert!(msg.contains("EOS"), "{msg}");
    let (line, _, _) = err("a = \"x #{ 1 + \"\n");
    assert_eq!(line, 1);
}

#[test]
fn error_stray_end_and_bad_token() {
    let (line, col, msg) = err("a = 1\nend\n");
    assert_eq!((line, col), (2, 1));
    assert!(msg.contains("found 'end'"), "{msg}");
    let (line, col, _) = err("x = 1 + \u{1}\n");
    assert_eq!((line, col), (1, 9));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for src in [
        "[".repeat(100_000),
        format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("x = 1{}", " + 1".repeat(50_000)),
        format!("x{}", ".a".repeat(50_000)),
        format!("x = {}", "!".repeat(50_000)),
        format!("{}1", "-".repeat(50_000)),
        "a if b ".repeat(10_000),
        format!("\"{}\"", "#{\"".repeat(2000)),
        "if a\n".repeat(5000),
        "foo do\n".repeat(5000),
    ] {
        let r = parse_ruby(&src, "deep.rb");
        assert!(
            r.is_err(),
            "expected a depth error for input starting {:?}",
            &src[..20.min(src.len())]
        );
    }
    // moderately deep code is fine
    let ok = format!("x = {}1{}", "[".repeat(40), "]".repeat(40));
    assert!(parse_ruby(&ok, "ok.rb").is_ok());
}

// ---- model ---------------------------------------------------------------------------------

fn constructs() -> Profile {
    from_source(CONSTRUCTS, "controls/constructs.rb").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn constructs_fixture_model() {
    let p = constructs();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ids: Vec<&str> = p.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(&ids[..3], &["const-01", "const-02", "const-03"]);
    assert_eq!(ids[3], "\"dyn-#{suffix}\"");
    assert!(
        ids[4].starts_with("(generated from constructs.rb:99 "),
        "{}",
        ids[4]
    );
    assert_eq!(p.groups[0].title.as_deref(), Some("Constructs group"));

    let c = control(&p, "const-01");
    assert_eq!(c.impact, 0.9);
    assert_eq!(c.source_location.line, 13);
    assert_eq!(c.title.as_deref(), Some("SSH on port #{port}"));
    assert_eq!(c.desc.as_deref(), Some("Default description"));
    assert_eq!(c.descriptions[1].label, "rationale");
    assert_eq!(c.descriptions[1].data, "First line\n  indented line\n");
    let tags = c.tags.to_json();
    assert_eq!(tags["bare"], serde_json::Value::Null);
    assert!(tags.get("sym_a").is_some() && tags.get("sym_b").is_some());
    assert_eq!(tags["cis"], "1.2.3");
    assert_eq!(tags["level"], 1);
    assert_eq!(tags["nist"], serde_json::json!(["AC-1", "AC-2"]));
    assert_eq!(c.refs[0].ref_.as_deref(), Some("CIS Benchmark"));
    assert_eq!(
        c.refs[0].url.as_deref(),
        Some("https://example.invalid/cis")
    );
    let oi = c.only_if.as_ref().unwrap_or_else(|| panic!("only_if"));
    assert_eq!(oi.message.as_deref(), Some("sshd is installed"));
    assert!(oi.code.contains("package('openssh-server').installed?"));
    assert_eq!(c.describes.len(), 2);
    let d = &c.describes[0];
    assert_eq!(d.subject.resource.as_deref(), Some("sshd_config"));
    assert_eq!(d.expectations.len(), 3);
    assert_eq!(d.expectations[0].kind, "its");
    assert_eq!(d.expectations[0].matcher.as_deref(), Some("cmp"));
    assert_eq!(
        d.expectations[1].its.as_ref().and_then(|a| a.value.clone()),
        Some("Protocol".into())
    );
    assert!(d.expectations[1].negated);
    assert_eq!(d.expectations[2].matcher.as_deref(), Some("match"));
    let one = &c.describes[1];
    assert_eq!(one.kind, "describe.one");
    assert_eq!(one.describes.len(), 2);
    assert_eq!(
        one.describes[1].expectations[0].matcher.as_deref(),
        Some("exist")
    );
    assert!(c.code.starts_with("control 'const-01' do") && c.code.ends_with("end"));

    let c = control(&p, "const-02");
    assert_eq!(c.impact, 0.1);
    let subjects: Vec<String> = c
        .describes
        .iter()
        .map(|d| d.subject.code.to_string())
        .collect();
    assert_eq!(
        subjects,
        [
            "'a computed total'",
            "package('ssh')",
            "package('openssh')",
            "user(u)"
        ]
    );
    assert!(c.describes.iter().all(|d| d.conditional));
    let ex = &c.describes[0].expectations[0];
    assert_eq!(ex.kind, "it");
    assert_eq!(ex.description.as_deref(), Some("is small"));
    assert_eq!(ex.target.as_ref().map(|t| &*t.code), Some("total"));
    assert_eq!(
        (ex.matcher.as_deref(), ex.operator),
        (Some("be"), Some("<"))
    );

    let c = control(&p, "const-03");
    assert_eq!(c.impact, 0.0);
    assert_eq!(c.describes[0].subject.resource.as_deref(), Some("command"));
    assert_eq!(
        c.describes[1].subject.code,
        "file('/etc/passwd'), :sensitive"
    );

    let dynamic: Vec<&Control> = p.controls.iter().filter(|c| c.dynamic_id).collect();
    assert_eq!(dynamic.len(), 1);
    assert!(dynamic[0].conditional);
    assert_eq!(dynamic[0].impact, 0.3);

    // inputs, variables, include_controls
    let names: Vec<&str> = p.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ssh_port", "users"]);
    assert_eq!(p.inputs[0].value, Some(serde_json::json!(22)));
    assert_eq!(p.inputs[0].priority, Some(20));
    assert_eq!(
        p.inputs[1].value,
        Some(serde_json::json!(["root", "admin"]))
    );
    let vars: Vec<&str> = p.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(vars, ["port", "users", "mode", "pattern", "limits"]);
    assert_eq!(p.variables[2].code, "os.redhat? ? '0600' : '0644'");
    assert_eq!(p.includes.len(), 1);
    assert_eq!(p.includes[0].profile, "linux-baseline");
    assert_eq!(p.includes[0].skipped, ["os-10"]);
    assert_eq!(p.includes[0].controls[0].id, "os-01");
    assert_eq!(p.includes[0].controls[0].impact, Some(0.1));
}

#[test]
fn impact_forms() {
    let src = "control 'a' do impact 'none' end\ncontrol 'b' do impact 'medium' end\ncontrol 'c' do impact 'high' end\ncontrol 'd' do end\ncontrol 'e' do impact 0.7 end\ncontrol 'f' do impact 1 end\n";
    let p = from_source(src, "controls/i.rb").unwrap_or_else(|e| panic!("{e}"));
    let impacts: Vec<f64> = p.controls.iter().map(|c| c.impact).collect();
    assert_eq!(impacts, [0.0, 0.4, 0.7, 0.5, 0.7, 1.0]);
    assert!(p.warnings.is_empty());
}

#[test]
fn computed_impact_warns() {
    let p = from_source(
        "control 'a' do\n  impact x > 1 ? 0.1 : 0.2\nend\n",
        "controls/i.rb",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.controls[0].impact, 0.5);
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].line, Some(2));
}

#[test]
fn custom_resources_in_libraries() {
    let p = load(MINI).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.libraries.len(), 1);
    let r = &p.libraries[0].resources[0];
    assert_eq!(
        (r.name.as_str(), r.class_name.as_str(), r.line),
        ("suid_blacklist", "SUIDBlacklist", 5)
    );
    assert_eq!(r.methods, ["default"]);
}

#[test]
fn mini_profile_fixture() {
    let p = load(MINI).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ids: Vec<&str> = p.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cis-dil-benchmark-1.1.1.1",
            "cis-dil-benchmark-1.1.1.2",
            "os-01",
            "os-02",
            "os-03",
            "os-03b"
        ]
    );
    let lines: Vec<u32> = p.controls.iter().map(|c| c.source_location.line).collect();
    assert_eq!(lines, [24, 44, 74, 83, 117, 136]);
    assert_eq!(p.groups[0].id, "controls/filesystem.rb");
    assert_eq!(
        p.groups[0].title.as_deref(),
        Some("1.1 Filesystem Configuration")
    );
    assert_eq!(p.groups[1].title, None);
    let c = control(&p, "cis-dil-benchmark-1.1.1.1");
    assert_eq!(
        c.tags.get("cis"),
        Some(&serde_json::json!("distribution-independent-linux:1.1.1.1"))
    );
    assert_eq!(c.tags.get("level"), Some(&serde_json::json!(1)));
    assert_eq!(c.describes[0].kind, "describe.one");
    assert_eq!(
        c.describes[0].describes[0].subject.resource.as_deref(),
        Some("etc_fstab")
    );
    assert_eq!(c.describes[0].describes[0].subject.chain, ["where"]);
    assert_eq!(p.metadata.name.as_deref(), Some("mini-profile"));
    assert!(p.metadata.inputs_from_attributes);
    let inputs: Vec<&str> = p.inputs.iter().map(|i| i.name.as_str()).collect();
    // inspec.yml attributes first, then DSL inputs in order of appearance
    assert_eq!(
        inputs,
        [
            "container_user",
            "container_capadd",
            "cis_level",
            "login_defs_umask",
            "login_defs_passmaxdays",
            "login_defs_passmindays",
            "login_defs_passwarnage",
            "blacklist",
            "mount_exec_blocklist",
            "mount_suid_blocklist",
            "mount_dev_blocklist"
        ]
    );
    let umask = p
        .inputs
        .iter()
        .find(|i| i.name == "login_defs_umask")
        .map(|i| i.value_code.clone());
    assert_eq!(umask, Some(Some("os.redhat? ? '077' : '027'".into())));
    assert_eq!(p.sha256().len(), 64);
    // JSON shape
    let j = json::profile_json(&p);
    assert_eq!(j["name"], "mini-profile");
    assert_eq!(j["controls"].as_array().map(|a| a.len()), Some(6));
    assert_eq!(
        j["controls"][0]["source_location"]["ref"],
        "controls/filesystem.rb"
    );
    assert_eq!(
        j["groups"][1]["controls"],
        serde_json::json!(["os-01", "os-02", "os-03", "os-03b"])
    );
}

#[test]
fn not_a_profile_errors() {
    match load("tests/fixtures/does-not-exist") {
        Err(ProfileError::NotAProfile { reason, .. }) => assert!(reason.contains("no such")),
        other => panic!("{other:?}"),
    }
    match load("tests/fixtures") {
        Err(ProfileError::NotAProfile { reason, .. }) => assert!(reason.contains("inspec.yml")),
        other => panic!("{other:?}"),
    }
    match load("tests/fixtures/constructs.rb") {
        Err(ProfileError::NotAProfile { reason, .. }) => {
            assert!(reason.contains("not a directory"))
        }
        other => panic!("{other:?}"),
    }
}

// ---- the real profiles (../shared/profiles) ------------------------------------------------

fn shared(name: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new("../shared/profiles").join(name);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: ../shared/profiles/{name} is not present (run from the repo root beside shared/)");
        None
    }
}

#[test]
fn real_profiles_control_counts() {
    for (name, count, files) in [
        ("linux-baseline", 59, 3),
        ("ssh-baseline", 71, 2),
        ("cis-docker-benchmark", 106, 6),
        ("cis-dil-benchmark", 237, 26),
    ] {
        let Some(dir) = shared(name) else { continue };
        let p = load(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.controls.len(), count, "{name}");
        assert_eq!(p.groups.len(), files, "{name}");
        assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
        assert!(
            p.controls.iter().all(|c| !c.dynamic_id && !c.generated),
            "{name}"
        );
        // every control's recorded line really starts `control '<id>'`
        for c in &p.controls {
            let text = std::fs::read_to_string(dir.join(&*c.file)).unwrap_or_default();
            let line = text
                .lines()
                .nth(c.source_location.line as usize - 1)
                .unwrap_or("");
            assert!(
                line.trim_start()
                    .starts_with(&format!("control '{}'", c.id)),
                "{name} {}: line {} is {line:?}",
                c.id,
                c.source_location.line
            );
        }
    }
}

// ---- property tests: never panic, always terminate ----------------------------------------

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "control ",
        "'id'",
        "\"s#{",
        "}",
        "\"",
        "'",
        " do",
        "\n",
        "end",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "|x|",
        "/",
        "%w(",
        "%r{",
        "<<~E\n",
        "E\n",
        "#",
        "=begin\n",
        "=end\n",
        "?",
        ":",
        "::",
        "&.",
        ".",
        ",",
        "=>",
        "a: ",
        "-1",
        "*",
        "**",
        "if ",
        "unless ",
        "elsif ",
        "else",
        "case ",
        "when ",
        "while ",
        "begin",
        "rescue",
        "ensure",
        "def ",
        "class ",
        "->",
        "\\",
        "__END__\n",
        "x",
        "1.5",
        ":sym",
        "@iv",
        "$g",
        ";",
        " ",
        "=",
        "+=",
        "||=",
        "!",
        "<<",
        "it ",
        "should ",
        "describe ",
        "its(",
        "%q[",
        "`",
    ];

    /// Token soup with input calls in it.
    fn input_soup() -> impl Strategy<Value = String> {
        const MORE: &[&str] = &[
            "input('a')",
            "input ",
            "attribute(",
            "x = input('b', value: 1)",
        ];
        let pieces: Vec<&str> = PIECES.iter().chain(MORE).copied().collect();
        proptest::collection::vec(proptest::sample::select(pieces), 0..80).prop_map(|v| v.concat())
    }

    fn soup() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(PIECES), 0..80).prop_map(|v| v.concat())
    }

    /// The input walk restricted to spans around the words finds what the full walk finds.
    fn inputs_agree(src: &str) {
        if let Ok(program) = parse_ruby(src, "controls/p.rb") {
            let text = std::sync::Arc::from(src);
            let pruned = model::extract_file_with(&text, "controls/p.rb", &program, true);
            let full = model::extract_file_with(&text, "controls/p.rb", &program, false);
            assert_eq!(pruned.inputs, full.inputs, "{src:?}");
        }
    }

    #[test]
    fn input_walk_pruned_by_span_agrees() {
        inputs_agree(CONSTRUCTS);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/profiles");
        for p in std::fs::read_dir(root).into_iter().flatten().flatten() {
            if let Ok(src) = read_sources(p.path()) {
                for (_, text) in src.controls.iter().chain(&src.libraries) {
                    inputs_agree(text);
                }
            }
        }
    }

    fn check(src: &str) {
        // Any result is fine; reaching here means no panic. Errors must point inside the text.
        if let Err(ProfileError::Parse { line, column, .. }) = from_source(src, "controls/p.rb") {
            assert!(line >= 1 && column >= 1);
            assert!(line as usize <= src.lines().count() + 1);
        }
    }

    fn mutate(pos: usize, del: usize, ins: &str) -> String {
        let base = CONSTRUCTS;
        let mut p = pos.min(base.len());
        while !base.is_char_boundary(p) {
            p -= 1;
        }
        let mut q = (p + del).min(base.len());
        while !base.is_char_boundary(q) {
            q -= 1;
        }
        format!("{}{}{}", &base[..p], ins, &base[q.max(p)..])
    }

    /// `make fuzz`: the generators below, run with fresh random seeds for FUZZ_SECONDS seconds
    /// (default 60). Every input must give a model or an error, without panicking or hanging.
    #[test]
    #[ignore = "long-running; `make fuzz` runs it"]
    fn timed() {
        use proptest::test_runner::{Config, TestRunner};
        let secs: u64 = std::env::var("FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        let mut rounds = 0u64;
        let config = Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        };
        while std::time::Instant::now() < deadline {
            let mut runner = TestRunner::new(config.clone());
            let r1 = runner.run(&soup(), |src| {
                check(&src);
                Ok(())
            });
            let r2 = runner.run(&"\\PC{0,400}", |src| {
                check(&src);
                Ok(())
            });
            let r3 = runner.run(&(0usize..4000, 0usize..40, "\\PC{0,8}"), |(p, d, i)| {
                check(&mutate(p, d, &i));
                Ok(())
            });
            assert!(
                r1.is_ok() && r2.is_ok() && r3.is_ok(),
                "{r1:?} {r2:?} {r3:?}"
            );
            rounds += 1;
        }
        println!("fuzz: {rounds} rounds x 3 x 2000 inputs in {secs} s, no panic, no hang");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn token_soup_never_panics(src in soup()) {
            check(&src);
        }

        #[test]
        fn input_walk_agrees_on_soup(src in input_soup()) {
            inputs_agree(&src);
        }

        #[test]
        fn input_walk_agrees_on_mutated_fixture(pos in 0usize..4000, del in 0usize..40, ins in "\\PC{0,8}") {
            inputs_agree(&mutate(pos, del, &ins));
        }

        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
            check(&src);
        }

        #[test]
        fn mutated_fixture_never_panics(pos in 0usize..4000, del in 0usize..40, ins in "\\PC{0,8}") {
            check(&mutate(pos, del, &ins));
        }
    }
}

#[test]
fn expr_stays_small() {
    // The parser moves an Expr through every precedence level: rare large variants are boxed.
    assert!(
        std::mem::size_of::<Expr>() <= 80,
        "{}",
        std::mem::size_of::<Expr>()
    );
    // Every token is written once and read at least once: keep it at 40 bytes.
    let token = std::mem::size_of::<lexer::Token>();
    assert!(token <= 40, "{token}");
}

#[test]
fn line_cursor_matches_line_table_in_any_order() {
    let text = format!("a\n\nbc\n{}\nlast", "x\n".repeat(300));
    let table = model::Lines::new(&text);
    let cursor = model::LineCursor::new(&text);
    let n = text.len() as u32 + 5;
    for off in (0..n)
        .chain((0..n).rev())
        .chain((0..n).map(|i| (i * 37) % n))
    {
        assert_eq!(cursor.line(off), table.line(off), "offset {off}");
    }
}

// ---- the visitor ----------------------------------------------------------------------------

#[test]
fn each_expr_reaches_every_node_once_in_source_order() {
    use super::visit::each_expr_in;
    let p = parse(CONSTRUCTS);
    let mut seen: Vec<Span> = Vec::new();
    each_expr_in(&p.body, |e| seen.push(e.span));
    // Every `Expr` of the tree prints once in its Debug form: the walk must meet as many.
    let printed = format!("{:?}", p.body).matches("Expr { kind:").count();
    assert_eq!(seen.len(), printed);
    assert!(printed > 200, "{printed}");
    // Depth-first in source order: a node starts no earlier than the node before it, except
    // where a heredoc body (outside its node's span) or an implicit receiver intervenes.
    let ordered = seen.windows(2).filter(|w| w[0].start <= w[1].start).count();
    assert!(
        ordered * 100 >= (seen.len() - 1) * 95,
        "{ordered}/{}",
        seen.len()
    );
}

#[test]
fn a_visitor_overrides_only_the_nodes_it_cares_about() {
    use super::visit::{walk_expr, Visitor};
    // Calls outside blocks: `block` is overridden not to descend, everything else is default.
    #[derive(Default)]
    struct Calls(Vec<String>);
    impl<'a> Visitor<'a> for Calls {
        fn expr(&mut self, e: &'a Expr) {
            if let ExprKind::Call { name, .. } = &e.kind {
                self.0.push(name.to_string());
            }
            walk_expr(self, e)
        }
        fn block(&mut self, _: &'a Block) {}
    }
    let p = parse("a(b(\"#{c}\"), {k: d}) { e }\nif f then g(*h, &i) else [j ? k : l] end\n");
    let mut v = Calls::default();
    v.body(&p.body);
    assert_eq!(v.0, ["a", "b", "c", "d", "f", "g", "h", "i", "j", "k", "l"]);
}

#[test]
fn for_each_branch_marks_conditional_bodies() {
    use super::visit::for_each_branch;
    let branches = |src: &str, conditional: bool| {
        let e = one(src);
        let mut out = Vec::new();
        for_each_branch(&e, conditional, |body, c| out.push((body.len(), c)));
        out
    };
    assert_eq!(
        branches("if a\n b\nelse\n c; d\nend", false),
        [(1, true), (2, true)]
    );
    assert_eq!(
        branches("case x\nwhen 1 then a\nelse b\nend", false),
        [(1, true), (1, true)]
    );
    assert_eq!(branches("while x\n a\nend", false), [(1, true)]);
    assert_eq!(
        branches("begin\n a\nrescue\n b\nelse\n c\nensure\n d\nend", false),
        [(1, false), (1, true), (1, true), (1, false)]
    );
    assert_eq!(branches("(a; b)", true), [(2, true)]);
    assert!(branches("a(b)", false).is_empty());
}
