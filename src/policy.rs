//! What an executor lets its callers do, decided here once for the Python API, the CLI and
//! the server alike: which directories templates may name (profiles, playbooks,
//! inventories), whether `command` templates and local connections run at all, and which
//! Ansible variables a job's caller may set.
//!
//! Checked when a template is created or updated, and again when a job is submitted and
//! when it runs (the path may have become a symlink since; a template stored before the
//! policy changed is held to the new one).

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, ValidationError};
use crate::host::{FIXTURE, LOCAL};
use crate::template::{Connection, Template};

/// Directories a template's paths must resolve inside. `None`: any path (the default for the
/// Python API and the CLI, which run as their caller anyway).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathRoots {
    pub profiles: Option<Vec<PathBuf>>,
    pub playbooks: Option<Vec<PathBuf>>,
    pub inventories: Option<Vec<PathBuf>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub path_roots: PathRoots,
    /// `command` templates (an argv run as the executor's user) are accepted.
    pub allow_commands: bool,
    /// Checks that run on the executor's own machine (`connection: local`, `local://`
    /// hosts, `ansible_connection: local`) are accepted.
    pub allow_local: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            path_roots: PathRoots::default(),
            allow_commands: true,
            allow_local: true,
        }
    }
}

pub use crate::template::ANSIBLE_VAR_PREFIX;

/// `path` made absolute and resolved like `realpath -m`: every existing component with its
/// symlinks followed, `..` applied to what is resolved so far (so it cannot climb out of a
/// symlink's target), and the part that does not exist yet kept as written.
pub fn resolve(path: &str) -> Result<PathBuf, String> {
    let p = Path::new(path);
    let start = if p.is_absolute() {
        PathBuf::from("/")
    } else {
        std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?
    };
    let mut resolved = std::fs::canonicalize(&start).map_err(|e| format!("cannot resolve: {e}"))?;
    let mut exists = true;
    for part in p.components() {
        match part {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if exists {
                    match std::fs::canonicalize(&resolved) {
                        Ok(real) => resolved = real,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            // A dangling symlink must not be kept as a path "inside".
                            if std::fs::symlink_metadata(&resolved).is_ok() {
                                return Err("is a symlink to nothing".into());
                            }
                            exists = false;
                        }
                        Err(e) => return Err(format!("cannot resolve: {e}")),
                    }
                }
            }
        }
    }
    Ok(resolved)
}

impl PathRoots {
    /// Every setting the same list (the server's one-list form).
    pub fn all(roots: Vec<PathBuf>) -> Self {
        PathRoots {
            profiles: Some(roots.clone()),
            playbooks: Some(roots.clone()),
            inventories: Some(roots),
        }
    }

    fn roots_for(&self, field: &str) -> Option<&[PathBuf]> {
        match field {
            "profile" => self.profiles.as_deref(),
            "playbook" => self.playbooks.as_deref(),
            _ => self.inventories.as_deref(),
        }
    }

    /// The path resolved (see [`resolve`]) when it lies inside one of `field`'s roots, or
    /// when `field` has none; `Error::PathNotAllowed` naming `field` otherwise.
    pub fn check(&self, field: &str, value: &str) -> Result<PathBuf, Error> {
        let deny = |rule: String| Error::PathNotAllowed(ValidationError::new(field, rule));
        if value.contains("://") {
            return Err(deny(format!("{field} must be a local path, not a URL")));
        }
        let resolved = resolve(value).map_err(|e| deny(format!("{field} {value:?} {e}")))?;
        let Some(roots) = self.roots_for(field) else {
            return Ok(resolved);
        };
        for root in roots {
            if let Ok(root) = resolve(&root.display().to_string()) {
                if resolved.starts_with(&root) {
                    return Ok(resolved);
                }
            }
        }
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        let allowed = if shown.is_empty() {
            "(none configured)".to_string()
        } else {
            shown.join(":")
        };
        Err(deny(format!(
            "{field} {value:?} is outside the allowed {field} roots: {allowed}"
        )))
    }
}

