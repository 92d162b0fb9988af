//! The `native` runner: a profile evaluated here, in Rust ([`crate::native`]), against
//! `local://` or over one multiplexed SSH connection per host. No Ruby or InSpec on either
//! side. With `runner: auto`, the controls the native evaluator cannot run (static
//! coverage) go to the InSpec CLI when it is installed.

use std::sync::Arc;

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::inspec::{self, InspecPlan};
use super::{process, HostCheck, RunContext};
use crate::error::RunnerError;
use crate::host::Target;
use crate::job::Stream;
use crate::job::{
    ControlResult, ControlSelection, ControlStatus, HostResult, HostStatus, ProfileInfo,
    TargetPlatform,
};
use crate::native::inspec::overlay;
use crate::native::inspec::supports::{skip_message, supported};
use crate::native::resources::detect_platform;
use crate::native::{self, prepare::prepare};
use crate::policy::PathRoots;
use crate::profile::Profile;
use crate::template::{ProfileRunner, Template};
use crate::transport::{transport_for, Host, TransportError};

/// A profile ready to evaluate on each host of a job.
#[derive(Debug)]
pub struct NativePlan {
    pub profile: Arc<Profile>,
    /// The job's extra vars, as InSpec inputs (they win over inspec.yml and DSL defaults).
    pub inputs: Map<String, Value>,
    pub info: ProfileInfo,
    /// The template's `controls`: the only ones evaluated and reported.
    pub selection: Arc<ControlSelection>,
    /// `auto` only: the InSpec CLI for the (selected) controls the native evaluator cannot
    /// run, named in its `--controls`.
    pub fallback: Option<InspecPlan>,
}

impl NativePlan {
    pub fn new(
        template: &Template,
        profile: &str,
        extra_vars: &Map<String, Value>,
        job_id: &str,
        ctx: &RunContext,
    ) -> Result<Self, RunnerError> {
        if template.supermarket {
            // A reference, never a local path: only the InSpec CLI can fetch it.
            return Err(RunnerError::SupermarketNative(profile.to_string()));
        }
        let loaded = crate::profile::load(profile)?;
        check_dependencies(&loaded, &ctx.policy.path_roots)?;
        let info = profile_info(&loaded, extra_vars);
        let selection = Arc::new(template.control_selection().map_err(RunnerError::Refused)?);
        let fallback = if template.runner == ProfileRunner::Auto {
            let blocked: Vec<String> = native::coverage(&loaded)
                .controls
                .into_iter()
                .filter(|c| !c.supported && selection.wants(&c.id))
                .map(|c| c.id)
                .collect();
            if blocked.is_empty() {
                None
            } else {
                // Not installed: those controls stay skipped, each naming what blocks it.
                InspecPlan::new(template, profile, extra_vars, job_id, ctx)
                    .ok()
                    .map(|mut inspec| {
                        inspec.controls = blocked;
                        inspec
                    })
            }
        } else {
            None
        };
        Ok(NativePlan {
            profile: Arc::new(loaded),
            inputs: extra_vars.clone(),
            info,
            selection,
            fallback,
        })
    }
}

/// What InSpec's JSON reporter says of a profile (`Profile#info`): inspec.yml's header,
/// `supports` with the legacy `os-*` keys renamed, and the inputs as `attributes`
/// (`Input#to_hash`: the job's value over the profile's; a sensitive value is masked).
pub fn profile_info(p: &Profile, inputs: &Map<String, Value>) -> ProfileInfo {
    let m = &p.metadata;
    let supports = m
        .supports
        .iter()
        .map(|entry| {
            let renamed: Map<String, Value> = entry
                .iter()
                .map(|(k, v)| {
                    let k = match k.as_str() {
                        "os-family" => "platform-family",
                        "os-name" => "platform-name",
                        other => other,
                    };
                    (k.to_string(), v.clone())
                })
                .collect();
            Value::Object(renamed)
        })
        .collect();
    let attributes = p
        .inputs
        .iter()
        .map(|i| {
            let mut options = Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    options.insert(k.to_string(), v);
                }
            };
            put("description", i.description.clone().map(Value::String));
            put("type", i.type_.clone().map(Value::String));
            put("required", i.required.map(Value::Bool));
            let value = inputs.get(&i.name).cloned().or_else(|| i.value.clone());
            put(
                "value",
                match i.sensitive {
                    Some(true) => value.map(|_| Value::String("***".into())),
                    _ => value,
                },
            );
            put("sensitive", i.sensitive.map(Value::Bool));
            put("pattern", i.pattern.clone().map(Value::String));
            serde_json::json!({"name": i.name, "options": options})
        })
        .collect();
    ProfileInfo {
        name: m.name.clone().unwrap_or_default(),
        version: m.version.clone(),
        title: m.title.clone(),
        summary: m.summary.clone(),
        sha256: p.sha256().to_string(),
        maintainer: m.maintainer.clone(),
        license: m.license.clone(),
        copyright: m.copyright.clone(),
        copyright_email: m.copyright_email.clone(),
        supports,
        attributes,
        ..ProfileInfo::default()
    }
}

