//! Firewalls other than iptables: `firewalld` (through `firewall-cmd` on the target, its
//! active zones as a FilterTable) and `nftables` (a chain's rules and attributes, a set's
//! elements, through `nft`), as InSpec's resources/firewalld.rb and nftables.rb.

use std::sync::Arc;

use crate::native::resources::support::{
    has_program, hash_option, run_argv, str_arg, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const FIREWALLD_METHODS: &[&str] = &[
    "count",
    "default_zone",
    "entries",
    "exist?",
    "forward_ports",
    "has_icmp_block_inversion_enabled?",
    "has_masquerade_enabled?",
    "has_port_enabled_in_zone?",
    "has_rule_enabled?",
    "has_service_enabled_in_zone?",
    "has_zone?",
    "icmp_block_inversion?",
    "icmp_blocks",
    "installed?",
    "interfaces",
    "masquerade?",
    "params",
    "ports",
    "protocols",
    "rich_rules",
    "running?",
    "service_ports_enabled_in_zone",
    "service_protocols_enabled_in_zone",
    "services",
    "source_ports",
    "sources",
    "target",
    "where",
    "zone",
];

const ZONE_FIELDS: &[&str] = &[
    "zone",
    "interfaces",
    "services",
    "sources",
    "target",
    "icmp_block_inversion",
    "ports",
    "protocols",
    "masquerade",
    "forward_ports",
    "source_ports",
    "icmp_blocks",
    "rich_rules",
];

pub struct Firewalld {
    host: Arc<Host>,
    zones: Lazy<Arc<Table>>,
}

pub fn create_firewalld(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Firewalld {
        host: host.clone(),
        zones: Lazy::default(),
    }))
}

fn words(s: &str) -> Value {
    Value::Array(s.split_whitespace().map(Value::str).collect())
}

fn lines(s: &str) -> Value {
    Value::Array(
        s.split('\n')
            .filter(|l| !l.is_empty())
            .map(Value::str)
            .collect(),
    )
}

impl Firewalld {
    /// `firewall-cmd ARGS`: stdout stripped, or InSpec's "Error on command" text when it
    /// wrote to stderr (firewalld.rb firewalld_command).
    fn cmd(&self, args: &[&str]) -> Res<String> {
        let mut argv = vec!["firewall-cmd"];
        argv.extend_from_slice(args);
        let out = run_argv(&self.host, &argv)?;
        if !out.stderr.is_empty() {
            return Ok(format!(
                "Error on command firewall-cmd {}: {}",
                args.join(" "),
                out.stderr
            ));
        }
        Ok(out.stdout.trim().to_string())
    }

    fn zone_cmd(&self, zone: &str, what: &str) -> Res<String> {
        self.cmd(&["--permanent", &format!("--zone={zone}"), what])
    }

    fn default_zone(&self) -> Res<String> {
        self.cmd(&["--get-default-zone"])
    }

    fn zone_arg(&self, args: &[Value], i: usize) -> Res<String> {
        match str_arg(args, i) {
            Some(z) => Ok(z),
            None => self.default_zone(),
        }
    }

    fn installed(&self) -> Res<bool> {
        has_program(&self.host, "firewall-cmd")
    }

