//! Configuration files read into `params`, with any key as a property: `sshd_config`,
//! `ssh_config`, `login_defs`/`login_def`, `parse_config_file`, `auditd_conf`, `ntp_conf`,
//! `inetd_conf`, `limits_conf`, `ini`, `postfix_conf`, `json`, `yaml`, `toml`, `csv`,
//! `cassandradb_conf`, `oracledb_listener_conf`. Parsers accept any text; a missing file skips the resource, as
//! InSpec's FileReader does.

use std::sync::Arc;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::simple_config::{self, Assign, Options};
use crate::native::resources::support::{dig, need_str, str_arg, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["*", "content", "params", "read_params", "conf_path", "[]"];
pub const SSHD_ACTIVE_METHODS: &[&str] = &["*", "content", "params", "active_path", "[]"];
pub const DATA_METHODS: &[&str] = &["*", "content", "params", "value"];

#[derive(Clone, Debug)]
enum Format {
    /// OpenSSH: keys case-insensitive (the first spelling wins), every occurrence kept.
    Ssh,
    /// SimpleConfig with these options; keys exact.
    Simple(Options),
    /// SimpleConfig, and a key with one value answers that value (`ntp_conf`).
    SimpleUnwrapped(Options),
    Json,
    Yaml,
    Toml,
    /// csv.rb: rows as hashes by header (or arrays), keys answer a column.
    Csv {
        headers: bool,
    },
    /// REXML's document, queried by XPath (xml.rb).
    Xml,
}

/// Where the text comes from.
enum Source {
    Path(String),
    Content(String),
    Command(String),
}

pub struct ConfigFile {
    name: &'static str,
    label: String,
    source: Source,
    format: Format,
    host: Arc<Host>,
    parsed: Lazy<(String, Value)>,
    xml: Lazy<crate::native::ruby::xml_doc::Doc>,
}

pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let path = |default: &str| str_arg(args, 0).unwrap_or_else(|| default.to_string());
    let (source, format, label) = match name {
        "sshd_config" => (
            Source::Path(path("/etc/ssh/sshd_config")),
            Format::Ssh,
            "SSHD Configuration".to_string(),
        ),
        "sshd_active_config" => {
            let p = active_sshd_config(host)?;
            (
                Source::Path(p.clone()),
                Format::Ssh,
                format!("SSHD Active Configuration (active path: {p})"),
            )
        }
        "ssh_config" => (
            Source::Path(path("/etc/ssh/ssh_config")),
            Format::Ssh,
            "SSH Configuration".to_string(),
        ),
        "login_defs" | "login_def" => (
            Source::Path(path("/etc/login.defs")),
            Format::Simple(Options {
                assign: Assign::KeyWord,
                ..Options::default()
            }),
            "login.defs".to_string(),
        ),
        "auditd_conf" => (
            Source::Path(path("/etc/audit/auditd.conf")),
            Format::Simple(Options::default()),
            "Audit Daemon Config".to_string(),
        ),
        "parse_config_file" => {
            let p = need_str(name, args, 0, "a path")?;
            let opts = parse_options(args.get(1))?;
            (
                Source::Path(p.clone()),
                Format::Simple(opts),
                format!("Parse Config File {p}"),
            )
        }
        // parse_config.rb: text (nil: no params) and SimpleConfig's options.
        "parse_config" => (
            Source::Content(str_arg(args, 0).unwrap_or_default()),
            Format::Simple(parse_options(args.get(1))?),
            "Parse Config ".to_string(),
        ),
        "chrony_conf" => (
            Source::Path(path("/etc/chrony.conf")),
            Format::SimpleUnwrapped(Options {
                assign: Assign::Custom(custom(r"^\s*(\S+)\s+(.*)\s*$")),
                multiple_values: true,
                ..Options::default()
            }),
            "chrony.conf".to_string(),
        ),
        "ntp_conf" => (
            Source::Path(path("/etc/ntp.conf")),
            Format::SimpleUnwrapped(Options {
                assign: Assign::Custom(custom(r"^\s*(\S+)\s+(.*)\s*$")),
                multiple_values: true,
                ..Options::default()
            }),
            "ntp.conf".to_string(),
        ),
        "inetd_conf" => (
            Source::Path(path("/etc/inetd.conf")),
            // service: socket type, protocol, wait, user, server, arguments.
            Format::Simple(Options {
                assign: Assign::Custom(custom(
                    r"^\s*(\S+?)\s+(.*?)\s+(.*?)\s+(.*?)\s+(.*?)\s+(.*?)\s+(.*?)\s*$",
                )),
                key_values: 6,
                ..Options::default()
            }),
            "inetd.conf".to_string(),
        ),
        "limits_conf" => (
            Source::Path(path("/etc/security/limits.conf")),
            // domain: type, item, value (one list per line).
            Format::Simple(Options {
                assign: Assign::Custom(custom(r"^\s*(\S+?)\s+(.*?)\s+(.*?)\s+(.*?)\s*$")),
                key_values: 3,
                multiple_values: true,
                ..Options::default()
            }),
            "limits.conf".to_string(),
        ),
        "ini" => data_source(name, args, "INI", Format::Simple(Options::default()))?,
        // cassandradb_conf.rb: a JsonConfig of YAML at the given path, else
        // $CASSANDRA_HOME/cassandra.yaml when that file exists.
        "cassandradb_conf" => {
            let p = given_or_home_file(args, host, "CASSANDRA_HOME", "/cassandra.yaml")?
                .ok_or_else(|| ResourceError::Skip("Cassandra db conf path is not set".into()))?;
            (
                Source::Path(p.clone()),
                Format::Yaml,
                format!("Cassandra Configuration {p}"),
            )
        }
        // oracledb_listener_conf.rb: SimpleConfig lines `key = value` of listener.ora at the
        // given path, else $ORACLE_HOME/network/admin/listener.ora when it exists. Its
        // include/include_dir keys (not Oracle's syntax) are not followed.
        "oracledb_listener_conf" => {
            let p = given_or_home_file(args, host, "ORACLE_HOME", "/network/admin/listener.ora")?
                .ok_or_else(|| {
                ResourceError::Skip("Oracle Listener conf path is not set".into())
            })?;
            (
                Source::Path(p),
                Format::SimpleUnwrapped(Options {
                    assign: Assign::Custom(custom(r"^\s*([^=]*?)\s*=\s*[']?\s*(.*?)\s*[']?\s*$")),
                    ..Options::default()
                }),
                "Oracle Listener Configuration".to_string(),
            )
        }
        // postfix_conf.rb: an IniConfig of main.cf (a path as its only argument).
        "postfix_conf" => (
            Source::Path(path("/etc/postfix/main.cf")),
            Format::Simple(Options::default()),
            "Postfix Mail Transfer Agent".to_string(),
        ),
        "json" => data_source(name, args, "JSON", Format::Json)?,
        "toml" => data_source(name, args, "TOML", Format::Toml)?,
        // csv.rb: `csv(path, headers = true)`.
        "csv" => data_source(
            name,
            args,
            "CSV",
            Format::Csv {
                headers: args.get(1).is_none_or(Value::truthy),
            },
        )?,
        "xml" => data_source(name, args, "XML", Format::Xml)?,
        _ => data_source(name, args, "YAML", Format::Yaml)?,
    };
    Ok(Arc::new(ConfigFile {
        name,
        label,
        source,
        format,
        host: host.clone(),
        parsed: Lazy::default(),
        xml: Lazy::default(),
    }))
}