/// One attempt on one host: fills `r`; true when the failure is transient (unreachable).
pub async fn attempt(
    plan: &NativePlan,
    check: &HostCheck<'_>,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
    r: &mut HostResult,
) -> bool {
    let transport = transport_for(
        check.target,
        &check.ctx.ssh,
        check.ctx.runtime.control_path(),
        check.connect_timeout,
    );
    let host = Arc::new(Host::new(transport, None, cancel.child_token()));
    let profile = plan.profile.clone();
    let inputs = plan.inputs.clone();
    let selection = plan.selection.clone();
    let evaluated = tokio::task::spawn_blocking(move || {
        // Reach the host once before evaluating (and fetch what the profile needs in as few
        // round trips as the transport can): an unreachable host is one clear result, not
        // a failure per control.
        prepare(&profile, &host)?;
        // The report names the target's platform, as InSpec's (none when undetectable).
        let platform = detect_platform(&host).ok().map(|p| TargetPlatform {
            name: p.name,
            release: p.release,
        });
        if let Some(skip) = unsupported_platform(&profile, &host)? {
            return Ok((platform, Err(skip)));
        }
        let deps = dependency_report(&profile, &host)?;
        let evaluated = native::evaluate_selected(&profile, host, &inputs, selection);
        Ok::<_, TransportError>((platform, Ok((evaluated, deps))))
    })
    .await;
    let mut info = plan.info.clone();
    if let Ok(Ok((platform, _))) = &evaluated {
        info.platform = platform.clone();
    }
    let (evaluated, (depends, dependencies)) = match evaluated {
        Ok(Ok((_, Ok(done)))) => done,
        Ok(Ok((_, Err(skip_message)))) => {
            // InSpec loads no control of the profile and reports it `skipped`.
            r.status = HostStatus::Skipped;
            r.stdout = format!("{skip_message}\n");
            r.message = Some(skip_message.clone());
            info.status = Some("skipped".into());
            info.status_message = Some(skip_message);
            r.profile = Some(info);
            return false;
        }
        Ok(Err(TransportError::Unreachable(why))) => {
            r.status = HostStatus::Unreachable;
            r.message = Some(format!("unreachable: {why}"));
            return true;
        }
        Ok(Err(TransportError::Canceled | TransportError::TimedOut)) => {
            r.status = HostStatus::Canceled;
            r.message = Some("killed: the job was stopped".into());
            return false;
        }
        Ok(Err(TransportError::Failed(why))) => {
            r.status = HostStatus::Error;
            r.message = Some(why);
            return false;
        }
        Err(join) => {
            r.status = HostStatus::Error;
            r.message = Some(if join.is_panic() {
                "internal error: the native evaluator panicked".into()
            } else {
                "internal error: the native evaluation was aborted".into()
            });
            return false;
        }
    };
    if cancel.is_cancelled() {
        r.status = HostStatus::Canceled;
        r.message = Some("killed: the job was stopped".into());
        return false;
    }
    let mut controls = match evaluated {
        Ok(controls) => controls,
        Err(failed) => {
            // InSpec's ProfileLoadFailed (runner.rb `load`): it logs the error, reports the
            // profile `failed` with the message, runs none of its controls, and exits 1
            // whatever else happened (runner_rspec.rb `exit_code`): the host was not checked.
            let line = format!("Failed to load profile {}: {failed}", info.name);
            on_line(Stream::Stderr, line.clone());
            r.stderr = format!("{line}\n");
            r.status = HostStatus::Error;
            r.message = Some(failed.0.clone());
            info.status = Some("failed".into());
            info.status_message = Some(failed.0);
            info.depends = depends;
            info.dependencies = dependencies;
            r.profile = Some(info);
            return false;
        }
    };
    // A recorded state cannot be handed to the InSpec CLI.
    let fallback = plan
        .fallback
        .as_ref()
        .filter(|_| !matches!(check.target, Target::Fixture(_)));
    if let Some(fb) = fallback {
        if let Err(why) = run_fallback(fb, check, cancel, on_line, &mut controls).await {
            r.message = Some(format!("InSpec CLI fallback: {why}"));
        }
    }
    for c in &controls {
        on_line(
            Stream::Stdout,
            format!(
                "{:<7} {} {}",
                c.status.as_str(),
                c.id,
                c.title.as_deref().unwrap_or("")
            ),
        );
    }
    r.stdout = summary(&controls);
    r.status = inspec::host_status(&controls);
    info.depends = depends;
    info.dependencies = dependencies;
    r.profile = Some(info);
    r.controls = controls;
    false
}

