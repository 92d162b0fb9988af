//! PostgreSQL: `postgres` (where the server keeps its files, from the target),
//! `postgres_conf` (postgresql.conf with its includes), `postgres_hba_conf` and
//! `postgres_ident_conf` (pg_hba.conf, pg_ident.conf as FilterTables) and `postgres_session` (SQL through the target's `psql` client), as
//! InSpec's resources/postgres*.rb.

use std::sync::Arc;

use crate::native::resources::file_reader::{
    dirname, find_files, join, read_file_content, read_with_includes,
};
use crate::native::resources::simple_config::{self, Assign, Options};
use crate::native::resources::support::{
    dig, has_program, opt_str, run_argv, shell_line, str_arg, table, table_call, unsupported, Lazy,
    Res,
};
use crate::native::resources::{detect_platform, Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const POSTGRES_METHODS: &[&str] = &[
    "cluster",
    "conf_dir",
    "conf_path",
    "data_dir",
    "service",
    "version",
];
pub const CONF_METHODS: &[&str] = &["*", "conf_path", "content", "params", "value"];
pub const HBA_METHODS: &[&str] = &[
    "address",
    "auth_method",
    "auth_params",
    "conf_file",
    "count",
    "database",
    "entries",
    "exist?",
    "params",
    "type",
    "user",
    "where",
];
pub const SESSION_METHODS: &[&str] = &["query"];

/// What `postgres` finds on the target (resources/postgres.rb).
#[derive(Clone, Debug, Default)]
pub struct Facts {
    version: Option<String>,
    cluster: Option<String>,
    data_dir: Option<String>,
    conf_dir: Option<String>,
    conf_path: Option<String>,
    service: String,
}

fn exists(host: &Host, path: &str) -> Res<bool> {
    Ok(host.stat(path)?.is_some())
}

/// `psql --version` → `15` (10 and later) or `9.6`; None without `psql`.
fn version_from_psql(host: &Host) -> Res<Option<String>> {
    if !has_program(host, "psql")? {
        return Ok(None);
    }
    let out = run_argv(host, &["psql", "--version"])?;
    let Some(v) = out.stdout.split_whitespace().nth(2) else {
        return Ok(None);
    };
    let parts: Vec<&str> = v.split('.').collect();
    let major = parts.first().copied().unwrap_or("");
    Ok(Some(if ruby_to_i(major) >= 10 {
        major.to_string()
    } else {
        format!("{major}.{}", parts.get(1).copied().unwrap_or(""))
    }))
}

/// Ruby's `String#to_i`: leading digits, else 0.
fn ruby_to_i(s: &str) -> i64 {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// The subdirectories of `dir` (`ls -d DIR/*/`), last path component each.
fn subdirs(host: &Host, dir: &str) -> Res<Vec<String>> {
    let out = run_argv(host, &["sh", "-c", "ls -d \"$1\"/*/", "sh", dir])?;
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.trim_end().trim_end_matches('/').rsplit('/').next())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

pub fn facts(host: &Host) -> Res<Facts> {
    let platform = detect_platform(host)?;
    let mut f = Facts::default();
    if platform.is("debian") {
        f.version = match version_from_psql(host)? {
            Some(v) => Some(v),
            None => subdirs(host, "/etc/postgresql")?.into_iter().next(),
        };
        if let Some(v) = f.version.clone().filter(|v| !v.is_empty()) {
            let base = format!("/etc/postgresql/{v}");
            f.cluster = if exists(host, &format!("{base}/main"))? {
                Some("main".into())
            } else {
                subdirs(host, &base)?.into_iter().next()
            };
            let cluster = f.cluster.clone().unwrap_or_default();
            f.conf_dir = Some(format!("{base}/{cluster}"));
            f.data_dir = Some(format!("/var/lib/postgresql/{v}/{cluster}"));
        }
    } else {
        f.version = version_from_psql(host)?;
        if f.version.as_deref().is_none_or(str::is_empty) && !exists(host, "/var/lib/pgsql/data")? {
            f.version = subdirs(host, "/var/lib/pgsql")?.into_iter().next();
        }
        let v = f.version.clone().unwrap_or_default();
        let candidates = [
            format!("/var/lib/pgsql/{v}/data"),
            format!("/var/lib/pgsql/{}/data", ruby_to_i(&v)),
            "/var/lib/pgsql/data".into(),
            "/var/lib/postgres/data".into(),
            "/var/lib/postgresql/data".into(),
        ];
        for c in candidates {
            if exists(host, &c)? {
                f.data_dir = Some(c);
                break;
            }
        }
    }
    if f.conf_dir.is_none() {
        f.conf_dir = f.data_dir.clone();
    }
    let v = f.version.clone().unwrap_or_default();
    f.service = if ruby_to_i(&v) >= 10 {
        format!("postgresql-{}", ruby_to_i(&v))
    } else if v.parse::<f64>().is_ok_and(|x| x >= 9.4) {
        format!("postgresql-{v}")
    } else {
        "postgresql".into()
    };
    if !v.is_empty() {
        f.conf_path = f
            .conf_dir
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| join(d, "postgresql.conf"));
    }
    Ok(f)
}

pub struct Postgres {
    host: Arc<Host>,
    facts: Lazy<Facts>,
}

pub fn create_postgres(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Postgres {
        host: host.clone(),
        facts: Lazy::default(),
    }))
}

