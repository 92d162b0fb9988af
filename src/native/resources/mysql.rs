//! MySQL/MariaDB: `mysql` (the platform's paths), `mysql_conf` (my.cnf with `!include`
//! and `!includedir`, `[sections]` as nested hashes) and `mysql_session` (SQL through the
//! target's `mysql` client), as InSpec's resources/mysql*.rb.

use std::sync::Arc;

use crate::native::resources::file_reader::{dirname, find_files, join, read_with_includes};
use crate::native::resources::mash::Mash;
use crate::native::resources::postgres::QueryResult;
use crate::native::resources::simple_config::{self, Options};
use crate::native::resources::support::{
    dig, opt_str, read_text, shell_line, str_arg, unsupported, Lazy, Res,
};
use crate::native::resources::{detect_platform, Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const MYSQL_METHODS: &[&str] = &[
    "conf_dir",
    "conf_path",
    "data_dir",
    "log_dir",
    "log_dir_group",
    "log_group",
    "log_path",
    "package",
    "service",
];
pub const CONF_METHODS: &[&str] = &["*", "content", "params"];
pub const SESSION_METHODS: &[&str] = &["query"];

/// The platform's MySQL paths (mysql.rb init_*): field name → value, None where unset.
fn paths(host: &Host) -> Res<Vec<(&'static str, Option<String>)>> {
    let p = detect_platform(host)?;
    let s = |v: &str| Some(v.to_string());
    let common = |service: &str, conf_path: &str, conf_dir: &str, log_path: &str, group: &str| {
        vec![
            ("service", s(service)),
            ("conf_path", s(conf_path)),
            ("conf_dir", s(conf_dir)),
            ("data_dir", s("/var/lib/mysql/")),
            ("log_dir", s("/var/log/")),
            ("log_path", s(log_path)),
            ("log_group", s(group)),
        ]
    };
    let mut v = match p.family() {
        "debian" => {
            let mut v = common(
                "mysql",
                "/etc/mysql/my.cnf",
                "/etc/mysql/",
                "/var/log/mysql.log",
                "adm",
            );
            v.push(("package", s("mysql-server")));
            let dir_group = if p.release == "14.04" {
                "syslog"
            } else {
                "root"
            };
            v.push(("log_dir_group", s(dir_group)));
            v
        }
        "redhat" | "fedora" => {
            let mut v = common(
                "mysqld",
                "/etc/my.cnf",
                "/etc/",
                "/var/log/mysqld.log",
                "mysql",
            );
            v.push(("package", s("mysql-server")));
            v
        }
        "arch" => {
            let mut v = common(
                "mysql",
                "/etc/mysql/my.cnf",
                "/etc/mysql/",
                "/var/log/mysql.log",
                "mysql",
            );
            v.push(("package", s("mariadb")));
            v
        }
        _ => {
            let mut v = common(
                "mysqld",
                "/etc/my.cnf",
                "/etc/",
                "/var/log/mysqld.log",
                "mysql",
            );
            v.push(("package", None));
            v
        }
    };
    if !v.iter().any(|(k, _)| *k == "log_dir_group") {
        v.push(("log_dir_group", s("root")));
    }
    Ok(v)
}

pub struct Mysql {
    host: Arc<Host>,
    paths: Lazy<Vec<(&'static str, Option<String>)>>,
}

pub fn create_mysql(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Mysql {
        host: host.clone(),
        paths: Lazy::default(),
    }))
}

impl Resource for Mysql {
    fn name(&self) -> &str {
        "mysql"
    }
    fn to_s(&self) -> String {
        "MySQL".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if !MYSQL_METHODS.contains(&method) {
            return Err(unsupported("mysql", method));
        }
        let paths = self.paths.get(|| paths(&self.host))?;
        paths
            .iter()
            .find(|(k, _)| *k == method)
            .map(|(_, v)| opt_str(v.as_deref()))
            .ok_or_else(|| unsupported("mysql", method))
    }
}

/// `mysql_conf([path])`.
pub struct MysqlConf {
    path: Option<String>,
    host: Arc<Host>,
    read: Lazy<(String, Value)>,
}

pub fn create_conf(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(MysqlConf {
        path: str_arg(args, 0),
        host: host.clone(),
        read: Lazy::default(),
    }))
}

/// Ruby's `Hash#deep_merge` (inspec/utils/hash): nested hashes merged, other values replaced.
fn deep_merge(into: &mut Vec<(Value, Value)>, from: Vec<(Value, Value)>) {
    for (k, v) in from {
        match into.iter_mut().find(|(x, _)| *x == k) {
            Some((_, Value::Hash(old))) if matches!(v, Value::Hash(_)) => {
                if let Value::Hash(new) = v {
                    deep_merge(old, new);
                }
            }
            Some(slot) => slot.1 = v,
            None => into.push((k, v)),
        }
    }
}

