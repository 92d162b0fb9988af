//! `group_vars/` and `host_vars/` beside an inventory file or a playbook, read as Ansible's
//! `host_group_vars` plugin reads them: for a group or host NAME, the first of `NAME`,
//! `NAME.yml`, `NAME.yaml`, `NAME.json` that exists; a directory is every file in it
//! (recursively, sorted by name, hidden and `~` files skipped, with no extension or one of
//! those), later files overriding earlier ones key by key. Each file is a YAML mapping.
//! Which folder wins is `Inventory::vars_for`'s precedence.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use super::INVENTORY_MAX_BYTES;
use crate::error::InventoryError;

const EXTENSIONS: [&str; 3] = ["yml", "yaml", "json"];
/// Files read from one directory tree at most.
const FILES_MAX: usize = 10_000;

/// The variables files give for `name` under `dir` (`…/group_vars` or `…/host_vars`); None
/// when there are none. `base` is the inventory's (or playbook's) folder: a file whose real
/// path leaves it (a symlink out) is refused, as the inventory itself is held to the roots.
pub(super) fn vars_for_name(
    base: &Path,
    dir: &Path,
    name: &str,
) -> Result<Option<Map<String, Json>>, InventoryError> {
    // A name is one path component (inventory names come from files users wrote).
    if name.is_empty() || name.starts_with('.') || name.contains('/') {
        return Ok(None);
    }
    let mut files = Vec::new();
    let candidates = std::iter::once(dir.join(name))
        .chain(EXTENSIONS.iter().map(|e| dir.join(format!("{name}.{e}"))));
    for candidate in candidates {
        if candidate.is_dir() {
            dir_files(&candidate, &mut files)?;
            break;
        }
        if candidate.exists() {
            files.push(candidate);
            break;
        }
    }
    if files.is_empty() {
        return Ok(None);
    }
    let mut vars = Map::new();
    for f in files {
        vars.extend(read_vars_file(base, &f)?);
    }
    Ok(Some(vars))
}

