//! Overlay profiles: `include_controls` / `require_controls` of a dependency, with
//! `skip_control` and `control 'id' do ... end` overrides inside their block, and the inputs
//! an overlay sets for its dependencies (`profile:` in inspec.yml). As InSpec does it
//! (`lib/inspec/dsl.rb` `load_spec_files_for_profile`, `control_eval_context.rb`,
//! `rule.rb` `Rule.merge`, `input_registry.rb`):
//!
//! - the dependency runs as a profile of its own (its libraries, its inputs, its files),
//!   once, and only if its `supports` admits the target;
//! - `skip_control 'id'` removes the control (also from the dependency's own dependencies);
//!   `require_controls` keeps only the controls its block names;
//! - an override sets `impact`, `title` and `desc` where it says them, and replaces the
//!   control's checks when it has any of its own (`Rule.merge`); an override of an id the
//!   dependency does not define adds that control to it;
//! - the override's block and the include block are evaluated in the overlay's file (its
//!   local variables in scope, as in Ruby's closures), with `input` read in the dependency;
//! - results follow the overlay's own controls and carry the dependency's name
//!   ([`crate::job::ControlResult::profile`]), which the report turns into InSpec's
//!   `profiles[]` with `parent_profile` and `depends`.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::job::{ControlResult, ControlSelection, ControlStatus, ProfileInfo};
use crate::native::inspec::dsl::{json_to_value, metadata_input_value};
use crate::native::inspec::supports::{skip_message, supported};
use crate::native::inspec::Interp;
use crate::native::resources::{detect_platform, Platform};
use crate::native::ruby::methods::to_s;
use crate::native::ruby::objects::load_library;
use crate::native::ruby::value::Value;
use crate::native::ruby::{Flow, R};
use crate::profile::ast::{Block, Expr};
use crate::profile::metadata::InputSpec;
use crate::profile::model::Dependency;
use crate::profile::Profile;

/// InSpec's DSL words for dependencies (for static coverage and the DSL dispatch).
pub const OVERLAY_FUNCTIONS: &[&str] = &[
    "include_controls",
    "require_controls",
    "include_rules",
    "require_rules",
    "skip_control",
    "skip_rule",
    "require_resource",
];

/// Which of a dependency's controls run.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// `require_controls`: only these ids (None: all).
    pub only: Option<HashSet<String>>,
    /// `skip_control`: never these.
    pub skip: HashSet<String>,
    /// The job's `controls` (`inspec exec --controls`), for the profile and every
    /// dependency it includes; None: all.
    pub selection: Option<Arc<ControlSelection>>,
}

impl Filter {
    pub fn wants(&self, id: &str) -> bool {
        !self.skip.contains(id)
            && self.only.as_ref().is_none_or(|o| o.contains(id))
            && self.selection.as_ref().is_none_or(|s| s.wants(id))
    }
}

/// What an include block says.
#[derive(Default)]
struct Collect {
    skipped: Vec<String>,
    named: Vec<String>,
    overrides: Vec<Override>,
}

/// `control 'id' do ... end` inside an include block, evaluated.
struct Override {
    result: ControlResult,
    sets_title: bool,
    sets_desc: bool,
    sets_impact: bool,
}

/// The overlay state of one profile's evaluation.
#[derive(Default)]
pub struct OverlayState {
    /// This profile's controls that run (set when it is itself a dependency).
    pub filter: Filter,
    /// Inputs the profiles depending on this one set for it (inspec.yml `profile:`).
    pub scoped_inputs: Vec<InputSpec>,
    /// Results of the included dependencies' controls, in inclusion order.
    pub included: Vec<ControlResult>,
    /// Inside an include block: what it says.
    collecting: Option<Collect>,
    /// Inside an include block: the dependency whose inputs `input` reads.
    input_scope: Option<Arc<Profile>>,
    /// Dependencies already included (a second include adds nothing new).
    done: HashSet<String>,
    /// Values control code gave inputs (`input('x', value: 1)`), by profile and input,
    /// with their priority: InSpec's registry keeps them for every later `input('x')`
    /// of the profile, other control files' too (input_registry.rb).
    dsl_inputs: Vec<(Option<String>, String, i64, Value)>,
}

