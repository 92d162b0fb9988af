//! InSpec's DSL: `control` metadata, `only_if`, `input`, `describe` / `describe.one`,
//! `it` / `its` / `should`, `expect(...).to`, and matchers as values.

use std::collections::HashMap;
use std::sync::Arc;

use crate::job::{ControlCheck, ControlStatus};
use crate::native::inspec::context_names::Context;
use crate::native::inspec::matchers::{is_matcher, Matcher, Predicates};
use crate::native::inspec::results::{self, Timer};
use crate::native::inspec::self_returning::SelfReturning;
use crate::native::inspec::undefined;
use crate::native::inspec::Interp;
use crate::native::ruby::eval::call_resource;
use crate::native::ruby::methods::{dig, to_s};
use crate::native::ruby::objects::{as_native, native, Instance};
use crate::native::ruby::value::{NativeObject, ResourceError, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Flow, R};
use crate::profile::ast::{Block, Expr, ExprKind};

/// `expect(value)`, waiting for `.to` / `.not_to`.
pub struct ExpectTarget(pub Value);

impl NativeObject for ExpectTarget {}

/// The control being evaluated.
pub struct ControlState {
    pub id: String,
    pub title: Option<String>,
    pub desc: Option<String>,
    pub impact: f64,
    /// Set by a false `only_if`: the skip message.
    pub skip: Option<String>,
    /// The body's instance variables (`@ciphers = ...`).
    pub ivars: std::collections::HashMap<String, Value>,
    /// Generated for a `describe` outside any control: its arguments are computed where it
    /// is written (control_eval_context.rb `describe`), in the file's `self`.
    pub generated: bool,
}

/// One enclosing `describe`.
pub struct DescribeFrame {
    /// The implicit subject: the describe's first argument.
    pub subject: Value,
    pub desc: String,
    pub resource: Option<String>,
    /// `subject { ... }`: the explicit subject, evaluated lazily once per example.
    pub subject_block: Option<Arc<Block>>,
    /// `let(:name) { ... }`: lazy, memoized per example; later definitions win.
    pub lets: Vec<(String, Arc<Block>)>,
    /// `before { ... }` (`:each` / `:example`): run before each example of the group and
    /// its nested groups, outer groups' first (RSpec's hooks).
    pub befores: Vec<Arc<Block>>,
}

/// The example (`it` / `its`) being evaluated.
pub struct Example {
    /// The subject, once known (None: an explicit `subject { }` not evaluated yet).
    pub subject: Option<Value>,
    pub its: Option<Value>,
    /// The description of the last expectation (`is expected to eq 0`).
    pub last_desc: Option<String>,
    /// Values of `let`s (and of `subject { }`) already evaluated in this example.
    pub memo: HashMap<String, Value>,
}

impl Example {
    fn new(subject: Option<Value>, its: Option<Value>) -> Self {
        Example {
            subject,
            its,
            last_desc: None,
            memo: HashMap::new(),
        }
    }
}

#[derive(Default)]
pub struct DslState {
    pub control: Option<ControlState>,
    pub describes: Vec<DescribeFrame>,
    pub example: Option<Example>,
    pub checks: Vec<ControlCheck>,
    /// A false file-level `only_if`: every control of the file is skipped with this message.
    pub file_skip: Option<String>,
    /// Inside `describe.one`: the describe depth of its children and where each child's
    /// checks start.
    pub one: Option<(usize, Vec<usize>)>,
}

/// Control statements that only set metadata (still evaluated after a false `only_if`).
pub const METADATA: &[&str] = &["title", "desc", "impact", "tag", "ref", "tags", "refs"];

/// Names the DSL answers (for static coverage).
pub const DSL_FUNCTIONS: &[&str] = &[
    "control",
    "rule",
    "describe",
    "context",
    "it",
    "specify",
    "example",
    "its",
    "should",
    "should_not",
    "is_expected",
    "expect",
    "subject",
    "let",
    "let!",
    "before",
    "title",
    "desc",
    "impact",
    "tag",
    "ref",
    "tags",
    "refs",
    "only_if",
    "input",
    "input_object",
    "attribute",
    "skip",
];