/// A `VarsFile` error about `path`.
fn bad(path: &Path, message: impl Into<String>) -> InventoryError {
    InventoryError::VarsFile {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn dir_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(dir, format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let Some(file_name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') || file_name.ends_with('~') {
            continue;
        }
        if p.is_dir() {
            dir_files(&p, out)?;
        } else {
            let ext = p.extension().and_then(|e| e.to_str());
            if ext.is_none_or(|e| EXTENSIONS.contains(&e)) {
                out.push(p);
            }
        }
        if out.len() > FILES_MAX {
            return Err(bad(dir, format!("more than {FILES_MAX} variable files")));
        }
    }
    Ok(())
}

fn read_vars_file(base: &Path, f: &Path) -> Result<Map<String, Json>, InventoryError> {
    let real = std::fs::canonicalize(f).map_err(|e| bad(f, format!("cannot read: {e}")))?;
    let base = std::fs::canonicalize(base).map_err(|e| bad(f, format!("cannot read: {e}")))?;
    if !real.starts_with(&base) {
        return Err(bad(f, "leaves its folder (a symlink out)"));
    }
    let bytes = crate::fsread::read_bounded(&real, INVENTORY_MAX_BYTES)
        .map_err(|e| bad(f, e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| bad(f, "not UTF-8 text"))?;
    // Only where it failed, never what the file holds.
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| match e.location() {
            Some(at) => bad(f, format!("line {}: not valid YAML", at.line())),
            None => bad(f, "not valid YAML"),
        })?;
    match serde_json::to_value(doc) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(Json::Null) => Ok(Map::new()),
        _ => Err(bad(f, "must be a mapping of variables")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Inventory;
    use crate::error::InventoryError;
    use serde_json::{json, Value};
    use std::path::{Path, PathBuf};

    /// `ansible-inventory` from ansible-core (requirements-dev.txt): on PATH or beside the
    /// Python the Makefile builds with.
    fn ansible_inventory() -> PathBuf {
        let beside_python = std::env::var_os("PYO3_PYTHON")
            .map(PathBuf::from)
            .and_then(|p| p.parent().map(|d| d.join("ansible-inventory")));
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|d| d.join("ansible-inventory"))
            .chain(beside_python)
            .find(|p| p.is_file())
            .expect("ansible-inventory not found: install ansible-core (make venv)")
    }

    /// Asserts that `ours` gives each host the values `ansible-inventory --list` gives for
    /// `keys` (with `--playbook-dir` when given).
    fn same_vars_as_ansible(
        ours: &Inventory,
        dir: &Path,
        inventory: &Path,
        playbook_dir: Option<&Path>,
        hosts: &[&str],
        keys: &[&str],
    ) {
        let mut cmd = std::process::Command::new(ansible_inventory());
        cmd.arg("-i").arg(inventory).arg("--list");
        if let Some(p) = playbook_dir {
            cmd.arg("--playbook-dir").arg(p);
        }
        let out = cmd
            .env("ANSIBLE_LOCAL_TEMP", dir.join("tmp"))
            .env("ANSIBLE_HOME", dir.join("home"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
        for host in hosts {
            let mine = ours.vars_for(host).unwrap();
            let hostvars = &theirs["_meta"]["hostvars"][host];
            for k in keys {
                assert_eq!(mine.get(*k), hostvars.get(*k), "{host}.{k}");
            }
        }
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn group_and_host_vars_dirs_match_ansible_inventory() {
        let dir = std::env::temp_dir().join(format!("airs-vars-{}", uuid::Uuid::new_v4()));
        write(
            &dir,
            "hosts.ini",
            "lonely\n[web]\nweb1 tier=host_inline\nweb2\n[db]\ndb1\n\
             [prod:children]\nweb\ndb\n[prod:vars]\nenv=prod_inline\ntier=prod_inline\n\
             [web:vars]\ntier=web_inline\ncolor=web_inline\n\
             [all:vars]\nenv=all_inline\nregion=all_inline\n",
        );
        write(
            &dir,
            "group_vars/all.yml",
            "region: all_dir\nenv: all_dir\n",
        );
        write(
            &dir,
            "group_vars/web/10-a.yml",
            "color: web_dir_a\nsize: a\n",
        );
        write(&dir, "group_vars/web/20-b.yaml", "size: b\n");
        write(&dir, "group_vars/web/.hidden.yml", "size: hidden\n");
        write(&dir, "group_vars/web/notes.txt", "size: txt\n");
        write(&dir, "group_vars/prod.json", r#"{"env": "prod_dir"}"#);
        write(&dir, "group_vars/ungrouped.yml", "alone: 'yes'\n");
        write(&dir, "host_vars/web1", "tier: host_dir\n");
        write(&dir, "host_vars/db1.yml", "owner: db_dir\n");
        let inv_path = dir.join("hosts.ini");
        let ours = Inventory::load(&inv_path.display().to_string()).unwrap();
        let keys = ["env", "region", "tier", "color", "size", "owner", "alone"];
        same_vars_as_ansible(
            &ours,
            &dir,
            &inv_path,
            None,
            &["lonely", "web1", "web2", "db1"],
            &keys,
        );
        // The precedence really was exercised: directory files won over inline vars.
        let web1 = ours.vars_for("web1").unwrap();
        assert_eq!(web1["env"], "prod_dir");
        assert_eq!(web1["tier"], "host_dir");
        assert_eq!(web1["size"], "b");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// An inventory and a playbook in different folders, each with `group_vars/` and
    /// `host_vars/`: every level of Ansible's precedence (file < inventory folder < playbook
    /// folder, for `all`, then groups, then the host) decides some key.
    #[test]
    fn playbook_side_vars_dirs_match_ansible_inventory_with_playbook_dir() {
        let dir = std::env::temp_dir().join(format!("airs-pbvars-{}", uuid::Uuid::new_v4()));
        write(
            &dir,
            "inv/hosts.ini",
            "[web]\nweb1 h=file_host\nweb2\n[prod:children]\nweb\n\
             [web:vars]\ng=file_web\nga=file_web\n[all:vars]\na=file_all\nfa=file_all\n",
        );
        write(
            &dir,
            "inv/group_vars/all.yml",
            "a: inv_all\nga: inv_all\npa: inv_all\n",
        );
        write(
            &dir,
            "inv/group_vars/web.yml",
            "g: inv_web\npg: inv_web\nh: inv_web\n",
        );
        write(
            &dir,
            "inv/host_vars/web1.yml",
            "h: inv_host\nph: inv_host\n",
        );
        write(&dir, "play/site.yml", "- hosts: all\n  tasks: []\n");
        write(
            &dir,
            "play/group_vars/all.yml",
            "pa: play_all\nonly_play: 'yes'\n",
        );
        write(&dir, "play/group_vars/prod.yml", "pg: play_prod\n");
        write(&dir, "play/group_vars/web/main.yml", "pg: play_web\n");
        write(&dir, "play/host_vars/web1.yml", "ph: play_host\n");
        let inv_path = dir.join("inv/hosts.ini");
        let template = crate::template::Template::create(crate::template::TemplateSpec {
            name: Some("pb".into()),
            playbook: Some(dir.join("play/site.yml").display().to_string()),
            inventory: Some(inv_path.display().to_string()),
            ..Default::default()
        })
        .unwrap();
        let ours = Inventory::for_template(&template).unwrap().unwrap();
        let keys = ["a", "fa", "ga", "pa", "g", "pg", "h", "ph", "only_play"];
        let play = dir.join("play");
        same_vars_as_ansible(
            &ours,
            &dir,
            &inv_path,
            Some(&play),
            &["web1", "web2"],
            &keys,
        );
        let web1 = ours.vars_for("web1").unwrap();
        // Each level was exercised (not all keys equal by accident).
        assert_eq!(web1["pa"], "play_all");
        assert_eq!(web1["pg"], "play_web");
        assert_eq!(web1["ph"], "play_host");
        assert_eq!(web1["h"], "inv_host");
        // Without the playbook (a profile template), only the inventory's folders count.
        let inventory_only = Inventory::load(&inv_path.display().to_string()).unwrap();
        let web1 = inventory_only.vars_for("web1").unwrap();
        assert_eq!(
            (&web1["pa"], &web1["pg"]),
            (&json!("inv_all"), &json!("inv_web"))
        );
        assert!(web1.get("only_play").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlink_out_of_the_inventory_dir_is_refused() {
        let dir = std::env::temp_dir().join(format!("airs-vars-{}", uuid::Uuid::new_v4()));
        write(&dir, "hosts.ini", "h1\n");
        std::fs::create_dir_all(dir.join("host_vars")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("host_vars/h1.yml")).unwrap();
        let e = Inventory::load(&dir.join("hosts.ini").display().to_string()).unwrap_err();
        assert!(
            matches!(&e, InventoryError::VarsFile { path, message }
                if path.ends_with("host_vars/h1.yml") && message.contains("symlink out")),
            "{e:?}"
        );
        assert_eq!(e.field(), "inventory");
        assert!(!e.to_string().contains("root:"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
