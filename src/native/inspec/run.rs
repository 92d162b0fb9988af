//! Evaluation of a whole profile: libraries first, then each controls file top to bottom;
//! controls run where they are defined (file-level variables in scope), results in order.

use std::sync::Arc;

use crate::job::{ControlCheck, ControlResult, ControlSelection, ControlStatus};
use crate::native::inspec::dsl::{ControlState, METADATA};
use crate::native::inspec::results::{self, unsupported_message};
use crate::native::inspec::Interp;
use crate::native::ruby::objects::{native, Poison};
use crate::native::ruby::value::Value;
use crate::native::ruby::{Flow, R};
use crate::profile::ast::{Block, Expr, ExprKind};
use crate::profile::Profile;
use crate::transport::Host;

/// InSpec's `ProfileLoadFailed`: a controls file's top-level code raised. InSpec then runs
/// none of the profile's controls and reports the profile `failed` with this message
/// (profile.rb `collect_tests`: "Failed to load source for PATH: MESSAGE"; runner.rb `load`
/// rescues it into the profile's `status_message`, and exits 1 for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailed(pub String);

impl std::fmt::Display for LoadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Evaluates every control of `profile` on `host`, one result per control in profile order.
/// Stops early (the remaining controls are skipped, saying why) when the host's job is
/// canceled or out of time. A profile that fails to load ([`LoadFailed`]) has no result.
pub fn evaluate(
    profile: &Profile,
    host: Arc<Host>,
    inputs: &serde_json::Map<String, serde_json::Value>,
) -> Vec<ControlResult> {
    evaluate_with(profile, host, inputs, &crate::native::resources::create)
}

/// [`evaluate`] of the controls `selection` wants only (the job's `controls`): the others
/// neither run nor appear in the results, in the profile or the ones it includes.
/// Err: the profile (or one it includes) failed to load, and none of its controls counts.
pub fn evaluate_selected(
    profile: &Profile,
    host: Arc<Host>,
    inputs: &serde_json::Map<String, serde_json::Value>,
    selection: Arc<ControlSelection>,
) -> Result<Vec<ControlResult>, LoadFailed> {
    let mut ext = super::Inspec::default();
    if !selection.is_all() {
        ext.overlay.filter.selection = Some(selection);
    }
    evaluate_loaded(
        profile,
        host,
        inputs,
        &crate::native::resources::create,
        ext,
    )
}

/// [`evaluate`] with another source of resources (tests use small fakes).
pub fn evaluate_with(
    profile: &Profile,
    host: Arc<Host>,
    inputs: &serde_json::Map<String, serde_json::Value>,
    factory: &crate::native::ruby::ResourceFactory,
) -> Vec<ControlResult> {
    evaluate_in(profile, host, inputs, factory, super::Inspec::default())
}

/// [`evaluate_loaded`], a load failure as no results.
pub fn evaluate_in(
    profile: &Profile,
    host: Arc<Host>,
    inputs: &serde_json::Map<String, serde_json::Value>,
    factory: &crate::native::ruby::ResourceFactory,
    ext: super::Inspec,
) -> Vec<ControlResult> {
    evaluate_loaded(profile, host, inputs, factory, ext).unwrap_or_default()
}

/// [`evaluate_with`] from a given InSpec state (a dependency's filter and inputs,
/// [`super::overlay`]): the profile's own controls, then those it includes; Err when a
/// controls file's top-level code raised (here or in a profile it includes).
pub fn evaluate_loaded(
    profile: &Profile,
    host: Arc<Host>,
    inputs: &serde_json::Map<String, serde_json::Value>,
    factory: &crate::native::ruby::ResourceFactory,
    ext: super::Inspec,
) -> Result<Vec<ControlResult>, LoadFailed> {
    let mut me = Interp::new(profile, host, inputs, factory, ext);
    me.load_libraries();
    me.define_constants();
    let mut stopped: Option<String> = None;
    for file in &profile.files {
        if file.path.starts_with("libraries/") {
            continue;
        }
        if let Err(why) = me.run_file(&file.path, &file.program.body) {
            stopped = Some(why);
            break;
        }
    }
    if let Some(failed) = me.ext.load_failure.take() {
        return Err(failed);
    }
    let mut out = std::mem::take(&mut me.results);
    // Controls never reached (canceled, timed out, or after a file-level error).
    for c in &profile.controls {
        if c.dynamic_id || out.iter().any(|r| r.id == c.id) || !me.ext.overlay.filter.wants(&c.id) {
            continue;
        }
        let reason = match (
            &stopped,
            me.file_errors.iter().find(|(f, _)| **f == *c.file),
        ) {
            (_, Some((_, check))) => check.clone(),
            (Some(why), None) => {
                results::skipped("Control not evaluated", format!("Not evaluated: {why}"))
            }
            (None, None) => continue,
        };
        let base = results::control(
            c.id.to_string(),
            c.title.clone(),
            c.desc.clone(),
            if c.impact.is_nan() { 0.5 } else { c.impact },
            Vec::new(),
        );
        out.push(results::not_evaluated(&base, reason));
    }
    out.append(&mut me.ext.overlay.included);
    Ok(out)
}