/// What sshd reports loading (ssh_config.rb `dynamic_sshd_config_path`): the first
/// `filename` line of its debug output, else /etc/ssh/sshd_config. InSpec runs
/// `sudo /usr/sbin/sshd -dd`, which on a host without a running sshd keeps listening; `-t`
/// prints the same lines and exits, and `sudo -n` never waits for a password.
pub const SSHD_DEBUG: &str = "sudo -n /usr/sbin/sshd -dd -t 2>&1";

fn active_sshd_config(host: &Host) -> Res<String> {
    let out = host.run(SSHD_DEBUG)?;
    let path = out
        .stdout
        .lines()
        .find(|l| l.contains("filename"))
        .and_then(|l| l.rsplit("filename").next())
        .map(str::trim)
        .unwrap_or("");
    Ok(if path.is_empty() {
        "/etc/ssh/sshd_config".to_string()
    } else {
        path.to_string()
    })
}

/// The path given, else `$VAR` + `suffix` when that file exists (cassandra.rb and
/// oracle.rb read the variable with `os_env`); None when neither.
fn given_or_home_file(
    args: &[Value],
    host: &Arc<Host>,
    var: &str,
    suffix: &str,
) -> Res<Option<String>> {
    if let Some(p) = str_arg(args, 0) {
        return Ok(Some(p));
    }
    let home = super::os::create_os_env(&[Value::str(var)], host)?.call("content", &[])?;
    let Value::Str(home) = home else {
        return Ok(None);
    };
    if home.is_empty() {
        return Ok(None);
    }
    let p = format!("{home}{suffix}");
    Ok(host.stat(&p)?.is_some().then_some(p))
}

