//! Profile dependencies (`depends` in inspec.yml), resolved as `inspec exec` does with a
//! vendored profile (`lib/inspec/dependencies/`): a `path:` dependency is read from its
//! directory (relative to the profile); every other source (`url`, `git`, `supermarket`,
//! `compliance`) only from `vendor/`, laid out by `inspec vendor`: `inspec.lock` names each
//! dependency's `resolved_source`, whose `sha256` (or git `ref`) is the name of its
//! directory under `vendor/`. Nothing is fetched: a dependency that is not vendored is an
//! error naming it.
//!
//! Loading stays lenient (a model of a profile whose dependencies are missing is still
//! useful): each dependency keeps its error, and [`Profile::dependency_errors`] lists them
//! for the runner, which refuses to evaluate such a profile.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::metadata::{self, yaml_to_json};
use super::model::{Dependency, Profile, Resolved};
use super::ProfileError;

/// Deeper chains than this are refused (a cycle through symlinks, or a runaway tree).
const MAX_DEPTH: usize = 16;

impl Dependency {
    pub fn profile(&self) -> Option<&Arc<Profile>> {
        self.resolved.as_ref().ok().map(|r| &r.profile)
    }

    /// `source value` as InSpec names the dependency in messages (`git https://...`).
    pub fn source(&self) -> String {
        let s = &self.spec;
        let (kind, value) = match (&s.path, &s.git, &s.url, &s.supermarket, &s.compliance) {
            (Some(p), ..) => ("path", p),
            (_, Some(g), ..) => ("git", g),
            (_, _, Some(u), ..) => ("url", u),
            (_, _, _, Some(m), _) => ("supermarket", m),
            (_, _, _, _, Some(c)) => ("compliance", c),
            _ => return "no source".into(),
        };
        format!("{kind} {value}")
    }
}

impl Profile {
    /// The dependency `include_controls NAME` reaches: a direct one, then the transitive
    /// ones (InSpec flattens the tree); `NAME` may also be `name-version`.
    pub fn dependency(&self, name: &str) -> Option<&Dependency> {
        let matches = |d: &Dependency| {
            d.name == name
                || d.profile().is_some_and(|p| {
                    p.metadata
                        .version
                        .as_ref()
                        .is_some_and(|v| format!("{}-{v}", d.name) == name)
                })
        };
        if let Some(d) = self.dependencies.iter().find(|d| matches(d)) {
            return Some(d);
        }
        self.dependencies
            .iter()
            .filter_map(|d| d.profile())
            .find_map(|p| p.dependency(name))
    }

    /// Every dependency that could not be resolved, transitively: `(name, why)`.
    pub fn dependency_errors(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for d in &self.dependencies {
            match &d.resolved {
                Err(e) => out.push((d.name.clone(), e.clone())),
                Ok(r) => out.extend(r.profile.dependency_errors()),
            }
        }
        out
    }
}

/// Where a profile's non-path dependencies are looked up.
#[derive(Clone, Default)]
pub(super) struct Context {
    /// Canonical directories of the profiles being loaded, outermost first (cycles).
    stack: Vec<PathBuf>,
    /// `vendor/` directories, nearest first.
    vendor: Vec<PathBuf>,
    /// The `inspec.lock` entries for this profile's dependencies, when an ancestor's lock
    /// lists them (nested `dependencies:`) and the profile has no lock of its own.
    lock: Option<Vec<Value>>,
}

/// Resolves the dependencies of `profile`, loaded from `dir`.
pub(super) fn attach(profile: &mut Profile, dir: &Path, cx: &Context) -> Result<(), ProfileError> {
    if profile.metadata.depends.is_empty() {
        return Ok(());
    }
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut cx = cx.clone();
    cx.stack.push(canonical);
    let vendor = dir.join("vendor");
    if vendor.is_dir() {
        cx.vendor.insert(0, vendor);
    }
    let lock_path = dir.join("inspec.lock");
    let own_lock = if lock_path.is_file() {
        Some(read_lock(&lock_path)?)
    } else {
        None
    };
    // InSpec reads the whole tree from the top lockfile (`from_lock_entry` nests it); a
    // dependency's own inspec.lock counts only where the tree has nothing for it.
    let lock = cx.lock.clone().or(own_lock);
    let mut names: Vec<String> = Vec::new();
    for spec in profile.metadata.depends.clone() {
        let resolved = resolve(&spec, dir, lock.as_deref(), &cx);
        let name = spec
            .name
            .clone()
            .or_else(|| {
                resolved
                    .as_ref()
                    .ok()
                    .and_then(|r| r.profile.metadata.name.clone())
            })
            .unwrap_or_else(|| "(unnamed)".into());
        let resolved = if names.contains(&name) {
            // Inspec::DuplicateDep
            Err(format!(
                "the dependency {name} is listed twice in the inspec.yml for this profile"
            ))
        } else {
            resolved
        };
        names.push(name.clone());
        profile.dependencies.push(Dependency {
            name,
            spec,
            resolved,
        });
    }
    Ok(())
}