impl Resource for Postgres {
    fn name(&self) -> &str {
        "postgres"
    }
    fn to_s(&self) -> String {
        "PostgreSQL".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if !POSTGRES_METHODS.contains(&method) {
            return Err(unsupported("postgres", method));
        }
        let f = self.facts.get(|| facts(&self.host))?;
        if f.conf_path.is_none() {
            return Err(ResourceError::Skip(
                "Seems like PostgreSQL is not installed on your system".into(),
            ));
        }
        Ok(match method {
            "version" => opt_str(f.version.as_deref()),
            "cluster" => opt_str(f.cluster.as_deref()),
            "data_dir" => opt_str(f.data_dir.as_deref()),
            "conf_dir" => opt_str(f.conf_dir.as_deref()),
            "conf_path" => opt_str(f.conf_path.as_deref()),
            "service" => Value::str(&f.service),
            _ => return Err(unsupported("postgres", method)),
        })
    }
}

/// `postgres_conf([path])`: postgresql.conf and what it includes (`include`,
/// `include_if_exists`, every file of an `include_dir`), later files overriding keys.
pub struct PostgresConf {
    path: Option<String>,
    host: Arc<Host>,
    read: Lazy<(String, String, Value)>,
}

pub fn create_conf(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(PostgresConf {
        path: str_arg(args, 0),
        host: host.clone(),
        read: Lazy::default(),
    }))
}

fn conf_options() -> Options {
    Options {
        assign: Assign::Custom(
            regex::Regex::new(r"^\s*([^=]*?)\s*=\s*[']?\s*(.*?)\s*[']?\s*$")
                .expect("a valid built-in pattern"),
        ),
        ..Options::default()
    }
}

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Str(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl PostgresConf {
    /// (path, content, params).
    fn read(&self) -> Res<&(String, String, Value)> {
        self.read.get(|| {
            let path = match &self.path {
                Some(p) => p.clone(),
                None => facts(&self.host)?
                    .conf_path
                    .ok_or_else(|| ResourceError::Skip("PostgreSQL conf path is not set".into()))?,
            };
            let opts = conf_options();
            let mut params: Vec<(Value, Value)> = Vec::new();
            let content = read_with_includes(&self.host, &path, false, |cur, raw| {
                let base = dirname(cur);
                let Value::Hash(these) = simple_config::parse(raw, &opts) else {
                    return Ok(Vec::new());
                };
                let get = |k: &str| {
                    these
                        .iter()
                        .find(|(x, _)| *x == Value::str(k))
                        .map(|p| &p.1)
                };
                let mut more: Vec<String> = as_list(get("include"))
                    .into_iter()
                    .chain(as_list(get("include_if_exists")))
                    .map(|f| join(&base, &f))
                    .collect();
                for dir in as_list(get("include_dir")) {
                    more.extend(find_files(
                        &self.host,
                        &join(&base, &dir),
                        Some(1),
                        Some("f"),
                    )?);
                }
                for (k, v) in these {
                    match params.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1 = v,
                        None => params.push((k, v)),
                    }
                }
                Ok(more)
            })?;
            Ok((path, content, Value::Hash(params)))
        })
    }
}