pub fn impact_of(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) | Value::Sym(s) => match s.to_ascii_lowercase().as_str() {
            "none" => Some(0.0),
            "low" => Some(0.1),
            "medium" => Some(0.4),
            "high" => Some(0.7),
            "critical" => Some(0.9),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

impl Interp<'_> {
    /// A DSL call. None: `name` is not part of the DSL.
    pub fn call_dsl(
        &mut self,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        off: u32,
    ) -> Option<R> {
        if args.is_empty() && block.is_none() {
            if let Some(r) = self.let_value(name, off) {
                return Some(r);
            }
        }
        Some(match name {
            "control" | "rule" => self.define_control(args, block, off),
            "describe" | "context" => self.describe(args, block, off),
            "it" | "specify" | "example" | "its" | "should" | "should_not"
                if self.ext.dsl.describes.is_empty() && self.ext.dsl.example.is_none() =>
            {
                // As in InSpec, where these exist only inside a describe.
                Err(Flow::raise(
                    "NoMethodError",
                    format!("undefined method `{name}' outside a describe block"),
                ))
            }
            // RSpec's `it` answers the Example it defines (example_group.rb
            // define_example_method), rspec-its' `its` the group it describes: objects, so
            // `it { a } || it { b }` defines only the first.
            "it" | "specify" | "example" | "its" => {
                let r = if name == "its" {
                    self.its(args, block, off)
                } else {
                    self.it(args, block, off)
                };
                r.map(|_| native(PendingExample(String::new())))
            }
            "should" | "should_not" => self.should(args, name == "should_not", off),
            "let" | "let!" => self.define_let(args, block, false, off),
            "before" if self.ext.dsl.example.is_none() && !self.ext.dsl.describes.is_empty() => {
                match block {
                    Some(b) => self.define_before(args, b, off),
                    None => Ok(Value::Nil),
                }
            }
            "subject" if block.is_some() && self.ext.dsl.example.is_none() => {
                self.define_let(args, block, true, off)
            }
            "is_expected" | "subject" => match &self.ext.dsl.example {
                Some(_) => self.example_subject(off).map(|v| {
                    if name == "subject" {
                        v
                    } else {
                        native(ExpectTarget(v))
                    }
                }),
                None => match self.ext.dsl.describes.last() {
                    Some(d) if name == "subject" => Ok(d.subject.clone()),
                    _ => Err(self.unsupported(format!("`{name}` outside an example"), off)),
                },
            },
            "expect" => {
                if block.is_some() {
                    return Some(Err(self.unsupported("`expect { }` with a block", off)));
                }
                self.eval_args(args)
                    .map(|(a, _)| native(ExpectTarget(a.into_iter().next().unwrap_or(Value::Nil))))
            }
            "title" | "desc" | "impact" | "tag" | "ref" | "tags" | "refs" => {
                self.metadata(name, args)
            }
            "only_if" => self.only_if(args, block, off),
            "skip" if self.ext.dsl.control.is_some() && self.ext.dsl.example.is_none() => {
                self.skip(args)
            }
            // RSpec's `skip` inside an example: the example ends skipped with the message
            // ("No reason given" without one), as InSpec reports a pending example.
            "skip" if self.ext.dsl.control.is_some() => self.eval_args(args).and_then(|(a, _)| {
                Err(Flow::Skip(
                    a.first()
                        .map(to_s)
                        .unwrap_or_else(|| "No reason given".into()),
                ))
            }),
            // rspec_extensions.rb `define_example_method :input` (and :input_object,
            // :attribute): in a describe body, outside its examples, the call defines a
            // pending example named by its first argument and answers that example.
            "input" | "attribute" | "input_object"
                if self.ext.dsl.example.is_none() && !self.ext.dsl.describes.is_empty() =>
            {
                self.eval_args(args).and_then(|(a, _)| {
                    let name = a.first().map(to_s).unwrap_or_default();
                    self.run_example(Some(name.clone()), None, None, None, off)?;
                    Ok(native(PendingExample(name)))
                })
            }
            "input" | "attribute" => self.input(args, off),
            "input_object" => self.input_object(args, off),
            n if is_matcher(n) && !self.defs.contains_key(n) => {
                if block.is_some() && n != "satisfy" {
                    return Some(Err(
                        self.unsupported(format!("matcher `{n}` with a block"), off)
                    ));
                }
                let code = block
                    .map(|b| self.source_span(b.span.start, b.span.end))
                    .unwrap_or_default();
                self.eval_args(args).map(|(a, _)| {
                    let mut m = Matcher::new(n, a);
                    m.block = block.map(|b| (std::sync::Arc::new(b.clone()), block_code(&code)));
                    native(m)
                })
            }
            _ => return None,
        })
    }

    fn metadata(&mut self, name: &str, args: &[Expr]) -> R {
        if self.ext.dsl.control.is_none() || matches!(name, "tag" | "ref" | "tags" | "refs") {
            // File-level `title` names the group; tags and refs are static metadata.
            return Ok(Value::Nil);
        }
        let (a, _) = self.eval_args(args)?;
        let Some(c) = self.ext.dsl.control.as_mut() else {
            return Ok(Value::Nil);
        };
        match name {
            "title" => c.title = a.first().map(to_s),
            "desc" => match a.as_slice() {
                [text] => c.desc = Some(to_s(text)),
                [label, text, ..] if to_s(label) == "default" => c.desc = Some(to_s(text)),
                _ => {}
            },
            "impact" => {
                let v = a.first().cloned().unwrap_or(Value::Nil);
                match impact_of(&v) {
                    Some(i) => c.impact = i,
                    None => {
                        return Err(Flow::raise(
                            "ArgumentError",
                            format!("invalid impact {v:?}"),
                        ))
                    }
                }
            }
            _ => {}
        }
        Ok(Value::Nil)
    }

    /// `skip 'reason'` in a describe: RSpec's skipped example described by the reason;
    /// formatters/base.rb names it after the describe, the reason its skip_message. Without
    /// a reason the example has an empty description: its full description (the describe
    /// and a space) names it and the skip_message is empty.
    fn skip(&mut self, args: &[Expr]) -> R {
        let (a, _) = self.eval_args(args)?;
        let reason = a.first().map(to_s);
        let desc: Vec<String> = self
            .ext
            .dsl
            .describes
            .iter()
            .map(|d| d.desc.clone())
            .collect();
        let (code_desc, message) = match (desc.is_empty(), reason) {
            (true, m) => (
                "No-op".to_string(),
                m.unwrap_or_else(|| "No reason given".into()),
            ),
            (false, Some(m)) => (desc.join(" "), m),
            (false, None) => (format!("{} ", desc.join(" ")), String::new()),
        };
        self.ext
            .dsl
            .checks
            .push(results::skipped(&code_desc, message));
        Ok(Value::Nil)
    }

    fn only_if(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        let (a, _) = self.eval_args(args)?;
        let Some(b) = block else {
            return Ok(Value::Nil);
        };
        let message = a.first().map(to_s);
        let holds = self.call_block(Blk::Ast(b), Vec::new(), off)?.truthy();
        if !holds {
            let msg = results::only_if_message(message.as_deref());
            match self.ext.dsl.control.as_mut() {
                Some(c) => c.skip = Some(msg),
                None => self.ext.dsl.file_skip = Some(msg),
            }
        }
        Ok(Value::Nil)
    }

    /// `input('name', value: default, type: 'Numeric')`: the job's inputs, then inspec.yml,
    /// then the default; typed by inspec.yml's (or the call's) `type`.
    fn input(&mut self, args: &[Expr], off: u32) -> R {
        let (a, _) = self.eval_args(args)?;
        let name = match a.first() {
            Some(v @ (Value::Str(_) | Value::Sym(_))) => to_s(v),
            _ => return Err(self.unsupported("`input` without a literal name", off)),
        };
        let opts = a.get(1).cloned().unwrap_or(Value::Nil);
        let opt = |k: &str| {
            opts.hash_get(&Value::Sym(k.into()))
                .or_else(|| opts.hash_get(&Value::str(k)))
                .cloned()
        };
        let priority = match opt("priority") {
            Some(Value::Int(p)) => Some(p),
            _ => None,
        };
        let (value, type_) = self.resolve_input(
            &name,
            opt("value").or_else(|| opt("default")),
            priority,
            opt("type").map(|t| to_s(&t)),
        );
        Ok(match type_ {
            Some(t) => coerce_input(value, &t),
            None => value,
        })
    }

    /// `input_object('name')`: the Inspec::Input itself (input.rb), registered when
    /// missing as InSpec's `find_or_register_input` does.
    fn input_object(&mut self, args: &[Expr], off: u32) -> R {
        let (a, _) = self.eval_args(args)?;
        let name = match a.first() {
            Some(v @ (Value::Str(_) | Value::Sym(_))) => to_s(v),
            _ => return Err(self.unsupported("`input_object` without a literal name", off)),
        };
        let (value, type_) = self.resolve_input(&name, None, None, None);
        let spec = self.profile.metadata.inputs.iter().find(|i| i.name == name);
        let value = match &type_ {
            Some(t) => coerce_input(value, t),
            None => value,
        };
        Ok(Value::Resource(std::sync::Arc::new(InputObject {
            description: spec.and_then(|s| s.description.clone()),
            required: spec.and_then(|s| s.required),
            sensitive: spec.and_then(|s| s.sensitive).unwrap_or(false),
            name,
            value,
            type_,
        })))
    }

    fn define_control(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        if self.ext.dsl.control.is_some() {
            // No method of an Inspec::Rule (nor of an example): Ruby's NoMethodError.
            let at = if self.ext.dsl.example.is_some() {
                Context::Example
            } else {
                Context::ControlBody
            };
            return Err(undefined::error(at, "control", true));
        }
        let (a, _) = self.eval_args(args)?;
        let id = a.first().map(to_s).unwrap_or_default();
        self.run_control(id, block, off)?;
        Ok(Value::Nil)
    }

    fn describe_text(&mut self, subject: &Value) -> R<(String, Option<String>)> {
        Ok(match subject {
            Value::Resource(r) => (r.to_s(), Some(r.to_s())),
            Value::Table(t) => (t.name.clone(), Some(t.name.clone())),
            v if as_native::<Instance>(v).is_some() => {
                let s = self.stringify(v)?;
                (s.clone(), Some(s))
            }
            v => (self.stringify(v)?, None),
        })
    }

    fn describe(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        if self.ext.dsl.control.is_none() {
            return self.run_generated(args, block, off);
        }
        if self.ext.dsl.example.is_some() {
            return Err(self.unsupported("`describe` inside an example", off));
        }
        let timer = Timer::start();
        let subject = match self.eval_args(args).map(|(a, _)| a) {
            Ok(a) => a,
            // A resource whose `initialize` failed is a failed resource to describe
            // (InSpec's resource wrapper rescues ResourceFailed); any other exception while
            // computing the argument is the control block's own, which rule.rb reports as
            // its Control Source Code Error, ending the block.
            Err(Flow::Raise(e)) if describes_a_failed_resource(args, &e) => {
                let code = self.source(args);
                self.ext
                    .dsl
                    .checks
                    .push(results::errored(code, e.message, &e.class));
                return Ok(Value::Nil);
            }
            Err(Flow::Skip(m)) => {
                let code = self.source(args);
                let mut c = timer.check(ControlStatus::Skipped, code);
                c.skip_message = Some(m);
                self.ext.dsl.checks.push(c);
                return Ok(Value::Nil);
            }
            Err(e) => return Err(e),
        };
        // After the arguments, which run first in InSpec (rule.rb `describe(*values)`): an
        // exception there is the control's error whether or not a block follows.
        let Some(block) = block else {
            return Err(self.unsupported("`describe` without a block", off));
        };
        if let Some((depth, starts)) = self.ext.dsl.one.as_mut() {
            if *depth == self.ext.dsl.describes.len() {
                starts.push(self.ext.dsl.checks.len());
            }
        }
        let mut parts = Vec::new();
        let mut resource = None;
        for v in &subject {
            let (d, r) = self.describe_text(v)?;
            parts.push(d);
            resource = resource.or(r);
        }
        let desc = parts.join(" ");
        // runner.rb `get_check_example`: a resource skipped in `initialize` (or a FilterTable
        // of one) is one skipped result named by it; its examples do not run. Not inside
        // `describe.one`, whose describes reach it as one check list (describe_base.rb):
        // their examples run on the resource's state.
        let checked = self.ext.dsl.one.is_none();
        if let (Some((failed, m)), true) = (subject.first().and_then(load_state), checked) {
            let mut c = if failed {
                // rspec_failed_block: one failed example, described by the resource and
                // RSpec's empty example description (the trailing space: `Auditd Rules `).
                let mut c = timer.check(ControlStatus::Failed, format!("{desc} "));
                c.message = Some(m);
                c
            } else {
                let mut c = timer.check(ControlStatus::Skipped, desc);
                c.skip_message = Some(m);
                c
            };
            c.resource = resource;
            self.ext.dsl.checks.push(c);
            return Ok(Value::Nil);
        }
        let first_check = self.ext.dsl.checks.len();
        self.ext.dsl.describes.push(DescribeFrame {
            subject: subject.into_iter().next().unwrap_or(Value::Nil),
            desc: desc.clone(),
            resource: resource.clone(),
            subject_block: None,
            lets: Vec::new(),
            befores: Vec::new(),
        });
        let r = self.scoped(false, |me| {
            me.define_lets_of(&block.body)?;
            me.eval_body(&block.body)
        });
        self.ext.dsl.describes.pop();
        if resource.is_some() && checked {
            self.one_result_for_a_skipped_resource(first_check, desc, resource, &timer);
        }
        r.map(|_| Value::Nil)
    }

    /// InSpec checks a described resource before running its examples (runner.rb
    /// `get_check_example`): one that skipped while loading its facts gives a single skipped
    /// result named by the resource (`JSON /etc/docker/daemon.json`, the message as
    /// skip_message) instead of one per `it`/`its`. Our resources load lazily, so the same
    /// skip reached by every example of the describe stands for it — the fallback for
    /// resources without a `load_skip` hook. A resource whose InSpec class raises its skip
    /// later (grub_conf's and ssh_config's re-reads) answers that as a failure, which this
    /// leaves per example, as InSpec reports it.
    fn one_result_for_a_skipped_resource(
        &mut self,
        first_check: usize,
        desc: String,
        resource: Option<String>,
        timer: &Timer,
    ) {
        let checks = match self.ext.dsl.checks.get(first_check..) {
            Some(c) if !c.is_empty() => c,
            _ => return,
        };
        let message = checks[0].skip_message.clone();
        let same_skip = checks
            .iter()
            .all(|c| c.status == ControlStatus::Skipped && c.skip_message == message);
        if !same_skip || message.is_none() {
            return;
        }
        let mut one = timer.check(ControlStatus::Skipped, desc);
        one.skip_message = message;
        one.resource = resource;
        self.ext.dsl.checks.truncate(first_check);
        self.ext.dsl.checks.push(one);
    }

    /// The source text between two offsets of the current file.
    fn source_span(&self, start: u32, end: u32) -> String {
        self.profile
            .sources
            .controls
            .iter()
            .find(|(p, _)| *p == self.file)
            .and_then(|(_, t)| t.get(start as usize..end as usize))
            .unwrap_or("")
            .to_string()
    }

    /// The source text of some expressions (for `code_desc` of subjects that failed).
    fn source(&self, exprs: &[Expr]) -> String {
        let (Some(a), Some(b)) = (exprs.first(), exprs.last()) else {
            return String::new();
        };
        self.profile
            .sources
            .controls
            .iter()
            .find(|(p, _)| *p == self.file)
            .and_then(|(_, t)| t.get(a.span.start as usize..b.span.end as usize))
            .unwrap_or("")
            .to_string()
    }

    /// `describe.one`: passes when every example of one inner describe passes.
    pub fn describe_one(&mut self, block: Option<&Block>, off: u32) -> R {
        let Some(block) = block else {
            return Err(self.unsupported("`describe.one` without a block", off));
        };
        if self.ext.dsl.control.is_none() {
            return Err(self.unsupported("`describe.one` outside a control", off));
        }
        let base = self.ext.dsl.checks.len();
        let saved = self
            .ext
            .dsl
            .one
            .replace((self.ext.dsl.describes.len(), Vec::new()));
        let r = self.scoped(false, |me| me.eval_body(&block.body));
        let marks = std::mem::replace(&mut self.ext.dsl.one, saved)
            .map(|(_, m)| m)
            .unwrap_or_default();
        r?;
        let inner: Vec<ControlCheck> = self.ext.dsl.checks.split_off(base);
        let mut groups: Vec<Vec<ControlCheck>> = Vec::new();
        let mut bounds: Vec<usize> = marks.into_iter().map(|m| m.saturating_sub(base)).collect();
        bounds.push(inner.len());
        let mut start = 0;
        for b in bounds {
            if b > start {
                groups.push(inner.get(start..b).map(|s| s.to_vec()).unwrap_or_default());
                start = b;
            }
        }
        // runner.rb: `successful_tests = tests.find_all(&:run)`, every group that ran without
        // a failure (RSpec counts pending, i.e. skipped, examples as success) is reported;
        // when none did, all are.
        let successful: Vec<&Vec<ControlCheck>> = groups
            .iter()
            .filter(|g| g.iter().all(|c| c.status != ControlStatus::Failed))
            .collect();
        if successful.is_empty() {
            self.ext.dsl.checks.extend(inner);
        } else {
            self.ext
                .dsl
                .checks
                .extend(successful.into_iter().flatten().cloned());
        }
        Ok(Value::Nil)
    }

    fn it(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        let (a, _) = self.eval_args(args)?;
        let text = a.first().map(to_s);
        let subject = self.implicit_subject();
        self.run_example(text, subject, None, block, off)
    }

    /// The subject an example starts with: None when a `subject { }` is in scope (RSpec
    /// defines it as a method, so an outer one beats an inner describe's argument).
    fn implicit_subject(&self) -> Option<Value> {
        let frames = &self.ext.dsl.describes;
        if frames.iter().any(|d| d.subject_block.is_some()) {
            return None;
        }
        Some(frames.last().map_or(Value::Nil, |d| d.subject.clone()))
    }

    /// `let(:name) { }` and `subject { }` / `subject(:name) { }` of a describe body are
    /// defined before its examples run, wherever they stand in the body (RSpec defines them
    /// as methods of the example group).
    fn define_lets_of(&mut self, body: &[Expr]) -> R<()> {
        for stmt in body {
            if let ExprKind::Call {
                recv: None,
                name,
                args,
                block: Some(b),
                ..
            } = &stmt.kind
            {
                if matches!(name.as_str(), "let" | "let!" | "subject") {
                    self.define_let(args, Some(b), name == "subject", stmt.span.start)?;
                }
                // Hooks are the group's wherever its body declares them: examples run
                // after the whole body, so an `it` above a `before` gets it too.
                if name.as_str() == "before" {
                    self.define_before(args, b, stmt.span.start)?;
                }
            }
        }
        Ok(())
    }

    /// Records a `before` hook (`before`, `before(:each)`, `before(:example)`) in the
    /// innermost describe, once.
    fn define_before(&mut self, args: &[Expr], block: &Block, off: u32) -> R {
        let (a, _) = self.eval_args(args)?;
        let per_example = match a.as_slice() {
            [] => true,
            [Value::Sym(s)] => matches!(s.as_str(), "each" | "example"),
            _ => false,
        };
        if !per_example {
            return Err(self.unsupported("`before` of a whole group", off));
        }
        let Some(frame) = self.ext.dsl.describes.last_mut() else {
            return Err(self.unsupported("`before` outside a describe", off));
        };
        if !frame.befores.iter().any(|b| b.span == block.span) {
            frame.befores.push(Arc::new(block.clone()));
        }
        Ok(Value::Nil)
    }

    /// Records a `let` (or, `is_subject`, a `subject`) in the innermost describe.
    fn define_let(
        &mut self,
        args: &[Expr],
        block: Option<&Block>,
        is_subject: bool,
        off: u32,
    ) -> R {
        let (a, _) = self.eval_args(args)?;
        let Some(block) = block else {
            return Err(Flow::raise(
                "ArgumentError",
                "#let or #subject called without a block",
            ));
        };
        let block = Arc::new(block.clone());
        let name = a.first().map(to_s);
        let Some(frame) = self.ext.dsl.describes.last_mut() else {
            return Err(self.unsupported("`let` / `subject` outside a describe", off));
        };
        // `subject(:name) { }` is also callable by its name.
        if let Some(n) = name {
            frame.lets.retain(|(k, _)| *k != n);
            frame.lets.push((n, block.clone()));
        }
        if is_subject {
            frame.subject_block = Some(block);
        }
        Ok(Value::Nil)
    }

    /// The value of a `let` in scope, evaluated once per example. None: no such `let`, or
    /// no example running.
    fn let_value(&mut self, name: &str, off: u32) -> Option<R> {
        let ex = self.ext.dsl.example.as_ref()?;
        let found = self
            .ext
            .dsl
            .describes
            .iter()
            .rev()
            .find_map(|d| d.lets.iter().rev().find(|(k, _)| k == name))
            .map(|(_, b)| b.clone())?;
        if let Some(v) = ex.memo.get(name) {
            return Some(Ok(v.clone()));
        }
        Some(self.memoize(name, &found, off))
    }

    fn memoize(&mut self, key: &str, block: &Block, off: u32) -> R {
        let v = self.call_block(Blk::Ast(block), Vec::new(), off)?;
        if let Some(ex) = self.ext.dsl.example.as_mut() {
            ex.memo.insert(key.to_string(), v.clone());
        }
        Ok(v)
    }

    fn its(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        if self.ext.dsl.describes.is_empty() {
            return Err(self.unsupported("`its` outside a describe", off));
        }
        let subject = self.implicit_subject();
        let (a, _) = self.eval_args(args)?;
        let path = a.into_iter().next().unwrap_or(Value::Nil);
        self.run_example(None, subject, Some(path), block, off)
    }

    fn run_example(
        &mut self,
        text: Option<String>,
        subject: Option<Value>,
        its: Option<Value>,
        block: Option<&Block>,
        off: u32,
    ) -> R {
        let timer = Timer::start();
        let its_desc = its.as_ref().map(|p| match p {
            Value::Str(s) | Value::Sym(s) => s.clone(),
            other => format!("{other:?}"),
        });
        let mut prefix: Vec<String> = self
            .ext
            .dsl
            .describes
            .iter()
            .map(|d| d.desc.clone())
            .filter(|d| !d.is_empty())
            .collect();
        prefix.extend(its_desc);
        let Some(block) = block else {
            // A pending example (no block: RSpec's "Not yet implemented"). With a
            // description, InSpec names it by its group's own description and reports the
            // description as the skip message (formatters/base.rb `format_example`).
            let (code_desc, message) = match text {
                Some(t) if its.is_none() => (self.group_description(), t),
                t => {
                    prefix.push(t.unwrap_or_default());
                    (prefix.join(" "), "Not yet implemented".to_string())
                }
            };
            let mut c = timer.check(ControlStatus::Skipped, code_desc);
            c.skip_message = Some(message);
            self.ext.dsl.checks.push(c);
            return Ok(Value::Nil);
        };
        if self.ext.dsl.example.is_some() {
            return Err(self.unsupported("an example inside an example", off));
        }
        self.ext.dsl.example = Some(Example::new(subject, its));
        let hooks: Vec<Arc<Block>> = self
            .ext
            .dsl
            .describes
            .iter()
            .flat_map(|d| d.befores.iter().cloned())
            .collect();
        let r = self.scoped(false, |me| {
            for h in &hooks {
                me.eval_body(&h.body)?;
            }
            me.eval_body(&block.body)
        });
        let ex = self.ext.dsl.example.take();
        let described = text.clone();
        prefix.push(
            // No matcher ran: RSpec's full_description ends with the empty description
            // ("File /x content.strip ", as InSpec reports an its whose subject raised).
            text.or(ex.and_then(|e| e.last_desc)).unwrap_or_default(),
        );
        // A skipped example with a description is named by its group's own description,
        // its description the skip message (formatters/base.rb `format_example`).
        let (code_desc, r) = match (described, r) {
            (Some(d), Err(Flow::Skip(_))) => (self.group_description(), Err(Flow::Skip(d))),
            (_, r) => (prefix.join(" "), r),
        };
        let mut check = timer.check(ControlStatus::Passed, code_desc);
        check.resource = self
            .ext
            .dsl
            .describes
            .last()
            .and_then(|d| d.resource.clone());
        // `next` / `break` inside an example body end it normally.
        let r = match r {
            Err(Flow::Next(_) | Flow::Break(_)) => Ok(Value::Nil),
            other => other,
        };
        self.record_check(check, r)
    }

    /// The innermost describe's own description (RSpec's `example_group[:description]`).
    fn group_description(&self) -> String {
        self.ext
            .dsl
            .describes
            .last()
            .map(|d| d.desc.clone())
            .unwrap_or_default()
    }

    /// The example's subject, with its `its` path applied.
    pub fn example_subject(&mut self, off: u32) -> R {
        let Some(ex) = &self.ext.dsl.example else {
            return Ok(Value::Nil);
        };
        let its = ex.its.clone();
        let subject = match ex.subject.clone() {
            Some(s) => s,
            None => self.explicit_subject(off)?,
        };
        match its {
            None => Ok(subject),
            Some(Value::Str(path)) => {
                let mut cur = subject;
                for part in path.split('.') {
                    cur = self.call_method(cur, part, Vec::new(), None, off)?;
                }
                Ok(cur)
            }
            Some(Value::Array(keys)) => self.its_array(subject, &keys, off),
            Some(other) => self.call_method(subject, &to_s(&other), Vec::new(), None, off),
        }
    }

    /// The value of the innermost `subject { }` in scope, once per example.
    fn explicit_subject(&mut self, off: u32) -> R {
        let Some(block) = self
            .ext
            .dsl
            .describes
            .iter()
            .rev()
            .find_map(|d| d.subject_block.clone())
        else {
            return Ok(Value::Nil);
        };
        let v = self.memoize(SUBJECT_KEY, &block, off)?;
        if let Some(ex) = self.ext.dsl.example.as_mut() {
            ex.subject = Some(v.clone());
        }
        Ok(v)
    }

    /// `its(['a', 'b'])`: a nested lookup (`params` dig for resources).
    fn its_array(&mut self, subject: Value, keys: &[Value], off: u32) -> R {
        match &subject {
            Value::Hash(_) | Value::Array(_) => Ok(dig(&subject, keys)),
            Value::Resource(r) => match call_resource(r, "[]", keys) {
                Err(crate::native::ruby::value::ResourceError::Unsupported { .. }) => {
                    let at = self.at(off);
                    let params = call_resource(r, "params", &[])
                        .map_err(|e| crate::native::ruby::resource_error(e, at))?;
                    Ok(dig(&params, keys))
                }
                other => {
                    let at = self.at(off);
                    other.map_err(|e| crate::native::ruby::resource_error(e, at))
                }
            },
            _ => {
                // rspec-its: a Hash (a library class deriving from Hash too) is dug into
                // key by key; another object answers `subject[*keys]` (a custom resource's
                // `[]` or `method_missing`).
                if let Some(inst) = as_native::<Instance>(&subject) {
                    if let Some(b @ Value::Hash(_)) = inst.base() {
                        return Ok(dig(&b, keys));
                    }
                    match self.call_method(subject.clone(), "[]", keys.to_vec(), None, off) {
                        Err(Flow::Raise(e)) if e.class == "NoMethodError" => {}
                        other => return other,
                    }
                }
                let params = self.call_method(subject.clone(), "params", Vec::new(), None, off)?;
                Ok(dig(&params, keys))
            }
        }
    }

    fn should(&mut self, args: &[Expr], negated: bool, off: u32) -> R {
        if self.ext.dsl.example.is_none() {
            return Err(self.unsupported("`should` outside an example", off));
        }
        let (a, _) = self.eval_args(args)?;
        if a.is_empty() {
            // RSpec's operator matcher: the operator sent to it is the expectation.
            return Ok(native(ShouldOperator { negated }));
        }
        let mut a = a.into_iter();
        let m = a.next().unwrap_or(Value::Nil);
        let actual = ActualOf::Subject;
        self.expectation(actual, m, negated, a.next(), off)
    }

    /// `should >= 1` (`should` without a matcher, operators.rb): the subject `op` `expected`.
    pub fn should_operator(
        &mut self,
        s: &ShouldOperator,
        op: &str,
        expected: Value,
        off: u32,
    ) -> R {
        if !["==", "===", "=~", ">", ">=", "<", "<="].contains(&op) {
            return Err(self.unsupported(format!("`should {op}`"), off));
        }
        let mut m = Matcher::new(crate::native::inspec::matchers::OPERATOR, Vec::new());
        m.op = Some((op.to_string(), expected));
        self.expectation(ActualOf::Subject, native(m), s.negated, None, off)
    }

    /// `expect(value).to matcher[, message]`.
    pub fn expect_to(&mut self, value: Value, args: &[Value], negated: bool, off: u32) -> R {
        let m = args.first().cloned().unwrap_or(Value::Nil);
        let message = args.get(1).cloned();
        if self.ext.dsl.example.is_some() {
            return self.expectation(ActualOf::Value(value), m, negated, message, off);
        }
        // A bare `expect` in a control or describe is an example of its own.
        let timer = Timer::start();
        let mut prefix: Vec<String> = self
            .ext
            .dsl
            .describes
            .iter()
            .map(|d| d.desc.clone())
            .collect();
        prefix.push(self.describe_text(&value)?.0);
        self.ext.dsl.example = Some(Example::new(Some(value.clone()), None));
        let r = self.expectation(ActualOf::Value(value), m, negated, message, off);
        let ex = self.ext.dsl.example.take();
        prefix.push(ex.and_then(|e| e.last_desc).unwrap_or_default());
        let check = timer.check(ControlStatus::Passed, prefix.join(" "));
        self.record_check(check, r)
    }

    /// Records an example's outcome: a failed expectation, a Ruby error or a skip marks the
    /// check; other control flow (an unsupported construct, cancel) goes on up.
    fn record_check(&mut self, mut check: ControlCheck, r: R) -> R {
        match r {
            Ok(_) => {}
            Err(Flow::Failed(m)) => {
                check.status = ControlStatus::Failed;
                check.message = Some(m);
            }
            Err(Flow::Raise(e)) => {
                check.status = ControlStatus::Failed;
                check.message = Some(e.message);
                check.exception = Some(e.class);
            }
            Err(Flow::Skip(m)) => {
                check.status = ControlStatus::Skipped;
                check.skip_message = Some(m);
            }
            Err(other) => return Err(other),
        }
        self.ext.dsl.checks.push(check);
        Ok(Value::Nil)
    }

    /// One expectation; a failure message given with it (`should eq(1), 'why'`) replaces
    /// the matcher's, as in RSpec. The matcher is InSpec's or RSpec's, or a library's
    /// custom matcher (`RSpec::Matchers.define`).
    fn expectation(
        &mut self,
        actual: ActualOf,
        m: Value,
        negated: bool,
        message: Option<Value>,
        off: u32,
    ) -> R {
        let builtin = as_native::<Matcher>(&m).cloned();
        let description = match &builtin {
            Some(matcher) => matcher.description(),
            None => match self.matcher_description(&m) {
                Some(d) => d?,
                None => return Err(self.unsupported("an expectation without a matcher", off)),
            },
        };
        let desc = match builtin.as_ref().and_then(Matcher::description_error) {
            // rspec-core example.rb `generate_description` rescues it into the example's
            // location and the error, with its first backtrace line (the frame in
            // rspec-expectations, whose install directory is the host's, not known here).
            Some(error) => format!(
                "example at {} (Got an error when generating description from matcher: \
                 {error} -- lib/rspec/matchers/english_phrasing.rb:28:in `Array')",
                crate::native::inspec::results::location(&self.profile.path, &self.at(off))
            ),
            None => format!(
                "is expected {}to {description}",
                if negated { "not " } else { "" },
            ),
        };
        // `should` is sent to the subject: one that raises leaves the example without a
        // description (RSpec generates it from a matcher that ran).
        let actual = match actual {
            ActualOf::Subject => self.example_subject(off)?,
            ActualOf::Value(v) => v,
        };
        if let Some(ex) = self.ext.dsl.example.as_mut() {
            ex.last_desc = Some(desc);
        }
        let (passed, why) = match builtin {
            Some(matcher) => {
                let mut cx = PredicateCx { me: self, off };
                let verdict = match matcher.check(&actual, negated, &mut cx) {
                    Err(Flow::Unsupported { construct, at }) if at.is_empty() => {
                        return Err(self.unsupported(construct, off));
                    }
                    other => other?,
                };
                (verdict.passed, verdict.message)
            }
            None => match self.run_matcher(&m, actual, negated) {
                Some(r) => r?,
                None => return Err(self.unsupported("an expectation without a matcher", off)),
            },
        };
        if passed {
            Ok(Value::Bool(true))
        } else {
            Err(Flow::Failed(match message {
                Some(m @ Value::Str(_)) => to_s(&m),
                _ => why,
            }))
        }
    }
}

