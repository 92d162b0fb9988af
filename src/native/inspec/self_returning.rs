//! InSpec's two objects whose `method_missing` answers `self` and whose `respond_to?` is
//! always true: `FilterTable::ExceptionCatcher` (utils/filter.rb — what a FilterTable method
//! answers when the resource's raw-data method raises ResourceSkipped or ResourceFailed
//! outside `initialize`, shadow.rb's lazy `read_file_content`) and `Inspec::Input::NO_VALUE_SET`
//! (input.rb — an input nothing gave a value). Any chain of calls on them answers the same
//! object, a block given to such a call never runs, and runner.rb's `get_check_example`
//! asks them `resource_skipped?` / `resource_failed?` before a `describe` of them.

use crate::native::ruby::objects::{as_native, native, next_object_address, ClassRef};
use crate::native::ruby::value::{NativeObject, ResourceError, Value};

/// What the object stands for.
#[derive(Clone, Debug)]
enum Kind {
    /// FilterTable::ExceptionCatcher of the resource class (its Ruby name) and its exception.
    Caught {
        resource_class: String,
        error: ResourceError,
    },
    /// Inspec::Input::NO_VALUE_SET of the input so named.
    NoValue { input: String, address: usize },
}

#[derive(Clone, Debug)]
pub struct SelfReturning(Kind);

impl SelfReturning {
    /// `FilterTable::ExceptionCatcher.new(resource_class, e)`.
    pub fn caught(resource_class: &str, error: ResourceError) -> Value {
        native(SelfReturning(Kind::Caught {
            resource_class: resource_class.to_string(),
            error,
        }))
    }

    /// `Inspec::Input::NO_VALUE_SET.new(name)`.
    pub fn no_value(input: &str) -> Value {
        native(SelfReturning(Kind::NoValue {
            input: input.to_string(),
            address: next_object_address(),
        }))
    }

    /// Whether `v` is an input's NO_VALUE_SET.
    pub fn is_no_value(v: &Value) -> bool {
        as_native::<SelfReturning>(v).is_some_and(|o| matches!(o.0, Kind::NoValue { .. }))
    }

    fn class(&self) -> &'static str {
        match self.0 {
            Kind::Caught { .. } => "FilterTable::ExceptionCatcher",
            Kind::NoValue { .. } => "Inspec::Input::NO_VALUE_SET",
        }
    }

    fn text(&self) -> String {
        match &self.0 {
            Kind::Caught {
                resource_class,
                error,
            } => format!("{resource_class} ({})", message(error)),
            Kind::NoValue { input, .. } => {
                format!("Input '{input}' does not have a value. Skipping test.")
            }
        }
    }

    /// What runner.rb `get_check_example` finds before a `describe` of it: failed (true)
    /// or skipped, and the message. The catcher answers from its exception; NO_VALUE_SET
    /// answers `resource_skipped?` with itself (truthy), so it is skipped, the message its
    /// `to_s`.
    pub fn describe_state(&self) -> (bool, String) {
        match &self.0 {
            Kind::Caught { error, .. } => {
                (matches!(error, ResourceError::Failed(_)), message(error))
            }
            Kind::NoValue { .. } => (false, self.text()),
        }
    }

    /// A method call on it: Object's own methods as Ruby answers them, any other name
    /// (`method_missing`) the object itself.
    pub fn call(&self, recv: &Value, name: &str, args: &[Value]) -> Value {
        let same = |v: Option<&Value>| {
            v.and_then(as_native::<SelfReturning>)
                .is_some_and(|o| std::ptr::eq(o, self))
        };
        match name {
            "to_s" => Value::Str(self.text()),
            "inspect" => Value::Str(NativeObject::inspect(self).unwrap_or_default()),
            // NO_VALUE_SET's `to_ary` is its `method_missing`, itself (below).
            "to_ary" if matches!(self.0, Kind::Caught { .. }) => {
                NativeObject::to_ary(self).unwrap_or(Value::Nil)
            }
            "nil?" => Value::Bool(false),
            "!" => Value::Bool(false),
            "respond_to?" => Value::Bool(true),
            "class" => native(ClassRef(self.class().into())),
            "is_a?" | "kind_of?" | "instance_of?" => Value::Bool(
                args.first()
                    .and_then(as_native::<ClassRef>)
                    .is_some_and(|c| c.0 == self.class() || c.0 == "Object"),
            ),
            "==" | "equal?" | "eql?" => Value::Bool(same(args.first())),
            "!=" => Value::Bool(!same(args.first())),
            _ => recv.clone(),
        }
    }
}

fn message(e: &ResourceError) -> String {
    match e {
        ResourceError::Skip(m)
        | ResourceError::Failed(m)
        | ResourceError::Raised { message: m, .. } => m.clone(),
        ResourceError::Unsupported { .. } => e.to_string(),
    }
}

impl NativeObject for SelfReturning {
    fn class_name(&self) -> Option<&'static str> {
        Some(self.class())
    }
    fn to_s(&self) -> Option<String> {
        Some(self.text())
    }
    /// filter.rb's catcher answers `[to_s]` (RSpec flattens it); NO_VALUE_SET answers
    /// itself (`method_missing`), which Ruby's implicit conversions refuse.
    fn to_ary(&self) -> Option<Value> {
        Some(match self.0 {
            Kind::Caught { .. } => Value::Array(vec![Value::Str(self.text())]),
            Kind::NoValue { .. } => native(self.clone()),
        })
    }
    fn inspect(&self) -> Option<String> {
        match &self.0 {
            Kind::Caught { .. } => Some(self.text()),
            Kind::NoValue { input, address } => Some(format!(
                "#<Inspec::Input::NO_VALUE_SET:0x{address:016x} @name={:?}>",
                Value::str(input.clone())
            )),
        }
    }
}