impl Resource for PostgresConf {
    fn name(&self) -> &str {
        "postgres_conf"
    }
    fn to_s(&self) -> String {
        "PostgreSQL Configuration".into()
    }
    /// postgres_conf.rb reads the file in `initialize` (`read_content`).
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.read())
    }

    /// Skipped, postgres_conf.rb has `@content = ""` and `@params = {}`: each key nil.
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
            "value" => match args.first() {
                Some(Value::Array(keys)) => Ok(dig(params, keys)),
                _ => Ok(dig(params, args)),
            },
            // `its(['pgaudit.log_parameter'])` and `its('max_connections')`: method_missing
            // digs, a one-item list answering its item.
            _ => {
                let keys = if method == "[]" {
                    args.to_vec()
                } else {
                    vec![Value::str(method)]
                };
                Ok(match dig(params, &keys) {
                    Value::Array(mut items) if items.len() == 1 => items.remove(0),
                    v => v,
                })
            }
        }
    }
}

const HBA_FIELDS: &[&str] = &[
    "type",
    "database",
    "user",
    "address",
    "auth_method",
    "auth_params",
];

pub const IDENT_METHODS: &[&str] = &[
    "conf_file",
    "count",
    "entries",
    "exist?",
    "map_name",
    "params",
    "pg_username",
    "system_username",
    "where",
];

const IDENT_FIELDS: &[&str] = &["map_name", "system_username", "pg_username"];

/// Which of the server's line-per-entry files a [`PostgresTableConf`] reads.
#[derive(Clone, Copy)]
enum TableFile {
    /// `postgres_hba_conf`: pg_hba.conf.
    Hba,
    /// `postgres_ident_conf`: pg_ident.conf (postgres_ident_conf.rb).
    Ident,
}

impl TableFile {
    fn resource(self) -> &'static str {
        match self {
            TableFile::Hba => "postgres_hba_conf",
            TableFile::Ident => "postgres_ident_conf",
        }
    }
}

/// `postgres_hba_conf([path])` and `postgres_ident_conf([path])`: the entries of pg_hba.conf
/// or pg_ident.conf (in the server's conf_dir unless a path is given) as a FilterTable.
pub struct PostgresTableConf {
    file: TableFile,
    path: Option<String>,
    host: Arc<Host>,
    rows: Lazy<(String, Arc<Table>)>,
}

pub fn create_hba(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    create_table_conf(TableFile::Hba, args, host)
}

pub fn create_ident(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    create_table_conf(TableFile::Ident, args, host)
}

fn create_table_conf(file: TableFile, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(PostgresTableConf {
        file,
        path: str_arg(args, 0),
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

/// Ruby's `line.split(/\s+/)`: leading blanks give an empty first field.
fn ruby_split_blanks(line: &str) -> Vec<&str> {
    let mut x: Vec<&str> = line
        .split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect();
    if line.starts_with(char::is_whitespace) {
        x.insert(0, "");
    }
    x
}

/// One line as postgres_hba_conf.rb's parse_line: split on whitespace; `local` lines have
/// no address, so their fourth word is the method.
fn hba_row(line: &str) -> Vec<Value> {
    let x = ruby_split_blanks(line);
    let at = |i: usize| opt_str(x.get(i).copied());
    let auth_params = if x.len() == 4 {
        Value::str("")
    } else {
        Value::str(x.get(5..).map(|r| r.join(" ")).unwrap_or_default())
    };
    let mut row = vec![at(0), at(1), at(2), at(3), at(4), auth_params];
    if x.first() == Some(&"local") {
        row[4] = row[3].clone();
        row[3] = Value::str("");
    }
    row
}

/// One line as postgres_ident_conf.rb's parse_line: its first three words.
fn ident_row(line: &str) -> Vec<Value> {
    let x = ruby_split_blanks(line);
    (0..3).map(|i| opt_str(x.get(i).copied())).collect()
}

impl PostgresTableConf {
    fn rows(&self) -> Res<&(String, Arc<Table>)> {
        self.rows.get(|| {
            let (file, row, allow_empty): (_, fn(&str) -> Vec<Value>, _) = match self.file {
                TableFile::Hba => ("pg_hba.conf", hba_row, false),
                TableFile::Ident => ("pg_ident.conf", ident_row, true),
            };
            let path = match &self.path {
                Some(p) => p.clone(),
                None => {
                    let dir = facts(&self.host)?.conf_dir.ok_or_else(|| {
                        ResourceError::Failed("PostgreSQL's conf_dir was not found".into())
                    })?;
                    join(&dir, file)
                }
            };
            // A missing file skips, as read_file_content does (and an empty pg_hba.conf).
            let text = read_file_content(&self.host, &path, allow_empty)?;
            let rows = text
                .lines()
                .filter(|l| !l.trim_start().starts_with('#') && !l.is_empty())
                .map(row)
                .collect();
            // FilterTable names a filtered table by the resource's `to_s`.
            Ok((path.clone(), self.rows_table(&path, rows)))
        })
    }

    /// The FilterTable of the file's lines: a column per field.
    fn rows_table(&self, path: &str, rows: Vec<Vec<Value>>) -> Arc<Table> {
        let fields = match self.file {
            TableFile::Hba => HBA_FIELDS,
            TableFile::Ident => IDENT_FIELDS,
        };
        let accessors: Vec<(&str, &str)> = fields.iter().map(|f| (*f, *f)).collect();
        table(&self.label(path), fields, &accessors, rows)
    }

    fn label(&self, path: &str) -> String {
        match self.file {
            TableFile::Hba => format!("Postgres Hba Config {path}"),
            TableFile::Ident => format!("PostgreSQL Ident Config {path}"),
        }
    }
}

impl Resource for PostgresTableConf {
    fn name(&self) -> &str {
        self.file.resource()
    }
    fn to_s(&self) -> String {
        match self.rows() {
            Ok((p, _)) => self.label(p),
            Err(_) => self.label(self.path.as_deref().unwrap_or_default()),
        }
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let (path, t) = self.rows()?;
        let name = self.file.resource();
        match method {
            "conf_file" => Ok(Value::str(path)),
            "params" => table_call(name, t, "entries", &[]),
            _ => table_call(name, t, method, args),
        }
    }
    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.rows()?.1.clone()))
    }

    /// postgres_hba_conf.rb / postgres_ident_conf.rb read the file in `initialize`.
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.rows())
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(self.rows_table(self.path.as_deref().unwrap_or_default(), Vec::new()))
    }

    /// Skipped, `@params` is `{}` (hba) and no rows were parsed (the FilterTable over them:
    /// [`Resource::empty_table`]).
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        match method {
            "params" if matches!(self.file, TableFile::Hba) => Some(Value::Hash(Vec::new())),
            _ => None,
        }
    }
}