impl Filter {
    fn merged(&self, other: &Filter) -> Filter {
        Filter {
            only: match (&self.only, &other.only) {
                (Some(a), Some(b)) => Some(a.intersection(b).cloned().collect()),
                (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                (None, None) => None,
            },
            skip: self.skip.union(&other.skip).cloned().collect(),
            selection: self.selection.clone().or_else(|| other.selection.clone()),
        }
    }
}

/// Whether a statement of an override body sets `name` (`impact 0.5`).
fn sets(block: Option<&Block>, name: &str) -> bool {
    block.is_some_and(|b| b.body.iter().any(|s| s.bare_call_name() == Some(name)))
}

/// InSpec's name of a profile (its inspec.yml `name`), else the dependency's alias.
fn profile_name(p: &Profile, alias: &str) -> String {
    p.metadata.name.clone().unwrap_or_else(|| alias.to_string())
}

impl Interp<'_> {
    /// `include_controls` / `require_controls`, and `skip_control` inside their block.
    pub fn call_overlay(
        &mut self,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        off: u32,
    ) -> Option<R> {
        Some(match name {
            "include_controls" | "include_rules" => self.include(args, block, false),
            "require_controls" | "require_rules" => self.include(args, block, true),
            "skip_control" | "skip_rule" => self.skip_control(args),
            "require_resource" => self.require_resource(args),
            "control" | "rule" if self.ext.overlay.collecting.is_some() => {
                self.override_control(args, block, off)
            }
            _ => return None,
        })
    }

    fn skip_control(&mut self, args: &[Expr]) -> R {
        let (a, _) = self.eval_args(args)?;
        let id = a.first().map(to_s).unwrap_or_default();
        match self.ext.overlay.collecting.as_mut() {
            Some(c) => c.skipped.push(id),
            // In the profile's own file: its own control is unregistered.
            None => {
                self.ext.overlay.filter.skip.insert(id.clone());
                self.results.retain(|r| r.id != id);
            }
        }
        Ok(Value::Nil)
    }

    /// `require_resource(profile: 'dep', resource: 'name', as: 'alias')`: a dependency's
    /// custom resource under another name (two dependencies may define the same one).
    fn require_resource(&mut self, args: &[Expr]) -> R {
        let (a, _) = self.eval_args(args)?;
        let opts = a.first().cloned().unwrap_or(Value::Nil);
        let opt = |k: &str| {
            opts.hash_get(&Value::Sym(k.into()))
                .or_else(|| opts.hash_get(&Value::str(k)))
                .map(to_s)
        };
        let Some(resource) = opt("resource") else {
            return Err(Flow::raise(
                "RuntimeError",
                "You must specify a specific resource name when calling require_resource()",
            ));
        };
        let alias = opt("as").unwrap_or_else(|| resource.clone());
        let profile: &Profile = self.profile;
        let from = match opt("profile") {
            Some(p) if Some(p.as_str()) != profile.metadata.name.as_deref() => {
                match profile.dependency(&p).and_then(|d| d.profile()) {
                    Some(d) => Some(d),
                    None => {
                        return Err(Flow::raise(
                            "Inspec::ProfileNotFound",
                            format!("Cannot find profile named: {p}"),
                        ))
                    }
                }
            }
            _ => None,
        };
        let class = match from {
            // The dependency's own definition, under a class name of its own: two
            // dependencies may define the same class for the same resource name.
            Some(dep) => dep
                .files
                .iter()
                .filter(|f| f.path.starts_with("libraries/"))
                .flat_map(|f| load_library(&f.path, &f.program.body, &|_| f.path.clone()))
                .find(|c| c.resource.as_deref() == Some(resource.as_str()))
                .map(|mut c| {
                    c.name = format!("{}({})", c.name, alias);
                    c
                }),
            None => self
                .resources
                .get(&resource)
                .and_then(|class| self.classes.get(class))
                .map(|c| (**c).clone()),
        };
        match class {
            Some(c) => {
                let name = c.name.clone();
                if !self.classes.contains_key(&name) {
                    self.classes.insert(name.clone(), Arc::new(c));
                    self.run_class_body(&name);
                }
                self.resources.insert(alias, name);
                Ok(Value::Nil)
            }
            None => Err(Flow::raise(
                "NoMethodError",
                format!("undefined resource `{resource}'"),
            )),
        }
    }

