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
pub mod constants;
pub mod core_methods;
pub mod corelib;
pub mod eval;
pub mod frozen;
pub mod library;
pub mod mash;
pub mod matchdata;
pub mod method_tables;
pub mod methods;
pub mod objects;
pub mod procs;
pub mod rx;
pub mod syntax;
pub mod value;
pub mod version;
pub mod xml_doc;

use std::collections::HashMap;
use std::sync::Arc;

use crate::native::ruby::value::{Resource, ResourceError, Table, Value};
use crate::profile::ast::{Block, Expr, ExprKind};
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
                "FrozenError" => "RuntimeError",
                "Errno::ENOENT" | "Errno::EACCES" | "Errno::EISDIR" => "SystemCallError",
                "Date::Error" | "IPAddr::Error" => "ArgumentError",
                "IPAddr::InvalidAddressError"
                | "IPAddr::AddressFamilyError"
                | "IPAddr::InvalidPrefixError" => "IPAddr::Error",
                "REXML::ParseException" => "RuntimeError",
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

/// Ruby's NoMethodError for `v.name`, the receiver named as Ruby (≤ 3.2, as InSpec's)
/// names it: its `inspect` and class (`nil:NilClass`, `[]:Array`) when the inspect is at
/// most 65 characters (error.c `name_err_mesg_to_str`).
pub fn no_method(name: &str, v: &Value) -> Flow {
    let whom = match v {
        Value::Nil
        | Value::Bool(_)
        | Value::Int(_)
        | Value::Float(_)
        | Value::Str(_)
        | Value::Sym(_)
        | Value::Array(_)
        | Value::Hash(_) => {
            let inspect = format!("{v:?}");
            if inspect.chars().count() <= 65 {
                format!("{inspect}:{}", v.class_name())
            } else {
                v.class_name().to_string()
            }
        }
        _ => v.class_name().to_string(),
    };
    Flow::raise(
        "NoMethodError",
        format!("undefined method `{name}' for {whom}"),
    )
}

/// Whether a resource method named so may take a block: FilterTable's and Enumerable's
/// iterators. Any other property ignores a block given to it, as every Ruby method that does
/// not `yield` does (`package('x').version { cmp <= '2' }` is the version).
pub fn may_take_block(name: &str) -> bool {
    const ITERATORS: &[&str] = &[
        "where",
        "each",
        "map",
        "select",
        "any?",
        "count",
        "each_with_index",
        "each_with_object",
        "each_line",
        "collect",
        "reject",
        "find",
        "detect",
        "find_all",
        "filter",
        "all?",
        "none?",
        "sum",
        "flat_map",
        "group_by",
        "sort_by",
        "min_by",
        "max_by",
        "inject",
        "reduce",
        "partition",
    ];
    ITERATORS.contains(&name)
}

/// Whether `def` can define `name`: an identifier (with `?`, `!` or `=` after it) or an
/// operator method.
pub fn is_method_name(name: &str) -> bool {
    let base = name.strip_suffix(['?', '!', '=']).unwrap_or(name);
    let identifier = base
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && base.chars().all(|c| c.is_alphanumeric() || c == '_');
    let operator = !name.is_empty() && name.chars().all(|c| "[]=<>!+-*/%&|^~`".contains(c));
    identifier || operator
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
        ResourceError::Raised { class, message } => Flow::raise(class, message),
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
    /// Variables of this scope that hold a frozen string ([`frozen`]).
    pub frozen: std::collections::HashSet<String>,
}