/// The RSpec::Core::Example a describe body's `input('name')` (or `it`) defines and
/// answers.
struct PendingExample(String);

impl NativeObject for PendingExample {
    fn class_name(&self) -> Option<&'static str> {
        Some("RSpec::Core::Example")
    }
    fn inspect(&self) -> Option<String> {
        Some(format!("#<RSpec::Core::Example {:?}>", self.0))
    }
}

/// What `should` without a matcher answers: RSpec's (Positive|Negative)OperatorMatcher.
pub struct ShouldOperator {
    negated: bool,
}

impl NativeObject for ShouldOperator {}

/// Where an explicit subject's value is memoized among an example's `let`s.
const SUBJECT_KEY: &str = "\0subject";

enum ActualOf {
    Subject,
    Value(Value),
}

struct PredicateCx<'a, 'p> {
    me: &'a mut Interp<'p>,
    off: u32,
}

impl Predicates for PredicateCx<'_, '_> {
    fn predicate(&mut self, actual: &Value, name: &str, args: &[Value]) -> R {
        let plain = !matches!(
            actual,
            Value::Resource(_) | Value::Table(_) | Value::Native(_)
        );
        match self
            .me
            .call_method(actual.clone(), name, args.to_vec(), None, self.off)
        {
            Err(Flow::Unsupported { .. }) if plain => {
                Err(crate::native::ruby::no_method(name, actual))
            }
            other => other,
        }
    }