    /// The active zones, each with what is bound to it (12 questions per zone).
    fn zones(&self) -> Res<&Arc<Table>> {
        self.zones.get(|| {
            let mut rows = Vec::new();
            // Not installed (or failing): no zones, where InSpec would parse its own error
            // text as a zone.
            if self.installed()? {
                let active = self.cmd(&["--get-active-zones"])?;
                let all: Vec<&str> = active.split('\n').collect();
                if !active.starts_with("Error on command") {
                    for pair in all.chunks(2) {
                        let zone = pair[0].trim().to_string();
                        let interfaces = pair
                            .get(1)
                            .and_then(|l| l.split(':').nth(1))
                            .map_or(Value::Array(Vec::new()), words);
                        let q = |w: &str| self.zone_cmd(&zone, w);
                        rows.push(vec![
                            Value::str(&zone),
                            interfaces,
                            words(&q("--list-services")?),
                            words(&q("--list-sources")?),
                            Value::str(q("--get-target")?.trim()),
                            Value::Bool(q("--query-icmp-block-inversion")? == "yes"),
                            words(&q("--list-ports")?),
                            words(&q("--list-protocols")?),
                            Value::Bool(q("--query-masquerade")? == "yes"),
                            lines(&q("--list-forward-ports")?),
                            words(&q("--list-source-ports")?),
                            words(&q("--list-icmp-blocks")?),
                            lines(&q("--list-rich-rules")?),
                        ]);
                    }
                }
            }
            let accessors: Vec<(&str, &str)> = ZONE_FIELDS.iter().map(|f| (*f, *f)).collect();
            Ok(table("firewalld", ZONE_FIELDS, &accessors, rows))
        })
    }

    /// The first zone's flag (`x.params[0][field]` of the custom matchers).
    fn first_flag(&self, field: &str) -> Res<Value> {
        let t = self.zones()?;
        let i = t.field(field).unwrap_or(0);
        Ok(t.rows
            .first()
            .and_then(|r| r.get(i).cloned())
            .unwrap_or(Value::Nil))
    }
}

impl Resource for Firewalld {
    fn name(&self) -> &str {
        "firewalld"
    }
    fn to_s(&self) -> String {
        "Firewall Rules".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let need = |i: usize, what: &str| {
            str_arg(args, i).ok_or_else(|| {
                ResourceError::Failed(format!("`firewalld.{method}` needs {what} (a String)"))
            })
        };
        match method {
            "installed?" => Ok(Value::Bool(self.installed()?)),
            "running?" => Ok(Value::Bool(
                self.installed()? && self.cmd(&["--state"])?.starts_with("running"),
            )),
            "has_zone?" => {
                let z = need(0, "a zone")?;
                Ok(Value::Bool(
                    self.installed()?
                        && self
                            .cmd(&["--get-zones"])?
                            .split_whitespace()
                            .any(|w| w == z),
                ))
            }
            "default_zone" => Ok(Value::str(self.default_zone()?)),
            "has_service_enabled_in_zone?" => {
                let s = need(0, "a service")?;
                let z = self.zone_arg(args, 1)?;
                Ok(Value::Bool(
                    self.zone_cmd(&z, &format!("--query-service={s}"))? == "yes",
                ))
            }
            "has_port_enabled_in_zone?" => {
                let p = need(0, "a port")?;
                let z = self.zone_arg(args, 1)?;
                Ok(Value::Bool(
                    self.zone_cmd(&z, &format!("--query-port={p}"))? == "yes",
                ))
            }
            "has_rule_enabled?" => {
                let mut rule = need(0, "a rich rule")?;
                if !rule.starts_with("rule") {
                    rule = format!("rule {rule}");
                }
                let z = self.zone_arg(args, 1)?;
                Ok(Value::Bool(
                    self.zone_cmd(&z, &format!("--query-rich-rule={rule}"))? == "yes",
                ))
            }
            "service_ports_enabled_in_zone" | "service_protocols_enabled_in_zone" => {
                let s = need(0, "a service")?;
                let z = self.zone_arg(args, 1)?;
                let what = if method == "service_ports_enabled_in_zone" {
                    "--get-ports"
                } else {
                    "--get-protocols"
                };
                Ok(words(&self.cmd(&[
                    "--permanent",
                    &format!("--zone={z}"),
                    &format!("--service={s}"),
                    what,
                ])?))
            }
            "icmp_block_inversion?" | "has_icmp_block_inversion_enabled?" => {
                self.first_flag("icmp_block_inversion")
            }
            "masquerade?" | "has_masquerade_enabled?" => self.first_flag("masquerade"),
            "params" => table_call("firewalld", self.zones()?, "entries", &[]),
            _ if FIREWALLD_METHODS.contains(&method) => {
                table_call("firewalld", self.zones()?, method, args)
            }
            _ => Err(unsupported("firewalld", method)),
        }
    }
    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.zones()?.clone()))
    }
}

