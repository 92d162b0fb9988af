//! Web servers: `apache_conf` (with `Include`/`IncludeOptional` under `ServerRoot`),
//! `apache`, `nginx_conf` (nginx_parser.rb's data, includes merged, `http`/`servers`/
//! `locations` objects) and `nginx` (`nginx -V`), as InSpec's resources.

use std::sync::Arc;

use crate::native::resources::file_reader::{
    dirname, expand_path, find_files, join, read_file_content, read_with_includes,
};
use crate::native::resources::nginx_parser;
use crate::native::resources::simple_config::{self, Assign, Options};
use crate::native::resources::support::{
    dig, has_program, opt_str, shell_line, str_arg, unsupported, Lazy, Res,
};
use crate::native::resources::{detect_platform, Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const APACHE_CONF_METHODS: &[&str] = &["*", "conf_path", "content", "params"];
pub const APACHE_METHODS: &[&str] = &["conf_dir", "conf_path", "service", "user"];
pub const NGINX_CONF_METHODS: &[&str] =
    &["*", "contents", "http", "locations", "params", "servers"];
pub const NGINX_METHODS: &[&str] = &[
    "compiler_info",
    "error_log_path",
    "http_client_body_temp_path",
    "http_fastcgi_temp_path",
    "http_log_path",
    "http_proxy_temp_path",
    "http_scgi_temp_path",
    "http_uwsgi_temp_path",
    "lock_path",
    "modules",
    "modules_path",
    "nginx_path",
    "openssl_version",
    "params",
    "prefix",
    "sbin_path",
    "service",
    "support_info",
    "version",
];

const APACHE_PATHS: &[&str] = &["/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf"];

/// `apache_conf([path])`.
pub struct ApacheConf {
    path: Option<String>,
    host: Arc<Host>,
    read: Lazy<(String, String, Value)>,
}

pub fn create_apache_conf(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(ApacheConf {
        path: str_arg(args, 0),
        host: host.clone(),
        read: Lazy::default(),
    }))
}

/// The first text between quotes in a value, else the value (apache_conf.rb's
/// `/(?<=["|'])(?:\\.|[^"'\\])*(?=["|'])/`): after a `"`, `'` or `|`, the longest run of
/// escapes and other characters that a `"`, `'` or `|` follows.
fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    let opener = |c: u8| matches!(c, b'"' | b'\'' | b'|');
    for start in (0..b.len()).filter(|&i| opener(b[i])).map(|i| i + 1) {
        let mut i = start;
        let mut best = None;
        loop {
            if b.get(i).copied().is_some_and(opener) {
                best = Some(i);
            }
            match b.get(i) {
                Some(b'\\') if i + 1 < b.len() => i += 2,
                Some(c) if !matches!(c, b'"' | b'\'' | b'\\') => i += 1,
                _ => break,
            }
        }
        if let Some(end) = best {
            return v.get(start..end).unwrap_or(v).to_string();
        }
    }
    v.to_string()
}

