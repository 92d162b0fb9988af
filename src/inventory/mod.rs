//! Ansible inventories (INI and YAML) parsed in Rust: groups, children, group and host
//! variables with Ansible's precedence, and host patterns for `limit` / `target`.

mod ini;
mod pattern;
mod vars_dirs;
mod yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::template::Template;

pub use pattern::select;

/// Largest inventory file read.
pub const INVENTORY_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Largest `[a:b]` host range expanded.
pub const RANGE_MAX: usize = 100_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    /// Hosts listed directly in the group.
    pub hosts: Vec<String>,
    pub children: Vec<String>,
    pub vars: Map<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    /// Hosts in order of first appearance.
    hosts: Vec<String>,
    host_vars: HashMap<String, Map<String, Value>>,
    groups: BTreeMap<String, Group>,
    /// From `group_vars/` beside the inventory file, by group (`all` included).
    dir_group_vars: BTreeMap<String, Map<String, Value>>,
    /// From `host_vars/` beside the inventory file, by host.
    dir_host_vars: HashMap<String, Map<String, Value>>,
}

impl Inventory {
    /// Reads an inventory file: YAML when it ends in .yml/.yaml/.json or starts like a
    /// YAML mapping, otherwise INI. Errors name the `inventory` field.
    pub fn load(path: &str) -> Result<Self, ValidationError> {
        let err = |rule: String| ValidationError::new("inventory", rule);
        let p = Path::new(path);
        let bytes = crate::fsread::read_bounded(p, INVENTORY_MAX_BYTES).map_err(|e| match e {
            crate::fsread::ReadError::NotRegular("directory") => err(format!(
                "{path:?} is a directory; give one INI or YAML file"
            )),
            e => err(format!("{path:?} {e}")),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            err(format!(
                "{path:?} is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        let yamlish = matches!(ext, "yml" | "yaml" | "json")
            || text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .is_some_and(|l| l.starts_with('{') || (l.ends_with(':') && !l.starts_with('[')));
        let mut inv = if yamlish {
            Self::from_yaml(&text).map_err(|e| err(format!("{path}: {e}")))?
        } else {
            Self::from_ini(&text).map_err(|e| err(format!("{path}: {e}")))?
        };
        if let Some(dir) = p.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            inv.read_vars_dirs(dir).map_err(err)?;
        }
        Ok(inv)
    }

    /// Reads `group_vars/` and `host_vars/` in `dir` for the inventory's groups and hosts.
    pub fn read_vars_dirs(&mut self, dir: &Path) -> Result<(), String> {
        let (gdir, hdir) = (dir.join("group_vars"), dir.join("host_vars"));
        if gdir.is_dir() {
            for g in self.group_names() {
                if let Some(v) = vars_dirs::vars_for_name(dir, &gdir, &g)? {
                    self.dir_group_vars.insert(g, v);
                }
            }
        }
        if hdir.is_dir() {
            for h in self.hosts.clone() {
                if let Some(v) = vars_dirs::vars_for_name(dir, &hdir, &h)? {
                    self.dir_host_vars.insert(h, v);
                }
            }
        }
        Ok(())
    }

    pub fn from_ini(text: &str) -> Result<Self, String> {
        ini::parse(text)
    }

    pub fn from_yaml(text: &str) -> Result<Self, String> {
        yaml::parse(text)
    }

    pub(crate) fn add_host(&mut self, host: &str) {
        if !self.host_vars.contains_key(host) {
            self.hosts.push(host.to_string());
            self.host_vars.insert(host.to_string(), Map::new());
        }
    }

    pub(crate) fn host_vars_mut(&mut self, host: &str) -> &mut Map<String, Value> {
        self.add_host(host);
        self.host_vars.entry(host.to_string()).or_default()
    }

    pub(crate) fn group_mut(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Every host, in inventory order.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub fn contains_host(&self, host: &str) -> bool {
        self.host_vars.contains_key(host)
    }

    /// Group names, `all` and `ungrouped` included.
    pub fn group_names(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = self.groups.keys().cloned().collect();
        names.insert("all".into());
        names.insert("ungrouped".into());
        names.into_iter().collect()
    }

    /// Hosts of a group, its descendants' included, in inventory order. `all` is every
    /// host; `ungrouped` those in no group but `all`.
    pub fn group_hosts(&self, group: &str) -> Option<Vec<String>> {
        match group {
            "all" => return Some(self.hosts.clone()),
            "ungrouped" => {
                let grouped: BTreeSet<&String> = self
                    .groups
                    .iter()
                    .filter(|(n, _)| n.as_str() != "all" && n.as_str() != "ungrouped")
                    .flat_map(|(_, g)| g.hosts.iter())
                    .collect();
                let mut out: Vec<String> = self
                    .hosts
                    .iter()
                    .filter(|h| !grouped.contains(h))
                    .cloned()
                    .collect();
                if let Some(g) = self.groups.get("ungrouped") {
                    for h in &g.hosts {
                        if !out.contains(h) {
                            out.push(h.clone());
                        }
                    }
                }
                return Some(out);
            }
            _ => {}
        }
        self.groups.get(group)?;
        let mut members = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![group.to_string()];
        while let Some(g) = stack.pop() {
            if !seen.insert(g.clone()) {
                continue; // a cycle: each group once
            }
            if let Some(gr) = self.groups.get(&g) {
                members.extend(gr.hosts.iter().cloned());
                stack.extend(gr.children.iter().cloned());
            }
        }
        Some(
            self.hosts
                .iter()
                .filter(|h| members.contains(*h))
                .cloned()
                .collect(),
        )
    }

    /// Each group's depth below `all` (longest path), for variable precedence.
    fn depths(&self) -> HashMap<String, usize> {
        let mut depth: HashMap<String, usize> = HashMap::new();
        let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, g) in &self.groups {
            for c in &g.children {
                parents.entry(c.as_str()).or_default().push(name.as_str());
            }
        }
        fn d<'a>(
            g: &'a str,
            parents: &HashMap<&'a str, Vec<&'a str>>,
            memo: &mut HashMap<String, usize>,
            guard: usize,
        ) -> usize {
            if g == "all" {
                return 0;
            }
            if let Some(v) = memo.get(g) {
                return *v;
            }
            let v = if guard > 64 {
                1 // cycle or absurd nesting: stop
            } else {
                1 + parents
                    .get(g)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| d(p, parents, memo, guard + 1))
                            .max()
                            .unwrap_or(0)
                    })
                    .unwrap_or(0)
            };
            memo.insert(g.to_string(), v);
            v
        }
        for name in self.groups.keys() {
            d(name, &parents, &mut depth, 0);
        }
        depth
    }

    /// The host's variables in Ansible's documented precedence, each later layer winning:
    /// the inventory file's `all` vars, its groups' vars (shallowest to deepest: children
    /// override parents; same depth: by name), `group_vars/all`, `group_vars/<group>` in the
    /// same group order, the file's host vars, `host_vars/<host>`.
    pub fn vars_for(&self, host: &str) -> Option<Map<String, Value>> {
        let own = self.host_vars.get(host)?;
        let depths = self.depths();
        let mut groups: Vec<(usize, String)> = self
            .group_names()
            .into_iter()
            .filter(|g| g.as_str() != "all")
            .filter(|g| {
                self.group_hosts(g)
                    .is_some_and(|hs| hs.iter().any(|h| h == host))
            })
            .map(|g| (depths.get(&g).copied().unwrap_or(1), g))
            .collect();
        groups.sort();
        let mut vars = Map::new();
        let mut layer = |m: Option<&Map<String, Value>>| {
            if let Some(m) = m {
                vars.extend(m.clone());
            }
        };
        layer(self.groups.get("all").map(|g| &g.vars));
        for (_, g) in &groups {
            layer(self.groups.get(g).map(|g| &g.vars));
        }
        layer(self.dir_group_vars.get("all"));
        for (_, g) in &groups {
            layer(self.dir_group_vars.get(g));
        }
        layer(Some(own));
        layer(self.dir_host_vars.get(host));
        Some(vars)
    }
}