fn custom(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("a valid built-in pattern")
}

/// `json('/path')`, `json(content: '...')`, `json(command: '...')`.
fn data_source(
    name: &str,
    args: &[Value],
    label: &str,
    format: Format,
) -> Res<(Source, Format, String)> {
    if let Some(p) = str_arg(args, 0) {
        return Ok((Source::Path(p.clone()), format, format!("{label} {p}")));
    }
    let opt = |key: &str| match args.first() {
        Some(h @ Value::Hash(_)) => h
            .hash_get(&Value::Sym(key.into()))
            .or_else(|| h.hash_get(&Value::str(key)))
            .and_then(|v| match v {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            }),
        _ => None,
    };
    if let Some(p) = opt("path") {
        return Ok((Source::Path(p.clone()), format, format!("{label} {p}")));
    }
    if let Some(c) = opt("content") {
        return Ok((Source::Content(c), format, format!("{label} content")));
    }
    if let Some(c) = opt("command") {
        // json.rb: `@resource_name_supplement = "from command: #{opts[:command]}"`.
        return Ok((
            Source::Command(c.clone()),
            format,
            format!("{label} from command: {c}"),
        ));
    }
    Err(ResourceError::Failed(format!(
        "`{name}` needs a path, or content: or command:"
    )))
}

/// The most values a line's `key_values` may ask for.
const MAX_KEY_VALUES: usize = 256;

/// SimpleConfig's options as `parse_config` and `parse_config_file` take them:
/// `assignment_regex`, `multiple_values`, `multiple_value_regex`, `key_values`,
/// `comment_char`, `standalone_comments`, `line_separator` (simpleconfig.rb).
fn parse_options(v: Option<&Value>) -> Res<Options> {
    let mut o = Options::default();
    let Some(Value::Hash(pairs)) = v else {
        return Ok(o);
    };
    // Ruby's syntax translated by rx; the line parser runs the linear-time engine, so a
    // pattern that needs backtracking (look-around, backreferences) is named unsupported.
    let compile = |source: &str, flags: &str| {
        let unsupported = |construct: String| ResourceError::Unsupported {
            resource: "parse_config".into(),
            method: construct,
        };
        let ruby = crate::native::ruby::rx::compile(source, flags).map_err(unsupported)?;
        regex::Regex::new(ruby.as_str()).map_err(|_| {
            unsupported(format!(
                "regexp /{source}/ (look-around or backreferences in a parse_config option)"
            ))
        })
    };
    for (k, v) in pairs {
        let (Value::Sym(k) | Value::Str(k)) = k else {
            continue;
        };
        match (k.as_str(), v) {
            ("assignment_regex", Value::Regex { source, flags }) => {
                o.assign = Assign::Custom(compile(source, flags)?);
            }
            ("multiple_value_regex", Value::Regex { source, flags }) => {
                o.multiple_value_regex = Some(compile(source, flags)?);
            }
            ("multiple_value_regex", Value::Str(s)) => {
                o.multiple_value_regex = Some(compile(&regex::escape(s), "")?);
            }
            ("multiple_values", v) => o.multiple_values = v.truthy(),
            ("standalone_comments", v) => o.standalone_comments = v.truthy(),
            // Bounded: each line gets this many values (a pattern has fewer groups).
            ("key_values", Value::Int(n)) => {
                o.key_values = usize::try_from(*n).unwrap_or(1).clamp(1, MAX_KEY_VALUES)
            }
            ("comment_char", Value::Str(c)) => o.comment_char = c.chars().next(),
            ("comment_char", Value::Nil) => o.comment_char = None,
            ("line_separator", Value::Str(c)) => o.line_separator = Some(c.clone()),
            _ => {}
        }
    }
    Ok(o)
}

