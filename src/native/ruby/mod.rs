//! The lowest layer of native evaluation: the Ruby subset InSpec profiles use. Here: the
//! interpreter's state and scopes ([`Interp`]), its control flow ([`Flow`]) and the
//! [`Embedding`] it is generic over. Its files, lowest first (each names only the ones before
//! it; they call each other through `Interp`'s methods): values and the objects they carry
//! ([`value`]), regexps ([`rx`]), versions ([`version`]), names of syntax ([`syntax`]), user
//! classes and custom resources from `libraries/` ([`objects`]), procs and lambdas
//! ([`procs`]), matches ([`matchdata`]), builtin methods of plain values ([`methods`]),
//! Ruby's core library ([`corelib`]) and classes ([`classes`]), Hashie's Mash ([`mash`]),
//! loading and running library classes ([`library`]), expression evaluation ([`eval`]).
//! InSpec's resources reach it through the
//! [`value::Resource`] interface; InSpec's DSL, matchers and FilterTable (the layer above,
//! `crate::native::inspec`) through [`Embedding`]: [`Interp`] is generic over it, so the
//! compiler keeps this layer from calling up.
//!
//! Anything outside the subset is [`Flow::Unsupported`] naming the construct and its
//! `file:line`; the control is then skipped, never passed silently.

pub mod classes;
pub mod corelib;
pub mod eval;
pub mod library;
pub mod mash;
pub mod matchdata;
pub mod methods;
pub mod objects;
pub mod procs;
pub mod rx;
pub mod syntax;
pub mod value;
pub mod version;

use std::collections::HashMap;
use std::sync::Arc;

use crate::native::ruby::value::{Resource, ResourceError, Table, Value};
use crate::profile::ast::{Block, Expr};
use crate::profile::model::Lines;
use crate::transport::Host;

/// Nesting of calls and blocks a profile may reach.
pub const MAX_DEPTH: usize = 120;
/// Evaluation steps per control (and per file-level pass): bounds loops and recursion work.
pub const MAX_STEPS: u64 = 5_000_000;
/// Elements of one array or hash, characters of one string.
pub const MAX_ITEMS: usize = 1_000_000;
pub const MAX_STRING: usize = 64 << 20;

/// A Ruby exception: its class and message (rescuable by `rescue`).
#[derive(Clone, Debug, PartialEq)]
pub struct RubyError {
    pub class: String,
    pub message: String,
}

impl RubyError {
    pub fn new(class: &str, message: impl Into<String>) -> Self {
        RubyError {
            class: class.to_string(),
            message: message.into(),
        }
    }

    /// Whether `rescue <class>` catches this error (a small class hierarchy).
    pub fn is_a(&self, class: &str) -> bool {
        let mut c = self.class.as_str();
        loop {
            if c == class || class == "Exception" {
                return true;
            }
            c = match c {
                "NoMethodError" => "NameError",
                "KeyError" => "IndexError",
                "FloatDomainError" => "RangeError",
                "Errno::ENOENT" | "Errno::EACCES" | "Errno::EISDIR" => "SystemCallError",
                "Date::Error" => "ArgumentError",
                "StandardError" => return false,
                _ => "StandardError",
            };
        }
    }
}

/// How evaluation leaves an expression other than with a value.
#[derive(Clone, Debug)]
pub enum Flow {
    /// A Ruby exception (a resource that failed to read its facts is one too).
    Raise(RubyError),
    /// Outside the native subset: the construct and where (`controls/x.rb:12`).
    Unsupported {
        construct: String,
        at: String,
    },
    /// A resource that does not apply to the target (InSpec's `skip_resource`).
    Skip(String),
    /// Canceled or out of time: the whole evaluation stops.
    Stop(String),
    /// An expectation failed inside an example (ends the `it` block).
    Failed(String),
    Break(Value),
    Next(Value),
    Return(Value),
}

pub type R<T = Value> = Result<T, Flow>;

