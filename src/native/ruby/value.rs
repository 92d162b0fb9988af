//! The values of the Ruby subset. Resources produce them; the interpreter computes with them.
//! A value may hold a host object: an InSpec resource, called by name through [`Resource`]
//! (implemented in [`crate::native::resources`], the layer above), or an object of the
//! interpreter, its core library or the layers above, through [`NativeObject`].

use std::any::Any;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// A Ruby value. Arrays and hashes are values (copied on assignment): profiles build small
/// collections, and the interpreter writes mutations (`<<`, `[]=`) back to the variable.
#[derive(Clone)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Sym(String),
    Array(Vec<Value>),
    /// Insertion-ordered, as Ruby's Hash.
    Hash(Vec<(Value, Value)>),
    Range {
        lo: Box<Value>,
        hi: Box<Value>,
        exclusive: bool,
    },
    /// A regexp literal: Ruby source and flags (`i`, `m`, `x`); the interpreter compiles it.
    Regex {
        source: String,
        flags: String,
    },
    /// An InSpec resource instance (`file('/etc/passwd')`).
    Resource(Arc<dyn Resource>),
    /// Rows of a FilterTable resource, possibly filtered (`etc_fstab.where { ... }`).
    Table(Arc<Table>),
    /// The interpreter's own objects (blocks, matchers, custom resource instances).
    Native(Arc<dyn NativeObject>),
}

/// An object carried in [`Value::Native`]: the interpreter's own (classes, custom resource
/// instances), its core library's (`Set`, `Time`, `Pathname`) and those of the layers above
/// (matchers). What a value's class name, `==`, `<=>`, `inspect` and `to_s` need of one, its
/// type answers itself, so `Value` knows none of them.
pub trait NativeObject: Any + Send + Sync {
    /// Ruby's class name (`Set`, `Date`). None: `Object`.
    fn class_name(&self) -> Option<&'static str> {
        None
    }
    /// `==` with another object, by content (two references to one object are equal
    /// before this is asked). False: compared by identity only.
    fn equals(&self, _other: &dyn NativeObject) -> bool {
        false
    }
    /// `<=>` with another object (sorting, `max`). None: not comparable.
    fn compare(&self, _other: &dyn NativeObject) -> Option<Ordering> {
        None
    }
    /// Ruby's `inspect`. None: `#<Object>`.
    fn inspect(&self) -> Option<String> {
        None
    }
    /// Ruby's `to_s`. None: its `inspect`.
    fn to_s(&self) -> Option<String> {
        None
    }
    /// A Hash subclass's (Hashie::Mash's) pairs: `==` and the matchers see it as that Hash.
    /// None: not a Hash.
    fn hash_pairs(&self) -> Option<Vec<(Value, Value)>> {
        None
    }
    /// What its `to_ary` answers when Ruby converts it implicitly to an Array (`flatten`,
    /// `Array#-`): an Array, or anything else, which Ruby refuses. None: no `to_ary`.
    fn to_ary(&self) -> Option<Value> {
        None
    }
}