impl ConfigFile {
    fn parsed(&self) -> Res<&(String, Value)> {
        self.parsed.get(|| {
            let text = match &self.source {
                Source::Content(c) => c.clone(),
                // Each of these InSpec resources reads with `read_file_content(path)`: not a
                // file, unreadable and empty are its three skips.
                Source::Path(p) => read_file_content(&self.host, p, false)?,
                // json.rb `load_raw_from_command` (JsonConfig's, so YAML / XML / TOML / CSV /
                // INI too): no stdout fails the resource, naming stderr.
                Source::Command(c) => {
                    let out = self.host.run(c)?;
                    if out.stdout.is_empty() {
                        return Err(ResourceError::Failed(if out.stderr.is_empty() {
                            "No JSON output, STDERR was empty".to_string()
                        } else {
                            format!("No JSON output, STDERR:\n {}", out.stderr)
                        }));
                    }
                    out.stdout
                }
            };
            let params = match &self.format {
                // InSpec reads the main file only: `Include` lines are not followed.
                Format::Ssh => ssh_params(&text),
                Format::Simple(o) | Format::SimpleUnwrapped(o) => simple_config::parse(&text, o),
                Format::Json => from_json(
                    &serde_json::from_str(&text)
                        .map_err(|e| ResourceError::Failed(format!("Unable to parse JSON: {e}")))?,
                ),
                // The tree is kept apart (`xml_doc`); parse errors fail as xml.rb's do.
                Format::Xml => {
                    self.xml.get(|| {
                        crate::native::ruby::xml_doc::parse(&text)
                            .map_err(|e| ResourceError::Failed(format!("Unable to parse XML: {e}")))
                    })?;
                    Value::Nil
                }
                Format::Toml => super::data_formats::toml_params(&text)
                    .map_err(|e| ResourceError::Failed(format!("Unable to parse TOML: {e}")))?,
                Format::Csv { headers } => super::data_formats::csv_params(&text, *headers)
                    .map_err(|e| ResourceError::Failed(format!("Unable to parse CSV: {e}")))?,
                Format::Yaml => from_yaml(
                    &serde_yaml_ng::from_str(&text)
                        .map_err(|e| ResourceError::Failed(format!("Unable to parse YAML: {e}")))?,
                ),
            };
            Ok((text, params))
        })
    }

    /// A configuration key as a property (InSpec's `method_missing`).
    fn key(&self, name: &str) -> Res<Value> {
        let params = &self.parsed()?.1;
        if let Format::Xml = self.format {
            return self.xpath(name);
        }
        Ok(match &self.format {
            Format::Ssh => unwrap_single(dig(params, &[Value::str(name.to_lowercase())])),
            Format::SimpleUnwrapped(_) => unwrap_single(dig(params, &[Value::str(name)])),
            // SimpleConfig's `[section]`s are Hashie::Mashes (simpleconfig.rb
            // `parse_group_line`): `ini(f).Service.ExecStart`.
            Format::Simple(_) => match dig(params, &[Value::str(name)]) {
                Value::Hash(pairs) => crate::native::ruby::mash::mash(pairs),
                other => other,
            },
            Format::Csv { headers } => {
                super::data_formats::csv_value(params, *headers, &Value::str(name))
            }
            _ => dig(params, &[Value::str(name)]),
        })
    }

    /// xml.rb `value([path])`: every node the XPath selects, as REXML gives it.
    fn xpath(&self, path: &str) -> Res<Value> {
        use crate::native::ruby::xml_doc::Out;
        self.parsed()?;
        let doc = self
            .xml
            .get(|| Err(ResourceError::Failed("no XML document".into())))?;
        let found = doc.query(path).ok_or_else(|| ResourceError::Unsupported {
            resource: "xml".into(),
            method: format!("XPath {path}"),
        })?;
        Ok(Value::Array(
            found
                .into_iter()
                .map(|o| match o {
                    Out::Str(s) => Value::Str(s),
                    Out::Nil => Value::Nil,
                })
                .collect(),
        ))
    }
}

/// A key given once answers its value, not a one-item list (InSpec's `method_missing`).
fn unwrap_single(v: Value) -> Value {
    match v {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        v => v,
    }
}

/// `sshd_config`'s params: every occurrence of a key (Match blocks included, as InSpec),
/// keys lowercased with the first spelling's values kept.
fn ssh_params(text: &str) -> Value {
    let opts = Options {
        assign: Assign::Whitespace,
        multiple_values: true,
        ..Options::default()
    };
    let Value::Hash(pairs) = simple_config::parse(text, &opts) else {
        return Value::Hash(Vec::new());
    };
    let mut out: Vec<(Value, Value)> = Vec::new();
    for (k, v) in pairs {
        let Value::Str(k) = k else { continue };
        let k = Value::Str(k.to_lowercase());
        if !out.iter().any(|(seen, _)| *seen == k) {
            out.push((k, v));
        }
    }
    Value::Hash(out)
}

pub fn from_json(v: &serde_json::Value) -> Value {
    Value::from_json(v)
}

pub fn from_yaml(v: &serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Nil,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        Y::String(s) => Value::str(s),
        Y::Sequence(items) => Value::Array(items.iter().map(from_yaml).collect()),
        Y::Mapping(map) => Value::Hash(
            map.iter()
                .map(|(k, v)| (from_yaml(k), from_yaml(v)))
                .collect(),
        ),
        Y::Tagged(t) => from_yaml(&t.value),
    }
}