    fn override_control(&mut self, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        let (a, _) = self.eval_args(args)?;
        let id = a.first().map(to_s).unwrap_or_default();
        // Evaluated as a control of its own, then merged into the dependency's.
        let saved = std::mem::take(&mut self.results);
        let collecting = self.ext.overlay.collecting.take();
        let file_skip = self.ext.dsl.file_skip.take();
        let filter = std::mem::take(&mut self.ext.overlay.filter);
        let r = self.run_control(id.clone(), block, off);
        self.ext.overlay.filter = filter;
        self.ext.dsl.file_skip = file_skip;
        self.ext.overlay.collecting = collecting;
        let produced = std::mem::replace(&mut self.results, saved);
        r?;
        let Some(c) = self.ext.overlay.collecting.as_mut() else {
            return Ok(Value::Nil);
        };
        c.named.push(id);
        if let Some(result) = produced.into_iter().next() {
            c.overrides.push(Override {
                result,
                sets_title: sets(block, "title"),
                sets_desc: sets(block, "desc"),
                sets_impact: sets(block, "impact"),
            });
        }
        Ok(Value::Nil)
    }

    fn include(&mut self, args: &[Expr], block: Option<&Block>, require: bool) -> R {
        let (a, _) = self.eval_args(args)?;
        let mut name = a.first().map(to_s).unwrap_or_default();
        if let Some(v) = a.get(1).filter(|v| !matches!(v, Value::Nil)) {
            name = format!("{name}-{}", to_s(v));
        }
        let profile: &Profile = self.profile;
        let Some(dep) = profile.dependency(&name) else {
            let available: Vec<&str> = profile
                .dependencies
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            return Err(Flow::raise(
                "RuntimeError",
                format!(
                    "Cannot load '{name}' since it is not listed as a dependency of {}.\n\n\
                     Dependencies available from this context are:\n    {}",
                    profile_name(profile, ""),
                    available.join("\n    ")
                ),
            ));
        };
        let (dep_profile, dep_arc): (&Profile, &Arc<Profile>) = match &dep.resolved {
            Ok(r) => (&r.profile, &r.profile),
            Err(e) => {
                return Err(Flow::raise(
                    "Inspec::FetcherFailure",
                    format!("dependency '{}' ({}): {e}", dep.name, dep.source()),
                ))
            }
        };
        // An unsupported dependency loads no control (its status is reported `skipped`).
        if !dep_profile.metadata.supports.is_empty() {
            let platform = detect_platform(&self.host).map_err(|e| {
                Flow::raise(
                    "RuntimeError",
                    format!(
                        "`supports` of {}: the platform could not be detected: {e}",
                        dep.name
                    ),
                )
            })?;
            if !supported(&dep_profile.metadata.supports, &platform) {
                return Ok(Value::Nil);
            }
        }
        // The block: skips, required ids and overrides, with `input` read in the dependency.
        let scope = self.ext.overlay.input_scope.replace(Arc::clone(dep_arc));
        let outer = self.ext.overlay.collecting.replace(Collect::default());
        let r = match block {
            Some(b) => self.scoped(false, |me| me.eval_body(&b.body)),
            None => Ok(Value::Nil),
        };
        let collect =
            std::mem::replace(&mut self.ext.overlay.collecting, outer).unwrap_or_default();
        self.ext.overlay.input_scope = scope;
        r?;
        if !self.ext.overlay.done.insert(dep.name.clone()) {
            return Ok(Value::Nil);
        }
        let own = Filter {
            only: require.then(|| collect.named.iter().cloned().collect()),
            skip: collect.skipped.iter().cloned().collect(),
            selection: None,
        };
        let filter = self.ext.overlay.filter.merged(&own);
        let scoped = self.inputs_for(dep, dep_profile);
        let mut results = match self.run_dependency(dep_profile, filter.clone(), scoped) {
            Ok(r) => r,
            // InSpec collects its dependencies' controls within the profile's own
            // (profile.rb `collect_tests`), outside the rescue of its own files: the
            // dependency's ProfileLoadFailed fails this profile too, with its message.
            Err(failed) => {
                let why = failed.0.clone();
                self.ext.load_failure.get_or_insert(failed);
                return Err(Flow::Stop(why));
            }
        };
        let tag = profile_name(dep_profile, &dep.name);
        for o in collect.overrides {
            if !filter.wants(&o.result.id) {
                continue;
            }
            match results
                .iter_mut()
                .find(|r| r.id == o.result.id && r.profile.is_none())
            {
                Some(dst) => merge(dst, &o),
                None => results.push(o.result),
            }
        }
        for r in &mut results {
            r.profile.get_or_insert_with(|| tag.clone());
        }
        self.ext.overlay.included.extend(results);
        Ok(Value::Nil)
    }

