//! `aide_conf`: AIDE's selection lines and the rules each applies, rule names and the
//! `R`/`L`/`>` groups expanded (InSpec's resources/aide_conf.rb), as a FilterTable.

use std::collections::HashMap;
use std::sync::Arc;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::support::{str_arg, table, table_call, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "all_have_rule",
    "selection_lines",
    "selection_line",
    "rules",
    "params",
    "where",
    "entries",
    "count",
    "exist?",
    "raw_data",
];

pub struct AideConf {
    path: String,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(AideConf {
        path: str_arg(args, 0).unwrap_or_else(|| "/etc/aide.conf".into()),
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

/// The rules a group letter stands for (aide_conf.rb `handle_multi_rule`).
fn group(rule: &str) -> Option<&'static [&'static str]> {
    match rule {
        "R" => Some(&["p", "i", "l", "n", "u", "g", "s", "m", "c", "md5"]),
        "L" => Some(&["p", "i", "l", "n", "u", "g"]),
        ">" => Some(&["p", "l", "u", "g", "i", "n", "S"]),
        _ => None,
    }
}

/// `a+b+NAME`: each part a defined rule's list, a group's rules, or itself.
fn expand(parts: &str, defined: &HashMap<String, Vec<String>>) -> Vec<String> {
    parts
        .split('+')
        .flat_map(|p| {
            if let Some(g) = group(p) {
                return g.iter().map(|s| s.to_string()).collect();
            }
            defined
                .get(p)
                .cloned()
                .unwrap_or_else(|| vec![p.to_string()])
        })
        .collect()
}

/// `(selection line, rules)` of each selection line (`/path`, `!/path`, `=/path`), in order.
pub fn parse(text: &str) -> Vec<(String, Vec<String>)> {
    let mut defined: HashMap<String, Vec<String>> = HashMap::new();
    let mut out = Vec::new();
    for raw in text.lines() {
        // parse_comment_line: a `#` ends the line's content; at the start it is all comment.
        let line = match raw.find('#') {
            Some(i) => &raw[..i],
            None => raw,
        };
        if line.contains(" = ") {
            let squeezed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            let mut sides = squeezed.split('=');
            let name = sides.next().unwrap_or("").to_string();
            let rules = squeezed.rsplit('=').next().unwrap_or("");
            let list = expand(rules, &defined);
            defined.insert(name, list);
        } else if line.starts_with(['/', '!', '=']) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (Some(first), Some(last)) = (words.first(), words.last()) else {
                continue;
            };
            let selection = first.strip_suffix('/').unwrap_or(first).to_string();
            out.push((selection, expand(last, &defined)));
        }
    }
    out
}

impl AideConf {
    fn rows(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            let rows = parse(&read_file_content(&self.host, &self.path, false)?)
                .into_iter()
                .map(|(s, rules)| {
                    vec![
                        Value::Str(s),
                        Value::Array(rules.into_iter().map(Value::Str).collect()),
                    ]
                })
                .collect();
            Ok(aide_table(rows))
        })
    }
}

/// aide_conf.rb's FilterTable: `selection_lines` and `rules` over the selection lines.
fn aide_table(rows: Vec<Vec<Value>>) -> Arc<Table> {
    table(
        "AIDE Config",
        &["selection_line", "rules"],
        &[("selection_lines", "selection_line"), ("rules", "rules")],
        rows,
    )
}

impl Resource for AideConf {
    fn name(&self) -> &str {
        "aide_conf"
    }

    fn to_s(&self) -> String {
        "AIDE Config".into()
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.rows()?.clone()))
    }

    /// aide_conf.rb reads the file in `initialize` (`read_content`).
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.rows())
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(aide_table(Vec::new()))
    }

    /// Skipped, aide_conf.rb's `@content` and `@params` are nil: `all_have_rule` is false,
    /// `params` nil (the FilterTable over nil rows: [`Resource::empty_table`]).
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        match method {
            "all_have_rule" => Some(Value::Bool(false)),
            "params" => Some(Value::Nil),
            _ => None,
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        if !METHODS.contains(&method) {
            return Err(crate::native::resources::support::unsupported(
                "aide_conf",
                method,
            ));
        }
        let t = self.rows()?;
        match method {
            "all_have_rule" => {
                let rule = args.first().cloned().unwrap_or(Value::Nil);
                Ok(Value::Bool(t.rows.iter().all(
                    |r| matches!(r.get(1), Some(Value::Array(rules)) if rules.contains(&rule)),
                )))
            }
            "params" => table_call("aide_conf", t, "raw_data", &[]),
            _ => table_call("aide_conf", t, method, args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_lines_expand_rules_as_aide_conf_rb() {
        let text = "# AIDE\n@@define DBDIR /var/lib/aide\nNORMAL = R+sha512\n\
                    CONTENT_EX = sha256+ftype+p\n/boot/   NORMAL\n/bin L+xattr # comment\n\
                    !/var/log/.*\n=/etc/ >\n  /indented R\n";
        let got = parse(text);
        let rules = |i: usize| got[i].1.join(" ");
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].0, "/boot");
        assert_eq!(rules(0), "p i l n u g s m c md5 sha512");
        assert_eq!(rules(1), "p i l n u g xattr");
        assert_eq!(
            (got[2].0.as_str(), rules(2)),
            ("!/var/log/.*", "!/var/log/.*".into())
        );
        assert_eq!(
            (got[3].0.as_str(), rules(3)),
            ("=/etc", "p l u g i n S".into())
        );
        for junk in ["", "=", " = ", "/", "!", "a = ", "= = ="] {
            let _ = parse(junk);
        }
    }
}