    fn call_block(&mut self, block: &Block, arg: Value) -> R {
        self.me.call_block(Blk::Ast(block), vec![arg], self.off)
    }

    fn run_custom(&mut self, matcher: &Value, actual: &Value, negated: bool) -> R<(bool, String)> {
        match self.me.run_matcher(matcher, actual.clone(), negated) {
            Some(r) => r,
            None => Err(self
                .me
                .unsupported("an expectation without a matcher", self.off)),
        }
    }

    fn describe_value(&mut self, v: &Value) -> String {
        match v {
            Value::Resource(_) | Value::Table(_) | Value::Native(_) => {
                self.me.stringify(v).unwrap_or_default()
            }
            other => format!("{other:?}"),
        }
    }

    fn lacks(&mut self, actual: &Value, name: &str) -> bool {
        matches!(actual, Value::Resource(r) if r.lacks(name))
    }
}

/// The body of a `{ |x| ... }` block's source, as RSpec's `satisfy` describes it.
fn block_code(src: &str) -> String {
    let inner = src
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim_start_matches("do")
        .trim_end_matches("end")
        .trim();
    let inner = match inner
        .strip_prefix('|')
        .and_then(|r| r.find('|').map(|i| &r[i + 1..]))
    {
        Some(rest) => rest.trim(),
        None => inner,
    };
    inner.to_string()
}

