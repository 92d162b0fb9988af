//! `crontab`: a user's crontab (`crontab -l`) or a system one (`crontab(path: ...)`, with
//! a user column), as InSpec's FilterTable; `@daily`-style schedules spelled out as InSpec
//! does. `cron` (cron.rb): the uncommented lines of `crontab -l`, as `table` and
//! `has_entry?`.

use std::sync::Arc;

use crate::native::resources::support::{
    read_text, run_argv, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "commands", "content", "count", "days", "entries", "exist?", "exists?", "hours", "minutes",
    "months", "raw_data", "user", "weekdays", "where",
];

const FIELDS: &[&str] = &[
    "minute", "hour", "day", "month", "weekday", "user", "command",
];

pub struct Crontab {
    user: Option<String>,
    path: Option<String>,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

/// `crontab`, `crontab('user')`, `crontab(user: 'x')`, `crontab(path: '/etc/cron.d/x')`.
pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let (user, path) = user_and_path(args)?;
    Ok(Arc::new(Crontab {
        user,
        path,
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

/// crontab.rb's options: a user name, or `user:` / `path:` (one of them).
fn user_and_path(args: &[Value]) -> Res<(Option<String>, Option<String>)> {
    let opt = |key: &str| match args.first() {
        Some(h @ Value::Hash(_)) => match h
            .hash_get(&Value::Sym(key.into()))
            .or_else(|| h.hash_get(&Value::str(key)))
        {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let (user, path) = match args.first() {
        Some(Value::Str(u)) => (Some(u.clone()), None),
        Some(Value::Hash(_)) => (opt("user"), opt("path")),
        _ => (None, None),
    };
    if user.is_some() && path.is_some() {
        return Err(ResourceError::Failed(
            "Either user or path must be supplied, not both!".into(),
        ));
    }
    if user.is_none() && path.is_none() && matches!(args.first(), Some(Value::Hash(_))) {
        return Err(ResourceError::Failed(
            "A user or path must be supplied.".into(),
        ));
    }
    Ok((user, path))
}

/// crontab.rb's `crontab_cmd`.
fn crontab_argv(user: Option<&str>) -> Vec<&str> {
    match user {
        Some(u) => vec!["crontab", "-l", "-u", u],
        None => vec!["crontab", "-l"],
    }
}

pub const CRON_METHODS: &[&str] = &["has_entry?", "table"];

/// `cron`, `cron('user')`, `cron(user: 'x')`.
pub struct Cron {
    user: Option<String>,
    path: Option<String>,
    host: Arc<Host>,
    lines: Lazy<Vec<String>>,
}

pub fn create_cron(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let (user, path) = user_and_path(args)?;
    Ok(Arc::new(Cron {
        user,
        path,
        host: host.clone(),
        lines: Lazy::default(),
    }))
}

/// parse_comment_line's text of one line (before any `#`), stripped.
fn cron_line(line: &str) -> String {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.split('#').next().unwrap_or("").trim().to_string()
}

impl Cron {
    fn lines(&self) -> Res<&Vec<String>> {
        self.lines.get(|| {
            // Crontab's initialize reads the path first (it must exist); cron.rb then
            // replaces what it read with `crontab -l`, whatever the path.
            if let Some(p) = &self.path {
                if self.host.stat(p)?.is_none() {
                    return Err(ResourceError::Failed(format!(
                        "Supplied crontab path '{p}' must exist!"
                    )));
                }
            }
            let argv = crontab_argv(self.user.as_deref());
            let out = run_argv(&self.host, &argv)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Failed(format!(
                    "Error while executing {} command: {}\n{}",
                    argv.join(" "),
                    out.stdout,
                    out.stderr
                )));
            }
            Ok(out.stdout.split_inclusive('\n').map(cron_line).collect())
        })
    }
}

impl Resource for Cron {
    fn name(&self) -> &str {
        "cron"
    }

    fn to_s(&self) -> String {
        match &self.user {
            Some(u) => format!("cron for user {u}"),
            None => "cron for current user".into(),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "table" => Ok(Value::Str(
                self.lines()?
                    .iter()
                    .filter(|l| !l.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            )),
            "has_entry?" => {
                let lines = self.lines()?;
                Ok(Value::Bool(matches!(
                    args.first(),
                    Some(Value::Str(rule)) if lines.iter().any(|l| l == rule.as_str())
                )))
            }
            _ => Err(unsupported("cron", method)),
        }
    }
}

/// The schedule an `@keyword` stands for: minute, hour, day, month, weekday.
fn keyword(k: &str) -> Option<[&'static str; 5]> {
    Some(match k {
        "@hourly" => ["0", "*", "*", "*", "*"],
        "@midnight" | "@daily" => ["0", "0", "*", "*", "*"],
        "@weekly" => ["0", "0", "*", "*", "0"],
        "@monthly" => ["0", "0", "1", "*", "*"],
        "@annually" | "@yearly" => ["0", "0", "1", "1", "*"],
        "@reboot" => ["-1", "-1", "-1", "-1", "-1"],
        _ => return None,
    })
}

/// One crontab line's row; `system` lines carry a user column; `user` fills it otherwise.
pub fn parse_line(line: &str, system: bool, user: Option<&str>) -> Option<Vec<Value>> {
    let data = match line.find('#') {
        Some(0) => return None,
        Some(i) => &line[..i],
        None => line,
    };
    let data = data.trim_end_matches(['\n', '\r']);
    if data.trim().is_empty() {
        return None;
    }
    let text = |s: Option<&str>| s.map_or(Value::Nil, Value::str);
    let words =
        |n: usize| -> Vec<&str> { data.trim_start().splitn(n, char::is_whitespace).collect() };
    let first = data.split_whitespace().next().unwrap_or("");
    let mut row: Vec<Value>;
    if let Some(schedule) = keyword(first) {
        row = schedule.iter().map(|s| Value::str(*s)).collect();
        if system {
            let w = words(3);
            row.push(text(w.get(1).copied()));
            row.push(text(w.get(2).copied()));
        } else {
            row.push(text(user));
            row.push(text(words(2).get(1).copied()));
        }
    } else if system {
        let w = words(7);
        row = (0..7).map(|i| text(w.get(i).copied())).collect();
    } else {
        let w = words(6);
        row = (0..5).map(|i| text(w.get(i).copied())).collect();
        row.push(text(user));
        row.push(text(w.get(5).copied()));
    }
    Some(row)
}

impl Crontab {
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let text = match &self.path {
                Some(p) => read_text(&self.host, p)?.ok_or_else(|| {
                    ResourceError::Failed(format!("Supplied crontab path '{p}' must exist!"))
                })?,
                None => {
                    let out = run_argv(&self.host, &crontab_argv(self.user.as_deref()))?;
                    // No crontab at all reads as an empty one (InSpec uses stdout only).
                    out.stdout
                }
            };
            let rows = text
                .lines()
                .filter_map(|l| parse_line(l, self.path.is_some(), self.user.as_deref()))
                .collect();
            Ok(table(
                &self.to_s(),
                FIELDS,
                &[
                    ("minutes", "minute"),
                    ("hours", "hour"),
                    ("days", "day"),
                    ("months", "month"),
                    ("weekdays", "weekday"),
                    ("user", "user"),
                    ("commands", "command"),
                ],
                rows,
            ))
        })
    }
}

impl Resource for Crontab {
    fn name(&self) -> &str {
        "crontab"
    }

    fn to_s(&self) -> String {
        match (&self.path, &self.user) {
            (Some(p), _) => format!("crontab for path {p}"),
            (None, Some(u)) => format!("crontab for user {u}"),
            _ => "crontab for current user".into(),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let t = self.table()?;
        match method {
            // The lines rebuilt from the remaining rows.
            "content" => Ok(Value::Str(
                t.rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .filter_map(|v| match v {
                                Value::Str(s) => Some(s.as_str()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            )),
            _ => table_call("crontab", t, method, args),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.table()?.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn system_and_user_lines() {
        let row = parse_line("*/5 1 * * 0 root /usr/bin/x --a b # note\n", true, None).unwrap();
        assert_eq!(row[5], Value::str("root"));
        assert_eq!(row[6], Value::str("/usr/bin/x --a b "));
        let row = parse_line("@daily /bin/backup now", false, Some("bob")).unwrap();
        assert_eq!(
            row,
            ["0", "0", "*", "*", "*", "bob", "/bin/backup now"]
                .map(Value::str)
                .to_vec()
        );
        assert_eq!(parse_line("# c", false, None), None);
        assert_eq!(parse_line("   ", false, None), None);
        for junk in ["@reboot", "@hourly x", "1", "\u{0}#", "a b c d e f g h"] {
            let _ = (parse_line(junk, true, None), parse_line(junk, false, None));
        }
    }

    #[test]
    fn a_real_system_crontab_file() {
        let dir = std::env::temp_dir().join(format!("airs-cron-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("job");
        std::fs::write(&p, "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n@reboot daemon /usr/bin/start\n").unwrap();
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let path = Value::Hash(vec![(
            Value::Sym("path".into()),
            Value::str(p.to_str().unwrap()),
        )]);
        let c = create(&[path], &host).unwrap();
        assert_eq!(c.to_s(), format!("crontab for path {}", p.display()));
        assert_eq!(
            c.call("user", &[]).unwrap(),
            Value::Array(vec![Value::Nil, Value::str("root"), Value::str("daemon")])
        );
        let Value::Table(hourly) = c
            .call(
                "commands",
                &[Value::str("cd / && run-parts --report /etc/cron.hourly")],
            )
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(hourly.column("minutes").unwrap(), vec![Value::str("17")]);
        let missing = Value::Hash(vec![(
            Value::Sym("path".into()),
            Value::str("/nonexistent/cron"),
        )]);
        assert!(matches!(
            create(&[missing], &host).unwrap().call("commands", &[]),
            Err(ResourceError::Failed(_))
        ));
        // A user without a crontab has an empty one.
        let nobody = create(&[Value::str("nobody")], &host).unwrap();
        if std::process::Command::new("sh")
            .args(["-c", "command -v crontab"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert_eq!(nobody.call("count", &[]).unwrap(), Value::Int(0));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