fn apache_options() -> Options {
    // apache_conf.rb's `^\s*(\S+)\s+['"]*((?=.*\s+$).*?|.*?)['"]*\s*$`: both branches of
    // its look-ahead are the same lazy `.*?`, so the look-ahead changes nothing.
    Options {
        assign: Assign::Custom(
            regex::Regex::new(r#"^\s*(\S+)\s+['"]*(.*?)['"]*\s*$"#)
                .expect("a valid built-in pattern"),
        ),
        multiple_values: true,
        ..Options::default()
    }
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(Value::Str(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl ApacheConf {
    fn path(&self) -> Res<String> {
        if let Some(p) = &self.path {
            return Ok(p.clone());
        }
        for p in APACHE_PATHS {
            if self.host.stat(p)?.is_some() {
                return Ok(p.to_string());
            }
        }
        Err(ResourceError::Skip(
            "Can't find file: no apache2.conf or httpd.conf".into(),
        ))
    }

    /// (path, content without comment lines, params).
    fn read(&self) -> Res<&(String, String, Value)> {
        self.read.get(|| {
            let path = self.path()?;
            read_file_content(&self.host, &path, false)?;
            let opts = apache_options();
            let mut params: Vec<(Value, Value)> = Vec::new();
            let content = read_with_includes(&self.host, &path, true, |_, raw| {
                let Value::Hash(mut these) = simple_config::parse(raw, &opts) else {
                    return Ok(Vec::new());
                };
                for (_, v) in these.iter_mut() {
                    if let Value::Array(items) = v {
                        for item in items.iter_mut() {
                            if let Value::Str(s) = item {
                                *s = unquote(s);
                            }
                        }
                    }
                }
                let get = |k: &str| {
                    these
                        .iter()
                        .find(|(x, _)| *x == Value::str(k))
                        .map(|p| &p.1)
                };
                let includes: Vec<String> = strings_of(get("Include"))
                    .into_iter()
                    .chain(strings_of(get("IncludeOptional")))
                    .collect();
                for (k, v) in these.iter().cloned() {
                    match params.iter_mut().find(|(x, _)| *x == k) {
                        Some((_, Value::Array(old))) => {
                            old.extend(strings_of(Some(&v)).into_iter().map(Value::Str))
                        }
                        Some(slot) => slot.1 = v,
                        None => params.push((k, v)),
                    }
                }
                // apache keys are case-insensitive; InSpec asks for two spellings.
                let root = params
                    .iter()
                    .find(|(k, _)| *k == Value::str("ServerRoot"))
                    .or_else(|| params.iter().find(|(k, _)| *k == Value::str("serverroot")))
                    .map(|(_, v)| strings_of(Some(v)).join("/"));
                let mut more = Vec::new();
                if let Some(root) = root {
                    for inc in includes {
                        let id = join(&root, &inc);
                        more.extend(find_files(&self.host, &id, Some(1), Some("f"))?);
                        more.extend(find_files(&self.host, &id, Some(1), Some("l"))?);
                    }
                }
                Ok(more)
            })?;
            let content = content
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            Ok((path, content, Value::Hash(params)))
        })
    }
}

impl Resource for ApacheConf {
    fn name(&self) -> &str {
        "apache_conf"
    }
    fn to_s(&self) -> String {
        format!("Apache Config {}", self.path().unwrap_or_default())
    }
    /// apache_conf.rb reads the file in `initialize` (`read_content`).
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.read())
    }

    /// Skipped, apache_conf.rb has `@content = ""` and `@params = {}`: each key nil.
    fn skipped_answer(&self, method: &str, args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        crate::native::resources::support::skipped_text_conf(method, args)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let (path, content, params) = self.read()?;
        match method {
            "conf_path" => Ok(Value::str(path)),
            "content" => Ok(Value::str(content)),
            "params" => Ok(dig(params, args)),
            _ => Ok(dig(params, &[Value::str(method)])),
        }
    }
}

/// `apache`: the platform's service, paths and user (deprecated in InSpec, still answered).
pub struct Apache {
    host: Arc<Host>,
}

pub fn create_apache(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Apache { host: host.clone() }))
}

impl Resource for Apache {
    fn name(&self) -> &str {
        "apache"
    }
    fn to_s(&self) -> String {
        "Apache Environment".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if !APACHE_METHODS.contains(&method) {
            return Err(unsupported("apache", method));
        }
        let debian = detect_platform(&self.host)?.is("debian");
        let (service, conf_dir, conf_path, user) = if debian {
            (
                "apache2",
                "/etc/apache2/",
                "/etc/apache2/apache2.conf",
                "www-data",
            )
        } else {
            // File.join("/etc/httpd/", "/conf/httpd.conf") collapses the slashes.
            (
                "httpd",
                "/etc/httpd/",
                "/etc/httpd/conf/httpd.conf",
                "apache",
            )
        };
        Ok(Value::str(match method {
            "service" => service,
            "conf_dir" => conf_dir,
            "conf_path" => conf_path,
            "user" => user,
            _ => return Err(unsupported("apache", method)),
        }))
    }
}