pub const NFTABLES_METHODS: &[&str] = &[
    "flags",
    "has_element?",
    "has_rule?",
    "hook",
    "policy",
    "prio",
    "retrieve_chain_rules",
    "retrieve_set_elements",
    "size",
    "type",
];

/// The `nft` program and the options its version takes (nftables.rb's @@nft_params).
#[derive(Clone, Debug)]
struct Nft {
    bin: String,
    json: bool,
    stateless: bool,
    num: Option<&'static str>,
}

pub struct Nftables {
    family: Option<String>,
    table: Option<String>,
    chain: Option<String>,
    set: Option<String>,
    ignore_comments: bool,
    host: Arc<Host>,
    nft: Lazy<Nft>,
    rules: Lazy<Vec<String>>,
    elements: Lazy<Vec<String>>,
    attrs: Lazy<Value>,
}

/// `nftables(family:, table:, chain: | set:, ignore_comments:)`.
pub fn create_nftables(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let text = |key: &str| match hash_option(args, key) {
        Some(Value::Str(s) | Value::Sym(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(Arc::new(Nftables {
        family: text("family"),
        table: text("table"),
        chain: text("chain"),
        set: text("set"),
        ignore_comments: hash_option(args, "ignore_comments").is_some_and(Value::truthy),
        host: host.clone(),
        nft: Lazy::default(),
        rules: Lazy::default(),
        elements: Lazy::default(),
        attrs: Lazy::default(),
    }))
}

/// `major.minor.patch` compared as numbers (Gem::Version for plain versions).
fn version_at_least(v: &str, want: [u64; 3]) -> bool {
    let mut parts = v.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    });
    let got: Vec<u64> = (0..3)
        .map(|_| parts.next().and_then(|p| p.parse().ok()).unwrap_or(0))
        .collect();
    got.as_slice() >= want.as_slice()
}

fn nonempty(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

impl Nftables {
    fn nft(&self) -> Res<&Nft> {
        self.nft.get(|| {
            let mut bin = None;
            for cmd in ["/usr/sbin/nft", "/sbin/nft", "nft"] {
                if has_program(&self.host, cmd)? {
                    bin = Some(cmd.to_string());
                    break;
                }
            }
            let bin = bin.ok_or_else(|| ResourceError::Failed("Could not find `nft`".into()))?;
            let out = run_argv(&self.host, &[&bin, "--version"])?;
            let version = out
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("nftables v"))
                .and_then(|rest| rest.split_whitespace().next())
                .ok_or_else(|| {
                    ResourceError::Failed(format!(
                        "cannot read the nftables version from `{bin} --version`"
                    ))
                })?
                .to_string();
            if !nonempty(&self.family) || !nonempty(&self.table) {
                return Err(ResourceError::Failed(
                    "nftables family and table are mandatory.".into(),
                ));
            }
            match (nonempty(&self.chain), nonempty(&self.set)) {
                (false, false) => {
                    return Err(ResourceError::Failed(
                        "You must specify either a chain or a set name.".into(),
                    ))
                }
                (true, true) => {
                    return Err(ResourceError::Failed(
                        "You must specify either a chain or a set name, not both.".into(),
                    ))
                }
                _ => {}
            }
            let (json, stateless, num) = if !version_at_least(&version, [0, 8, 0]) {
                (false, false, Some("-nn"))
            } else if !version_at_least(&version, [0, 9, 0]) {
                (false, true, Some("-nn"))
            } else if !version_at_least(&version, [0, 9, 3]) {
                (true, true, Some("-nn"))
            } else {
                (true, true, Some("-y"))
            };
            Ok(Nft {
                bin,
                json,
                stateless,
                num,
            })
        })
    }

    /// `nft [-s] [opt] list KIND FAMILY TABLE NAME`.
    fn list(&self, kind: &str, name: &str, extra: Option<&str>) -> Res<Option<String>> {
        let nft = self.nft()?;
        let mut argv: Vec<&str> = vec![&nft.bin];
        if nft.stateless {
            argv.push("-s");
        }
        argv.extend(extra);
        let family = self.family.as_deref().unwrap_or_default();
        let table = self.table.as_deref().unwrap_or_default();
        argv.extend(["list", kind, family, table, name]);
        let out = run_argv(&self.host, &argv)?;
        Ok((out.exit_status == Some(0)).then_some(out.stdout))
    }

    fn rules(&self) -> Res<&Vec<String>> {
        self.rules.get(|| {
            let chain = self.chain.clone().unwrap_or_default();
            let num = self.nft()?.num;
            let Some(text) = self.list("chain", &chain, num)? else {
                return Ok(Vec::new());
            };
            let rows = text.replace('\t', "");
            let kept = rows
                .split('\n')
                .filter(|l| !(l.starts_with("table") || l.starts_with("chain") || *l == "}"));
            Ok(if self.ignore_comments {
                let comment =
                    regex::Regex::new(r#" comment "([^"]*)""#).expect("a valid built-in pattern");
                kept.map(|l| comment.replace_all(l, "").into_owned())
                    .collect()
            } else {
                kept.map(|l| l.trim().to_string()).collect()
            })
        })
    }

    fn elements(&self) -> Res<&Vec<String>> {
        self.elements.get(|| {
            let set = self.set.clone().unwrap_or_default();
            let Some(text) = self.list("set", &set, None)? else {
                return Ok(Vec::new());
            };
            let skip = regex::Regex::new(r"^(table|set|type|size|flags|typeof|auto-merge)")
                .expect("a valid built-in pattern");
            let rows = text.replace('\t', "");
            Ok(rows
                .split('\n')
                .filter(|l| !skip.is_match(l) && *l != "}")
                .flat_map(|l| {
                    l.replace("elements = {", "")
                        .replace('}', "")
                        .split(',')
                        .map(|e| sanitize(e.trim()))
                        .collect::<Vec<_>>()
                })
                .collect())
        })
    }

    /// A chain's or set's attributes: `nft -j` JSON, or the text's `type … hook …` line.
    fn attrs(&self) -> Res<&Value> {
        self.attrs.get(|| {
            let nft = self.nft()?.clone();
            let (kind, name) = match &self.set {
                Some(s) if !s.is_empty() => ("set", s.clone()),
                _ => ("chain", self.chain.clone().unwrap_or_default()),
            };
            let Some(text) = self.list(kind, &name, nft.json.then_some("-j"))? else {
                return Ok(Value::Hash(Vec::new()));
            };
            if nft.json {
                let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    ResourceError::Failed(format!("cannot read `nft -j` output: {e}"))
                })?;
                let found = doc
                    .get("nftables")
                    .and_then(|v| v.as_array())
                    .and_then(|items| items.iter().find_map(|i| i.get(kind)))
                    .ok_or_else(|| {
                        ResourceError::Failed(format!("no {kind} in the `nft -j` output"))
                    })?;
                return Ok(crate::native::resources::config_file::from_json(found));
            }
            let rows = text.replace('\t', "");
            if kind == "chain" {
                let re = regex::Regex::new(r"type (\S+) hook (\S+) priority (\S+); policy (\S+);")
                    .expect("a valid built-in pattern");
                let line = rows
                    .split('\n')
                    .find(|l| l.starts_with("type"))
                    .unwrap_or("");
                let c = re.captures(line).ok_or_else(|| {
                    ResourceError::Failed(format!("cannot read the chain's type line: {line}"))
                })?;
                let g = |i| c.get(i).map_or("", |m| m.as_str());
                let prio: i64 = g(3).trim_start_matches('+').parse().unwrap_or_default();
                return Ok(Value::Hash(vec![
                    (Value::str("type"), Value::str(g(1))),
                    (Value::str("hook"), Value::str(g(2))),
                    (Value::str("prio"), Value::Int(prio)),
                    (Value::str("policy"), Value::str(g(4))),
                ]));
            }
            let (mut ty, mut size, mut flags) = (String::new(), 0, Vec::new());
            for l in rows.split('\n') {
                if let Some(t) = l.strip_prefix("type ") {
                    ty = t.to_string();
                } else if let Some(f) = l.strip_prefix("flags ") {
                    flags = f.split(',').map(Value::str).collect();
                } else if let Some(s) = l.strip_prefix("size ") {
                    size = s.trim().parse().unwrap_or(0);
                }
            }
            Ok(Value::Hash(vec![
                (Value::str("type"), Value::str(ty)),
                (Value::str("size"), Value::Int(size)),
                (Value::str("flags"), Value::Array(flags)),
            ]))
        })
    }

    fn attr(&self, name: &str) -> Res<Value> {
        let is_set = nonempty(&self.set);
        let valid: &[&str] = if is_set {
            &["flags", "size", "type"]
        } else {
            &["hook", "policy", "prio", "type"]
        };
        if !valid.contains(&name) {
            let what = if is_set { "sets" } else { "chains" };
            return Err(ResourceError::Skip(format!(
                "`{name}` attribute is not valid for {what}"
            )));
        }
        let attrs = self.attrs()?;
        let v = attrs.hash_get(&Value::str(name)).cloned();
        Ok(match (name, v) {
            ("type", Some(Value::Array(items))) if is_set => Value::str(
                items
                    .iter()
                    .filter_map(|i| match i {
                        Value::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" . "),
            ),
            (_, Some(v)) => v,
            ("flags", None) => Value::Array(Vec::new()),
            (_, None) => Value::str(""),
        })
    }
}

/// nftables.rb's sanitize_input: `\`, `'`, `"` and `;` escaped with a backslash.
fn sanitize(e: &str) -> String {
    let mut out = String::with_capacity(e.len());
    for c in e.chars() {
        if matches!(c, '\\' | '\'' | '"' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Resource for Nftables {
    fn name(&self) -> &str {
        "nftables"
    }
    fn to_s(&self) -> String {
        let part = |label: &str, v: &Option<String>| {
            v.as_ref()
                .map(|v| format!("{label}: {v}"))
                .unwrap_or_default()
        };
        format!(
            "nftables ({} {} {} {})",
            part("family", &self.family),
            part("table", &self.table),
            part("chain", &self.chain),
            part("set", &self.set)
        )
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let eq = |items: &Vec<String>| {
            let want = str_arg(args, 0).unwrap_or_default().to_lowercase();
            Value::Bool(items.iter().any(|l| l.to_lowercase() == want))
        };
        match method {
            "has_rule?" => Ok(eq(self.rules()?)),
            "has_element?" => Ok(eq(self.elements()?)),
            "retrieve_chain_rules" => {
                Ok(Value::Array(self.rules()?.iter().map(Value::str).collect()))
            }
            "retrieve_set_elements" => Ok(Value::Array(
                self.elements()?.iter().map(Value::str).collect(),
            )),
            "flags" | "hook" | "policy" | "prio" | "size" | "type" => {
                self.nft()?;
                self.attr(method)
            }
            _ => Err(unsupported("nftables", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(version_at_least("1.0.6", [0, 9, 3]));
        assert!(version_at_least("0.9.3", [0, 9, 3]));
        assert!(!version_at_least("0.9.2", [0, 9, 3]));
        assert!(!version_at_least("0.10", [0, 11, 0]));
        assert!(version_at_least("0.10", [0, 9, 0]));
    }

    #[test]
    fn set_elements_escaped_like_inspec() {
        assert_eq!(sanitize(r#"a"b;c'd\e"#), r#"a\"b\;c\'d\\e"#);
    }
}
