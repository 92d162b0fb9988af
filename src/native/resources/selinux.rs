//! `selinux`: `sestatus` (status, mode, policy), the policy modules (`semodule -lfull`) and
//! booleans (`semanage boolean -l -n`) as FilterTables with their own matchers (InSpec's
//! resources/selinux.rb).

use std::sync::Arc;

use crate::native::resources::support::{str_arg, table, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, TablePredicate, Value};
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "installed?",
    "disabled?",
    "enforcing?",
    "permissive?",
    "policy",
    "modules",
    "booleans",
];

pub struct Selinux {
    path: String,
    host: Arc<Host>,
    status: Lazy<Vec<(String, String)>>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Selinux {
        path: str_arg(args, 0).unwrap_or_else(|| "/etc/selinux/config".into()),
        host: host.clone(),
        status: Lazy::default(),
    }))
}

/// sestatus's `Name:   value` lines as selinux.rb reads them: blanks removed, lowercased
/// (`currentmode` => `enforcing`).
pub fn parse_sestatus(text: &str) -> Vec<(String, String)> {
    let flat: String = text
        .chars()
        .filter(|c| *c != ' ' && *c != '\r')
        .map(|c| if c == '\n' { ',' } else { c })
        .collect::<String>()
        .to_lowercase();
    let mut out: Vec<(String, String)> = Vec::new();
    for item in flat.split(',') {
        if let Some((k, v)) = item.split_once(':') {
            if !k.is_empty() && !v.is_empty() && !out.iter().any(|(seen, _)| seen == k) {
                out.push((k.to_string(), v.to_string()));
            }
        }
    }
    out
}

/// `semodule -lfull`: priority, name, kind, and `disabled` when it is.
pub fn module_rows(text: &str) -> Vec<Vec<Value>> {
    text.lines()
        .filter_map(|l| {
            let d: Vec<&str> = l.split_whitespace().collect();
            let name = d.get(1)?;
            let state = if d.len() == 4 { d[3] } else { "enabled" };
            Some(vec![
                Value::str(*name),
                Value::str("installed"),
                Value::str(state),
                Value::str(d[0]),
            ])
        })
        .collect()
}

/// `semanage boolean -l -n`: `name (state , default) description`.
pub fn boolean_rows(text: &str) -> Vec<Vec<Value>> {
    text.lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l
                .split(['(', ',', ')'])
                .filter(|p| !p.is_empty())
                .map(str::trim)
                .collect();
            let part = |i: usize| parts.get(i).map_or(Value::Nil, |s| Value::str(*s));
            (!parts.is_empty()).then(|| vec![part(0), part(1), part(2)])
        })
        .collect()
}

impl Selinux {
    fn status(&self) -> Res<&Vec<(String, String)>> {
        self.status.get(|| {
            let amazon = crate::native::resources::os::detect(&self.host)
                .map(|p| p.name == "amazon")
                .unwrap_or(false);
            let cmd = if amazon {
                "/usr/sbin/sestatus"
            } else {
                "sestatus"
            };
            let out = self.host.run(cmd)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Skip(format!(
                    "Skipping resource: {}\n{}",
                    out.stdout, out.stderr
                )));
            }
            Ok(parse_sestatus(&out.stdout))
        })
    }

    fn field(&self, key: &str) -> Res<Option<String>> {
        Ok(self
            .status()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()))
    }

    fn modules(&self) -> Res<Arc<Table>> {
        let text = self.host.run("semodule -lfull")?.stdout;
        let mut t = table(
            "SELinux modules",
            &["name", "status", "state", "priority"],
            &[
                ("names", "name"),
                ("status", "status"),
                ("states", "state"),
                ("priorities", "priority"),
            ],
            module_rows(&text),
        );
        if let Some(t) = Arc::get_mut(&mut t) {
            t.predicates = vec![
                ("exists?".into(), TablePredicate::NotEmpty),
                (
                    "enabled?".into(),
                    TablePredicate::FirstIs(2, Value::str("enabled")),
                ),
                (
                    "installed?".into(),
                    TablePredicate::FirstIs(1, Value::str("installed")),
                ),
            ];
        }
        Ok(t)
    }

    fn booleans(&self) -> Res<Arc<Table>> {
        let text = self.host.run("semanage boolean -l -n")?.stdout;
        let mut t = table(
            "SELinux booleans",
            &["name", "state", "default"],
            &[
                ("names", "name"),
                ("states", "state"),
                ("defaults", "default"),
            ],
            boolean_rows(&text),
        );
        if let Some(t) = Arc::get_mut(&mut t) {
            t.predicates = vec![
                ("exists?".into(), TablePredicate::NotEmpty),
                ("on?".into(), TablePredicate::FirstIs(1, Value::str("on"))),
            ];
        }
        Ok(t)
    }
}

impl Resource for Selinux {
    fn name(&self) -> &str {
        "selinux"
    }

    fn to_s(&self) -> String {
        "SELinux".into()
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let is = |key: &str, want: &str| -> Res<Value> {
            Ok(Value::Bool(self.field(key)?.as_deref() == Some(want)))
        };
        match method {
            // selinux.rb checks sestatus first: without it the resource is skipped.
            "installed?" => {
                self.status()?;
                Ok(Value::Bool(self.host.stat(&self.path)?.is_some()))
            }
            "disabled?" => is("selinuxstatus", "disabled"),
            "enforcing?" => is("currentmode", "enforcing"),
            "permissive?" => is("currentmode", "permissive"),
            "policy" => Ok(self
                .field("loadedpolicyname")?
                .map_or(Value::Nil, Value::Str)),
            "modules" => {
                self.status()?;
                Ok(Value::Table(self.modules()?))
            }
            "booleans" => {
                self.status()?;
                Ok(Value::Table(self.booleans()?))
            }
            _ => Err(unsupported("selinux", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sestatus_modules_and_booleans_parse_as_selinux_rb() {
        let s = parse_sestatus(
            "SELinux status:                 enabled\nSELinuxfs mount:                /sys/fs/selinux\n\
             Loaded policy name:             targeted\nCurrent mode:                   enforcing\n",
        );
        assert!(s.contains(&("selinuxstatus".into(), "enabled".into())));
        assert!(s.contains(&("currentmode".into(), "enforcing".into())));
        assert!(s.contains(&("loadedpolicyname".into(), "targeted".into())));
        let m = module_rows("100 abrt             pp\n400 zebra pp disabled\n");
        assert_eq!(m[1][0], Value::str("zebra"));
        assert_eq!(m[1][2], Value::str("disabled"));
        assert_eq!(m[0][3], Value::str("100"));
        let b = boolean_rows(
            "abrt_anon_write                (off  ,  off)  Allow abrt to anon write\n",
        );
        assert_eq!(
            b[0],
            vec![
                Value::str("abrt_anon_write"),
                Value::str("off"),
                Value::str("off")
            ]
        );
        for junk in ["", ":", ",", "(", "a (b", "\n\n"] {
            let _ = (parse_sestatus(junk), module_rows(junk), boolean_rows(junk));
        }
    }
}