    /// The inputs a dependency gets from above: those its ancestors set for it, and this
    /// profile's inspec.yml entries with `profile:` naming it (by alias or name).
    fn inputs_for(&self, dep: &Dependency, dep_profile: &Profile) -> Vec<InputSpec> {
        let names = [
            Some(dep.name.as_str()),
            dep_profile.metadata.name.as_deref(),
        ];
        let names_it = |i: &InputSpec| {
            i.profile
                .as_deref()
                .is_some_and(|p| names.contains(&Some(p)))
        };
        self.ext
            .overlay
            .scoped_inputs
            .iter()
            .chain(self.profile.metadata.inputs.iter())
            .filter(|i| names_it(i))
            .cloned()
            .collect()
    }

    /// An input's value and declared type, by InSpec's priorities: the job's inputs (40, as
    /// the runner API), an including profile's inspec.yml `profile:` entry (35), the
    /// profile's own inspec.yml (30), the DSL's `value:` (20), each unless it sets its own
    /// `priority`; the last of the highest wins.
    pub fn resolve_input(
        &mut self,
        name: &str,
        dsl_value: Option<Value>,
        dsl_priority: Option<i64>,
        dsl_type: Option<String>,
    ) -> (Value, Option<String>) {
        let scope: &Profile = self
            .ext
            .overlay
            .input_scope
            .as_deref()
            .unwrap_or(self.profile);
        let own_name = scope.metadata.name.as_deref();
        let own = scope
            .metadata
            .inputs
            .iter()
            .filter(|i| i.name == name)
            .filter(|i| i.profile.is_none() || i.profile.as_deref() == own_name);
        // In an include block, the including profile's entries for the dependency count.
        let from_above: Vec<InputSpec> = match &self.ext.overlay.input_scope {
            Some(dep) => {
                let dep_name = dep.metadata.name.as_deref();
                self.profile
                    .metadata
                    .inputs
                    .iter()
                    .filter(|i| {
                        i.name == name && i.profile.is_some() && i.profile.as_deref() == dep_name
                    })
                    .cloned()
                    .collect()
            }
            None => self
                .ext
                .overlay
                .scoped_inputs
                .iter()
                .filter(|i| i.name == name)
                .cloned()
                .collect(),
        };
        let mut type_: Option<String> = None;
        let mut best: Option<(i64, Value)> = None;
        let mut offer = |p: i64, v: Value| {
            if best.as_ref().is_none_or(|(bp, _)| p >= *bp) {
                best = Some((p, v));
            }
        };
        for i in own {
            type_ = type_.or(i.type_.clone());
            if let Some(v) = &i.value {
                offer(i.priority.unwrap_or(30), metadata_input_value(v));
            }
        }
        for i in &from_above {
            type_ = type_.or(i.type_.clone());
            if let Some(v) = &i.value {
                offer(i.priority.unwrap_or(35), metadata_input_value(v));
            }
        }
        if let Some(v) = self.inputs.get(name) {
            offer(40, json_to_value(v));
        }
        let scope_name = own_name.map(str::to_string);
        for (_, _, p, v) in self
            .ext
            .overlay
            .dsl_inputs
            .iter()
            .filter(|(s, n, _, _)| *s == scope_name && n == name)
        {
            offer(*p, v.clone());
        }
        if let Some(v) = dsl_value {
            let p = dsl_priority.unwrap_or(20);
            self.ext
                .overlay
                .dsl_inputs
                .push((scope_name, name.to_string(), p, v.clone()));
            offer(p, v);
        }
        // input.rb `current_value`: no event set a value (nil is a value) — NO_VALUE_SET.
        (
            best.map_or_else(
                || crate::native::inspec::self_returning::SelfReturning::no_value(name),
                |(_, v)| v,
            ),
            type_.or(dsl_type),
        )
    }
}