impl dyn NativeObject {
    /// The object as its own type, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        (self as &dyn Any).downcast_ref::<T>()
    }
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// Ruby truthiness: everything but `nil` and `false`.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// Ruby's class name, for messages (`undefined method 'x' for String`).
    pub fn class_name(&self) -> &'static str {
        match self {
            Value::Nil => "NilClass",
            Value::Bool(true) => "TrueClass",
            Value::Bool(false) => "FalseClass",
            Value::Int(_) => "Integer",
            Value::Float(_) => "Float",
            Value::Str(_) => "String",
            Value::Sym(_) => "Symbol",
            Value::Array(_) => "Array",
            Value::Hash(_) => "Hash",
            Value::Range { .. } => "Range",
            Value::Regex { .. } => "Regexp",
            Value::Resource(_) => "Resource",
            Value::Table(_) => "FilterTable",
            Value::Native(n) => n.class_name().unwrap_or("Object"),
        }
    }

    /// A JSON document as a Ruby value (objects become hashes with string keys), as
    /// `JSON.parse` gives it.
    pub fn from_json(v: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Nil,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
            J::String(s) => Value::str(s),
            J::Array(items) => Value::Array(items.iter().map(Value::from_json).collect()),
            J::Object(map) => Value::Hash(
                map.iter()
                    .map(|(k, v)| (Value::str(k), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Looks a key up in a `Hash` (string or symbol keys match their own kind only, as Ruby).
    pub fn hash_get(&self, key: &Value) -> Option<&Value> {
        match self {
            Value::Hash(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl PartialEq for Value {
    /// Ruby's `==` for plain data (1 == 1.0 holds); resources and native objects compare by
    /// identity.
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (Str(a), Str(b)) => a == b,
            (Sym(a), Sym(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Hash(a), Hash(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| other.hash_get(k) == Some(v))
            }
            (
                Range { lo, hi, exclusive },
                Range {
                    lo: lo2,
                    hi: hi2,
                    exclusive: ex2,
                },
            ) => lo == lo2 && hi == hi2 && exclusive == ex2,
            (
                Regex { source, flags },
                Regex {
                    source: s2,
                    flags: f2,
                },
            ) => source == s2 && flags == f2,
            (Resource(a), Resource(b)) => Arc::ptr_eq(a, b),
            (Table(a), Table(b)) => Arc::ptr_eq(a, b),
            (Native(a), Native(b)) => Arc::ptr_eq(a, b) || a.equals(&**b),
            (Native(n), h @ Hash(_)) | (h @ Hash(_), Native(n)) => {
                n.hash_pairs().is_some_and(|p| Hash(p) == *h)
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    /// Ruby's `inspect`: `"text"`, `:sym`, `[1, "a"]`, `{"k"=>1, :s=>2}`, `nil` (a Hash as
    /// Ruby before 3.4 prints it, the Ruby InSpec runs on: no spaces around `=>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{}", float_to_s(*x)),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Sym(s) => write!(f, ":{s}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v:?}")?;
                }
                f.write_str("]")
            }
            Value::Hash(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}=>{v:?}")?;
                }
                f.write_str("}")
            }
            Value::Range { lo, hi, exclusive } => {
                write!(f, "{lo:?}{}{hi:?}", if *exclusive { "..." } else { ".." })
            }
            Value::Regex { source, flags } => f.write_str(&regex_inspect(source, flags)),
            Value::Resource(r) => f.write_str(&r.to_s()),
            Value::Table(t) => f.write_str(&t.name),
            Value::Native(n) => match n.inspect() {
                Some(s) => f.write_str(&s),
                None => f.write_str("#<Object>"),
            },
        }
    }
}

/// Ruby's `Regexp#inspect`: `/` in the source shown escaped (`%r{^/etc}` is `/^\/etc/`),
/// the options in Ruby's order (`mix`).
pub fn regex_inspect(source: &str, flags: &str) -> String {
    let mut out = String::with_capacity(source.len() + 4);
    out.push('/');
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '/' => out.push_str("\\/"),
            c => out.push(c),
        }
    }
    out.push('/');
    out.extend(['m', 'i', 'x'].into_iter().filter(|f| flags.contains(*f)));
    out
}

/// Ruby's `Float#to_s`: `1.0`, `0.5`, `1.0e+20`.
pub fn float_to_s(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// The rows of a FilterTable resource (InSpec's `FilterTable`): `passwd`, `etc_fstab`,
/// `processes`, `users`, `port`, `packages`... The interpreter implements `where(field: v)`,
/// `where { field == v }` (fields are callable by name inside the block), `entries`, `count`,
/// `exist?`/`exists?`, `raw_data` and the plural accessors generically from this.
#[derive(Clone, Debug)]
pub struct Table {
    /// InSpec's `to_s` of the resource (with the filter appended when filtered, e.g.
    /// `Etc Fstab with mount_point == "/home"`).
    pub name: String,
    /// Field names, as used in `where` and inside its block (`user`, `uid`, `mount_point`).
    pub fields: Vec<String>,
    /// Plural accessors: `(accessor, field index)`, e.g. `("uids", 2)`, `("users", 0)`.
    /// An accessor returns the column's values of the remaining rows, in row order.
    pub accessors: Vec<(String, usize)>,
    /// One `Vec` per row, values in `fields` order.
    pub rows: Vec<Vec<Value>>,
    /// Accessors whose rows hold lists, answered as one list of all their items
    /// (etc_group's `users`: etc_group.rb `users` flattens the split members).
    pub flattened: Vec<String>,
    /// The table's own matchers (FilterTable's `register_custom_matcher`), kept through
    /// `where`: selinux modules' `installed?`, booleans' `on?`.
    pub predicates: Vec<(String, TablePredicate)>,
    /// The Ruby class of what filtering answers when a resource's own `where` returns an
    /// object without `to_s` (etc_group's `EtcGroupView`): a filtered table is then named
    /// as Ruby's `Object#to_s` names that object, `#<Class:0x…>`.
    pub view: Option<String>,
    /// The skip or failure of the resource whose rows these are, when it could not load them
    /// (filter.rb: the Table over a resource skipped in `initialize` has no rows, its raw
    /// data nil; a `describe` of it is that skip or failure, runner.rb `resource.resource`).
    pub unloaded: Option<ResourceError>,
}

/// A FilterTable custom matcher, in the forms InSpec's resources register.
#[derive(Clone, Debug)]
pub enum TablePredicate {
    /// The first row's field equals the value (`states[0] == "enabled"`); false without rows.
    FirstIs(usize, Value),
    /// Some row remains (`!entries.empty?`).
    NotEmpty,
    /// No row's field equals the value (`where { f == v }.entries.empty?`).
    NoneIs(usize, Value),
}

impl Table {
    /// Answers the custom matcher `name`, if the table has one.
    pub fn predicate(&self, name: &str) -> Option<bool> {
        let (_, p) = self.predicates.iter().find(|(n, _)| n == name)?;
        Some(match p {
            TablePredicate::FirstIs(i, v) => self
                .rows
                .first()
                .and_then(|r| r.get(*i))
                .is_some_and(|x| x == v),
            TablePredicate::NotEmpty => !self.rows.is_empty(),
            TablePredicate::NoneIs(i, v) => !self.rows.iter().any(|r| r.get(*i) == Some(v)),
        })
    }

    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    /// The column of `accessor` (plural name or field name) over all rows.
    pub fn column(&self, accessor: &str) -> Option<Vec<Value>> {
        let idx = self
            .accessors
            .iter()
            .find(|(a, _)| a == accessor)
            .map(|(_, i)| *i)
            .or_else(|| self.field(accessor))?;
        let cells = self
            .rows
            .iter()
            .map(|r| r.get(idx).cloned().unwrap_or(Value::Nil));
        if !self.flattened.iter().any(|a| a == accessor) {
            return Some(cells.collect());
        }
        Some(
            cells
                .flat_map(|v| match v {
                    Value::Array(items) => items,
                    _ => Vec::new(),
                })
                .collect(),
        )
    }
}

/// Why a resource could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// The property or predicate is not implemented: the control is skipped, naming it.
    #[error("`{resource}` has no property `{method}` in the native evaluator")]
    Unsupported { resource: String, method: String },
    /// The resource does not apply to this target (InSpec's `skip_resource`), e.g.
    /// `rpm` packages on Debian: the describe is skipped with this message.
    #[error("{0}")]
    Skip(String),
    /// Reading the facts failed (unreachable host, timeout, cancel, parse error).
    #[error("{0}")]
    Failed(String),
    /// A Ruby exception of another class than InSpec's ResourceFailed, raised by the
    /// library InSpec's resource calls (Faraday::ConnectionFailed from `http`).
    #[error("{message}")]
    Raised {
        class: &'static str,
        message: String,
    },
}

/// One resource instance. Facts are fetched lazily (on the first property that needs them)
/// and kept for the life of the instance.
pub trait Resource: Send + Sync {
    /// The resource's InSpec name (`file`, `kernel_parameter`).
    fn name(&self) -> &str;
    /// InSpec's `to_s`, the subject of `code_desc`: `File /etc/passwd`,
    /// `Kernel Parameter net.ipv4.ip_forward`, `Command: \`ls\``.
    fn to_s(&self) -> String;
    /// A property or predicate by its InSpec name, with evaluated arguments.
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError>;
    /// For FilterTable resources: their rows (the interpreter implements `where`, `entries`,
    /// plural accessors, `count`, `exist?` from them). None: not a table.
    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(None)
    }
    /// Whether InSpec's class of this resource has no public method `method` at all (so
    /// RSpec's `be_x` finds no `x?` to call). False: it has, or that is not known.
    fn lacks(&self, _method: &str) -> bool {
        false
    }
    /// InSpec resources that read their facts in `initialize` skip there (`skip_resource`,
    /// e.g. a missing file): the message when this one did. A `describe` of it is then one
    /// skipped result (runner.rb `get_check_example`). None: loaded, or loads lazily.
    fn load_skip(&self) -> Option<String> {
        None
    }
    /// InSpec resources whose `initialize` fails (`fail_resource`, or a raised
    /// ResourceFailed, e.g. auditd.rb without `auditctl`): the message when this one did. A
    /// `describe` of it is then one failed result named by it (runner.rb
    /// `get_check_example`). None: loaded, or fails lazily (per example).
    fn load_fail(&self) -> Option<String> {
        None
    }
    /// A FilterTable resource's table with no rows (its name, columns and matchers): what it
    /// answers when it skipped or failed while loading its rows — filter.rb builds its Table
    /// over the resource's raw data, nil (`[] if nil`) when `initialize` stopped before
    /// setting it. None: not a table, or its FilterTable methods skip or fail too.
    fn empty_table(&self) -> Option<Arc<Table>> {
        None
    }
    /// What `method` answers on a resource that skipped or failed while loading, from the
    /// state its `initialize` left (json.rb pre-sets `params` to `{}`, auditd_conf.rb's
    /// `method_missing` reads no params: nil): used outside a describe of it. None: the skip
    /// or failure stands.
    fn skipped_answer(&self, _method: &str, _args: &[Value]) -> Option<Value> {
        None
    }
    /// A FilterTable resource that reads its rows outside `initialize` (shadow.rb's
    /// `set_params`): the Ruby class `FilterTable::ExceptionCatcher` names when that read
    /// skips or fails — each of its FilterTable methods then answers the catcher
    /// (utils/filter.rb). None: the rows are read in `initialize`, or not a table.
    fn lazy_rows_class(&self) -> Option<&'static str> {
        None
    }
    /// Its FilterTable's custom properties (`register_custom_property`, shadow.rb's
    /// `content`): with its rows unread they answer the ExceptionCatcher too.
    fn custom_properties(&self) -> &'static [&'static str] {
        &[]
    }
}