/// What a method answers on a resource that skipped in `initialize`, by the state its class
/// leaves there.
#[derive(Clone, Copy)]
enum SkippedState {
    /// json.rb's JsonConfig and its YAML / INI / XML / TOML / CSV kin, parse_config.rb's
    /// PConfigFile: `params` pre-set to `{}`, a key nil.
    EmptyParams,
    /// xml.rb: `params` pre-set to `{}`; anything else reaches REXML, which xml.rb requires
    /// only after the file was read: a NameError (REXML_UNLOADED).
    Xml,
    /// auditd_conf.rb, ntp_conf.rb, chrony_conf.rb, inetd_conf.rb: `@content` unset,
    /// `params` never read (nil), a key nil.
    NoParams,
    /// login_defs.rb, limits_conf.rb: as NoParams, and the public `read_params` parses the
    /// missing content to `{}`.
    NoParamsReadable,
    /// ssh_config.rb (and sshd_config, sshd_active_config): `read_content` reads the file
    /// again on each use, and its ResourceSkipped, raised outside `initialize`, fails the
    /// example or control that asked.
    Rereads,
}

/// What Ruby says when a skipped xml resource reaches REXML (xml.rb requires it in `parse`).
const REXML_UNLOADED: &str = "uninitialized constant xml::REXML";

/// The InSpec classes that read their file in `initialize` (FileReader's
/// `read_file_content`, which raises ResourceSkipped for a missing, unreadable or empty one).
fn skipped_state(name: &str) -> Option<SkippedState> {
    Some(match name {
        "json" | "yaml" | "ini" | "toml" | "csv" | "parse_config_file" => SkippedState::EmptyParams,
        "xml" => SkippedState::Xml,
        "auditd_conf" | "ntp_conf" | "chrony_conf" | "inetd_conf" => SkippedState::NoParams,
        "login_defs" | "login_def" | "limits_conf" => SkippedState::NoParamsReadable,
        "ssh_config" | "sshd_config" | "sshd_active_config" => SkippedState::Rereads,
        _ => return None,
    })
}

impl Resource for ConfigFile {
    fn name(&self) -> &str {
        self.name
    }

    fn load_skip(&self) -> Option<String> {
        skipped_state(self.name)?;
        crate::native::resources::support::skip_of(self.parsed())
    }