fn read_lock(path: &Path) -> Result<Vec<Value>, ProfileError> {
    let shown = path.display().to_string();
    let text = super::read_limited(path, &shown)?;
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| ProfileError::Parse {
            file: shown.clone(),
            line: e.location().map_or(1, |l| l.line() as u32),
            column: e.location().map_or(1, |l| l.column() as u32),
            message: format!("invalid YAML: {e}"),
        })?;
    let doc = yaml_to_json(yaml);
    let bad = |message: String| ProfileError::Parse {
        file: shown.clone(),
        line: 1,
        column: 1,
        message,
    };
    match doc.get("lockfile_version").and_then(Value::as_i64) {
        Some(1) => {}
        Some(v) => {
            return Err(bad(format!(
                "lockfile_version {v} is not supported (InSpec writes version 1)"
            )))
        }
        None => return Err(bad("no lockfile_version set".into())),
    }
    Ok(match doc.get("depends") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    })
}

fn resolve(
    spec: &metadata::Dependency,
    dir: &Path,
    lock: Option<&[Value]>,
    cx: &Context,
) -> Result<Resolved, String> {
    if cx.stack.len() > MAX_DEPTH {
        return Err(format!(
            "dependencies nest deeper than {MAX_DEPTH} profiles"
        ));
    }
    let entry = lock.and_then(|l| lock_entry(l, spec));
    let (root, relative) = match &spec.path {
        Some(p) => (dir.join(p), None),
        None => {
            if spec.source.is_none() {
                return Err("no source (path, url, git, supermarket or compliance) given".into());
            }
            let Some(entry) = entry else {
                return Err(match lock {
                    None => "it is not vendored: the profile has no inspec.lock (run `inspec \
                             vendor` on the profile; dependencies are never fetched at run time)"
                        .into(),
                    Some(_) => "it is not vendored: inspec.lock has no entry for it (run \
                                `inspec vendor --overwrite` on the profile)"
                        .into(),
                });
            };
            let source = entry.get("resolved_source").cloned().unwrap_or(Value::Null);
            let keys = cache_keys(&source);
            if keys.is_empty() {
                return Err(
                    "its inspec.lock entry has no sha256 or ref to find it in vendor/".into(),
                );
            }
            let found = cx.vendor.iter().find_map(|v| {
                keys.iter().find_map(|k| {
                    let d = v.join(k);
                    d.is_dir().then_some(d)
                })
            });
            let Some(found) = found else {
                let archived = cx.vendor.iter().any(|v| {
                    keys.iter().any(|k| {
                        v.join(format!("{k}.tar.gz")).exists()
                            || v.join(format!("{k}.zip")).exists()
                    })
                });
                return Err(if archived {
                    format!(
                        "vendor/{} is an archive: extract it (as `inspec vendor` does)",
                        keys.join(" or vendor/")
                    )
                } else {
                    format!(
                        "it is not vendored: vendor/{} does not exist (run `inspec vendor \
                         --overwrite` on the profile)",
                        keys.join(" or vendor/")
                    )
                });
            };
            let relative = source
                .get("relative_path")
                .and_then(Value::as_str)
                .map(String::from);
            (found, relative)
        }
    };
    let root = profile_root(&root, relative.as_deref())?;
    let canonical = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
    if cx.stack.contains(&canonical) {
        return Err(format!(
            "it would cause a dependency cycle ({} is already being loaded)",
            canonical.display()
        ));
    }
    let sources = Arc::new(super::read_sources(&root).map_err(|e| e.to_string())?);
    let mut profile = super::build_shared(&sources).map_err(|e| e.to_string())?;
    let child = Context {
        stack: cx.stack.clone(),
        vendor: cx.vendor.clone(),
        lock: entry.and_then(|e| match e.get("dependencies") {
            Some(Value::Array(d)) => Some(d.clone()),
            _ => None,
        }),
    };
    attach(&mut profile, &root, &child).map_err(|e| e.to_string())?;
    check_version(spec, entry, &profile)?;
    Ok(Resolved {
        dir: root,
        profile: Arc::new(profile),
    })
}

/// The lock entry of `spec`: by name, else by the same url/git.
fn lock_entry<'a>(lock: &'a [Value], spec: &metadata::Dependency) -> Option<&'a Value> {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    lock.iter()
        .find(|e| spec.name.is_some() && str_of(e, "name") == spec.name)
        .or_else(|| {
            lock.iter().find(|e| {
                let src = e.get("resolved_source").cloned().unwrap_or(Value::Null);
                (spec.git.is_some() && str_of(&src, "git") == spec.git)
                    || (spec.url.is_some() && str_of(&src, "url") == spec.url)
            })
        })
}

/// The names `inspec vendor` gives the dependency's directory under vendor/: the lock's
/// `sha256` or git `ref` (`CachedFetcher#cache_key`), and for git with `relative_path` the
/// git fetcher's own key.
fn cache_keys(source: &Value) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let s = |k: &str| source.get(k).and_then(Value::as_str);
    let hex = |t: String| -> String {
        Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut keys: Vec<String> = Vec::new();
    for k in [s("sha256"), s("ref")].into_iter().flatten() {
        keys.push(k.to_string());
    }
    if let (Some(git), Some(rel)) = (s("git"), s("relative_path")) {
        keys.push(hex(format!("{}{rel}", s("ref").unwrap_or(git))));
    } else if let (Some(git), None) = (s("git"), s("ref")) {
        keys.push(hex(git.to_string()));
    }
    // A key is a file name: nothing that could leave vendor/.
    keys.retain(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()));
    keys
}