/// What a query answered (InSpec's `Lines`): `output`, `lines`, and the describe's title.
pub struct QueryResult {
    pub resource: &'static str,
    pub desc: String,
    pub output: String,
    /// postgres strips each line, mysql does not.
    pub strip_lines: bool,
}

impl Resource for QueryResult {
    fn name(&self) -> &str {
        self.resource
    }
    fn to_s(&self) -> String {
        self.desc.clone()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "output" | "stdout" => Ok(Value::str(&self.output)),
            "lines" => Ok(Value::Array(
                self.output
                    .split('\n')
                    .map(|l| Value::str(if self.strip_lines { l.trim() } else { l }))
                    .collect(),
            )),
            // An attr_reader InSpec never assigns.
            "exit_status" => Ok(Value::Nil),
            // Ruby's Object#methods on InSpec's `Lines` (postgres_session.rb: `output` and
            // `exit_status` readers, `lines`, `to_s`), as `rows.methods.include?(:output)`.
            "methods" | "public_methods" => {
                Ok(crate::native::ruby::core_methods::object_methods(&[
                    "output",
                    "exit_status",
                    "lines",
                    "to_s",
                ]))
            }
            _ => Err(unsupported(self.resource, method)),
        }
    }
}

/// `postgres_session(user, password, host = 'localhost', port = 5432, socket_path = nil)`.
pub struct PostgresSession {
    user: String,
    password: Option<String>,
    host_name: String,
    port: String,
    socket: Option<String>,
    host: Arc<Host>,
}

pub fn create_session(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(PostgresSession {
        user: str_arg(args, 0).unwrap_or_else(|| "postgres".into()),
        password: str_arg(args, 1),
        host_name: str_arg(args, 2).unwrap_or_else(|| "localhost".into()),
        port: str_arg(args, 3).unwrap_or_else(|| "5432".into()),
        socket: str_arg(args, 4),
        host: host.clone(),
    }))
}

impl PostgresSession {
    /// The `psql` argv: every value one argument (`--name=value`, so none reads as an
    /// option), the password only in the child's environment (PGPASSWORD).
    pub fn argv(&self, sql: &str, dbs: &[String]) -> Vec<String> {
        let mut argv = vec!["psql".to_string(), format!("--username={}", self.user)];
        argv.push(format!(
            "--host={}",
            self.socket.as_deref().unwrap_or(&self.host_name)
        ));
        argv.push(format!("--port={}", self.port));
        if !dbs.is_empty() {
            argv.push(format!("--dbname={}", dbs.join(" ")));
        }
        argv.extend(["-A", "-t", "-w"].map(str::to_string));
        argv.push(format!("--command={sql}"));
        argv
    }

