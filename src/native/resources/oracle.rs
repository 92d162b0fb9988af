//! `oracledb_session` (oracledb_session.rb: sqlplus -S, or SQLcl, fed the settings, the
//! query and EXIT, after an `oracle_query_string` marker; one column per row as InSpec
//! parses it) and `oracledb_conf` (oracledb_conf.rb: a `V$SYSTEM_PARAMETER` value through
//! such a session). InSpec builds a shell line with a here-document; here the script and
//! the connect string reach `sh` as positional parameters, never spliced into its code.

use std::sync::Arc;

use crate::native::resources::mssql::SqlResult;
use crate::native::resources::support::{
    has_program, hash_option, hash_text, need_str, run_argv, unsupported, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::corelib::csv;
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const SESSION_METHODS: &[&str] = &["query", "resource_id"];
pub const CONF_METHODS: &[&str] = &["*", "resource_id"];

/// Prints the marker, then feeds `$1` (the script) to the client argv that follows.
const FEED: &str = r#"s=$1; shift; echo 'oracle_query_string'; printf '%s\n' "$s" | "$@""#;

pub struct OracleSession {
    user: Option<String>,
    password: Option<String>,
    host_name: String,
    port: String,
    service: Option<String>,
    su_user: Option<String>,
    db_role: Option<String>,
    sqlcl_bin: Option<String>,
    sqlplus_bin: String,
    tns_alias: Option<String>,
    env: Vec<(String, String)>,
    host: Arc<Host>,
}

fn session(opts: &[Value], host: &Arc<Host>) -> OracleSession {
    let env = match hash_option(opts, "env") {
        Some(Value::Hash(pairs)) => pairs
            .iter()
            .map(|(k, v)| {
                (
                    crate::native::ruby::methods::to_s(k),
                    crate::native::ruby::methods::to_s(v),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    OracleSession {
        user: hash_text(opts, "user"),
        password: hash_text(opts, "password").or_else(|| hash_text(opts, "pass")),
        host_name: hash_text(opts, "host").unwrap_or_else(|| "localhost".into()),
        port: hash_text(opts, "port").unwrap_or_else(|| "1521".into()),
        service: hash_text(opts, "service"),
        su_user: hash_text(opts, "as_os_user"),
        db_role: hash_text(opts, "as_db_role"),
        sqlcl_bin: hash_text(opts, "sqlcl_bin"),
        sqlplus_bin: hash_text(opts, "sqlplus_bin").unwrap_or_else(|| "sqlplus".into()),
        tns_alias: hash_text(opts, "tns_alias").filter(|t| !t.is_empty()),
        env,
        host: host.clone(),
    }
}

pub fn create_session(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(session(args, host)))
}

/// oracledb_session.rb `parse_csv_result`: after the last marker, the first `\r` dropped,
/// stripped; commas are hidden from the CSV parser (`comma_query_sub`), so each line is one
/// field: the first line the (lowercased) header, every other line a row of it.
pub fn parse_output(stdout: &str) -> Result<Vec<Vec<(String, Value)>>, String> {
    const COMMA: &str = "comma_query_sub";
    let output = stdout.rsplit("oracle_query_string").next().unwrap_or("");
    let output = output.replacen('\r', "", 1);
    let output = output.trim().replace(',', COMMA);
    let restore = |v: &Value| match v {
        Value::Str(s) => Value::str(s.replace(COMMA, ",")),
        other => other.clone(),
    };
    let mut rows = csv::split(&output, ",", Some('"')).map_err(|e| e.message.to_string())?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let header = match rows.remove(0).first().map(restore) {
        Some(Value::Str(h)) => h.to_lowercase(),
        _ => return Ok(Vec::new()),
    };
    Ok(rows
        .into_iter()
        .map(|r| vec![(header.clone(), r.first().map_or(Value::Nil, restore))])
        .collect())
}

impl OracleSession {
    /// The script and the client argv for `sql` (command_builder / build_tns_command).
    fn invocation(&self, sql: &str) -> Res<(String, Vec<String>)> {
        if self.su_user.is_some() {
            return Err(ResourceError::Unsupported {
                resource: "oracledb_session".into(),
                method: "as_os_user (InSpec runs the query through `su -c` as a shell string)"
                    .into(),
            });
        }
        if self.user.is_none() && self.password.is_none() {
            return Err(ResourceError::Failed(
                "Can't run Oracle checks without authentication".into(),
            ));
        }
        let sqlcl = match &self.sqlcl_bin {
            Some(b) if has_program(&self.host, b)? => Some(b.clone()),
            _ => None,
        };
        let format = if sqlcl.is_some() {
            "set sqlformat csv\nSET FEEDBACK OFF"
        } else {
            "SET PAGESIZE 32000\nSET FEEDBACK OFF\nSET UNDERLINE OFF"
        };
        let query = if sql.trim_end().ends_with(';') {
            sql.to_string()
        } else {
            format!("{sql};")
        };
        let mut client = match &sqlcl {
            Some(b) => vec![b.clone()],
            None => vec![self.sqlplus_bin.clone(), "-S".into()],
        };
        let user = self.user.clone().unwrap_or_default();
        let password = self.password.clone().unwrap_or_default();
        if let Some(alias) = &self.tns_alias {
            // build_tns_command: `BIN -s /nolog` and a `connect` line first.
            client.truncate(1);
            client.extend(["-s".into(), "/nolog".into()]);
            let mut connect = format!("connect {user}/{password}@{alias}");
            if let Some(role) = &self.db_role {
                connect.push_str(&format!(" as {role}"));
            }
            return Ok((format!("{connect}\n{format}\n{query}\nEXIT"), client));
        }
        client.push(format!(
            "{user}/{password}@{}:{}/{}",
            self.host_name,
            self.port,
            self.service.as_deref().unwrap_or("")
        ));
        if let Some(role) = &self.db_role {
            client.extend(["as".into(), role.clone()]);
        }
        Ok((format!("{format}\n{query}\nEXIT"), client))
    }

    pub fn query(&self, sql: &str) -> Res<SqlResult> {
        let (script, client) = self.invocation(sql)?;
        let mut argv: Vec<&str> = vec!["sh", "-c", FEED, "sh", &script];
        argv.extend(client.iter().map(String::as_str));
        let out = if self.env.is_empty() {
            run_argv(&self.host, &argv)?
        } else {
            let line = crate::native::resources::support::shell_line(&argv);
            self.host.run_with_env(&line, &self.env)?
        };
        let all = format!("{}\n{}", out.stdout, out.stderr);
        let error_line = all.to_lowercase().lines().any(|l| l.starts_with("error"));
        if out.exit_status != Some(0) || error_line {
            return Err(ResourceError::Failed(format!(
                "Oracle query with errors: {all}"
            )));
        }
        let rows = parse_output(&out.stdout)
            .map_err(|e| ResourceError::Failed(format!("Oracle query with exception: {e}")))?;
        Ok(SqlResult {
            resource: "oracledb_session",
            rows,
        })
    }

    fn resource_id(&self) -> String {
        let user = self.user.as_deref().unwrap_or("");
        match (&self.tns_alias, &self.user, &self.su_user) {
            (Some(alias), _, _) => format!("{alias}-{user}"),
            (None, Some(u), _) => format!("{}-{}-{u}", self.host_name, self.port),
            (None, None, Some(su)) => format!("{}-{}-{su}", self.host_name, self.port),
            _ => String::new(),
        }
    }
}

impl Resource for OracleSession {
    fn name(&self) -> &str {
        "oracledb_session"
    }
    fn to_s(&self) -> String {
        "Oracle Session".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "query" => {
                let sql = need_str("oracledb_session", args, 0, "the SQL")?;
                Ok(Value::Resource(Arc::new(self.query(&sql)?)))
            }
            "resource_id" => Ok(Value::str(self.resource_id())),
            _ => Err(unsupported("oracledb_session", method)),
        }
    }
}

/// `oracledb_conf(user:, password:, ...)`: any setting name as a property.
pub struct OracleConf {
    session: OracleSession,
}

pub fn create_conf(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(OracleConf {
        session: session(args, host),
    }))
}

impl OracleConf {
    fn setting(&self, name: &str) -> Res<Value> {
        let setting = name.to_uppercase();
        // Parameter names only (letters, digits, `_`, `$`, `#`) reach the SQL text.
        if setting.is_empty()
            || !setting
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '#'))
        {
            return Err(unsupported("oracledb_conf", name));
        }
        let sql = format!(
            "SELECT UPPER(VALUE) AS UPPER_VALUE FROM V$SYSTEM_PARAMETER WHERE UPPER(NAME) = '{setting}'"
        );
        let fetched = self.session.query(&sql).and_then(|r| {
            r.call("row", &[Value::Int(0)])
                .and_then(|row| match row {
                    Value::Resource(row) => row.call("column", &[Value::str("UPPER_VALUE")]),
                    _ => Ok(Value::Nil),
                })
                .and_then(|col| match col {
                    Value::Resource(col) => col.call("value", &[]),
                    _ => Ok(Value::Nil),
                })
        });
        fetched.map_err(|e| match e {
            ResourceError::Failed(m) => ResourceError::Failed(format!(
                "Errors fetching database settings for Oracle database: {m}"
            )),
            other => other,
        })
    }
}

impl Resource for OracleConf {
    fn name(&self) -> &str {
        "oracledb_conf"
    }
    fn to_s(&self) -> String {
        "Oracle DB Configuration".into()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "resource_id" => Ok(Value::str(self.session.user.clone().unwrap_or_default())),
            _ => self.setting(method),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlplus_output_after_the_marker() {
        let out = "oracle_query_string\n\nUPPER_VALUE\nTRUE\n\n";
        let rows = parse_output(out).unwrap();
        assert_eq!(
            rows,
            vec![vec![("upper_value".to_string(), Value::str("TRUE"))]]
        );
        assert!(parse_output("oracle_query_string\n\n").unwrap().is_empty());
        // SQLcl's CSV stays one field a line, commas and all.
        assert_eq!(
            parse_output("echo\noracle_query_string\nA,B\n1,2\n").unwrap(),
            vec![vec![("a,b".to_string(), Value::str("1,2"))]]
        );
    }
}