impl Interp<'_> {
    /// Evaluates a dependency as a profile of its own ([`super::overlay`]): its filter and
    /// the inputs set for it from above, on the same host, job inputs and resources.
    pub fn run_dependency(
        &self,
        profile: &Profile,
        filter: super::overlay::Filter,
        scoped_inputs: Vec<crate::profile::metadata::InputSpec>,
    ) -> Result<Vec<ControlResult>, LoadFailed> {
        let mut ext = super::Inspec::default();
        ext.overlay.filter = filter;
        ext.overlay.scoped_inputs = scoped_inputs;
        evaluate_loaded(profile, self.host.clone(), self.inputs, self.factory(), ext)
    }

    /// Constants assigned at the top of any controls file are visible to every control, as
    /// in InSpec (whose examples run after all files are loaded).
    fn define_constants(&mut self) {
        for file in &self.profile.files {
            if file.path.starts_with("libraries/") {
                continue;
            }
            self.file = file.path.clone();
            for stmt in &file.program.body {
                let ExprKind::Assign { target, .. } = &stmt.kind else {
                    continue;
                };
                let ExprKind::Const {
                    scope: None, name, ..
                } = &target.kind
                else {
                    continue;
                };
                if !self.consts.contains_key(name) {
                    self.unassigned_consts.insert(name.clone());
                }
                self.steps = 0;
                if let Err(flow) = self.eval(stmt) {
                    self.poison(stmt, flow);
                }
            }
        }
    }

    /// Runs one controls file. Err: evaluation must stop (canceled / out of time).
    fn run_file(&mut self, path: &str, body: &[Expr]) -> Result<(), String> {
        self.file = path.to_string();
        self.frames.truncate(1);
        if let Some(f) = self.frames.first_mut() {
            f.vars.clear();
        }
        self.ext.dsl.file_skip = None;
        let first = self.results.len();
        let mut failure: Option<ControlCheck> = None;
        for stmt in body {
            self.steps = 0;
            if let ExprKind::Assign { target, .. } = &stmt.kind {
                if let ExprKind::Const {
                    scope: None, name, ..
                } = &target.kind
                {
                    self.unassigned_consts.remove(name);
                }
            }
            match self.eval(stmt) {
                Ok(_) | Err(Flow::Next(_)) | Err(Flow::Break(_)) | Err(Flow::Return(_)) => {}
                Err(Flow::Stop(why)) => return Err(why),
                Err(Flow::Failed(m)) => {
                    failure = Some(results::skipped("Control not evaluated", m));
                }
                Err(flow @ (Flow::Unsupported { .. } | Flow::Skip(_))) => {
                    let message = match &flow {
                        Flow::Unsupported { construct, at } => unsupported_message(construct, at),
                        Flow::Skip(m) => m.clone(),
                        _ => continue,
                    };
                    if stmt.bare_call_name() == Some("only_if") {
                        // A file-level condition that cannot be decided skips the whole file.
                        self.ext.dsl.file_skip = Some(message);
                    } else if !self.poison(stmt, flow) {
                        failure = Some(results::skipped("Control not evaluated", message));
                    }
                }
                Err(Flow::Raise(e)) => {
                    // Ruby's exception out of the file's `instance_eval`: InSpec fails the
                    // whole profile and runs none of its controls (profile.rb
                    // `collect_tests`), `e.to_s` being the message alone.
                    let failed =
                        LoadFailed(format!("Failed to load source for {path}: {}", e.message));
                    self.ext.load_failure.get_or_insert(failed.clone());
                    return Err(failed.0);
                }
            }
        }
        if let Some(msg) = self.ext.dsl.file_skip.clone() {
            for r in self.results.iter_mut().skip(first) {
                *r = results::not_evaluated(r, no_op(msg.clone()));
            }
        }
        if let Some(f) = failure {
            self.file_errors.push((path.to_string(), f));
        }
        Ok(())
    }

    /// A file-level assignment whose value cannot be computed: the variable is poisoned so
    /// only the controls using it are affected. False: not an assignment.
    fn poison(&mut self, stmt: &Expr, flow: Flow) -> bool {
        let ExprKind::Assign { target, .. } = &stmt.kind else {
            return false;
        };
        match &target.kind {
            ExprKind::Var(n) => {
                self.assign(n, native(Poison(flow)));
                true
            }
            ExprKind::Const {
                scope: None, name, ..
            } => {
                self.consts.insert(name.clone(), native(Poison(flow)));
                true
            }
            _ => false,
        }
    }

    /// Evaluates a control where it is defined and records its result.
    pub fn run_control(&mut self, id: String, block: Option<&Block>, off: u32) -> R<()> {
        self.run_control_as(id, block, off, false)
    }

    /// [`Self::run_control`]; `generated`: the control of a `describe` outside any control.
    fn run_control_as(
        &mut self,
        id: String,
        block: Option<&Block>,
        off: u32,
        generated: bool,
    ) -> R<()> {
        if let Err(e) = self.host.check() {
            return Err(Flow::Stop(e.to_string()));
        }
        if !self.ext.overlay.filter.wants(&id) {
            // Skipped or not required by the profile including this one.
            return Ok(());
        }
        let model = self
            .profile
            .controls
            .iter()
            .find(|c| c.id == id && *c.file == *self.file);
        let mut state = ControlState {
            id: id.clone(),
            title: model.and_then(|c| c.title.clone()),
            desc: model.and_then(|c| c.desc.clone()),
            impact: model
                .map(|c| c.impact)
                .filter(|i| !i.is_nan())
                .unwrap_or(0.5),
            skip: None,
            ivars: Default::default(),
            generated,
        };
        if let Some(msg) = self.ext.dsl.file_skip.clone() {
            state.skip = Some(msg);
        }
        let file_skipped = state.skip.is_some();
        self.ext.dsl.control = Some(state);
        self.ext.dsl.checks.clear();
        let r = match block {
            Some(b) if !file_skipped => self.scoped(false, |me| {
                for stmt in &b.body {
                    let skipping = me
                        .ext
                        .dsl
                        .control
                        .as_ref()
                        .is_some_and(|c| c.skip.is_some());
                    if skipping && !stmt.bare_call_name().is_some_and(|n| METADATA.contains(&n)) {
                        continue;
                    }
                    me.eval(stmt)?;
                }
                Ok(Value::Nil)
            }),
            _ => Ok(Value::Nil),
        };
        let state = self.ext.dsl.control.take();
        self.ext.dsl.describes.clear();
        self.ext.dsl.example = None;
        let mut checks = std::mem::take(&mut self.ext.dsl.checks);
        let Some(state) = state else { return Ok(()) };
        let mut stop = None;
        match r {
            Ok(_) | Err(Flow::Next(_)) | Err(Flow::Break(_)) | Err(Flow::Return(_)) => {}
            Err(Flow::Unsupported { construct, at }) => {
                checks = vec![results::skipped(
                    "Native evaluation",
                    unsupported_message(&construct, &at),
                )];
            }
            Err(Flow::Raise(e)) => {
                let at = self.at(off);
                checks.push(results::source_code_error(
                    &self.profile.path,
                    &at,
                    e.message,
                ));
            }
            Err(Flow::Failed(m)) => {
                let at = self.at(off);
                checks.push(results::source_code_error(&self.profile.path, &at, m));
            }
            Err(Flow::Skip(m)) => checks.push(results::skipped("Control not evaluated", m)),
            Err(Flow::Stop(why)) => {
                checks = vec![results::skipped(
                    "Control not evaluated",
                    format!("Not evaluated: {why}"),
                )];
                stop = Some(why);
            }
        }
        if let Some(msg) = &state.skip {
            checks = vec![no_op(msg.clone())];
        }
        let result = results::control(state.id, state.title, state.desc, state.impact, checks);
        match self.results.iter_mut().find(|r| r.id == result.id) {
            // InSpec keeps the last definition of a control id.
            Some(slot) => *slot = result,
            None => self.results.push(result),
        }
        match stop {
            Some(why) => Err(Flow::Stop(why)),
            None => Ok(()),
        }
    }

    /// A `describe` outside any control: an anonymous control with InSpec's generated id.
    pub fn run_generated(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        let line = self.line_of(off);
        let id = self
            .profile
            .controls
            .iter()
            .find(|c| c.generated && *c.file == *self.file && c.source_location.line == line)
            .map(|c| c.id.to_string())
            .unwrap_or_else(|| {
                format!(
                    "(generated from {}:{line})",
                    crate::profile::model::generated_location_file(&self.file)
                )
            });
        let call = Expr::new(
            ExprKind::Call {
                recv: None,
                name: "describe".into(),
                args: args.to_vec(),
                block: block.map(|b| Arc::new(b.clone())),
                safe_nav: false,
                parens: true,
            },
            crate::profile::ast::Span {
                start: off,
                end: off,
            },
        );
        let body = Block {
            params: Vec::new(),
            body: vec![call],
            do_end: true,
            span: crate::profile::ast::Span {
                start: off,
                end: off,
            },
        };
        self.run_control_as(id, Some(&body), off, true)?;
        Ok(Value::Nil)
    }
}

/// InSpec's single result of a control skipped by `only_if`.
fn no_op(message: String) -> ControlCheck {
    let mut c = results::skipped("No-op", message);
    c.resource = Some("No-op".into());
    c.status = ControlStatus::Skipped;
    c
}