/// A JSON input value as a Ruby value (objects become hashes with string keys).
pub fn json_to_value(v: &serde_json::Value) -> Value {
    Value::from_json(v)
}

/// An input value declared in inspec.yml. InSpec symbolizes every key of the metadata
/// (metadata.rb `symbolize_keys`, through arrays too), then the input registry re-keys the
/// top-level Hash with strings (input_registry.rb `find_or_register_input`, Thor's
/// HashWithIndifferentAccess): `input('modes')['max'][:log_files]`.
pub fn metadata_input_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Object(map) => Value::Hash(
            map.iter()
                .map(|(k, v)| (Value::str(k), symbolized(v)))
                .collect(),
        ),
        other => symbolized(other),
    }
}

/// metadata.rb's `symbolize_keys`: hashes at any depth keyed by symbols.
fn symbolized(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Object(map) => Value::Hash(
            map.iter()
                .map(|(k, v)| (Value::Sym(k.clone()), symbolized(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(symbolized).collect()),
        scalar => Value::from_json(scalar),
    }
}

/// Types an input by its declared type (`Numeric` from a numeric string, `String` from a
/// number, `Boolean` from "true"/"false", `Regexp` from a string).
pub fn coerce_input(v: Value, type_: &str) -> Value {
    match (type_.to_ascii_lowercase().as_str(), &v) {
        ("numeric" | "num", Value::Str(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => s.trim().parse::<f64>().map(Value::Float).unwrap_or(v),
        },
        ("string", Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Sym(_)) => {
            Value::Str(to_s(&v))
        }
        ("boolean", Value::Str(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        ("boolean", Value::Str(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        ("regexp" | "regex", Value::Str(s)) => Value::Regex {
            source: s.clone(),
            flags: String::new(),
        },
        _ => v,
    }
}

/// An Inspec::Input as `input_object` returns it (input.rb's readers).
struct InputObject {
    name: String,
    value: Value,
    type_: Option<String>,
    description: Option<String>,
    required: Option<bool>,
    sensitive: bool,
}

impl crate::native::resources::Resource for InputObject {
    fn name(&self) -> &str {
        "input_object"
    }

    fn to_s(&self) -> String {
        if self.sensitive {
            format!("Input {} with value *** (senstive)", self.name)
        } else {
            format!(
                "Input {} with value {}",
                self.name,
                crate::native::ruby::methods::to_s(&self.value)
            )
        }
    }

    fn call(
        &self,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, crate::native::resources::ResourceError> {
        let opt = |s: &Option<String>| s.as_deref().map_or(Value::Nil, Value::str);
        Ok(match method {
            "name" => Value::str(&self.name),
            "value" => self.value.clone(),
            "type" => opt(&self.type_),
            "description" => opt(&self.description),
            "required" => self.required.map_or(Value::Nil, Value::Bool),
            "sensitive" => Value::Bool(self.sensitive),
            // input.rb: any value but NO_VALUE_SET, nil too.
            "has_value?" => Value::Bool(!SelfReturning::is_no_value(&self.value)),
            _ => {
                return Err(crate::native::resources::ResourceError::Unsupported {
                    resource: "input_object".into(),
                    method: method.into(),
                })
            }
        })
    }
}

/// What runner.rb `get_check_example` checks of a describe's subject before its examples:
/// `resource_failed?` (true) or `resource_skipped?` and the message, of a resource that
/// stopped while loading (InSpec: in `initialize`) — built-in, from `libraries/`, or the
/// resource under a FilterTable (`resource.resource`). None: its examples run.
fn load_state(subject: &Value) -> Option<(bool, String)> {
    match subject {
        Value::Resource(r) => r
            .load_skip()
            .map(|m| (false, m))
            .or_else(|| r.load_fail().map(|m| (true, m))),
        Value::Table(t) => match t.unloaded.clone()? {
            ResourceError::Failed(m) | ResourceError::Raised { message: m, .. } => Some((true, m)),
            ResourceError::Skip(m) => Some((false, m)),
            ResourceError::Unsupported { .. } => None,
        },
        v => match as_native::<SelfReturning>(v) {
            Some(o) => Some(o.describe_state()),
            None => as_native::<Instance>(v)?.resource_state(),
        },
    }
}

/// Whether a describe argument's exception is its resource failing to load: the argument is
/// the resource call itself (`describe mysql_conf(path)`) and the error InSpec's
/// `ResourceFailed`.
fn describes_a_failed_resource(args: &[Expr], e: &crate::native::ruby::RubyError) -> bool {
    e.class == "Inspec::Exceptions::ResourceFailed"
        && matches!(
            args.first().map(|a| &a.kind),
            Some(crate::profile::ast::ExprKind::Call { recv: None, .. })
        )
}