/// The block passed to a call: a literal block or `&:sym`.
#[derive(Clone, Copy)]
pub enum Blk<'a> {
    Ast(&'a Block),
    Sym(&'a str),
    /// The block given to call frame n (a method's `&block` passed on).
    Frame(usize),
    /// A proc or lambda passed with `&blk`: its index in `Interp::passed_procs`.
    Proc(usize),
}

impl Flow {
    pub fn raise(class: &str, message: impl Into<String>) -> Flow {
        Flow::Raise(RubyError::new(class, message))
    }
}

/// Ruby's NoMethodError for `v.name`; nil, true and false are named as Ruby (≤ 3.2, as
/// InSpec's) names them: `nil:NilClass`.
pub fn no_method(name: &str, v: &Value) -> Flow {
    let whom = match v {
        Value::Nil => "nil:NilClass".to_string(),
        Value::Bool(b) => format!("{b}:{}", v.class_name()),
        _ => v.class_name().to_string(),
    };
    Flow::raise(
        "NoMethodError",
        format!("undefined method `{name}' for {whom}"),
    )
}

/// Integer arithmetic outside 64 bits.
pub fn overflow() -> Flow {
    Flow::raise("RangeError", "integer overflow (outside 64-bit integers)")
}

/// Maps a resource's error into the interpreter's control flow.
pub fn resource_error(e: ResourceError, at: String) -> Flow {
    match e {
        ResourceError::Unsupported { resource, method } => Flow::Unsupported {
            construct: format!("`{resource}` property `{method}`"),
            at,
        },
        ResourceError::Skip(m) => Flow::Skip(m),
        ResourceError::Failed(m) => Flow::raise("Inspec::Exceptions::ResourceFailed", m),
    }
}

/// Makes a resource by name (the native registry, or test resources in tests).
pub type ResourceFactory =
    dyn Fn(&str, &[Value], &Arc<Host>) -> Option<Result<Arc<dyn Resource>, ResourceError>>;

/// One scope of local variables. A `boundary` scope (file, method body) hides the scopes
/// below it; a block scope sees and assigns its enclosing scopes' variables.
#[derive(Default)]
pub struct Frame {
    pub vars: HashMap<String, Value>,
    pub boundary: bool,
    /// Unique while the interpreter lives: a closure finds the scope it closed over.
    pub id: u64,
}

/// What the language embedding this Ruby subset adds to it (InSpec's DSL, matchers and
/// FilterTable, in `crate::native::inspec`): its state, kept in the interpreter as `ext`, and
/// the calls it answers. The interpreter asks it at fixed points and knows nothing else of it.
pub trait Embedding: Sized {
    /// A name without receiver or arguments, before local variables (InSpec: a field of the
    /// row inside `where { }`).
    fn bare_value(me: &Interp<'_, Self>, name: &str) -> Option<Value>;
    /// A call without receiver, after local variables (InSpec: `control`, `describe`, `its`,
    /// matchers, ...). None: not the embedding's.
    fn call_bare(
        me: &mut Interp<'_, Self>,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        off: u32,
    ) -> Option<R>;
    /// A call answered before its receiver is evaluated (InSpec: `describe.one { }`).
    fn call_unevaluated(
        me: &mut Interp<'_, Self>,
        recv: &Expr,
        name: &str,
        block: Option<&Block>,
        off: u32,
    ) -> Option<R>;
    /// A method of a resource the embedding answers for it (InSpec: FilterTable methods of
    /// table resources). None: the resource's own.
    fn call_resource(
        me: &mut Interp<'_, Self>,
        res: &Arc<dyn Resource>,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R>;
    /// A method of a table value (InSpec: FilterTable).
    fn call_table(
        me: &mut Interp<'_, Self>,
        table: &Arc<Table>,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R;
    /// A method of one of the embedding's own objects (InSpec: matchers, `expect(...)`).
    /// None: not one of them (or not a method of it).
    fn call_native(
        me: &mut Interp<'_, Self>,
        recv: &Value,
        name: &str,
        args: &[Value],
        off: u32,
    ) -> Option<R>;
    /// `l op r` with one of the embedding's objects on the left (InSpec: `be <= 5`). None:
    /// not one of them.
    fn operator(me: &mut Interp<'_, Self>, l: &Value, op: &str, r: &Value, off: u32) -> Option<R>;
    /// InSpec's check of a custom resource's `supports` entries against the target:
    /// Err(platform name) when none matches.
    fn check_supports(
        me: &Interp<'_, Self>,
        supports: &[Vec<(String, String)>],
    ) -> Result<(), String>;
    /// Whether the embedding answers `name` on some value: calling it on a value that lacks
    /// it is Ruby's NoMethodError, not a construct outside the subset.
    fn knows_method(name: &str) -> bool;
    /// The embedding's resource class a library class may derive from (InSpec:
    /// `PlatformResource`, `Inspec::Resources::FileResource`). None: not one.
    fn resource_class(class: &str) -> Option<ResourceClass>;
    /// The instance variables of `self` where it is none of the interpreter's objects
    /// (InSpec: a control's body, whose `self` is the control). None: no such store here.
    fn ivars<'a>(me: &'a mut Interp<'_, Self>) -> Option<&'a mut HashMap<String, Value>>;
}

/// A built-in resource class as a library superclass: instances carry the built-in
/// resource (made by `super` in `initialize`, or with the instance's own arguments), which
/// answers what the library class does not define.
#[derive(Clone, Debug)]
pub struct ResourceClass {
    /// The class name without its namespace (`FileResource`).
    pub class: String,
    /// The resource that implements it (`file`).
    pub resource: &'static str,
    /// Instance variables the class's `initialize` sets, which subclasses read.
    pub ivars: &'static [(&'static str, BaseIvar)],
}

/// What a built-in `initialize` stores in an instance variable.
#[derive(Clone, Copy, Debug)]
pub enum BaseIvar {
    /// The resource itself (InSpec's `@platform`, the train platform, answers the same).
    Resource,
    /// The n-th argument (`@path`).
    Arg(usize),
}

/// The interpreter state for one host's evaluation; `ext` is the embedding's.
pub struct Interp<'p, E> {
    pub host: Arc<Host>,
    factory: &'p ResourceFactory,
    pub profile: &'p crate::profile::Profile,
    pub inputs: &'p serde_json::Map<String, serde_json::Value>,
    lines: HashMap<String, Lines>,
    /// The file being evaluated (for `file:line` in messages).
    pub file: String,
    pub frames: Vec<Frame>,
    /// File-level `def`s, callable from anywhere.
    pub defs: HashMap<String, Arc<objects::MethodDef>>,
    /// Constants assigned in control files (`CONTAINER_CAPADD = input(...)`).
    pub consts: HashMap<String, Value>,
    /// Classes and modules of `libraries/`, by full constant path.
    pub classes: HashMap<String, Arc<objects::ClassDef>>,
    /// Custom resources: resource name to class (a library resource replaces a built-in one
    /// of the same name, as InSpec's registry does).
    pub resources: HashMap<String, String>,
    /// `self` inside a method or class body (an instance or a class).
    pub self_stack: Vec<Value>,
    /// The methods being run, innermost last.
    pub calls: Vec<objects::CallFrame>,
    /// The class body being run (constants assigned there belong to it).
    pub class_body: Vec<String>,
    /// The regexp and string of the last `=~`, matched again only if a match global is read
    /// (the match itself records the MatchData they read: `matchdata::set_last_match`).
    pub match_source: Option<(Value, String)>,
    /// The value of a `throw` on its way to its `catch`.
    pub thrown: Option<Value>,
    /// The last [`Frame::id`] given.
    pub frame_ids: u64,
    /// Procs passed as `&blk` ([`Blk::Proc`] holds the index), until the call ends.
    pub passed_procs: Vec<Value>,
    pub ext: E,
    pub depth: usize,
    pub steps: u64,
    /// Results of the controls evaluated so far, in definition order.
    pub results: Vec<crate::job::ControlResult>,
    /// Controls files that failed at file level: the check their unreached controls get.
    pub file_errors: Vec<(String, crate::job::ControlCheck)>,
}

impl<'p, E: Embedding> Interp<'p, E> {
    /// Where resources come from (a dependency evaluated from here uses the same).
    pub fn factory(&self) -> &'p ResourceFactory {
        self.factory
    }

    pub fn new(
        profile: &'p crate::profile::Profile,
        host: Arc<Host>,
        inputs: &'p serde_json::Map<String, serde_json::Value>,
        factory: &'p ResourceFactory,
        ext: E,
    ) -> Self {
        let lines = profile
            .sources
            .controls
            .iter()
            .chain(profile.sources.libraries.iter())
            .map(|(path, text)| (path.clone(), Lines::new(text)))
            .collect();
        Interp {
            host,
            factory,
            profile,
            inputs,
            lines,
            file: String::new(),
            frames: vec![Frame {
                vars: HashMap::new(),
                boundary: true,
                id: 0,
            }],
            frame_ids: 0,
            defs: HashMap::new(),
            consts: HashMap::new(),
            classes: HashMap::new(),
            resources: HashMap::new(),
            self_stack: Vec::new(),
            calls: Vec::new(),
            class_body: Vec::new(),
            match_source: None,
            thrown: None,
            passed_procs: Vec::new(),
            ext,
            depth: 0,
            steps: 0,
            results: Vec::new(),
            file_errors: Vec::new(),
        }
    }

    pub fn create_native(
        &self,
        name: &str,
        args: &[Value],
    ) -> Option<Result<Arc<dyn Resource>, ResourceError>> {
        (self.factory)(name, args, &self.host)
    }

    pub fn line_of(&self, offset: u32) -> u32 {
        self.lines.get(&self.file).map_or(0, |l| l.line(offset))
    }

    /// `file:line` of a byte offset in the current file.
    pub fn at(&self, offset: u32) -> String {
        format!("{}:{}", self.file, self.line_of(offset))
    }

    pub fn unsupported(&self, construct: impl Into<String>, offset: u32) -> Flow {
        Flow::Unsupported {
            construct: construct.into(),
            at: self.at(offset),
        }
    }

    pub fn lookup(&self, name: &str) -> Option<&Value> {
        for f in self.frames.iter().rev() {
            if let Some(v) = f.vars.get(name) {
                return Some(v);
            }
            if f.boundary {
                break;
            }
        }
        None
    }

    /// Assigns where the variable lives, or declares it in the innermost scope.
    pub fn assign(&mut self, name: &str, v: Value) {
        for f in self.frames.iter_mut().rev() {
            if let Some(slot) = f.vars.get_mut(name) {
                *slot = v;
                return;
            }
            if f.boundary {
                break;
            }
        }
        if let Some(f) = self.frames.last_mut() {
            f.vars.insert(name.to_string(), v);
        }
    }

    pub fn declare(&mut self, name: &str, v: Value) {
        if let Some(f) = self.frames.last_mut() {
            f.vars.insert(name.to_string(), v);
        }
    }

    /// Runs `f` inside a new scope (popped whatever `f` returns).
    pub fn scoped<T>(&mut self, boundary: bool, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.depth >= MAX_DEPTH {
            return Err(Flow::raise(
                "SystemStackError",
                format!("stack level too deep (more than {MAX_DEPTH} nested calls or blocks)"),
            ));
        }
        self.depth += 1;
        self.frame_ids += 1;
        self.frames.push(Frame {
            vars: HashMap::new(),
            boundary,
            id: self.frame_ids,
        });
        let r = f(self);
        self.frames.pop();
        self.depth -= 1;
        r
    }

    /// Counts one evaluation step; stops runaway loops and canceled or timed-out jobs.
    pub fn tick(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Flow::raise(
                "RuntimeError",
                format!("evaluation exceeded {MAX_STEPS} steps"),
            ));
        }
        if self.steps % 1024 == 0 {
            if let Err(e) = self.host.check() {
                return Err(Flow::Stop(e.to_string()));
            }
        }
        Ok(())
    }
}