/// What the language embedding this Ruby subset adds to it (InSpec's DSL, matchers and
/// FilterTable, in `crate::native::inspec`): its state, kept in the interpreter as `ext`, and
/// the calls it answers. The interpreter asks it at fixed points and knows nothing else of it.
pub trait Embedding: Sized {
    /// Whether the code running is deferred until every file is loaded (InSpec: an
    /// example's block), not run while loading.
    fn after_load(_me: &Interp<'_, Self>) -> bool {
        false
    }
    /// Whether `self` is the object a file's top level runs in, where a `def` defines a
    /// method of that object only (InSpec: a controls file runs in the profile's control
    /// context; a control's block runs in its `Inspec::Rule`, which has none of its methods).
    fn at_file_self(_me: &Interp<'_, Self>) -> bool {
        true
    }
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
    /// InSpec's check of resource `resource`'s `supports` entries against the target:
    /// Err(the exception's message) when none matches.
    fn check_supports(
        me: &Interp<'_, Self>,
        resource: &str,
        supports: &[Vec<(String, String)>],
    ) -> Result<(), String>;
    /// The `supports` entries of the embedding's built-in resource `name` (InSpec's
    /// `supports platform:`); empty: every platform.
    fn resource_supports(name: &str) -> Vec<Vec<(String, String)>>;
    /// A call without receiver that nothing answered: the embedding's NameError or
    /// NoMethodError where its `self` has a method table known in full (InSpec: an example,
    /// a control's body). None: outside the subset.
    fn undefined_bare(me: &Interp<'_, Self>, name: &str, with_args: bool) -> Option<Flow>;
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
    /// Files whose magic comment freezes their string literals ([`frozen`]).
    frozen_literal_files: std::collections::HashSet<String>,
    /// The file being evaluated (for `file:line` in messages).
    pub file: String,
    pub frames: Vec<Frame>,
    /// `def`s callable from anywhere: those of libraries (and the modules they mix into
    /// every control), and those made where `self` is not a file's own object.
    pub defs: HashMap<String, Arc<objects::MethodDef>>,
    /// `def`s made at a file's top level ([`Embedding::at_file_self`]): methods of that
    /// file's own `self`, callable only where `self` is that object again.
    pub file_defs: HashMap<String, Arc<objects::MethodDef>>,
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
    /// Class variables (`@@cache`), by the class that holds them and their name.
    pub cvars: HashMap<(String, String), Value>,
    /// Constants a controls file assigns at its top level whose assignment the load has
    /// not reached yet: code run while loading (a control's body) finds them undefined;
    /// examples, which run after every file is loaded, see them.
    pub unassigned_consts: std::collections::HashSet<String>,
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
        let frozen_literal_files = profile
            .sources
            .controls
            .iter()
            .chain(profile.sources.libraries.iter())
            .filter(|(_, text)| frozen::freezes_literals(text))
            .map(|(path, _)| path.clone())
            .collect();
        Interp {
            host,
            factory,
            profile,
            inputs,
            lines,
            frozen_literal_files,
            file: String::new(),
            frames: vec![Frame {
                vars: HashMap::new(),
                boundary: true,
                id: 0,
                frozen: Default::default(),
            }],
            frame_ids: 0,
            defs: HashMap::new(),
            file_defs: HashMap::new(),
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
            cvars: HashMap::new(),
            unassigned_consts: Default::default(),
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

    /// Whether the string `e` evaluates to is frozen: a plain literal in a file with the
    /// magic comment, a `.freeze`, or a variable last assigned one of those.
    pub fn frozen_expr(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Str(_) => {
                frozen::literal_frozen(e, self.frozen_literal_files.contains(&self.file))
            }
            ExprKind::Call {
                recv: Some(_),
                name,
                args,
                ..
            } => name == "freeze" && args.is_empty(),
            ExprKind::Var(n) => {
                for f in self.frames.iter().rev() {
                    if f.vars.contains_key(n.as_str()) {
                        return f.frozen.contains(n.as_str());
                    }
                    if f.boundary {
                        break;
                    }
                }
                false
            }
            _ => false,
        }
    }

    /// Records whether a variable now holds a frozen string (in the scope it lives in).
    pub fn mark_frozen(&mut self, name: &str, frozen: bool) {
        for f in self.frames.iter_mut().rev() {
            if f.vars.contains_key(name) {
                if frozen {
                    f.frozen.insert(name.to_string());
                } else {
                    f.frozen.remove(name);
                }
                return;
            }
            if f.boundary {
                break;
            }
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
                f.frozen.remove(name);
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
            frozen: Default::default(),
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
