//! InSpec as the embedding of the Ruby interpreter ([`Embedding`]): the state of the DSL and
//! of `where { }` blocks, and the calls InSpec answers — DSL words, matchers and their chains,
//! `expect(...).to`, `describe.one`, FilterTable methods — which the interpreter asks for at
//! fixed points without knowing them.

use std::sync::Arc;

use crate::native::inspec::dsl::{DslState, ExpectTarget, ShouldOperator};
use crate::native::inspec::matchers::{Matcher, CHAINS};
use crate::native::inspec::self_returning::SelfReturning;
use crate::native::inspec::table::TABLE_METHODS;
use crate::native::resources;
use crate::native::ruby::methods::row::Row;
use crate::native::ruby::objects::{as_native, native, RESOURCE_FAILED};
use crate::native::ruby::value::{Resource, Table, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Flow, R};
use crate::profile::ast::{Block, Expr, ExprKind};

/// The interpreter running InSpec.
pub type Interp<'p> = crate::native::ruby::Interp<'p, Inspec>;

/// InSpec's state in the interpreter.
#[derive(Default)]
pub struct Inspec {
    pub dsl: DslState,
    /// The FilterTable rows whose fields are callable inside `where { ... }`, innermost last.
    pub rows: Vec<Row>,
    /// Dependencies: what this profile runs and includes ([`super::overlay`]).
    pub overlay: super::overlay::OverlayState,
    /// Set when a controls file's top-level code raised ([`super::run::LoadFailed`]).
    pub load_failure: Option<super::run::LoadFailed>,
}

impl Embedding for Inspec {
    fn after_load(me: &Interp<'_>) -> bool {
        me.ext.dsl.example.is_some()
    }

    /// A controls file's top level runs in the profile's control context
    /// (profile_context.rb `load_control_file`: `instance_eval` of the file), so its `def`s
    /// are that object's methods. A control's block is `instance_eval`ed in its
    /// `Inspec::Rule` (rule.rb `initialize`), a `describe` block in an RSpec example group,
    /// a `where` block in a row: none of them has those methods. A library's top level is
    /// another context, whose `def`s stay callable everywhere here as before.
    fn at_file_self(me: &Interp<'_>) -> bool {
        let controls_file = me
            .profile
            .files
            .iter()
            .any(|f| f.path == me.file && !f.path.starts_with("libraries/"));
        if !controls_file || !me.self_stack.is_empty() || !me.ext.rows.is_empty() {
            return false;
        }
        let dsl = &me.ext.dsl;
        match &dsl.control {
            None => true,
            Some(c) => c.generated && dsl.describes.is_empty() && dsl.example.is_none(),
        }
    }

    fn bare_value(me: &Interp<'_>, name: &str) -> Option<Value> {
        me.ext.rows.last()?.get(name)
    }

    fn call_bare(
        me: &mut Interp<'_>,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        off: u32,
    ) -> Option<R> {
        me.call_overlay(name, args, block, off)
            .or_else(|| me.call_dsl(name, args, block, off))
    }

    fn call_unevaluated(
        me: &mut Interp<'_>,
        recv: &Expr,
        name: &str,
        block: Option<&Block>,
        off: u32,
    ) -> Option<R> {
        if name == "one" && recv.bare_call_name() == Some("describe") {
            if let ExprKind::Call { args, .. } = &recv.kind {
                if args.is_empty() {
                    return Some(me.describe_one(block, off));
                }
            }
        }
        None
    }