impl Policy {
    /// The template as it may run: the policy's rules checked, its profile (unless a
    /// Supermarket reference), playbook and inventory replaced by their resolved paths.
    pub fn admit(&self, t: &Template) -> Result<Template, Error> {
        let refuse = |field: &str, rule: &str| Err(ValidationError::new(field, rule).into());
        if t.command.is_some() && !self.allow_commands {
            return refuse(
                "command",
                "command templates are disabled on this executor (allow_commands is off)",
            );
        }
        if !self.allow_local {
            if t.connection == Connection::Local {
                return refuse("connection", LOCAL_OFF);
            }
            let targets_local = t
                .target
                .as_deref()
                .is_some_and(|s| s.split(',').any(|h| h.trim() == LOCAL));
            if targets_local {
                return refuse("target", LOCAL_OFF);
            }
            if sets_local_connection(&t.extra_vars) {
                return refuse("extra_vars", LOCAL_OFF);
            }
        }
        let mut admitted = t.clone();
        let roots = &self.path_roots;
        if let (Some(p), false) = (&t.profile, t.supermarket) {
            admitted.profile = Some(roots.check("profile", p)?.display().to_string());
        }
        if let Some(p) = &t.playbook {
            admitted.playbook = Some(roots.check("playbook", p)?.display().to_string());
        }
        if let Some(p) = &t.inventory {
            admitted.inventory = Some(roots.check("inventory", p)?.display().to_string());
        }
        Ok(admitted)
    }

    /// A job's explicit hosts: `local://` only when local connections are allowed.
    pub fn check_hosts(&self, hosts: &[String]) -> Result<(), Error> {
        if !self.allow_local && hosts.iter().any(|h| h == LOCAL) {
            return Err(ValidationError::new("hosts", LOCAL_OFF).into());
        }
        for dir in hosts.iter().filter_map(|h| h.strip_prefix(FIXTURE)) {
            self.check_fixture(dir)?;
        }
        Ok(())
    }

    /// A `fixture://DIR` host's state directory: files of this machine that the evaluator
    /// reads, so it must resolve inside the inventory roots (host data, as an inventory is);
    /// `PathNotAllowed` naming `hosts` otherwise.
    pub fn check_fixture(&self, dir: &str) -> Result<PathBuf, Error> {
        self.path_roots
            .check("inventory", dir)
            .map_err(|e| match e {
                Error::PathNotAllowed(v) => Error::PathNotAllowed(ValidationError::new(
                    "hosts",
                    format!("fixture state directory: {}", v.rule),
                )),
                other => other,
            })
    }

    /// The extra vars a job's caller adds to the template's: `ansible_*` keys only when the
    /// template lists them in `allow_ansible_vars` (or allows `*`), and never a local
    /// connection when local connections are off.
    pub fn check_caller_vars(
        &self,
        t: &Template,
        vars: &Map<String, Value>,
    ) -> Result<(), ValidationError> {
        crate::template::check_extra_vars(vars)?;
        let allowed = |k: &str| t.allow_ansible_vars.iter().any(|a| a == "*" || a == k);
        if let Some(k) = vars
            .keys()
            .find(|k| k.starts_with(ANSIBLE_VAR_PREFIX) && !allowed(k))
        {
            return Err(ValidationError::new(
                "extra_vars",
                format!(
                    "{k:?} is an Ansible connection or behaviour variable; a job may set it \
                     only when its template lists it in allow_ansible_vars"
                ),
            ));
        }
        if !self.allow_local && sets_local_connection(vars) {
            return Err(ValidationError::new("extra_vars", LOCAL_OFF));
        }
        Ok(())
    }
}

const LOCAL_OFF: &str =
    "checks on the executor's own machine (connection local, local://) are disabled on this \
     executor (allow_local is off)";

