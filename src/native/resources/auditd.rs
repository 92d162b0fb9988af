//! `auditd`: the kernel's audit rules as `auditctl -l` prints them, a FilterTable of one row
//! per watched file or syscall (InSpec's `AuditDaemon`, resources/auditd.rb), and
//! `auditctl -s` as `status`.

use std::sync::Arc;

use regex::Regex;

use crate::native::resources::support::{has_program, str_arg, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

/// What `auditd` answers: its own properties, then the FilterTable's methods and columns.
pub const METHODS: &[&str] = &[
    "lines",
    "status",
    "params",
    "where",
    "entries",
    "count",
    "exist?",
    "raw_data",
    // The columns, in the order auditd.rb registers them ([`FIELDS`]).
    "file",
    "list",
    "action",
    "fields",
    "fields_nokey",
    "syscall",
    "key",
    "arch",
    "path",
    "permissions",
    "exit",
];

/// The FilterTable's columns: the tail of [`METHODS`].
pub const FIELDS: &[&str] = METHODS.split_at(8).1;

/// auditd.rb runs `/sbin/auditctl` (`/usr/sbin/auditctl` on Alpine).
const AUDITCTL: &str = "/sbin/auditctl";
const AUDITCTL_ALPINE: &str = "/usr/sbin/auditctl";
/// The rules' command on all but Alpine (prefetched).
pub const RULES: &str = "/sbin/auditctl -l";

pub struct Auditd {
    host: Arc<Host>,
    auditctl: Lazy<&'static str>,
    rules: Lazy<(Vec<String>, Arc<Table>)>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Auditd {
        host: host.clone(),
        auditctl: Lazy::default(),
        rules: Lazy::default(),
    }))
}

impl Auditd {
    /// The program, when it exists; else InSpec's ResourceFailed (a failure, not a skip).
    fn auditctl(&self) -> Res<&'static str> {
        self.auditctl
            .get(|| {
                let alpine = crate::native::resources::os::detect(&self.host)
                    .map(|p| p.name == "alpine")
                    .unwrap_or(false);
                let path = if alpine { AUDITCTL_ALPINE } else { AUDITCTL };
                if !has_program(&self.host, path)? {
                    return Err(ResourceError::Failed(format!(
                        "Command `{path}` does not exist"
                    )));
                }
                Ok(path)
            })
            .copied()
    }

    fn rules(&self) -> Res<&(Vec<String>, Arc<Table>)> {
        self.rules.get(|| {
            let command = format!("{} -l", self.auditctl()?);
            let out = self.host.run(&command)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Failed(format!(
                    "Command `{command}` failed with error: {}",
                    out.stderr
                )));
            }
            if out.stdout.lines().any(|l| l.starts_with("LIST_RULES:")) {
                return Err(ResourceError::Failed(
                    "The version of audit is outdated.The `auditd` resource supports versions \
                     of audit >= 2.3."
                        .into(),
                ));
            }
            let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
            let rows = lines.iter().flat_map(|l| parse_rule(l)).collect();
            Ok((lines, rules_table(rows)))
        })
    }

    fn status(&self) -> Res<Vec<(String, String)>> {
        let out = self.host.run(&format!("{} -s", self.auditctl()?))?;
        Ok(parse_status(&out.stdout))
    }
}

/// `auditctl -s` as auditd.rb's `status` reads it: `name value` lines (the old
/// `AUDIT_STATUS: a=1 b=2` form is split first), values as text.
pub fn parse_status(text: &str) -> Vec<(String, String)> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = match text.strip_prefix("AUDIT_STATUS") {
        Some(_) => text
            .replace("AUDIT_STATUS: ", "")
            .replace(' ', "\n")
            .replace('=', " "),
        None => text.to_string(),
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(' ') else {
            continue;
        };
        if k.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(seen, _)| seen == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => out.push((k.to_string(), v.to_string())),
        }
    }
    out
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