/// `Rule.merge`: the override's metadata where it sets it, its checks when it has any.
fn merge(dst: &mut ControlResult, o: &Override) {
    let src = &o.result;
    if o.sets_impact {
        dst.impact = src.impact;
    }
    // `desc 'caveat', '...'` adds a labelled description: only the default one replaces.
    if o.sets_title && src.title.is_some() {
        dst.title = src.title.clone();
    }
    if o.sets_desc && src.desc.is_some() {
        dst.desc = src.desc.clone();
    }
    if !src.results.is_empty() {
        dst.results = src.results.clone();
        dst.status = ControlStatus::of(&dst.results);
    }
}

/// `depends` entries with their status, and the loaded dependency profiles.
pub type DependencyReport = (Vec<Map<String, Json>>, Vec<ProfileInfo>);

/// The report's view of a profile's dependencies on a platform (InSpec's `load_libraries`
/// and runner): each direct `depends` entry with its `status` (`skipped` with InSpec's
/// message when its `supports` excludes the platform), and every dependency profile that
/// loads, transitively, naming its `parent_profile`. `platform` is None when no dependency
/// has `supports`.
pub fn dependency_report(profile: &Profile, platform: Option<&Platform>) -> DependencyReport {
    let mut depends = Vec::new();
    let mut loaded = Vec::new();
    walk(profile, platform, &mut depends, &mut loaded);
    (depends, loaded)
}

fn walk(
    profile: &Profile,
    platform: Option<&Platform>,
    depends: &mut Vec<Map<String, Json>>,
    loaded: &mut Vec<ProfileInfo>,
) {
    let parent = profile_name(profile, "");
    for d in &profile.dependencies {
        let mut entry = Map::new();
        entry.insert("name".into(), Json::String(d.name.clone()));
        let s = &d.spec;
        for (k, v) in [
            ("path", &s.path),
            ("url", &s.url),
            ("git", &s.git),
            ("branch", &s.branch),
            ("tag", &s.tag),
            ("commit", &s.commit),
            ("version", &s.version),
            ("relative_path", &s.relative_path),
            ("supermarket", &s.supermarket),
            ("compliance", &s.compliance),
        ] {
            if let Some(v) = v {
                entry.insert(k.into(), Json::String(v.clone()));
            }
        }
        let Some(p) = d.profile() else {
            entry.insert("status".into(), Json::String("failed".into()));
            if let Err(e) = &d.resolved {
                entry.insert("status_message".into(), Json::String(e.clone()));
            }
            depends.push(entry);
            continue;
        };
        let name = profile_name(p, &d.name);
        let skipped = match platform {
            Some(pl) if !supported(&p.metadata.supports, pl) => Some(skip_message(&name, pl)),
            _ => None,
        };
        match skipped {
            Some(msg) => {
                entry.insert("status".into(), Json::String("skipped".into()));
                entry.insert("status_message".into(), Json::String(msg.clone()));
                entry.insert("skip_message".into(), Json::String(msg));
                depends.push(entry);
            }
            None => {
                entry.insert("status".into(), Json::String("loaded".into()));
                depends.push(entry);
                let mut nested = Vec::new();
                let mut info = ProfileInfo {
                    name,
                    version: p.metadata.version.clone(),
                    title: p.metadata.title.clone(),
                    summary: p.metadata.summary.clone(),
                    sha256: p.sha256().to_string(),
                    parent_profile: Some(parent.clone()),
                    ..ProfileInfo::default()
                };
                // InSpec's flattened order: a dependency, then its own dependencies.
                let at = loaded.len();
                walk(p, platform, &mut nested, loaded);
                info.depends = nested;
                loaded.insert(at, info);
            }
        }
    }
}

/// Whether any dependency (transitively) declares `supports` (the platform is needed).
pub fn needs_platform(profile: &Profile) -> bool {
    profile.dependencies.iter().any(|d| {
        d.profile()
            .is_some_and(|p| !p.metadata.supports.is_empty() || needs_platform(p))
    })
}