fn sets_local_connection(vars: &Map<String, Value>) -> bool {
    vars.get("ansible_connection").and_then(Value::as_str) == Some("local")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateSpec;

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    fn tmp() -> Tmp {
        let d = std::env::temp_dir().join(format!("airs-policy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(d.join("root/profiles/p")).unwrap();
        Tmp(std::fs::canonicalize(d).unwrap())
    }

    fn template(f: impl FnOnce(&mut TemplateSpec)) -> Template {
        let mut s = TemplateSpec {
            name: Some("t".into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        };
        f(&mut s);
        Template::create(s).unwrap()
    }

    fn field(e: Error) -> String {
        match e {
            Error::Validation(v) | Error::PathNotAllowed(v) => v.field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn resolve_follows_symlinks_and_parent_dirs() {
        let d = tmp();
        let root = d.0.join("root");
        std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
        std::os::unix::fs::symlink(d.0.join("nothing"), root.join("dangling")).unwrap();
        let roots = PathRoots::all(vec![root.clone()]);
        let ok = |p: &str| roots.check("inventory", p);
        assert_eq!(
            ok(&format!("{}/profiles/p", root.display())).unwrap(),
            root.join("profiles/p")
        );
        // Not there yet: still inside.
        assert!(ok(&format!("{}/profiles/new/x.ini", root.display())).is_ok());
        for bad in [
            "/etc/hosts".to_string(),
            format!("{}/../x", root.display()),
            format!("{}/profiles/../../x", root.display()),
            format!("{}/escape/hosts", root.display()),
            format!("{}/dangling", root.display()),
            "ssh://x/y".into(),
        ] {
            assert_eq!(field(ok(&bad).unwrap_err()), "inventory", "{bad}");
        }
        // `..` after a symlink climbs from the symlink's target, as the kernel does.
        assert_eq!(
            resolve(&format!("{}/escape/..", root.display())).unwrap(),
            Path::new("/")
        );
    }

    #[test]
    fn admit_checks_every_path_and_the_switches() {
        let d = tmp();
        let root = d.0.join("root");
        let policy = Policy {
            path_roots: PathRoots::all(vec![root.clone()]),
            allow_commands: false,
            allow_local: false,
        };
        let inside = root.join("profiles/p").display().to_string();
        let profile = |p: &str| {
            let p = p.to_string();
            template(move |s| {
                s.command = None;
                s.profile = Some(p);
            })
        };
        assert_eq!(
            policy.admit(&profile(&inside)).unwrap().profile,
            Some(inside.clone())
        );
        assert_eq!(
            field(policy.admit(&profile("/etc")).unwrap_err()),
            "profile"
        );
        let inv = template(|s| {
            s.command = None;
            s.playbook = Some(inside.clone());
            s.inventory = Some("/dev/zero".into());
        });
        assert_eq!(field(policy.admit(&inv).unwrap_err()), "inventory");
        assert_eq!(
            field(policy.admit(&template(|_| {})).unwrap_err()),
            "command"
        );
        let local = |f: fn(&mut TemplateSpec)| {
            let mut t = profile(&inside);
            let mut s = TemplateSpec::default();
            f(&mut s);
            t = t.updated(s).unwrap();
            field(policy.admit(&t).unwrap_err())
        };
        assert_eq!(
            local(|s| s.connection = Some(Connection::Local)),
            "connection"
        );
        assert_eq!(local(|s| s.target = Some("a,local://".into())), "target");
        assert_eq!(
            local(|s| {
                let mut m = Map::new();
                m.insert("ansible_connection".into(), "local".into());
                s.extra_vars = Some(m);
            }),
            "extra_vars"
        );
        assert!(policy.check_hosts(&["local://".into()]).is_err());
        // A recorded host state is read from this machine: held to the inventory roots.
        let state = format!("fixture://{}", root.join("states/debian").display());
        assert!(policy.check_hosts(std::slice::from_ref(&state)).is_ok());
        for outside in ["fixture:///proc/self", "fixture:///", "fixture://../../etc"] {
            assert_eq!(
                field(policy.check_hosts(&[outside.into()]).unwrap_err()),
                "hosts"
            );
        }
        assert!(Policy::default()
            .check_hosts(&["fixture:///srv".into()])
            .is_ok());
        // Unrestricted by default.
        assert!(Policy::default().admit(&template(|_| {})).is_ok());
    }

    #[test]
    fn a_supermarket_reference_skips_the_roots_but_is_never_a_path() {
        let policy = Policy {
            path_roots: PathRoots::all(vec![]),
            ..Policy::default()
        };
        let t = template(|s| {
            s.command = None;
            s.profile = Some("dev-sec/linux-baseline".into());
            s.supermarket = Some(true);
        });
        assert_eq!(
            policy.admit(&t).unwrap().profile.as_deref(),
            Some("dev-sec/linux-baseline")
        );
        // Switched back to a local path: the roots apply again.
        let back = t
            .updated(TemplateSpec {
                supermarket: Some(false),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(field(policy.admit(&back).unwrap_err()), "profile");
    }

    #[test]
    fn caller_vars_need_the_template_to_allow_ansible_keys() {
        let policy = Policy::default();
        let vars = |k: &str| {
            let mut m = Map::new();
            m.insert(k.into(), Value::from("x"));
            m
        };
        let t = template(|_| {});
        for k in [
            "ansible_ssh_common_args",
            "ansible_become_exe",
            "ansible_connection",
            "ansible_python_interpreter",
            "ansible_shell_executable",
        ] {
            let e = policy.check_caller_vars(&t, &vars(k)).unwrap_err();
            assert_eq!(e.field, "extra_vars");
            assert!(e.rule.contains(k), "{e}");
        }
        policy.check_caller_vars(&t, &vars("app_port")).unwrap();
        let allowing = template(|s| s.allow_ansible_vars = Some(vec!["ansible_port".into()]));
        policy
            .check_caller_vars(&allowing, &vars("ansible_port"))
            .unwrap();
        assert!(policy
            .check_caller_vars(&allowing, &vars("ansible_user"))
            .is_err());
    }
}