fn first_capture(line: &str, pattern: &str) -> Option<String> {
    re(pattern)
        .captures(line)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

/// Ruby's `scan(/\w/)`: the word characters, one per item.
fn word_chars(s: &str) -> Value {
    Value::Array(
        s.chars()
            .filter(|c| c.is_alphanumeric() || *c == '_')
            .map(|c| Value::str(c.to_string()))
            .collect(),
    )
}

fn strs(items: &[String]) -> Value {
    Value::Array(items.iter().map(Value::str).collect())
}

fn opt(v: Option<String>) -> Value {
    v.map_or(Value::Nil, Value::Str)
}

/// `-a always,exit` (either order): the action (`always`/`never`) and the list.
fn action_list(line: &str) -> (Value, Value) {
    let pairs: Vec<String> = re(r"-a ([^,\s]+),([^,\s]+)(?:\s|$)")
        .captures_iter(line)
        .flat_map(|c| {
            [c.get(1), c.get(2)]
                .into_iter()
                .flatten()
                .map(|m| m.as_str().to_string())
        })
        .collect();
    let is_action = |s: &&String| s.as_str() == "never" || s.as_str() == "always";
    (
        opt(pairs.iter().find(is_action).cloned()),
        opt(pairs.iter().find(|s| !is_action(s)).cloned()),
    )
}

/// The `-F` fields and what follows: `-a`/`-S` words removed, split on `-F `, then on blanks.
fn rule_fields(line: &str) -> Vec<String> {
    let rest = re(r"-[aS] [^ ]+ ").replace_all(line, "");
    rest.split("-F ")
        .flat_map(|part| part.split_whitespace().map(str::to_string))
        .collect()
}

/// The value of the first field `name=...` (auditd.rb's `arch_in`, `path_in`, `exit_in`).
fn field_value(fields: &[String], name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    let f = fields.iter().find(|f| f.starts_with(&prefix))?;
    f[prefix.len()..]
        .split_whitespace()
        .next()
        .map(str::to_string)
}

/// One `auditctl -l` line as auditd.rb's rows: a `-F path=` rule gives a file row, a `-S`
/// rule one row per syscall, a `-w` watch a file row.
pub fn parse_rule(line: &str) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    let row = |pairs: Vec<(&str, Value)>| -> Vec<Value> {
        FIELDS
            .iter()
            .map(|f| {
                pairs
                    .iter()
                    .find(|(k, _)| k == f)
                    .map_or(Value::Nil, |(_, v)| v.clone())
            })
            .collect()
    };
    let fields = || {
        let fields = rule_fields(line);
        let (key_fields, nokey): (Vec<String>, Vec<String>) =
            fields.iter().cloned().partition(|f| f.starts_with("key"));
        // `key_in(key_field.join(""))`: the text after the first `=`, up to the next.
        let key = key_fields.concat().split('=').nth(1).map(str::to_string);
        let perms = field_value(&fields, "perm").map(|p| word_chars(&p));
        (fields, nokey, opt(key), perms.unwrap_or(Value::Nil))
    };
    if line.contains("-F path=") {
        let (action, list) = action_list(line);
        let (f, nokey, key, perms) = fields();
        rows.push(row(vec![
            ("file", opt(first_capture(line, r"-F path=(\S+)"))),
            ("list", list),
            ("action", action),
            ("fields", strs(&f)),
            ("permissions", perms),
            ("key", key),
            ("fields_nokey", strs(&nokey)),
        ]));
    }
    if line.contains("-S ") {
        let (action, list) = action_list(line);
        let (f, nokey, key, perms) = fields();
        let syscalls = first_capture(line, r"-S ([^ ]+)").unwrap_or_default();
        for s in syscalls.split(',').filter(|s| !s.is_empty()) {
            rows.push(row(vec![
                ("syscall", Value::str(s)),
                ("list", list.clone()),
                ("action", action.clone()),
                ("fields", strs(&f)),
                ("key", key.clone()),
                ("arch", opt(field_value(&f, "arch"))),
                ("path", opt(field_value(&f, "path"))),
                ("permissions", perms.clone()),
                ("exit", opt(field_value(&f, "exit"))),
                ("fields_nokey", strs(&nokey)),
            ]));
        }
    } else if line.contains("-w ") {
        let key = line
            .contains("-k ")
            .then(|| first_capture(line, r"-k ([^ ]+)"))
            .flatten();
        rows.push(row(vec![
            ("file", opt(first_capture(line, r"-w ([^ ]+)"))),
            ("key", opt(key)),
            (
                "permissions",
                first_capture(line, r"-p ([^ ]+)").map_or(Value::Nil, |p| word_chars(&p)),
            ),
        ]));
    }
    rows
}

/// auditd.rb's FilterTable: one column per rule field.
fn rules_table(rows: Vec<Vec<Value>>) -> Arc<Table> {
    crate::native::resources::support::table("Auditd Rules", FIELDS, &[], rows)
}

impl Resource for Auditd {
    fn name(&self) -> &str {
        "auditd"
    }