/// Whether a job may check no host at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptySelection {
    /// A compliance run that checked nothing must not pass: no host is a ValidationError.
    #[default]
    Refuse,
    /// The job runs and ends successful with no results (benchmarks of the dispatch path).
    Allow,
}

/// The hosts a job runs on: the ones given, or else the ones the template selects. Selecting
/// none is a ValidationError naming `hosts` (saying what selected nothing) unless allowed.
pub fn select_hosts(
    template: &Template,
    given: Vec<String>,
    empty: EmptySelection,
) -> Result<Vec<String>, ValidationError> {
    let hosts = if given.is_empty() {
        hosts_for_template(template)?
    } else {
        given
    };
    if hosts.is_empty() && empty == EmptySelection::Refuse {
        let why = match (&template.inventory, &template.limit) {
            (Some(path), Some(limit)) => format!(
                "target {:?} and limit {limit:?} select no host of inventory {path:?}",
                template.target.as_deref().unwrap_or("all")
            ),
            (Some(path), None) => format!(
                "target {:?} selects no host of inventory {path:?}",
                template.target.as_deref().unwrap_or("all")
            ),
            (None, _) => "none given, and the template has no inventory or target".to_string(),
        };
        return Err(ValidationError::new(
            "hosts",
            format!("a job must check at least one host: {why}"),
        ));
    }
    Ok(hosts)
}

/// The hosts a template selects when a job is submitted without hosts: the inventory's
/// hosts matching `target` and `limit` (each defaulting to all); without an inventory,
/// `target` split on commas; otherwise none.
fn hosts_for_template(template: &Template) -> Result<Vec<String>, ValidationError> {
    let Some(path) = &template.inventory else {
        return Ok(template
            .target
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect());
    };
    let inv = Inventory::load(path)?;
    let mut hosts = select(&inv, template.target.as_deref().unwrap_or("all"))
        .map_err(|e| ValidationError::new("target", e))?;
    if let Some(limit) = &template.limit {
        let allowed = select(&inv, limit).map_err(|e| ValidationError::new("limit", e))?;
        hosts.retain(|h| allowed.contains(h));
    }
    Ok(hosts)
}

