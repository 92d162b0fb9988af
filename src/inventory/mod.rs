//! Ansible inventories (INI and YAML) parsed in Rust: groups, children, group and host
//! variables with Ansible's precedence, and host patterns for `limit` / `target`.

mod ini;
mod pattern;
mod vars_dirs;
mod yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, InventoryError, ValidationError};
use crate::template::{Action, Template};

pub use pattern::select;

/// Largest inventory file read: the bound of every file a user names.
pub const INVENTORY_MAX_BYTES: u64 = crate::fsread::USER_FILE_MAX_BYTES;
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
    /// From `group_vars/` and `host_vars/` beside the inventory file.
    inventory_dirs: VarsDirs,
    /// From `group_vars/` and `host_vars/` beside the playbook (playbook templates).
    playbook_dirs: VarsDirs,
}

/// Variables read from one folder's `group_vars/` and `host_vars/`.
#[derive(Clone, Debug, Default, PartialEq)]
struct VarsDirs {
    /// By group (`all` included).
    group_vars: BTreeMap<String, Map<String, Value>>,
    /// By host.
    host_vars: HashMap<String, Map<String, Value>>,
}

/// Whose `group_vars/` and `host_vars/` a folder holds: Ansible ranks the playbook's above
/// the inventory's, level by level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarsSide {
    Inventory,
    Playbook,
}

/// The folder a file sits in (`.` for a bare file name).
fn parent_dir(file: &Path) -> &Path {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A malformed inventory text: the line when known and what is wrong, never the text itself
/// (an inventory line may carry a secret). Becomes [`InventoryError::Syntax`] with the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct SyntaxError {
    pub line: Option<usize>,
    pub message: String,
}

impl SyntaxError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }

    pub(crate) fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    fn in_file(self, path: &str) -> InventoryError {
        InventoryError::Syntax {
            path: path.to_string(),
            line: self.line,
            message: self.message,
        }
    }
}

