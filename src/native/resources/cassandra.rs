//! `cassandradb_session` (cassandradb_session.rb: `cqlsh [HOST] [PORT] -u USER -p PASSWORD
//! --execute QUERY` on the target, its output as `output`). Run as an argument list: the
//! query is one argument, as InSpec's quoting means it to be.

use std::sync::Arc;

use crate::native::resources::support::{hash_text, need_str, run_argv, unsupported, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const SESSION_METHODS: &[&str] = &["query", "resource_id"];

pub struct CassandraSession {
    user: String,
    password: String,
    host_name: Option<String>,
    port: Option<String>,
    host: Arc<Host>,
}

pub fn create_session(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(CassandraSession {
        user: hash_text(args, "user").unwrap_or_else(|| "cassandra".into()),
        password: hash_text(args, "password").unwrap_or_else(|| "cassandra".into()),
        host_name: hash_text(args, "host"),
        port: hash_text(args, "port"),
        host: host.clone(),
    }))
}

impl CassandraSession {
    pub fn argv(&self, query: &str) -> Vec<String> {
        let mut argv = vec!["cqlsh".to_string()];
        argv.extend(self.host_name.clone());
        argv.extend(self.port.clone());
        argv.extend([
            "-u".into(),
            self.user.clone(),
            "-p".into(),
            self.password.clone(),
            "--execute".into(),
            query.to_string(),
        ]);
        argv
    }

    fn query(&self, query: &str) -> Res<Lines> {
        let argv = self.argv(query);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = run_argv(&self.host, &argv)?;
        let all = format!("{}\n{}", out.stdout, out.stderr);
        let error_line = all.to_lowercase().lines().any(|l| l.starts_with("error:"));
        if out.exit_status != Some(0)
            || all.contains("Unable to connect to any servers")
            || error_line
        {
            return Err(ResourceError::Failed(format!(
                "Cassandra query with errors: {all}"
            )));
        }
        Ok(Lines {
            output: out.stdout.trim().to_string(),
            desc: format!("Cassandra query: {query}"),
            exit_status: out
                .exit_status
                .map_or(Value::Nil, |c| Value::Int(i64::from(c))),
        })
    }
}

/// cassandradb_session.rb's `Lines`: `output` and `exit_status`.
struct Lines {
    output: String,
    desc: String,
    exit_status: Value,
}

impl Resource for Lines {
    fn name(&self) -> &str {
        "cassandradb_session"
    }
    fn to_s(&self) -> String {
        self.desc.clone()
    }
    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "output" => Ok(Value::str(&self.output)),
            "exit_status" => Ok(self.exit_status.clone()),
            _ => Err(unsupported("cassandradb_session", method)),
        }
    }
}

impl Resource for CassandraSession {
    fn name(&self) -> &str {
        "cassandradb_session"
    }
    fn to_s(&self) -> String {
        "Cassandra DB Session".into()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "query" => {
                let q = need_str("cassandradb_session", args, 0, "the CQL")?;
                Ok(Value::Resource(Arc::new(self.query(&q)?)))
            }
            "resource_id" => Ok(Value::str(format!(
                "cassandradb_session:User:{}:Host:{}",
                self.user,
                self.host_name.as_deref().unwrap_or("")
            ))),
            _ => Err(unsupported("cassandradb_session", method)),
        }
    }
}