    fn to_s(&self) -> String {
        "Auditd Rules".into()
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.rules()?.1.clone()))
    }

    /// auditd.rb reads the rules in `initialize` and raises ResourceFailed there (no
    /// `auditctl`, a failed or outdated one).
    fn load_fail(&self) -> Option<String> {
        match self.rules() {
            Err(ResourceError::Failed(m)) => Some(m),
            _ => None,
        }
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(rules_table(Vec::new()))
    }

    /// The state that failed `initialize` leaves: no `@lines`, no `@params` (the
    /// FilterTable over nil rows: [`Resource::empty_table`]).
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_fail()?;
        match method {
            "lines" => Some(Value::Nil),
            _ => None,
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "lines" => Ok(Value::Array(
                self.rules()?.0.iter().map(Value::str).collect(),
            )),
            "params" => crate::native::resources::support::table_call(
                "auditd",
                &self.rules()?.1,
                "raw_data",
                &[],
            ),
            "status" => {
                let status = self.status()?;
                Ok(match str_arg(args, 0) {
                    Some(key) => status
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map_or(Value::Nil, |(_, v)| Value::str(v)),
                    None => Value::Hash(
                        status
                            .into_iter()
                            .map(|(k, v)| (Value::Str(k), Value::Str(v)))
                            .collect(),
                    ),
                })
            }
            _ if METHODS.contains(&method) => crate::native::resources::support::table_call(
                "auditd",
                &self.rules()?.1,
                method,
                args,
            ),
            _ => Err(unsupported("auditd", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(rows: &[Vec<Value>], field: &str) -> Vec<Value> {
        let i = FIELDS.iter().position(|f| *f == field).unwrap();
        rows.iter().map(|r| r[i].clone()).collect()
    }

    #[test]
    fn rules_parse_as_auditd_rb() {
        assert_eq!((FIELDS[0], FIELDS.len()), ("file", 11));
        let rows = parse_rule(
            "-a always,exit -F arch=b64 -S chown,fchown -F auid>=1000 -F auid!=-1 -F key=perm_mod",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            col(&rows, "syscall"),
            vec![Value::str("chown"), Value::str("fchown")]
        );
        assert_eq!(col(&rows, "action")[0], Value::str("always"));
        assert_eq!(col(&rows, "list")[0], Value::str("exit"));
        assert_eq!(col(&rows, "arch")[0], Value::str("b64"));
        assert_eq!(col(&rows, "key")[0], Value::str("perm_mod"));
        assert_eq!(
            col(&rows, "fields")[0],
            strs(&[
                "arch=b64".into(),
                "auid>=1000".into(),
                "auid!=-1".into(),
                "key=perm_mod".into()
            ])
        );
        assert_eq!(
            col(&rows, "fields_nokey")[0],
            strs(&["arch=b64".into(), "auid>=1000".into(), "auid!=-1".into()])
        );
        assert_eq!(col(&rows, "file")[0], Value::Nil);

        // A path rule with -S all: a file row and a syscall row.
        let rows = parse_rule(
            "-a always,exit -S all -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=-1 -F key=privileged",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(col(&rows, "file")[0], Value::str("/usr/bin/sudo"));
        assert_eq!(col(&rows, "syscall")[1], Value::str("all"));
        assert_eq!(
            col(&rows, "permissions")[0],
            Value::Array(vec![Value::str("x")])
        );
        assert_eq!(col(&rows, "path")[1], Value::str("/usr/bin/sudo"));

        // A watch: file, key, permissions only; list and action are absent.
        let rows = parse_rule("-w /etc/passwd -p wa -k identity");
        assert_eq!(rows.len(), 1);
        assert_eq!(col(&rows, "file")[0], Value::str("/etc/passwd"));
        assert_eq!(col(&rows, "key")[0], Value::str("identity"));
        assert_eq!(
            col(&rows, "permissions")[0],
            Value::Array(vec![Value::str("w"), Value::str("a")])
        );
        assert_eq!(col(&rows, "action")[0], Value::Nil);

        // Either order of action and list; exit fields.
        let rows = parse_rule("-a exit,never -F arch=b32 -S open -F exit=-EACCES -F key=access");
        assert_eq!(col(&rows, "action")[0], Value::str("never"));
        assert_eq!(col(&rows, "list")[0], Value::str("exit"));
        assert_eq!(col(&rows, "exit")[0], Value::str("-EACCES"));
        assert!(parse_rule("No rules").is_empty());
    }

    #[test]
    fn status_is_text_as_auditd_rb() {
        assert_eq!(
            parse_status("enabled 1\nfailure 1\nloginuid_immutable 0 unlocked\n"),
            vec![
                ("enabled".to_string(), "1".to_string()),
                ("failure".into(), "1".into()),
                ("loginuid_immutable".into(), "0 unlocked".into()),
            ]
        );
        assert_eq!(
            parse_status("AUDIT_STATUS: enabled=1 flag=1 pid=871\n"),
            vec![
                ("enabled".to_string(), "1".to_string()),
                ("flag".into(), "1".into()),
                ("pid".into(), "871".into()),
            ]
        );
    }
}