/// The paths after `!include` and the directories after `!includedir` at line starts.
fn includes(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("!includedir") {
            if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() {
                dirs.push(rest.trim().to_string());
            }
        } else if let Some(rest) = line.strip_prefix("!include") {
            if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() {
                files.push(rest.trim().to_string());
            }
        }
    }
    (files, dirs)
}

impl MysqlConf {
    fn read(&self) -> Res<&(String, Value)> {
        self.read.get(|| {
            let path = match &self.path {
                Some(p) => p.clone(),
                None => paths(&self.host)?
                    .into_iter()
                    .find(|(k, _)| *k == "conf_path")
                    .and_then(|(_, v)| v)
                    .unwrap_or_else(|| "/etc/my.cnf".into()),
            };
            let mut params = Vec::new();
            let content = read_with_includes(&self.host, &path, false, |cur, raw| {
                if let Value::Hash(p) = simple_config::parse(raw, &Options::default()) {
                    deep_merge(&mut params, p);
                }
                let dir = dirname(cur);
                let (files, dirs) = includes(raw);
                let mut more: Vec<String> = files.iter().map(|f| join(&dir, f)).collect();
                for d in dirs {
                    more.extend(find_files(&self.host, &join(&dir, &d), Some(1), Some("f"))?);
                }
                Ok(more)
            })?;
            Ok((content, Value::Hash(params)))
        })
    }
}

/// What `mysql_conf.params('mysqld')` answers: a section whose keys are methods, a key
/// present without a value being `true` (MysqlConfEntry).
struct ConfEntry {
    path: Vec<String>,
    params: Value,
}

impl Resource for ConfEntry {
    fn name(&self) -> &str {
        "mysql_conf"
    }
    fn to_s(&self) -> String {
        format!("MySQL Config entry [{}]", self.path.join(" "))
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        // MysqlConfEntry's `method_missing` indexes its params: a section that is not
        // there (or a skipped mysql_conf's) is nil, and nil has no `[]`.
        if self.params == Value::Nil {
            return Err(ResourceError::Failed(
                "undefined method `[]' for nil:NilClass".into(),
            ));
        }
        let key = Value::str(method);
        Ok(match self.params.hash_get(&key) {
            Some(Value::Nil) => Value::Bool(true),
            Some(v) => mash(v, method),
            None => Value::Nil,
        })
    }
}

fn mash(v: &Value, name: &str) -> Value {
    Mash::wrap(v, "mysql_conf", &format!("MySQL Config section [{name}]"))
}

impl Resource for MysqlConf {
    fn name(&self) -> &str {
        "mysql_conf"
    }
    fn to_s(&self) -> String {
        "MySQL Configuration".into()
    }
    /// mysql_conf.rb reads the file in `initialize` (`read_content`).
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.read())
    }

    /// Skipped, mysql_conf.rb has `@content = ""` and `@params = {}` (no `conf_path`):
    /// an empty section, each key nil.
    fn skipped_answer(&self, method: &str, args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        match method {
            "content" => Some(Value::str("")),
            "conf_path" => Some(Value::Nil),
            "[]" => None,
            "params" => self.answer(&Value::Hash(Vec::new()), method, args).ok(),
            _ => Some(Value::Nil),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let (content, params) = self.read()?;
        match method {
            "content" => Ok(Value::str(content)),
            _ => self.answer(params, method, args),
        }
    }
}

impl MysqlConf {
    fn answer(&self, params: &Value, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "params" => Ok(Value::Resource(Arc::new(ConfEntry {
                path: args
                    .iter()
                    .enumerate()
                    .filter_map(|(i, _)| str_arg(args, i))
                    .collect(),
                params: dig(params, args),
            }))),
            // `its(['mysqld', 'port'])` is `subject['mysqld', 'port']`, which reaches
            // mysql_conf.rb's one-argument method_missing: Ruby's ArgumentError.
            "[]" => Err(ResourceError::Failed(format!(
                "wrong number of arguments (given {}, expected 1)",
                args.len() + 1
            ))),
            _ => Ok(mash(&dig(params, &[Value::str(method)]), method)),
        }
    }
}

/// `mysql_session(user = nil, pass = nil, host = 'localhost', port = nil, socket = nil)`.
pub struct MysqlSession {
    user: Option<String>,
    password: Option<String>,
    host_name: String,
    port: Option<String>,
    socket: Option<String>,
    host: Arc<Host>,
    /// The credentials (given, or Debian's maintenance login) and the connection test's
    /// outcome, checked on the first query as InSpec's constructor does.
    ready: Lazy<(String, String)>,
}

pub fn create_session(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(MysqlSession {
        user: str_arg(args, 0),
        password: str_arg(args, 1),
        host_name: str_arg(args, 2).unwrap_or_else(|| "localhost".into()),
        port: str_arg(args, 3),
        socket: str_arg(args, 4),
        host: host.clone(),
        ready: Lazy::default(),
    }))
}