/// Parses `key=value key2="quoted value"` (INI host lines and `[group:vars]`).
pub(crate) fn scalar(v: &str) -> Value {
    let unquoted = |q: char| v.len() >= 2 && v.starts_with(q) && v.ends_with(q);
    if unquoted('"') || unquoted('\'') {
        return Value::String(v[1..v.len() - 1].to_string());
    }
    if let Ok(n) = v.parse::<i64>() {
        return Value::from(n);
    }
    match v {
        "True" | "true" => Value::Bool(true),
        "False" | "false" => Value::Bool(false),
        _ => Value::String(v.to_string()),
    }
}

const BAD_RANGE: &str = "bad host range (expected [from:to] or [from:to:step])";

/// Expands `web[01:03].x` to web01.x, web02.x, web03.x (numeric and letter ranges, with
/// an optional `:step`). Names without brackets come back as they are.
pub(crate) fn expand_range(name: &str) -> Result<Vec<String>, String> {
    let (Some(open), Some(close)) = (name.find('['), name.find(']')) else {
        return Ok(vec![name.to_string()]);
    };
    if close < open {
        return Err(BAD_RANGE.into());
    }
    let (head, inner, tail) = (&name[..open], &name[open + 1..close], &name[close + 1..]);
    let parts: Vec<&str> = inner.split(':').collect();
    let (from, to, step) = match parts.as_slice() {
        [a, b] => (*a, *b, 1usize),
        [a, b, s] => (
            *a,
            *b,
            s.parse::<usize>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or("bad step in a host range [a:b:step]")?,
        ),
        _ => return Err(BAD_RANGE.into()),
    };
    let mut out = Vec::new();
    let rest = expand_range(tail)?;
    let mut push = |mid: String| -> Result<(), String> {
        for r in &rest {
            out.push(format!("{head}{mid}{r}"));
            if out.len() > RANGE_MAX {
                return Err(format!(
                    "a host range expands to more than {RANGE_MAX} hosts"
                ));
            }
        }
        Ok(())
    };
    if let (Ok(a), Ok(b)) = (from.parse::<usize>(), to.parse::<usize>()) {
        let width = if from.starts_with('0') { from.len() } else { 0 };
        for i in (a..=b).step_by(step) {
            push(format!("{i:0width$}"))?;
        }
    } else if let ([a], [b]) = (from.as_bytes(), to.as_bytes()) {
        if !(a.is_ascii_alphabetic() && b.is_ascii_alphabetic()) {
            return Err(BAD_RANGE.into());
        }
        for c in (*a..=*b).step_by(step) {
            push((c as char).to_string())?;
        }
    } else {
        return Err(BAD_RANGE.into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand() {
        assert_eq!(
            expand_range("web[01:03].x").unwrap(),
            ["web01.x", "web02.x", "web03.x"]
        );
        assert_eq!(expand_range("db-[a:c]").unwrap(), ["db-a", "db-b", "db-c"]);
        assert_eq!(expand_range("h[0:10:5]").unwrap(), ["h0", "h5", "h10"]);
        assert_eq!(expand_range("plain").unwrap(), ["plain"]);
        assert!(expand_range("h[1:x]").is_err());
        assert!(expand_range("h[0:999999]").is_err());
    }

    #[test]
    fn template_selection() {
        let dir = std::env::temp_dir().join(format!("airs-inv-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hosts.ini");
        std::fs::write(&path, "[web]\nw1\nw2\n[db]\nd1\n").unwrap();
        let mut t = Template::create(crate::template::TemplateSpec {
            name: Some("t".into()),
            command: Some(vec!["true".into()]),
            inventory: Some(path.display().to_string()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(hosts_for_template(&t).unwrap(), ["w1", "w2", "d1"]);
        t.limit = Some("web:!w2".into());
        assert_eq!(hosts_for_template(&t).unwrap(), ["w1"]);
        t.limit = Some("nothing".into());
        assert_eq!(hosts_for_template(&t).unwrap(), Vec::<String>::new());
        let e = select_hosts(&t, vec![], EmptySelection::Refuse).unwrap_err();
        assert_eq!(e.field, "hosts");
        assert!(e.rule.contains("limit \"nothing\""), "{}", e.rule);
        assert!(select_hosts(&t, vec![], EmptySelection::Allow)
            .unwrap()
            .is_empty());
        assert_eq!(
            select_hosts(&t, vec!["x".into()], EmptySelection::Refuse).unwrap(),
            ["x"]
        );
        t.inventory = None;
        t.target = None;
        let e = select_hosts(&t, vec![], EmptySelection::Refuse).unwrap_err();
        assert_eq!(e.field, "hosts");
        t.inventory = Some(dir.join("missing").display().to_string());
        assert_eq!(hosts_for_template(&t).unwrap_err().field, "inventory");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
