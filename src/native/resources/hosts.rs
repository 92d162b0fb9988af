//! `/etc/hosts` (`etc_hosts`) and TCP wrappers' `/etc/hosts.allow` / `/etc/hosts.deny`
//! (`etc_hosts_allow`, `etc_hosts_deny`) as FilterTables, line for line as InSpec's
//! resources/etc_hosts.rb and etc_hosts_allow_deny.rb read them.

use std::sync::Arc;

use regex::Regex;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::support::{str_arg, table, table_call, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const HOSTS_METHODS: &[&str] = &[
    "ip_address",
    "primary_name",
    "all_host_names",
    "params",
    "where",
    "entries",
    "count",
    "exist?",
    "raw_data",
];

pub const ALLOW_DENY_METHODS: &[&str] = &[
    "daemon",
    "client_list",
    "options",
    "params",
    "where",
    "entries",
    "count",
    "exist?",
    "raw_data",
];

#[derive(Clone, Copy)]
enum Kind {
    Hosts,
    Allow,
    Deny,
}

pub struct HostsFile {
    kind: Kind,
    path: String,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create(name: &str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let (kind, default) = match name {
        "etc_hosts_allow" => (Kind::Allow, "/etc/hosts.allow"),
        "etc_hosts_deny" => (Kind::Deny, "/etc/hosts.deny"),
        _ => (Kind::Hosts, "/etc/hosts"),
    };
    Ok(Arc::new(HostsFile {
        kind,
        path: str_arg(args, 0).unwrap_or_else(|| default.to_string()),
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

/// CommentParser's `parse_comment_line` on one line: the text before a `#` (none when the
/// line starts with one), without the line end.
fn uncommented(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Ruby's `String#split(re)` (trailing empty parts dropped) or `split(re, limit)`.
fn split(re: &Regex, s: &str, limit: Option<usize>) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut parts: Vec<String> = match limit {
        Some(n) => re.splitn(s, n).map(str::to_string).collect(),
        None => re.split(s).map(str::to_string).collect(),
    };
    if limit.is_none() {
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
    }
    parts
}

fn strs(items: &[String]) -> Value {
    Value::Array(items.iter().map(Value::str).collect())
}

/// etc_hosts.rb: lines with content besides comments; the whole line's words (an inline
/// comment's words included, as InSpec splits the raw line).
pub fn hosts_rows(text: &str) -> Vec<Vec<Value>> {
    text.split_inclusive('\n')
        .filter(|l| !uncommented(l).is_empty())
        .map(|l| {
            let words: Vec<String> = l.split_whitespace().map(str::to_string).collect();
            let word = |i: usize| words.get(i).map_or(Value::Nil, Value::str);
            vec![word(0), word(1), strs(words.get(1..).unwrap_or(&[]))]
        })
        .collect()
}

/// etc_hosts_allow_deny.rb: one row per daemon of a `daemons : clients [: options]` line.
pub fn allow_deny_rows(text: &str) -> Vec<Vec<Value>> {
    let colon_ws = Regex::new(r":\s+").expect("valid");
    let ws_colon_ws = Regex::new(r"\s+:\s+").expect("valid");
    let comma = Regex::new(",").expect("valid");
    let mut lines = Vec::new();
    for raw in text.split_inclusive('\n') {
        let data = uncommented(raw);
        if data.is_empty() {
            continue;
        }
        // `line.split(":", 2)[1]` of the raw line; a line without `:` has no rules.
        let Some((_, rest)) = raw.split_once(':') else {
            continue;
        };
        let daemons = data.split(':').next().unwrap_or("");
        for daemon in daemons.split(',') {
            lines.push(format!("{daemon} : {rest}"));
        }
    }
    lines
        .iter()
        .filter_map(|line| {
            let data = uncommented(line);
            if data.is_empty() {
                return None;
            }
            let mut dc = split(&colon_ws, data, Some(2)).into_iter();
            let daemon = dc.next().unwrap_or_default().trim().to_string();
            let clients_and_options = dc.next().unwrap_or_default();
            let mut co = split(&ws_colon_ws, &clients_and_options, Some(2)).into_iter();
            let clients = co.next().unwrap_or_default();
            let options = co.next().unwrap_or_default();
            let client_list: Vec<String> = split(&comma, &clients, None)
                .iter()
                .map(|c| c.trim().to_string())
                .collect();
            let options_list: Vec<String> = split(&colon_ws, &options, None)
                .iter()
                .map(|o| o.trim().to_string())
                .collect();
            Some(vec![
                Value::Str(daemon),
                strs(&client_list),
                strs(&options_list),
            ])
        })
        .collect()
}

impl HostsFile {
    fn label(&self) -> &'static str {
        match self.kind {
            Kind::Hosts => "Hosts File",
            Kind::Allow => "hosts.allow Configuration",
            Kind::Deny => "hosts.deny Configuration",
        }
    }

    fn rows(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            if matches!(self.kind, Kind::Deny) {
                let linux = crate::native::resources::os::detect(&self.host)?.is("linux");
                if !linux {
                    return Err(ResourceError::Skip(
                        "`etc_hosts_deny` is not supported on your OS".into(),
                    ));
                }
            }
            let text = read_file_content(&self.host, &self.path, false)?;
            Ok(self.rows_table(match self.kind {
                Kind::Hosts => hosts_rows(&text),
                Kind::Allow | Kind::Deny => allow_deny_rows(&text),
            }))
        })
    }

    /// The FilterTable of the file's entries: a column per field.
    fn rows_table(&self, rows: Vec<Vec<Value>>) -> Arc<Table> {
        let fields: &[&str] = match self.kind {
            Kind::Hosts => &["ip_address", "primary_name", "all_host_names"],
            Kind::Allow | Kind::Deny => &["daemon", "client_list", "options"],
        };
        table(self.label(), fields, &[], rows)
    }
}

impl Resource for HostsFile {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Hosts => "etc_hosts",
            Kind::Allow => "etc_hosts_allow",
            Kind::Deny => "etc_hosts_deny",
        }
    }

    fn to_s(&self) -> String {
        self.label().into()
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.rows()?.clone()))
    }

    /// etc_hosts.rb / etc_hosts_allow_deny.rb read the file in `initialize`.
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.rows())
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(self.rows_table(Vec::new()))
    }

    /// Skipped, no rows were parsed (the FilterTable over them: [`Resource::empty_table`]);
    /// etc_hosts.rb's `params` was never set (nil).
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        match (method, &self.kind) {
            ("params", Kind::Hosts) => Some(Value::Nil),
            _ => None,
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let known = match self.kind {
            Kind::Hosts => HOSTS_METHODS,
            Kind::Allow | Kind::Deny => ALLOW_DENY_METHODS,
        };
        if !known.contains(&method) {
            return Err(crate::native::resources::support::unsupported(
                self.name(),
                method,
            ));
        }
        let t = self.rows()?;
        match method {
            "params" => table_call(self.name(), t, "raw_data", &[]),
            _ => table_call(self.name(), t, method, args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lines_as_etc_hosts_rb() {
        let rows = hosts_rows(
            "# static\n127.0.0.1\tlocalhost\n\n::1 localhost ip6-localhost # v6\n  # indented\n",
        );
        assert_eq!(
            rows.len(),
            3,
            "an indented comment has content before the #"
        );
        assert_eq!(rows[0][1], Value::str("localhost"));
        assert_eq!(
            rows[1][2],
            strs(&[
                "localhost".into(),
                "ip6-localhost".into(),
                "#".into(),
                "v6".into()
            ])
        );
        assert_eq!(rows[2][0], Value::str("#"));
    }

    #[test]
    fn allow_deny_lines_as_etc_hosts_allow_deny_rb() {
        let rows = allow_deny_rows(
            "# comment\nALL: 127.0.0.1, [::1]\nsshd, vsftpd : 10.0.0.0/8 : spawn /bin/echo %d : allow\nbad line\n",
        );
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], Value::str("ALL"));
        assert_eq!(rows[0][1], strs(&["127.0.0.1".into(), "[::1]".into()]));
        assert_eq!(rows[0][2], Value::Array(vec![]));
        assert_eq!(rows[2][0], Value::str("vsftpd"));
        assert_eq!(rows[1][1], strs(&["10.0.0.0/8".into()]));
        assert_eq!(
            rows[1][2],
            strs(&["spawn /bin/echo %d".into(), "allow".into()])
        );
        for junk in ["", ":", "::", ",:", "a:", "#:"] {
            let _ = (allow_deny_rows(junk), hosts_rows(junk));
        }
    }
}