/// The profile inside a dependency's directory: the directory itself, its `relative_path`,
/// or its one subdirectory with an inspec.yml (archives of a repository unpack into one).
fn profile_root(dir: &Path, relative: Option<&str>) -> Result<PathBuf, String> {
    if !dir.exists() {
        return Err(format!("{} does not exist", dir.display()));
    }
    if dir.join("inspec.yml").is_file() {
        return Ok(dir.to_path_buf());
    }
    if let Some(rel) = relative {
        let d = dir.join(rel);
        if d.join("inspec.yml").is_file() && !rel.split('/').any(|p| p == "..") {
            return Ok(d);
        }
    }
    let inner: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join("inspec.yml").is_file())
        .collect();
    match inner.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "{} holds no profile (no inspec.yml)",
            dir.display()
        )),
    }
}

/// The `version` constraint of the entry (or the lock's `version_constraints`) against the
/// profile's version (`Inspec::UnsatisfiedVersionSpecification`).
fn check_version(
    spec: &metadata::Dependency,
    entry: Option<&Value>,
    profile: &Profile,
) -> Result<(), String> {
    let mut constraints: Vec<String> = Vec::new();
    match entry.and_then(|e| e.get("version_constraints")) {
        Some(Value::Array(cs)) => {
            constraints.extend(cs.iter().filter_map(|c| c.as_str().map(String::from)))
        }
        Some(Value::String(c)) => constraints.push(c.clone()),
        _ => constraints.extend(spec.version.clone()),
    }
    let Some(version) = profile.metadata.version.as_deref() else {
        return Ok(());
    };
    for c in &constraints {
        if satisfies(c, version) == Some(false) {
            return Err(format!(
                "the profile has a version {version} which doesn't match {c}"
            ));
        }
    }
    Ok(())
}

fn parts(v: &str) -> Option<Vec<u64>> {
    v.trim()
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()
        .filter(|p| !p.is_empty())
}

/// A Semverse constraint (`= 1.2`, `>= 1.0`, `~> 2.1`, `< 3`...) against a version; None
/// when either cannot be read (then nothing is refused).
pub fn satisfies(constraint: &str, version: &str) -> Option<bool> {
    let c = constraint.trim();
    let (op, rest) = ["~>", ">=", "<=", "!=", "=", ">", "<"]
        .iter()
        .find_map(|op| c.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("=", c));
    let want = parts(rest)?;
    let have = parts(version)?;
    let cmp = |a: &[u64], b: &[u64]| {
        let n = a.len().max(b.len());
        let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        (0..n)
            .map(|i| get(a, i).cmp(&get(b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    use std::cmp::Ordering::*;
    let o = cmp(&have, &want);
    Some(match op {
        "=" => o == Equal,
        "!=" => o != Equal,
        ">" => o == Greater,
        ">=" => o != Less,
        "<" => o == Less,
        "<=" => o != Greater,
        _ => {
            // ~> 2.1 means >= 2.1, < 3.0; ~> 2.1.3 means >= 2.1.3, < 2.2.
            let mut upper: Vec<u64> = want[..want.len().saturating_sub(1).max(1)].to_vec();
            if want.len() > 1 {
                if let Some(last) = upper.last_mut() {
                    *last += 1;
                }
            } else if let Some(first) = upper.first_mut() {
                *first += 1;
            }
            o != Less && cmp(&have, &upper) == Less
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constraints_as_semverse_reads_them() {
        for (c, v, want) in [
            (">= 1.0", "1.2.0", true),
            ("< 1.0", "1.2.0", false),
            ("= 1.2", "1.2.0", true),
            ("1.2.0", "1.2.1", false),
            ("~> 2.1", "2.9.0", true),
            ("~> 2.1", "3.0.0", false),
            ("~> 2.1.3", "2.1.9", true),
            ("~> 2.1.3", "2.2.0", false),
            ("!= 1.0", "1.0.0", false),
        ] {
            assert_eq!(satisfies(c, v), Some(want), "{c} {v}");
        }
        assert_eq!(satisfies(">= x", "1.0"), None);
    }

    #[test]
    fn cache_keys_are_file_names_only() {
        let src = serde_json::json!({"url": "https://x/y.tar.gz", "sha256": "ab12"});
        assert_eq!(cache_keys(&src), vec!["ab12".to_string()]);
        let evil = serde_json::json!({"sha256": "../../etc"});
        assert!(cache_keys(&evil).is_empty());
        let git =
            serde_json::json!({"git": "https://g/r.git", "ref": "c0ffee", "relative_path": "sub"});
        let keys = cache_keys(&git);
        assert_eq!(keys[0], "c0ffee");
        assert_eq!(keys.len(), 2);
    }
}