/// `user = x` / `password = x` of /etc/mysql/debian.cnf (the first of each).
fn debian_login(text: &str) -> Option<(String, String)> {
    let find = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            if k.trim() != key {
                return None;
            }
            let v = v.trim();
            (!v.contains(' ')).then(|| v.to_string())
        })
    };
    Some((find("user")?, find("password")?))
}

impl MysqlSession {
    /// The `mysql` argv: values whole (`--name=value`), the password only in the child's
    /// environment (MYSQL_PWD), the SQL one argument (no shell escaping to get wrong).
    pub fn argv(&self, user: &str, sql: &str, db: &str) -> Vec<String> {
        let mut argv = vec!["mysql".to_string(), format!("--user={user}")];
        match &self.socket {
            Some(s) => argv.push(format!("--socket={s}")),
            None => argv.push(format!("--host={}", self.host_name)),
        }
        if let Some(p) = &self.port {
            argv.push(format!("--port={p}"));
        }
        if !db.is_empty() {
            argv.push(format!("--database={db}"));
        }
        argv.push("-s".into());
        argv.push(format!("--execute={sql}"));
        argv
    }

    fn credentials(&self) -> Res<(String, String)> {
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            return Ok((u.clone(), p.clone()));
        }
        let debian = read_text(&self.host, "/etc/mysql/debian.cnf")?;
        debian.as_deref().and_then(debian_login).ok_or_else(|| {
            ResourceError::Failed("Can't run MySQL SQL checks without authentication.".into())
        })
    }

    fn run(&self, user: &str, password: &str, sql: &str, db: &str) -> Res<QueryResult> {
        let argv = self.argv(user, sql, db);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let env = [("MYSQL_PWD".to_string(), password.to_string())];
        let out = self.host.run_with_env(&shell_line(&argv), &env)?;
        let all = format!("{}\n{}", out.stdout, out.stderr);
        let cant_connect = regex::Regex::new(r"Can't connect to .* MySQL server")
            .expect("a valid built-in pattern");
        let error_line = all.to_lowercase().lines().any(|l| l.starts_with("error:"));
        if out.exit_status != Some(0) || cant_connect.is_match(&all) || error_line {
            return Err(ResourceError::Failed(format!(
                "MySQL query with errors: {all}"
            )));
        }
        Ok(QueryResult {
            resource: "mysql_session",
            desc: format!("MySQL query: {sql}"),
            output: out.stdout.trim().to_string(),
            strip_lines: false,
        })
    }

    fn query(&self, args: &[Value]) -> Res<Value> {
        let (user, password) = self.ready.get(|| {
            let (u, p) = self.credentials()?;
            self.run(&u, &p, "select now()", "")?;
            Ok((u, p))
        })?;
        let sql = str_arg(args, 0).ok_or_else(|| {
            ResourceError::Failed("`mysql_session.query` needs the SQL (a String)".into())
        })?;
        let db = str_arg(args, 1).unwrap_or_default();
        Ok(Value::Resource(Arc::new(
            self.run(user, password, &sql, &db)?,
        )))
    }
}

impl Resource for MysqlSession {
    fn name(&self) -> &str {
        "mysql_session"
    }
    fn to_s(&self) -> String {
        "MySQL Session".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "query" => self.query(args),
            _ => Err(unsupported("mysql_session", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_at_line_starts_only() {
        let (f, d) = includes(
            "!include /etc/a.cnf\n# !include /x\n!includedir /etc/mysql/conf.d/\n!includex y\n",
        );
        assert_eq!(f, ["/etc/a.cnf"]);
        assert_eq!(d, ["/etc/mysql/conf.d/"]);
    }

    #[test]
    fn debian_maintenance_login() {
        let text = "[client]\nhost = localhost\nuser = debian-sys-maint\npassword = x y\n";
        assert_eq!(debian_login(text), None, "a value with a space is no match");
        let text = "[client]\nuser     = debian-sys-maint\npassword = Zq9\n";
        assert_eq!(
            debian_login(text),
            Some(("debian-sys-maint".into(), "Zq9".into()))
        );
    }

    #[test]
    fn sections_deep_merge() {
        let a = simple_config::parse("[mysqld]\nport = 3306\nuser = mysql\n", &Options::default());
        let b = simple_config::parse(
            "[mysqld]\nport = 3307\n[client]\nx = 1\n",
            &Options::default(),
        );
        let (Value::Hash(mut a), Value::Hash(b)) = (a, b) else {
            panic!("hashes")
        };
        deep_merge(&mut a, b);
        let v = Value::Hash(a);
        assert_eq!(
            dig(&v, &[Value::str("mysqld"), Value::str("port")]),
            Value::str("3307")
        );
        assert_eq!(
            dig(&v, &[Value::str("mysqld"), Value::str("user")]),
            Value::str("mysql")
        );
        assert_eq!(
            dig(&v, &[Value::str("client"), Value::str("x")]),
            Value::str("1")
        );
    }
}