    fn call_resource(
        me: &mut Interp<'_>,
        res: &Arc<dyn Resource>,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R> {
        if me.ext.dsl.example.is_some() {
            let used_at = crate::native::inspec::results::location(&me.profile.path, &me.at(off));
            if let Some(m) =
                crate::native::inspec::deprecations::fail_control(res.name(), name, &used_at)
            {
                return Some(Err(Flow::raise(RESOURCE_FAILED, m)));
            }
        }
        me.table_of_resource(res, name, args, blk, off)
    }

    fn call_table(
        me: &mut Interp<'_>,
        table: &Arc<Table>,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R {
        me.table_call(table, name, args, blk, off)
    }

    fn call_native(
        me: &mut Interp<'_>,
        recv: &Value,
        name: &str,
        args: &[Value],
        off: u32,
    ) -> Option<R> {
        if let Some(o) = as_native::<SelfReturning>(recv) {
            return Some(Ok(o.call(recv, name, args)));
        }
        // `.and` / `.or` join InSpec's matchers and libraries' custom ones alike.
        let joined = matches!(name, "and" | "or");
        let custom = |me: &mut Interp<'_>, v: &Value| -> Option<R<Matcher>> {
            let d = me.matcher_description(v)?;
            Some(d.map(|d| Matcher::custom(v.clone(), d)))
        };
        let m = match as_native::<Matcher>(recv) {
            Some(m) => m.clone(),
            None if joined => match custom(me, recv)? {
                Ok(m) => m,
                Err(e) => return Some(Err(e)),
            },
            None => return expect_target_call(me, recv, name, args, off),
        };
        let mut args = args.to_vec();
        if joined {
            if let Some(a) = args.first_mut() {
                if let Some(r) = custom(me, a) {
                    match r {
                        Ok(wrapped) => *a = native(wrapped),
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }
        Some(match m.chain(name, &args) {
            Some(m2) => Ok(native(m2)),
            None => Err(me.unsupported(format!("matcher chain `.{name}`"), off)),
        })
    }

    fn operator(me: &mut Interp<'_>, l: &Value, op: &str, r: &Value, off: u32) -> Option<R> {
        if let Some(s) = as_native::<ShouldOperator>(l) {
            return Some(me.should_operator(s, op, r.clone(), off));
        }
        let m = as_native::<Matcher>(l)?;
        Some(match m.with_operator(op, r.clone()) {
            Some(m2) => Ok(native(m2)),
            None => Err(me.unsupported(format!("matcher operator `{op}`"), off)),
        })
    }

    fn check_supports(
        me: &Interp<'_>,
        resource: &str,
        supports: &[Vec<(String, String)>],
    ) -> Result<(), String> {
        // Without a platform (an unreachable host), the resource's own reads fail instead.
        let Ok(platform) = resources::detect_platform(&me.host) else {
            return Ok(());
        };
        let entries: Vec<serde_json::Map<String, serde_json::Value>> = supports
            .iter()
            .map(|e| {
                e.iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect()
            })
            .collect();
        if crate::native::inspec::supports::supported(&entries, &platform) {
            Ok(())
        } else {
            Err(crate::native::inspec::supports::unsupported_message(
                resource,
                &platform.name,
            ))
        }
    }

    fn resource_class(class: &str) -> Option<crate::native::ruby::ResourceClass> {
        crate::native::inspec::resource_classes::resource_class(class)
    }

    /// A control body's `@x` (control_eval_context.rb evaluates it on the rule object).
    /// Inside `describe` and `it` blocks, RSpec's objects are `self`, whose variables are
    /// unset: nil, as there.
    fn ivars<'a>(
        me: &'a mut Interp<'_>,
    ) -> Option<&'a mut std::collections::HashMap<String, Value>> {
        let dsl = &mut me.ext.dsl;
        if !dsl.describes.is_empty() || dsl.example.is_some() {
            return None;
        }
        dsl.control.as_mut().map(|c| &mut c.ivars)
    }

    fn resource_supports(name: &str) -> Vec<Vec<(String, String)>> {
        crate::native::inspec::supports::resource_supports(name)
            .iter()
            .map(|p| vec![("platform".to_string(), p.to_string())])
            .collect()
    }

    fn undefined_bare(
        me: &Interp<'_>,
        name: &str,
        with_args: bool,
    ) -> Option<crate::native::ruby::Flow> {
        use crate::native::inspec::context_names::Context;
        use crate::native::inspec::undefined;
        // Inside a method, a library object or a `where { }` row, `self` is another object.
        if !me.self_stack.is_empty() || !me.calls.is_empty() || !me.ext.rows.is_empty() {
            return None;
        }
        let dsl = &me.ext.dsl;
        let may_define = crate::native::ruby::method_tables::profile_may_define(me.profile, name);
        let at = if dsl.example.is_some() {
            Context::Example
        } else if dsl.control.is_some() && dsl.describes.is_empty() {
            Context::ControlBody
        } else {
            // Elsewhere (file level, a describe block's body) a name none of InSpec's
            // evaluation contexts answers is NameError too.
            return (!may_define && crate::native::inspec::context_names::is_unknown_name(name))
                .then(|| undefined::error(Context::ControlBody, name, with_args));
        };
        undefined::undefined(at, name, may_define).then(|| undefined::error(at, name, with_args))
    }

    fn knows_method(name: &str) -> bool {
        TABLE_METHODS.contains(&name)
            || CHAINS.contains(&name)
            || resources::names()
                .iter()
                .any(|r| resources::methods(r).is_some_and(|m| m.contains(&name)))
    }
}

/// `expect(x).to m` / `.not_to m`. None: `recv` is no `expect(...)`.
fn expect_target_call(
    me: &mut Interp<'_>,
    recv: &Value,
    name: &str,
    args: &[Value],
    off: u32,
) -> Option<R> {
    let t = as_native::<ExpectTarget>(recv)?;
    let negated = match name {
        "to" => false,
        "not_to" | "to_not" => true,
        _ => return Some(Err(me.unsupported(format!("`expect(...).{name}`"), off))),
    };
    Some(me.expect_to(t.0.clone(), args, negated, off))
}