/// Ruby's `Array#flatten` of a value (non-arrays stay as they are).
fn flatten(v: &Value) -> Value {
    fn walk(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            v => out.push(v.clone()),
        }
    }
    match v {
        Value::Array(_) => {
            let mut out = Vec::new();
            walk(v, &mut out);
            Value::Array(out)
        }
        v => v.clone(),
    }
}

/// nginx_conf.rb's merge_config!: lists appended, hashes merged deeply, else replaced.
fn merge_config(data: &mut Vec<(Value, Value)>, conf: Vec<(Value, Value)>) {
    for (k, v) in conf {
        match data.iter_mut().find(|(x, _)| *x == k) {
            Some((_, old)) => match (old, v) {
                (Value::Array(a), Value::Array(b)) => a.extend(b),
                (Value::Hash(a), Value::Hash(b)) => merge_config(a, b),
                (old, v) => *old = v,
            },
            None => data.push((k, v)),
        }
    }
}

/// `nginx_conf([path])`.
pub struct NginxConf {
    path: String,
    host: Arc<Host>,
    params: Lazy<Value>,
    /// Each file read, by path (the `contents` property).
    contents: std::sync::Mutex<Vec<(String, String)>>,
}

pub fn create_nginx_conf(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(NginxConf {
        path: str_arg(args, 0).unwrap_or_else(|| "/etc/nginx/nginx.conf".into()),
        host: host.clone(),
        params: Lazy::default(),
        contents: std::sync::Mutex::default(),
    }))
}

/// How deep includes may nest (a file including itself would never end otherwise).
const MAX_INCLUDE_DEPTH: usize = 32;

impl NginxConf {
    fn read(&self, path: &str) -> Res<String> {
        let mut contents = self.contents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, c)) = contents.iter().find(|(p, _)| p == path) {
            return Ok(c.clone());
        }
        let c = read_file_content(&self.host, path, true)?;
        contents.push((path.to_string(), c.clone()));
        Ok(c)
    }

    fn parse_file(&self, path: &str, depth: usize) -> Res<Value> {
        let parse_error = || ResourceError::Skip(format!("Cannot parse NginX config in {path}."));
        let text = self.read(path)?;
        if text
            .lines()
            .all(|l| l.is_empty() || l.trim_start().starts_with('#'))
        {
            return Ok(Value::Hash(Vec::new()));
        }
        if depth > MAX_INCLUDE_DEPTH {
            return Err(parse_error());
        }
        let data = nginx_parser::parse(&text).map_err(|_| parse_error())?;
        self.resolve(data, &dirname(path), depth)
    }

    /// resolve_references: every `include` replaced by the parsed files it names.
    fn resolve(&self, data: Value, rel: &str, depth: usize) -> Res<Value> {
        match data {
            Value::Array(items) => Ok(Value::Array(
                items
                    .into_iter()
                    .map(|i| self.resolve(i, rel, depth))
                    .collect::<Res<_>>()?,
            )),
            Value::Hash(mut pairs) => {
                if let Some(pos) = pairs.iter().position(|(k, _)| *k == Value::str("include")) {
                    let (_, inc) = pairs.remove(pos);
                    let Value::Array(names) = flatten(&inc) else {
                        return Ok(Value::Hash(pairs));
                    };
                    for n in names {
                        let Value::Str(n) = n else { continue };
                        for f in find_files(&self.host, &expand_path(&n, rel), None, None)? {
                            if let Value::Hash(conf) = self.parse_file(&f, depth + 1)? {
                                merge_config(&mut pairs, conf);
                            }
                        }
                    }
                }
                Ok(Value::Hash(
                    pairs
                        .into_iter()
                        .map(|(k, v)| Ok((k, self.resolve(v, rel, depth)?)))
                        .collect::<Res<_>>()?,
                ))
            }
            v => Ok(v),
        }
    }

    fn params(&self) -> Res<&Value> {
        self.params.get(|| self.parse_file(&self.path, 0))
    }

    fn label(&self) -> String {
        format!("nginx_conf {}", self.path)
    }
}