/// The skip message when inspec.yml's `supports` excludes the target's platform
/// (InSpec's `Profile#supports_platform?`); the platform is only asked when there is a list.
fn unsupported_platform(profile: &Profile, host: &Host) -> Result<Option<String>, TransportError> {
    let supports = &profile.metadata.supports;
    if supports.is_empty() {
        return Ok(None);
    }
    let platform = detect_platform(host).map_err(|e| {
        TransportError::Failed(format!(
            "`supports`: the platform could not be detected: {e}"
        ))
    })?;
    let name = profile.metadata.name.as_deref().unwrap_or_default();
    Ok((!supported(supports, &platform)).then(|| skip_message(name, &platform)))
}

/// A profile whose dependencies cannot all be read does not run (InSpec fails to load it
/// too); a `path:` dependency, or a symlink in vendor/, must stay inside the profile roots.
fn check_dependencies(profile: &Profile, roots: &PathRoots) -> Result<(), RunnerError> {
    if let Some((name, why)) = profile.dependency_errors().into_iter().next() {
        return Err(RunnerError::Dependency {
            name: name.to_string(),
            why: why.to_string(),
        });
    }
    fn dirs(p: &Profile, out: &mut Vec<(String, String)>) {
        for d in &p.dependencies {
            if let Ok(r) = &d.resolved {
                out.push((d.name.clone(), r.dir.display().to_string()));
                dirs(&r.profile, out);
            }
        }
    }
    let mut all = Vec::new();
    dirs(profile, &mut all);
    for (name, dir) in all {
        roots
            .check("profile", &dir)
            .map_err(|e| RunnerError::Dependency {
                name,
                why: e.to_string(),
            })?;
    }
    Ok(())
}

/// The `depends` statuses and loaded dependency profiles for the report; the platform is
/// asked only when a dependency has `supports`.
fn dependency_report(
    profile: &Profile,
    host: &Host,
) -> Result<overlay::DependencyReport, TransportError> {
    if profile.dependencies.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let platform = if overlay::needs_platform(profile) {
        Some(detect_platform(host).map_err(|e| {
            TransportError::Failed(format!(
                "`supports` of a dependency: the platform could not be detected: {e}"
            ))
        })?)
    } else {
        None
    };
    Ok(overlay::dependency_report(profile, platform.as_ref()))
}

/// Runs the InSpec CLI for the statically blocked controls and puts its results in place of
/// the native evaluator's skips.
async fn run_fallback(
    fb: &InspecPlan,
    check: &HostCheck<'_>,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
    controls: &mut [ControlResult],
) -> Result<(), RunnerError> {
    let (argv, report) = fb.argv(check.target, check.connect_timeout, &check.ctx.ssh);
    let out = process::run(&argv, check.ctx.tail_bytes, cancel, on_line)
        .await
        .map_err(|e| RunnerError::Spawn {
            program: fb.program.display().to_string(),
            message: e.to_string(),
        })?;
    let code = match out.exit {
        process::Exit::Exited { code, .. } => code,
        process::Exit::Killed => return Err(RunnerError::Killed),
    };
    let mut r = HostResult::not_run(check.host, HostStatus::Error, "");
    r.stderr = out.stderr;
    inspec::interpret(code, &report, &mut r);
    if r.controls.is_empty() {
        return Err(RunnerError::BadOutput(
            r.message.unwrap_or_else(|| "no results".into()),
        ));
    }
    for theirs in r.controls {
        if let Some(ours) = controls
            .iter_mut()
            .find(|c| c.id == theirs.id && c.status == ControlStatus::Skipped)
        {
            *ours = theirs;
        }
    }
    Ok(())
}

/// `12 controls: 9 passed, 2 failed, 1 skipped`.
fn summary(controls: &[ControlResult]) -> String {
    let n = crate::job::ControlCounts::of(controls);
    format!(
        "{} controls: {} passed, {} failed, {} skipped\n",
        n.total(),
        n.passed,
        n.failed,
        n.skipped
    )
}