    /// JsonConfig and its kin read and parse in `initialize` (json.rb): a command without
    /// output or content that does not parse fails the resource there.
    fn load_fail(&self) -> Option<String> {
        if !matches!(
            skipped_state(self.name),
            Some(SkippedState::EmptyParams | SkippedState::Xml)
        ) {
            return None;
        }
        match self.parsed() {
            Err(ResourceError::Failed(m)) => Some(m.clone()),
            _ => None,
        }
    }

    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        let state = skipped_state(self.name)?;
        // json.rb pre-sets `@params = {}` before reading, so a failed load answers as a
        // skipped one.
        self.load_skip().or_else(|| self.load_fail())?;
        let empty = || Value::Hash(Vec::new());
        Some(match (state, method) {
            (SkippedState::EmptyParams | SkippedState::Xml, "params") => empty(),
            (SkippedState::Xml | SkippedState::Rereads, _) => return None,
            (SkippedState::NoParamsReadable, "read_params") => empty(),
            _ => Value::Nil,
        })
    }

    fn to_s(&self) -> String {
        self.label.clone()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        if let Some(m) = self.load_skip() {
            match skipped_state(self.name) {
                Some(SkippedState::Xml) if method != "params" => {
                    return Err(ResourceError::Failed(REXML_UNLOADED.into()))
                }
                Some(SkippedState::Rereads) => return Err(ResourceError::Failed(m)),
                _ => {}
            }
        }
        match method {
            "content" => Ok(Value::str(&self.parsed()?.0)),
            // limits_conf.rb's public `read_params`.
            "params" | "read_params" => Ok(dig(&self.parsed()?.1, args)),
            "conf_path" | "active_path" => Ok(match &self.source {
                Source::Path(p) => Value::str(p),
                _ => Value::Nil,
            }),
            // csv.rb `value(keys)`: a column by the first key's header.
            "value" | "[]" if matches!(self.format, Format::Csv { .. }) => {
                let Format::Csv { headers } = self.format else {
                    return Ok(Value::Nil);
                };
                let key = match args.first() {
                    Some(Value::Array(keys)) => keys.first(),
                    k => k,
                };
                Ok(super::data_formats::csv_value(
                    &self.parsed()?.1,
                    headers,
                    key.unwrap_or(&Value::Nil),
                ))
            }
            // `json(...).value(['a', 'b'])` and `its(['a', 'b'])` (method_missing drops
            // rspec-its' `:[]`): JsonConfig's path lookup through every key.
            "value" | "[]" if matches!(self.format, Format::Json | Format::Yaml | Format::Toml) => {
                match args.first() {
                    Some(Value::Array(keys)) => Ok(dig(&self.parsed()?.1, keys)),
                    _ => Ok(dig(&self.parsed()?.1, args)),
                }
            }
            // `ini(f)['Service', 'Type']` and `its(['Service', 'Type'])`: json.rb's
            // `value(keys)` walks every key (ObjectTraverser).
            "[]" if args.len() > 1 && matches!(self.format, Format::Simple(_)) => {
                Ok(dig(&self.parsed()?.1, args))
            }
            // `parse_config(text)['key']`: method_missing drops rspec-its' `:[]`.
            "[]" => match str_arg(args, 0) {
                Some(k) => self.key(&k),
                None => Ok(Value::Nil),
            },
            "value" if matches!(self.format, Format::Xml) => match args.first() {
                Some(Value::Array(keys)) => self.xpath(&str_arg(keys, 0).unwrap_or_default()),
                _ => self.xpath(&str_arg(args, 0).unwrap_or_default()),
            },
            _ => self.key(method),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    fn write(name: &str, text: &str) -> String {
        let dir = std::env::temp_dir().join(format!("airs-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }

    #[test]
    fn key_values_is_bounded() {
        let opts = Value::Hash(vec![
            (
                Value::Sym("assignment_regex".into()),
                Value::Regex {
                    source: r"^(\S+)\s+(\S+)$".into(),
                    flags: String::new(),
                },
            ),
            (Value::Sym("key_values".into()), Value::Int(i64::MAX)),
        ]);
        let r = create("parse_config", &[Value::str("k v\n"), opts], &host()).unwrap();
        match r.call("k", &[]).unwrap() {
            Value::Array(items) => {
                assert_eq!(items.len(), MAX_KEY_VALUES);
                assert_eq!(items[0], Value::str("v"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn simple_config_sections_read_as_mashes() {
        let p = write(
            "rescue.service",
            "[Service]\nExecStart=-/lib/x rescue\nType=idle\n",
        );
        let controls = format!(
            r#"
control 'ini' do
  describe ini('{p}') do
    its('Service.ExecStart') {{ should eq '-/lib/x rescue' }}
    its('Service') {{ should include 'Type' => 'idle' }}
    its('Service') {{ should include 'Type' }}
    its('Service') {{ should eq('ExecStart' => '-/lib/x rescue', 'Type' => 'idle') }}
    its(['Service', 'Type']) {{ should eq 'idle' }}
    its('Service.keys') {{ should eq ['ExecStart', 'Type'] }}
  end
  describe ini('{p}').Service do
    its('Type') {{ should eq 'idle' }}
    it {{ should_not be_empty }}
  end
  describe ini('{p}')['Service'].Type do
    it {{ should eq 'idle' }}
  end
end
"#
        );
        let r = crate::native::testing::run_on(host(), &controls);
        let c = &r[0];
        assert_eq!(c.status, crate::job::ControlStatus::Passed, "{c:#?}");
        assert_eq!(c.results.len(), 9);
        assert_eq!(
            c.results[6].code_desc,
            "#<Hashie::Mash ExecStart=\"-/lib/x rescue\" Type=\"idle\"> Type is expected to eq \"idle\""
        );
    }

    #[test]
    fn sshd_config_like_inspec() {
        let p = write(
            "sshd_config",
            "# comment\nPort 22\nport 2222\nPermitRootLogin no # trailing\n\
             Ciphers aes256-ctr,aes128-ctr\nAcceptEnv LANG LC_*\n\
             Match User bob\n  PermitRootLogin yes\nHostKey /a\nHostKey /b\n",
        );
        let r = create("sshd_config", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(r.to_s(), "SSHD Configuration");
        let call = |m: &str| r.call(m, &[]).unwrap();
        // `port` is another spelling of `Port`: the first spelling's values win.
        assert_eq!(call("Port"), Value::str("22"));
        assert_eq!(call("Ciphers"), Value::str("aes256-ctr,aes128-ctr"));
        assert_eq!(call("ciphers"), Value::str("aes256-ctr,aes128-ctr"));
        assert_eq!(
            call("PermitRootLogin"),
            Value::Array(vec![Value::str("no"), Value::str("yes")])
        );
        // A line's value stays whole (ssh_config.rb read_params, no multiple_value_regex).
        assert_eq!(call("AcceptEnv"), Value::str("LANG LC_*"));
        assert_eq!(call("Match"), Value::str("User bob"));
        assert_eq!(call("X11Forwarding"), Value::Nil);
        assert_eq!(
            r.call("params", &[Value::str("hostkey")]).unwrap(),
            Value::Array(vec![Value::str("/a"), Value::str("/b")])
        );
        assert!(matches!(call("content"), Value::Str(s) if s.starts_with("# comment")));
        let missing = create(
            "ssh_config",
            &[Value::str("/nonexistent/ssh_config")],
            &host(),
        )
        .unwrap();
        // Skipped in `initialize`; a later use reads again and fails (ssh_config.rb).
        let m = "Can't find file: /nonexistent/ssh_config";
        assert_eq!(missing.load_skip().as_deref(), Some(m));
        assert_eq!(
            missing.call("Port", &[]),
            Err(ResourceError::Failed(m.into()))
        );
    }

    #[test]
    fn includes_are_not_followed_like_inspec() {
        let dir = std::env::temp_dir().join(format!("airs-sshinc-{}", std::process::id()));
        let d = dir.join("conf.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("10-a.conf"),
            "PasswordAuthentication yes\nX11Forwarding no\n",
        )
        .unwrap();
        let main = dir.join("sshd_config");
        std::fs::write(
            &main,
            format!(
                "Include {}/conf.d/*.conf\nPasswordAuthentication no\nAcceptEnv LANG LC_*\nAcceptEnv XMODIFIERS\n",
                dir.display()
            ),
        )
        .unwrap();
        let r = create(
            "sshd_config",
            &[Value::str(main.to_str().unwrap())],
            &host(),
        )
        .unwrap();
        // ssh_config.rb read_params parses the main file's text only.
        assert_eq!(
            r.call("PasswordAuthentication", &[]).unwrap(),
            Value::str("no")
        );
        assert_eq!(r.call("X11Forwarding", &[]).unwrap(), Value::Nil);
        assert_eq!(
            r.call("Include", &[]).unwrap(),
            Value::str(format!("{}/conf.d/*.conf", dir.display()))
        );
        // A key on several lines: one item per line, each line's value whole.
        assert_eq!(
            r.call("AcceptEnv", &[]).unwrap(),
            Value::Array(vec![Value::str("LANG LC_*"), Value::str("XMODIFIERS")])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_real_sshd_config_reads_end_to_end() {
        let Ok(text) = std::fs::read_to_string("/etc/ssh/sshd_config") else {
            return; // covered by the written file above; this machine may have none
        };
        let r = create("sshd_config", &[], &host()).unwrap();
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap();
        let key = first.split_whitespace().next().unwrap();
        assert_ne!(r.call(key, &[]).unwrap(), Value::Nil, "{key}");
    }

    #[test]
    fn login_defs_auditd_and_parse_config_file() {
        let p = write(
            "login.defs",
            "PASS_MAX_DAYS\t90\nPASS_MIN_DAYS 7 extra\n# x\nUMASK 027\n",
        );
        let r = create("login_defs", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(r.call("PASS_MAX_DAYS", &[]).unwrap(), Value::str("90"));
        assert_eq!(r.call("PASS_MIN_DAYS", &[]).unwrap(), Value::Nil);
        assert_eq!(r.call("UMASK", &[]).unwrap(), Value::str("027"));
        assert_eq!(r.to_s(), "login.defs");

        let p = write(
            "auditd.conf",
            "space_left_action = SYSLOG\nmax_log_file = 8\n",
        );
        let r = create("auditd_conf", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(
            r.call("space_left_action", &[]).unwrap(),
            Value::str("SYSLOG")
        );

        let p = write("conf", "a: 1\nb: two\n");
        let opts = Value::Hash(vec![
            (
                Value::Sym("assignment_regex".into()),
                Value::Regex {
                    source: r"^\s*(\S+?):\s*(.*?)\s*$".into(),
                    flags: String::new(),
                },
            ),
            (Value::Sym("multiple_values".into()), Value::Bool(false)),
        ]);
        let r = create("parse_config_file", &[Value::str(&p), opts], &host()).unwrap();
        assert_eq!(r.call("b", &[]).unwrap(), Value::str("two"));
        assert_eq!(r.to_s(), format!("Parse Config File {p}"));
    }

    #[test]
    fn inetd_and_ntp() {
        let p = write(
            "inetd.conf",
            "# x\ntelnet stream tcp nowait root /usr/sbin/tcpd in.telnetd -h\ntime dgram udp wait root internal\nshort a b\n",
        );
        let r = create("inetd_conf", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(
            r.call("telnet", &[]).unwrap(),
            Value::Array(
                [
                    "stream",
                    "tcp",
                    "nowait",
                    "root",
                    "/usr/sbin/tcpd",
                    "in.telnetd -h"
                ]
                .map(Value::str)
                .to_vec()
            )
        );
        // InSpec's pattern needs seven fields: a six-field `internal` line is not an entry.
        assert_eq!(r.call("time", &[]).unwrap(), Value::Nil);
        assert_eq!(r.call("echo", &[]).unwrap(), Value::Nil);
        assert_eq!(r.to_s(), "inetd.conf");
        let p = write(
            "ntp.conf",
            "server a.pool iburst\npool b\nrestrict -4 default kod\n",
        );
        let r = create("ntp_conf", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(r.call("pool", &[]).unwrap(), Value::str("b"));
        // Values stay whole, as in InSpec's docs: `its('restrict') { should include '-4
        // default kod ...' }`.
        assert_eq!(
            r.call("restrict", &[]).unwrap(),
            Value::str("-4 default kod")
        );
        assert_eq!(r.call("server", &[]).unwrap(), Value::str("a.pool iburst"));
    }

    #[test]
    fn limits_conf_lists_each_line() {
        let p = write(
            "limits.conf",
            "* hard core 0\n* soft nofile 1024\n@adm - maxlogins 4 # x\n",
        );
        let r = create("limits_conf", &[Value::str(&p)], &host()).unwrap();
        let line = |a: [&str; 3]| Value::Array(a.map(Value::str).to_vec());
        assert_eq!(
            r.call("*", &[]).unwrap(),
            Value::Array(vec![
                line(["hard", "core", "0"]),
                line(["soft", "nofile", "1024"])
            ])
        );
        assert_eq!(
            r.call("@adm", &[]).unwrap(),
            Value::Array(vec![line(["-", "maxlogins", "4"])])
        );
    }

    #[test]
    fn json_yaml_and_ini() {
        let p = write(
            "daemon.json",
            r#"{"log-driver": "syslog", "opts": {"a": [1, 2.5, null]}}"#,
        );
        let r = create("json", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(r.call("log-driver", &[]).unwrap(), Value::str("syslog"));
        let path = [Value::str("opts"), Value::str("a"), Value::Int(1)];
        assert_eq!(r.call("params", &path).unwrap(), Value::Float(2.5));
        assert_eq!(
            r.call("value", &[Value::Array(path.to_vec())]).unwrap(),
            Value::Float(2.5)
        );
        assert_eq!(r.call("missing", &[]).unwrap(), Value::Nil);
        let bad = create(
            "json",
            &[Value::Hash(vec![(
                Value::Sym("content".into()),
                Value::str("{"),
            )])],
            &host(),
        )
        .unwrap();
        assert!(matches!(bad.call("x", &[]), Err(ResourceError::Failed(_))));
        let cmd = Value::Hash(vec![(
            Value::Sym("command".into()),
            Value::str("echo '{\"k\": 3}'"),
        )]);
        let r = create("json", &[cmd], &host()).unwrap();
        assert_eq!(r.call("k", &[]).unwrap(), Value::Int(3));
        // json.rb's `to_s`: the base name and the path, `content` or `from command: ...`.
        assert_eq!(r.to_s(), "JSON from command: echo '{\"k\": 3}'");
        let cmd = Value::Hash(vec![(
            Value::Sym("command".into()),
            Value::str("printf 'a = [1, 2]'"),
        )]);
        let t = create("toml", &[cmd], &host()).unwrap();
        assert_eq!(t.to_s(), "TOML from command: printf 'a = [1, 2]'");
        assert_eq!(
            t.call("[]", &[Value::str("a"), Value::Int(1)]).unwrap(),
            Value::Int(2)
        );

        let p = write("c.yml", "a:\n  b: [x, y]\nn: 4\n");
        let r = create("yaml", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(
            r.call(
                "params",
                &[Value::str("a"), Value::str("b"), Value::Int(-1)]
            )
            .unwrap(),
            Value::str("y")
        );
        assert_eq!(r.call("n", &[]).unwrap(), Value::Int(4));

        let p = write("c.ini", "top = 1\n[sec]\nk = v\n");
        let r = create("ini", &[Value::str(&p)], &host()).unwrap();
        assert_eq!(
            r.call("params", &[Value::str("sec"), Value::str("k")])
                .unwrap(),
            Value::str("v")
        );
    }
}