/// The objects under `nginx_conf`: `http` (all http blocks), an http entry, a server, a
/// location, each with its raw `params` and its parent.
#[derive(Clone)]
enum NodeKind {
    Http,
    Entry,
    Server,
    Location,
}

struct NginxNode {
    kind: NodeKind,
    /// For `Http`: the list of http blocks; else the block's hash.
    params: Value,
    parent: Option<Arc<NginxNode>>,
    /// `nginx_conf PATH`.
    root: String,
}

fn children(params: &Value, key: &str) -> Vec<Value> {
    match params.hash_get(&Value::str(key)) {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

impl NginxNode {
    fn http(params: &Value, root: String) -> Arc<NginxNode> {
        Arc::new(NginxNode {
            kind: NodeKind::Http,
            params: Value::Array(children(params, "http")),
            parent: None,
            root,
        })
    }

    fn make(self: &Arc<Self>, kind: NodeKind, params: Value) -> Arc<NginxNode> {
        Arc::new(NginxNode {
            kind,
            params,
            parent: Some(self.clone()),
            root: self.root.clone(),
        })
    }

    fn entries(self: &Arc<Self>) -> Vec<Arc<NginxNode>> {
        match &self.params {
            Value::Array(items) => items
                .iter()
                .map(|p| self.make(NodeKind::Entry, p.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn servers(self: &Arc<Self>) -> Vec<Arc<NginxNode>> {
        match self.kind {
            NodeKind::Http => self.entries().iter().flat_map(|e| e.servers()).collect(),
            NodeKind::Entry => children(&self.params, "server")
                .into_iter()
                .map(|p| self.make(NodeKind::Server, p))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn locations(self: &Arc<Self>) -> Vec<Arc<NginxNode>> {
        match self.kind {
            NodeKind::Http | NodeKind::Entry => {
                self.servers().iter().flat_map(|s| s.locations()).collect()
            }
            NodeKind::Server => children(&self.params, "location")
                .into_iter()
                .map(|p| self.make(NodeKind::Location, p))
                .collect(),
            NodeKind::Location => Vec::new(),
        }
    }
}

fn nodes(items: Vec<Arc<NginxNode>>) -> Value {
    Value::Array(
        items
            .into_iter()
            .map(|n| Value::Resource(n as Arc<dyn Resource>))
            .collect(),
    )
}

fn first_flat(params: &Value, key: &str) -> Option<String> {
    match flatten(
        &params
            .hash_get(&Value::str(key))
            .cloned()
            .unwrap_or(Value::Nil),
    ) {
        Value::Array(items) => items.into_iter().find_map(|i| match i {
            Value::Str(s) => Some(s),
            _ => None,
        }),
        Value::Str(s) => Some(s),
        _ => None,
    }
}

impl Resource for NginxNode {
    fn name(&self) -> &str {
        "nginx_conf"
    }
    fn to_s(&self) -> String {
        match self.kind {
            NodeKind::Http => format!("{}, http entries", self.root),
            NodeKind::Entry => format!("{}, http entry", self.root),
            NodeKind::Server => {
                let mut server = String::new();
                if let Some(name) = first_flat(&self.params, "server_name") {
                    server.push_str(&name);
                    if let Some(listen) = first_flat(&self.params, "listen") {
                        server.push_str(&format!(":{listen}"));
                    }
                }
                format!("{}, server {server}", self.root)
            }
            NodeKind::Location => {
                let loc = match self.params.hash_get(&Value::str("_")) {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(|i| match i {
                            Value::Str(s) => Some(s.as_str()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    _ => String::new(),
                };
                format!("{}, location {loc:?}", self.root)
            }
        }
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        // The node as an Arc again (methods that make children need it).
        let me = Arc::new(NginxNode {
            kind: self.kind.clone(),
            params: self.params.clone(),
            parent: self.parent.clone(),
            root: self.root.clone(),
        });
        match (method, &self.kind) {
            ("params", _) => Ok(dig(&self.params, args)),
            ("parent", _) => Ok(self
                .parent
                .clone()
                .map_or(Value::Nil, |p| Value::Resource(p as Arc<dyn Resource>))),
            ("entries", NodeKind::Http) => Ok(nodes(me.entries())),
            ("servers", NodeKind::Http | NodeKind::Entry) => Ok(nodes(me.servers())),
            ("locations", _) => Ok(nodes(me.locations())),
            // An entry's or server's directive, flattened (method_missing).
            (_, NodeKind::Entry | NodeKind::Server) => Ok(flatten(
                &self
                    .params
                    .hash_get(&Value::str(method))
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new())),
            )),
            _ => Err(unsupported("nginx_conf", method)),
        }
    }
}

impl Resource for NginxConf {
    fn name(&self) -> &str {
        "nginx_conf"
    }
    fn to_s(&self) -> String {
        self.label()
    }
    /// nginx_conf.rb reads the file in `initialize` (`read_content`).
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.params())
    }

    /// Skipped, `params` rescues to `{}` and `@contents` stays `{}`: the http blocks,
    /// servers and locations are empty; `conf_path` has no reader in nginx_conf.rb (nil
    /// through the skipped resource).
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        match method {
            "conf_path" => Some(Value::Nil),
            "params" | "contents" | "http" | "servers" | "locations" => {
                self.answer(&Value::Hash(Vec::new()), method, &[]).ok()
            }
            _ => None,
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        self.answer(self.params()?, method, args)
    }
}

impl NginxConf {
    fn answer(&self, params: &Value, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let http = || NginxNode::http(params, self.label());
        match method {
            "params" => Ok(dig(params, args)),
            "contents" => {
                let contents = self.contents.lock().unwrap_or_else(|e| e.into_inner());
                Ok(Value::Hash(
                    contents
                        .iter()
                        .map(|(p, c)| (Value::str(p), Value::str(c)))
                        .collect(),
                ))
            }
            "http" => Ok(Value::Resource(http() as Arc<dyn Resource>)),
            "servers" => Ok(nodes(http().servers())),
            "locations" => Ok(nodes(http().locations())),
            _ => Ok(match params.hash_get(&Value::str(method)) {
                Some(v) => flatten(v),
                None => Value::Nil,
            }),
        }
    }
}

/// `nginx([path])`: what `nginx -V` says about the build.
pub struct Nginx {
    path: String,
    host: Arc<Host>,
    data: Lazy<String>,
}

pub fn create_nginx(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Nginx {
        path: str_arg(args, 0).unwrap_or_else(|| "/usr/sbin/nginx".into()),
        host: host.clone(),
        data: Lazy::default(),
    }))
}

/// The first group of `pattern`'s first match.
fn scan_first(text: &str, pattern: &str) -> Option<String> {
    regex::Regex::new(pattern)
        .ok()?
        .captures(text)?
        .get(1)
        .map(|m| m.as_str().to_string())
}

const NGINX_PATHS: &[(&str, &str)] = &[
    ("prefix", "--prefix"),
    ("sbin_path", "--sbin-path"),
    ("modules_path", "--modules-path"),
    ("error_log_path", "--error-log-path"),
    ("http_log_path", "--http-log-path"),
    ("lock_path", "--lock-path"),
    ("http_client_body_temp_path", "--http-client-body-temp-path"),
    ("http_proxy_temp_path", "--http-proxy-temp-path"),
    ("http_fastcgi_temp_path", "--http-fastcgi-temp-path"),
    ("http_uwsgi_temp_path", "--http-uwsgi-temp-path"),
    ("http_scgi_temp_path", "--http-scgi-temp-path"),
];

impl Nginx {
    fn data(&self) -> Res<&String> {
        self.data.get(|| {
            if !has_program(&self.host, &self.path)? {
                return Err(ResourceError::Skip(
                    "The `nginx` binary not found in the path provided.".into(),
                ));
            }
            // `nginx -V 2>&1`: the build report goes to stderr.
            let line = format!("{} 2>&1", shell_line(&[&self.path, "-V"]));
            let out = self.host.run(&line)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Skip(
                    "Error using the command nginx -V".into(),
                ));
            }
            Ok(out.stdout)
        })
    }

    fn param(&self, data: &str, name: &str) -> Option<String> {
        match name {
            "service" => Some("nginx".into()),
            "version" => scan_first(data, r"nginx version: nginx/(\S+)\s"),
            _ => NGINX_PATHS
                .iter()
                .find(|(p, _)| *p == name)
                .and_then(|(_, flag)| scan_first(data, &format!(r"{flag}=(\S+)\s"))),
        }
    }
}

impl Resource for Nginx {
    fn name(&self) -> &str {
        "nginx"
    }
    fn to_s(&self) -> String {
        "Nginx Environment".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if !NGINX_METHODS.contains(&method) {
            return Err(unsupported("nginx", method));
        }
        let data = self.data()?;
        let mash = |pairs: Vec<(&str, Option<String>)>| {
            Value::Hash(
                pairs
                    .into_iter()
                    .map(|(k, v)| (Value::str(k), opt_str(v.as_deref())))
                    .collect(),
            )
        };
        match method {
            "nginx_path" => Ok(Value::str(&self.path)),
            "params" => {
                let mut names = vec!["prefix", "service", "version"];
                names.extend(NGINX_PATHS.iter().skip(1).map(|(p, _)| *p));
                Ok(Value::Hash(
                    names
                        .into_iter()
                        .map(|n| {
                            (
                                Value::Sym(n.into()),
                                opt_str(self.param(data, n).as_deref()),
                            )
                        })
                        .collect(),
                ))
            }
            "openssl_version" => {
                let re = regex::Regex::new(r"built with OpenSSL\s(\S+)\s(\d+\s\S+\s\d{4})")
                    .expect("a valid built-in pattern");
                let c = re.captures(data);
                let g = |i| {
                    c.as_ref()
                        .and_then(|c| c.get(i))
                        .map(|m| m.as_str().to_string())
                };
                Ok(mash(vec![("version", g(1)), ("date", g(2))]))
            }
            "compiler_info" => {
                let re = regex::Regex::new(r"built by (\S+)\s(\S+)\s(\S+)")
                    .expect("a valid built-in pattern");
                let c = re.captures(data);
                let g = |i| {
                    c.as_ref()
                        .and_then(|c| c.get(i))
                        .map(|m| m.as_str().to_string())
                };
                Ok(mash(vec![
                    ("compiler", g(1)),
                    ("version", g(2)),
                    ("date", g(3)),
                ]))
            }
            "support_info" => {
                let re = regex::Regex::new(r"(.*\S+) support enabled")
                    .expect("a valid built-in pattern");
                let found: Vec<&str> = re
                    .captures_iter(data)
                    .filter_map(|c| c.get(1).map(|m| m.as_str()))
                    .collect();
                Ok(if found.is_empty() {
                    Value::Nil
                } else {
                    Value::str(found.join(" "))
                })
            }
            "modules" => {
                let re =
                    regex::Regex::new(r"--with-(\S+)_module").expect("a valid built-in pattern");
                Ok(Value::Array(
                    re.captures_iter(data)
                        .filter_map(|c| c.get(1).map(|m| Value::str(m.as_str())))
                        .collect(),
                ))
            }
            _ => Ok(opt_str(self.param(data, method).as_deref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache_values_lose_their_quotes_like_inspec() {
        assert_eq!(unquote("\"/etc/httpd\""), "/etc/httpd");
        assert_eq!(unquote("\"logs/error_log\""), "logs/error_log");
        assert_eq!(unquote("None"), "None");
        assert_eq!(
            unquote(r#""%h %l %u %t \"%r\" %>s %b" common"#),
            r#"%h %l %u %t \"%r\" %>s %b"#
        );
        assert_eq!(unquote("'a' 'b'"), "a");
    }

    #[test]
    fn flatten_like_ruby() {
        let v = Value::Array(vec![
            Value::Array(vec![Value::str("a"), Value::str("b")]),
            Value::Array(vec![Value::str("c")]),
        ]);
        assert_eq!(
            flatten(&v),
            Value::Array(vec![Value::str("a"), Value::str("b"), Value::str("c")])
        );
    }
}
