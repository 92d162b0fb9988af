//! `mssql_session` (mssql_session.rb: `sqlcmd -Q "set nocount on; SQL" -W -w 1024 -s ','`
//! on the target, its CSV output as rows) and `mssql_sys_conf` (mssql_sys_conf.rb: a
//! `sys.configurations` row through such a session). The query is one argument and the
//! password reaches sqlcmd in its SQLCMDPASSWORD variable, not on a command line.

use std::sync::Arc;

use crate::native::resources::support::{
    has_program, hash_option, hash_text, need_str, shell_line, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::corelib::csv;
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const SESSION_METHODS: &[&str] = &["query", "resource_id"];
pub const SYS_CONF_METHODS: &[&str] = &["resource_id", "value_configured", "value_in_use"];

/// One result row: lowercased column name => field (nil for an empty field).
type Row = Vec<(String, Value)>;

/// DatabaseHelper::SQLQueryResult: rows, `row(i).column(name).value`, `column(name)`.
pub struct SqlResult {
    pub resource: &'static str,
    pub rows: Vec<Row>,
}

fn row_hash(row: &Row) -> Value {
    Value::Hash(
        row.iter()
            .map(|(k, v)| (Value::str(k), v.clone()))
            .collect(),
    )
}

impl Resource for SqlResult {
    fn name(&self) -> &str {
        self.resource
    }
    fn to_s(&self) -> String {
        "SQL ResultSet".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "empty?" => Ok(Value::Bool(self.rows.is_empty())),
            "size" => Ok(Value::Int(self.rows.len() as i64)),
            "successful?" => Ok(Value::Bool(true)),
            "rows" => Ok(Value::Array(self.rows.iter().map(row_hash).collect())),
            // `@results.each { |row| row[column] }`: the name as given (keys are lowercase).
            "column" => {
                let name = need_str(self.resource, args, 0, "a column name")?;
                Ok(Value::Array(
                    self.rows.iter().map(|r| field(r, &name).clone()).collect(),
                ))
            }
            "row" => {
                let Some(Value::Int(i)) = args.first() else {
                    return Err(ResourceError::Failed("`row` needs an Integer index".into()));
                };
                let i = if *i < 0 {
                    self.rows.len() as i64 + i
                } else {
                    *i
                };
                Ok(Value::Resource(Arc::new(SqlRow {
                    row: usize::try_from(i)
                        .ok()
                        .and_then(|i| self.rows.get(i))
                        .cloned(),
                })))
            }
            _ => Err(unsupported(self.resource, method)),
        }
    }
}

fn field<'a>(row: &'a Row, name: &str) -> &'a Value {
    row.iter()
        .find(|(k, _)| k == name)
        .map_or(&Value::Nil, |(_, v)| v)
}

/// `SQLRow`; `column(name)` is an `SQLColumn` whose `value` is "" past the last row.
struct SqlRow {
    row: Option<Row>,
}

impl Resource for SqlRow {
    fn name(&self) -> &str {
        "SQL Row"
    }
    fn to_s(&self) -> String {
        "SQL Row".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "column" => {
                let name = need_str("SQL Row", args, 0, "a column name")?;
                Ok(Value::Resource(Arc::new(SqlColumn {
                    value: match &self.row {
                        Some(r) => field(r, &name.to_lowercase()).clone(),
                        None => Value::str(""),
                    },
                })))
            }
            _ => Err(unsupported("SQL Row", method)),
        }
    }
}

struct SqlColumn {
    value: Value,
}

impl Resource for SqlColumn {
    fn name(&self) -> &str {
        "SQL Column"
    }
    fn to_s(&self) -> String {
        "SQL Column".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "value" => Ok(self.value.clone()),
            _ => Err(unsupported("SQL Column", method)),
        }
    }
}