    fn query(&self, args: &[Value]) -> Res<Value> {
        let Some(password) = &self.password else {
            return Err(ResourceError::Failed(
                "Can't run PostgreSQL SQL checks without authentication.".into(),
            ));
        };
        let sql = str_arg(args, 0).ok_or_else(|| {
            ResourceError::Failed("`postgres_session.query` needs the SQL (a String)".into())
        })?;
        let dbs: Vec<String> = match args.get(1) {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, _)| str_arg(items, i))
                .collect(),
            Some(Value::Str(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let argv = self.argv(&sql, &dbs);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let env = [("PGPASSWORD".to_string(), password.clone())];
        let out = self.host.run_with_env(&shell_line(&argv), &env)?;
        let all = format!("{}\n{}", out.stdout, out.stderr);
        let lower = all.to_lowercase();
        let failed = out.exit_status != Some(0);
        if failed
            && (all.contains("could not connect to")
                || all.contains("password authentication failed"))
            && (lower.contains("error:") || lower.contains("fatal:"))
        {
            return Err(ResourceError::Failed(format!(
                "PostgreSQL connection error: {all}"
            )));
        }
        let (desc, output) = if failed && lower.contains("error:") {
            (format!("PostgreSQL query with error: {sql}"), all)
        } else {
            (
                format!("PostgreSQL query: {sql}"),
                out.stdout.trim().to_string(),
            )
        };
        Ok(Value::Resource(Arc::new(QueryResult {
            resource: "postgres_session",
            desc,
            output,
            strip_lines: true,
        })))
    }
}

impl Resource for PostgresSession {
    fn name(&self) -> &str {
        "postgres_session"
    }
    fn to_s(&self) -> String {
        format!("postgres_session {}@{}", self.user, self.host_name)
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "query" => self.query(args),
            _ => Err(unsupported("postgres_session", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hba_lines_like_inspec() {
        let s = |v: &str| Value::str(v);
        assert_eq!(
            hba_row("local   all   postgres   peer"),
            vec![s("local"), s("all"), s("postgres"), s(""), s("peer"), s("")]
        );
        assert_eq!(
            hba_row("host all all 127.0.0.1/32 scram-sha-256"),
            vec![
                s("host"),
                s("all"),
                s("all"),
                s("127.0.0.1/32"),
                s("scram-sha-256"),
                s("")
            ]
        );
        assert_eq!(
            hba_row("hostssl db u 10.0.0.0/8 cert clientcert=verify-full map=x"),
            vec![
                s("hostssl"),
                s("db"),
                s("u"),
                s("10.0.0.0/8"),
                s("cert"),
                s("clientcert=verify-full map=x")
            ]
        );
        assert_eq!(hba_row("host all")[2], Value::Nil);
    }

    #[test]
    fn query_results_list_their_methods_like_inspecs_lines() {
        // `rows.methods.include?(:output)` guards a query in the postgres STIG profiles; the
        // oracle's `Lines.new('a', 'b', 0).methods` has 70 names, `output` among them.
        let r = QueryResult {
            resource: "postgres_session",
            desc: "PostgreSQL query: SELECT 1".into(),
            output: "1".into(),
            strip_lines: true,
        };
        let Ok(Value::Array(ms)) = r.call("methods", &[]) else {
            panic!("methods is an Array");
        };
        assert_eq!(ms.len(), 70);
        for m in ["output", "exit_status", "lines", "to_s", "respond_to?"] {
            assert!(ms.contains(&Value::Sym(m.into())), "{m}");
        }
        assert!(!ms.contains(&Value::Sym("query".into())));
    }

    #[test]
    fn psql_argv_keeps_values_whole_and_the_password_out() {
        let host = crate::native::testing::host();
        let r = PostgresSession {
            user: "u; rm -rf /".into(),
            password: Some("s3cret".into()),
            host_name: "localhost".into(),
            port: "5432".into(),
            socket: None,
            host,
        };
        let argv = r.argv("SELECT '$(id)';", &["db".into()]);
        assert_eq!(
            argv,
            [
                "psql",
                "--username=u; rm -rf /",
                "--host=localhost",
                "--port=5432",
                "--dbname=db",
                "-A",
                "-t",
                "-w",
                "--command=SELECT '$(id)';"
            ]
        );
        assert!(argv.iter().all(|a| !a.contains("s3cret")));
    }
}