impl Inventory {
    /// Reads an inventory file: YAML when it ends in .yml/.yaml/.json or starts like a
    /// YAML mapping, otherwise INI; then the `group_vars/` and `host_vars/` beside it.
    pub fn load(path: &str) -> Result<Self, InventoryError> {
        let unreadable = |message: String| InventoryError::Unreadable {
            path: path.to_string(),
            message,
        };
        let p = Path::new(path);
        let bytes = crate::fsread::read_bounded(p, INVENTORY_MAX_BYTES).map_err(|e| match e {
            crate::fsread::ReadError::NotRegular("directory") => {
                unreadable("is a directory; give one INI or YAML file".into())
            }
            e => unreadable(e.to_string()),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            unreadable(format!(
                "is not UTF-8 text (byte {})",
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
            Self::from_yaml(&text)
        } else {
            Self::from_ini(&text)
        }
        .map_err(|e| e.in_file(path))?;
        inv.read_vars_dirs(parent_dir(p), VarsSide::Inventory)?;
        Ok(inv)
    }

    /// The template's inventory as its job sees it: the file, the variable folders beside
    /// it and, for a playbook, those beside the playbook (as `ansible-playbook` reads them).
    /// None without an inventory.
    pub fn for_template(template: &Template) -> Result<Option<Self>, InventoryError> {
        let Some(path) = &template.inventory else {
            return Ok(None);
        };
        let mut inv = Self::load(path)?;
        if let Action::Playbook(playbook) = template.action() {
            inv.read_vars_dirs(parent_dir(Path::new(playbook)), VarsSide::Playbook)?;
        }
        Ok(Some(inv))
    }

    /// Reads `group_vars/` and `host_vars/` in `dir` for the inventory's groups and hosts.
    pub fn read_vars_dirs(&mut self, dir: &Path, side: VarsSide) -> Result<(), InventoryError> {
        let (gdir, hdir) = (dir.join("group_vars"), dir.join("host_vars"));
        let layers = match side {
            VarsSide::Inventory => &mut self.inventory_dirs,
            VarsSide::Playbook => &mut self.playbook_dirs,
        };
        if gdir.is_dir() {
            let names = {
                let mut names: BTreeSet<String> = self.groups.keys().cloned().collect();
                names.extend(["all".to_string(), "ungrouped".to_string()]);
                names
            };
            for g in names {
                if let Some(v) = vars_dirs::vars_for_name(dir, &gdir, &g)? {
                    layers.group_vars.insert(g, v);
                }
            }
        }
        if hdir.is_dir() {
            for h in &self.hosts {
                if let Some(v) = vars_dirs::vars_for_name(dir, &hdir, h)? {
                    layers.host_vars.insert(h.clone(), v);
                }
            }
        }
        Ok(())
    }

    pub fn from_ini(text: &str) -> Result<Self, SyntaxError> {
        ini::parse(text)
    }

    pub fn from_yaml(text: &str) -> Result<Self, SyntaxError> {
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

    /// The host's variables in Ansible's documented precedence ("Understanding variable
    /// precedence", levels 3–10; checked against `ansible-inventory --playbook-dir`), each
    /// later layer winning: the inventory file's group vars (`all`, then the host's groups
    /// shallowest to deepest: children override parents; same depth: by name), the
    /// inventory's `group_vars/all`, the playbook's, the inventory's `group_vars/<group>`,
    /// the playbook's (in the same group order), the file's host vars, the inventory's
    /// `host_vars/<host>`, the playbook's.
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
        let dirs = [&self.inventory_dirs, &self.playbook_dirs];
        layer(self.groups.get("all").map(|g| &g.vars));
        for (_, g) in &groups {
            layer(self.groups.get(g).map(|g| &g.vars));
        }
        for d in dirs {
            layer(d.group_vars.get("all"));
        }
        for d in dirs {
            for (_, g) in &groups {
                layer(d.group_vars.get(g));
            }
        }
        layer(Some(own));
        for d in dirs {
            layer(d.host_vars.get(host));
        }
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

/// The hosts a job runs on, with the inventory read to select them (None when none was
/// read), so the job is planned with that same reading.
#[derive(Debug, Default)]
pub struct Selection {
    pub hosts: Vec<String>,
    pub inventory: Option<Inventory>,
}

/// The one host selection of every face (Python, REST, CLI): the hosts given, or else the
/// ones the template selects: its inventory's hosts matching `target` and `limit` (each
/// defaulting to all) or, without an inventory, `target` as a comma-separated host list.
/// Selecting none is a ValidationError naming `hosts` (saying what selected nothing) unless
/// allowed. Hosts are not validated here: the executor validates the selection once.
pub fn select_hosts(
    template: &Template,
    given: Vec<String>,
    empty: EmptySelection,
) -> Result<Selection, Error> {
    let selection = if given.is_empty() {
        hosts_for_template(template)?
    } else {
        Selection {
            hosts: given,
            inventory: None,
        }
    };
    if selection.hosts.is_empty() && empty == EmptySelection::Refuse {
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
        )
        .into());
    }
    Ok(selection)
}

fn hosts_for_template(template: &Template) -> Result<Selection, InventoryError> {
    let Some(inv) = Inventory::for_template(template)? else {
        return Ok(Selection {
            hosts: split_host_list(template.target.as_deref().unwrap_or("")),
            inventory: None,
        });
    };
    let mut hosts = select(&inv, template.target.as_deref().unwrap_or("all"), "target")?;
    if let Some(limit) = &template.limit {
        let allowed = select(&inv, limit, "limit")?;
        hosts.retain(|h| allowed.contains(h));
    }
    Ok(Selection {
        hosts,
        inventory: Some(inv),
    })
}

/// `"a, b"` → `["a", "b"]`: a comma-separated host list (a template `target` without an
/// inventory, and the original REST interface's request `target`) as explicit hosts.
pub fn split_host_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
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
pub(crate) fn expand_range(name: &str) -> Result<Vec<String>, SyntaxError> {
    let (Some(open), Some(close)) = (name.find('['), name.find(']')) else {
        return Ok(vec![name.to_string()]);
    };
    if close < open {
        return Err(SyntaxError::new(BAD_RANGE));
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
                .ok_or_else(|| SyntaxError::new("bad step in a host range [a:b:step]"))?,
        ),
        _ => return Err(SyntaxError::new(BAD_RANGE)),
    };
    let mut out = Vec::new();
    let rest = expand_range(tail)?;
    let mut push = |mid: String| -> Result<(), SyntaxError> {
        for r in &rest {
            out.push(format!("{head}{mid}{r}"));
            if out.len() > RANGE_MAX {
                return Err(SyntaxError::new(format!(
                    "a host range expands to more than {RANGE_MAX} hosts"
                )));
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
            return Err(SyntaxError::new(BAD_RANGE));
        }
        for c in (*a..=*b).step_by(step) {
            push((c as char).to_string())?;
        }
    } else {
        return Err(SyntaxError::new(BAD_RANGE));
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
        let hosts = |t: &Template| hosts_for_template(t).unwrap().hosts;
        assert_eq!(hosts(&t), ["w1", "w2", "d1"]);
        // The reading that selected the hosts comes back for planning the job.
        let read = hosts_for_template(&t).unwrap().inventory.unwrap();
        assert_eq!(read.hosts(), ["w1", "w2", "d1"]);
        t.target = Some("web".into());
        assert_eq!(hosts(&t), ["w1", "w2"]);
        t.target = None;
        t.limit = Some("web:!w2".into());
        assert_eq!(hosts(&t), ["w1"]);
        t.limit = Some("nothing".into());
        assert_eq!(hosts(&t), Vec::<String>::new());
        let validation = |e: Error| match e {
            Error::Validation(v) => v,
            other => panic!("not a ValidationError: {other:?}"),
        };
        let e = validation(select_hosts(&t, vec![], EmptySelection::Refuse).unwrap_err());
        assert_eq!(e.field, "hosts");
        assert!(e.rule.contains("limit \"nothing\""), "{}", e.rule);
        assert!(select_hosts(&t, vec![], EmptySelection::Allow)
            .unwrap()
            .hosts
            .is_empty());
        let given = select_hosts(&t, vec!["x".into()], EmptySelection::Refuse).unwrap();
        assert_eq!(given.hosts, ["x"]);
        assert!(given.inventory.is_none(), "given hosts need no inventory");
        t.limit = Some("~re".into());
        let e = select_hosts(&t, vec![], EmptySelection::Refuse).unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Inventory(InventoryError::Pattern { field: "limit", .. })
            ),
            "{e:?}"
        );
        t.inventory = None;
        t.limit = None;
        t.target = Some("a, b,,".into());
        assert_eq!(hosts(&t), ["a", "b"]);
        t.target = None;
        let e = validation(select_hosts(&t, vec![], EmptySelection::Refuse).unwrap_err());
        assert_eq!(e.field, "hosts");
        t.inventory = Some(dir.join("missing").display().to_string());
        let e = hosts_for_template(&t).unwrap_err();
        assert!(
            matches!(&e, InventoryError::Unreadable { path, .. } if path.ends_with("missing")),
            "{e:?}"
        );
        assert_eq!(ValidationError::from(e).field, "inventory");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_errors_are_typed_and_name_the_file() {
        let dir = std::env::temp_dir().join(format!("airs-inv-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let ini = dir.join("bad.ini");
        std::fs::write(&ini, "[web]\nh SECRETWORD\n").unwrap();
        let shown = ini.display().to_string();
        let e = Inventory::load(&shown).unwrap_err();
        assert!(
            matches!(&e, InventoryError::Syntax { path, line: Some(2), .. } if *path == shown),
            "{e:?}"
        );
        assert!(!e.to_string().contains("SECRET"), "{e}");
        let yaml = dir.join("bad.yml");
        std::fs::write(&yaml, "all:\n  bogus: 1\n").unwrap();
        let e = Inventory::load(&yaml.display().to_string()).unwrap_err();
        assert!(matches!(&e, InventoryError::Syntax { .. }), "{e:?}");
        let e = Inventory::load(&dir.display().to_string()).unwrap_err();
        assert!(
            matches!(&e, InventoryError::Unreadable { message, .. } if message.contains("directory")),
            "{e:?}"
        );
        std::fs::write(dir.join("latin1.ini"), b"h\xe9\n").unwrap();
        let e = Inventory::load(&dir.join("latin1.ini").display().to_string()).unwrap_err();
        assert!(
            matches!(&e, InventoryError::Unreadable { message, .. } if message.contains("UTF-8")),
            "{e:?}"
        );
        assert!(matches!(
            expand_range("h[1:x]"),
            Err(SyntaxError { line: None, .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