/// mssql_session.rb `parse_csv_result`: line ends as `\r` with doubled ones collapsed
/// once, the first line the headers (lowercased; an empty one names nothing), the next one
/// (sqlcmd's dashes) dropped, blank lines as rows of nils.
pub fn parse_sqlcmd(stdout: &str) -> Result<Vec<Row>, String> {
    let text = stdout
        .replace('\n', "\r")
        .replace("\r\r", "\r")
        .replace('\r', "\n");
    let mut rows = csv::split(&text, ",", Some('"')).map_err(|e| e.message.to_string())?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let headers = rows.remove(0);
    if !rows.is_empty() {
        rows.remove(0); // `table.delete(0)`: the dashes under the headers
    }
    Ok(rows
        .into_iter()
        .map(|fields| {
            headers
                .iter()
                .enumerate()
                .filter_map(|(i, h)| match h {
                    Value::Str(h) => Some((
                        h.to_lowercase(),
                        fields.get(i).cloned().unwrap_or(Value::Nil),
                    )),
                    _ => None,
                })
                .collect()
        })
        .collect())
}

pub struct MssqlSession {
    user: Option<String>,
    password: Option<String>,
    host_name: Option<String>,
    port: Option<String>,
    instance: Option<String>,
    db_name: Option<String>,
    trust_server_certificate: bool,
    host: Arc<Host>,
    /// `sqlcmd` is there and `select getdate()` answers (the constructor's checks).
    ready: Lazy<()>,
}

/// The session mssql_session.rb's options describe.
fn session(opts: &[Value], host: &Arc<Host>) -> MssqlSession {
    let local_mode = hash_option(opts, "local_mode").is_some_and(Value::truthy);
    MssqlSession {
        user: hash_text(opts, "user"),
        password: hash_text(opts, "password").or_else(|| hash_text(opts, "pass")),
        host_name: (!local_mode)
            .then(|| hash_text(opts, "host").unwrap_or_else(|| "localhost".into())),
        port: hash_text(opts, "port").filter(|_| !local_mode),
        instance: hash_text(opts, "instance"),
        db_name: hash_text(opts, "db_name"),
        trust_server_certificate: hash_option(opts, "trust_server_certificate")
            .is_some_and(Value::truthy),
        host: host.clone(),
        ready: Lazy::default(),
    }
}

pub fn create_session(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(session(args, host)))
}

impl MssqlSession {
    /// The sqlcmd argv, in mssql_session.rb's order.
    pub fn argv(&self, sql: &str) -> Vec<String> {
        let mut argv: Vec<String> = [
            "sqlcmd",
            "-Q",
            &format!("set nocount on; {sql}"),
            "-W",
            "-w",
            "1024",
            "-s",
            ",",
        ]
        .map(str::to_string)
        .to_vec();
        if self.trust_server_certificate {
            argv.push("-C".into());
        }
        if let (Some(u), Some(_)) = (&self.user, &self.password) {
            argv.extend(["-U".to_string(), u.clone()]);
        }
        if let Some(d) = &self.db_name {
            argv.extend(["-d".to_string(), d.clone()]);
        }
        if let Some(h) = &self.host_name {
            let mut server = h.clone();
            if let Some(p) = &self.port {
                server.push_str(&format!(",{p}"));
            }
            if let Some(i) = &self.instance {
                server.push_str(&format!("\\{i}"));
            }
            argv.extend(["-S".to_string(), server]);
        }
        argv
    }

    fn run(&self, sql: &str) -> Res<SqlResult> {
        let argv = self.argv(sql);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let env: Vec<(String, String)> = match (&self.user, &self.password) {
            (Some(_), Some(p)) => vec![("SQLCMDPASSWORD".into(), p.clone())],
            _ => Vec::new(),
        };
        let out = self.host.run_with_env(&shell_line(&argv), &env)?;
        let all = format!("{}\n{}", out.stdout, out.stderr);
        if out.exit_status != Some(0) || all.contains("Sqlcmd: Error") {
            return Err(ResourceError::Failed(format!(
                "Could not execute the sql query {all}"
            )));
        }
        Ok(SqlResult {
            resource: "mssql_session",
            rows: parse_sqlcmd(&out.stdout).map_err(|e| {
                ResourceError::Failed(format!("Could not execute the sql query {e}"))
            })?,
        })
    }

    pub fn query(&self, sql: &str) -> Res<SqlResult> {
        self.ready.get(|| {
            if !has_program(&self.host, "sqlcmd")? {
                return Err(ResourceError::Skip("sqlcmd is missing".into()));
            }
            if self.run("select getdate()")?.rows.is_empty() {
                return Err(ResourceError::Skip(
                    "Can't connect to the MS SQL Server.".into(),
                ));
            }
            Ok(())
        })?;
        self.run(sql)
    }
}

impl Resource for MssqlSession {
    fn name(&self) -> &str {
        "mssql_session"
    }
    fn to_s(&self) -> String {
        "MSSQL session".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "query" => {
                let sql = need_str("mssql_session", args, 0, "the SQL")?;
                Ok(Value::Resource(Arc::new(self.query(&sql)?)))
            }
            "resource_id" => Ok(Value::str(format!(
                "mssql_session:User:{}:Host:{}:Database:{}:Instance:{}",
                self.user.as_deref().unwrap_or(""),
                self.host_name.as_deref().unwrap_or(""),
                self.db_name.as_deref().unwrap_or(""),
                self.instance.as_deref().unwrap_or("")
            ))),
            _ => Err(unsupported("mssql_session", method)),
        }
    }
}

/// `mssql_sys_conf(NAME, user:, password:, ...)`.
pub struct MssqlSysConf {
    param: String,
    username: String,
    session: MssqlSession,
    result: Lazy<SqlResult>,
}

pub fn create_sys_conf(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let param = need_str("mssql_sys_conf", args, 0, "a configuration name")?;
    let opts = args.get(1..).unwrap_or_default();
    Ok(Arc::new(MssqlSysConf {
        param,
        // Only the resource id reads `username` (the session logs in with `user`).
        username: hash_text(opts, "username").unwrap_or_else(|| "SA".into()),
        session: session(opts, host),
        result: Lazy::default(),
    }))
}

impl MssqlSysConf {
    fn result(&self) -> Res<&SqlResult> {
        self.result.get(|| {
            // `gsub("_", " ").split.map(&:capitalize).join(" ")`; only the letters, digits and
            // blanks of configuration names reach the SQL text.
            let setting = self
                .param
                .replace('_', " ")
                .split_whitespace()
                .map(|w| {
                    let lower = w.to_lowercase();
                    let mut c = lower.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c).collect::<String>())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" ");
            if !setting
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '(' || c == ')')
            {
                return Err(ResourceError::Failed(format!(
                    "mssql_sys_conf: {:?} is not a configuration name",
                    self.param
                )));
            }
            self.session
                .query(&format!(
                    "SELECT name, CAST(value as int) as value_configured, CAST(value_in_use as int) as value_in_use FROM sys.configurations WHERE name = '{setting}'"
                ))
                .map_err(|e| match e {
                    ResourceError::Failed(m) => ResourceError::Failed(format!(
                        "Errors fetching database system configurations for Mssql database: {m}"
                    )),
                    other => other,
                })
        })
    }

    fn column(&self, name: &str) -> Res<Value> {
        Ok(self
            .result()?
            .rows
            .first()
            .map_or(Value::Nil, |r| field(r, name).clone()))
    }
}

impl Resource for MssqlSysConf {
    fn name(&self) -> &str {
        "mssql_sys_conf"
    }
    fn to_s(&self) -> String {
        "MsSql DB Configuration".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "value_in_use" | "value_configured" => self.column(method),
            "resource_id" => Ok(Value::str(format!("{}-{}", self.param, self.username))),
            _ => Err(unsupported("mssql_sys_conf", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlcmd_output_becomes_rows() {
        let out = "name,value_configured,value_in_use\n----,----------------,------------\nclr enabled,0,0\n\n";
        let rows = parse_sqlcmd(out).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(field(&rows[0], "value_in_use"), &Value::str("0"));
        assert_eq!(field(&rows[0], "name"), &Value::str("clr enabled"));
        assert!(parse_sqlcmd("").unwrap().is_empty());
        assert!(parse_sqlcmd("a\n-\n").unwrap().is_empty());
        // `select getdate()`: no column name, still one (empty) row, as InSpec counts it.
        let rows = parse_sqlcmd("\n-----------------------\n2025-12-01 10:15:32.117\n").unwrap();
        assert_eq!(rows, vec![Vec::new()]);
    }
}
