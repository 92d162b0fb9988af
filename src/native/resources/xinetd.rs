//! `xinetd_conf`: the services of /etc/xinetd.conf and its `includedir`, parsed as InSpec's
//! xinetd parser does, as a FilterTable with `disabled?`/`enabled?`.

use std::sync::Arc;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::simple_config::{self, Options};
use crate::native::resources::support::{dig, run_argv, str_arg, table, table_call, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "count",
    "disabled?",
    "enabled?",
    "entries",
    "exist?",
    "exists?",
    "ids",
    "params",
    "protocols",
    "raw_data",
    "services",
    "socket_types",
    "types",
    "wait",
    "where",
];

const FIELDS: &[&str] = &[
    "service",
    "id",
    "socket_type",
    "type",
    "protocol",
    "wait",
    "disable",
];

/// How many `includedir`s deep the parser follows (a loop guard).
const MAX_INCLUDE_DEPTH: usize = 4;

/// Groups of one file: `(name, settings)` in order (`defaults`, `service chargen`), and
/// the `includedir` directories it names.
pub fn parse_groups(text: &str) -> (Vec<(String, Value)>, Vec<String>) {
    let mut groups = Vec::new();
    let mut includes = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut pending_name: Option<String> = None;
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, body)) = current.as_mut() {
            if line == "}" {
                let settings = simple_config::parse(&body.join("\n"), &Options::default());
                groups.push((std::mem::take(name), settings));
                current = None;
            } else {
                body.push(line.to_string());
            }
            continue;
        }
        if line.starts_with('{') {
            if let Some(name) = pending_name.take() {
                current = Some((name, Vec::new()));
            }
            continue;
        }
        if let Some(dir) = line.strip_prefix("includedir ") {
            includes.push(dir.trim().to_string());
            pending_name = None;
            continue;
        }
        pending_name = Some(line.to_string());
    }
    (groups, includes)
}

pub struct XinetdConf {
    path: String,
    /// `services('chargen')`: only these services.
    only: Option<String>,
    host: Arc<Host>,
    loaded: Lazy<(Value, Arc<Table>)>,
}

/// xinetd_conf.rb's FilterTable columns.
const ACCESSORS: [(&str, &str); 6] = [
    ("services", "service"),
    ("ids", "id"),
    ("socket_types", "socket_type"),
    ("types", "type"),
    ("protocols", "protocol"),
    ("wait", "wait"),
];

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(XinetdConf {
        path: str_arg(args, 0).unwrap_or_else(|| "/etc/xinetd.conf".into()),
        only: None,
        host: host.clone(),
        loaded: Lazy::default(),
    }))
}

impl XinetdConf {
    fn loaded(&self) -> Res<&(Value, Arc<Table>)> {
        self.loaded.get(|| {
            let mut defaults = Value::Hash(Vec::new());
            let mut rows = Vec::new();
            let mut files = vec![(self.path.clone(), 0)];
            while let Some((file, depth)) = files.pop() {
                // xinetd_conf.rb `read_content`: `read_file_content(path)` of each file.
                let text = read_file_content(&self.host, &file, false)?;
                let (groups, includes) = parse_groups(&text);
                for (name, settings) in groups {
                    if name == "defaults" {
                        defaults = settings;
                    } else if let Some(service) = name.strip_prefix("service ") {
                        let mut row = vec![Value::str(service.trim())];
                        row.extend(
                            FIELDS[1..]
                                .iter()
                                .map(|f| dig(&settings, &[Value::str(*f)])),
                        );
                        rows.push(row);
                    }
                }
                if depth < MAX_INCLUDE_DEPTH {
                    for dir in includes {
                        let out = run_argv(&self.host, &["find", &dir, "-type", "f"])?;
                        let mut found: Vec<&str> = out.stdout.lines().collect();
                        found.sort_unstable();
                        // Popped from the end: push in reverse to read them in order.
                        files.extend(found.into_iter().rev().map(|f| (f.to_string(), depth + 1)));
                    }
                }
            }
            if let Some(only) = &self.only {
                rows.retain(|r| r.first() == Some(&Value::str(only)));
            }
            Ok((defaults, table(&self.to_s(), FIELDS, &ACCESSORS, rows)))
        })
    }

    /// No remaining service has `disable = VALUE`.
    fn none_with_disable(&self, value: &str) -> Res<bool> {
        let t = &self.loaded()?.1;
        let idx = t.field("disable").unwrap_or(usize::MAX);
        Ok(!t
            .rows
            .iter()
            .any(|r| r.get(idx) == Some(&Value::str(value))))
    }
}

impl Resource for XinetdConf {
    fn name(&self) -> &str {
        "xinetd_conf"
    }

    fn to_s(&self) -> String {
        match &self.only {
            Some(s) => format!("Xinetd config {} with service == {s:?}", self.path),
            None => format!("Xinetd config {}", self.path),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        if !METHODS.contains(&method) {
            return Err(crate::native::resources::support::unsupported(
                "xinetd_conf",
                method,
            ));
        }
        match method {
            // FilterTable's column with a condition: the services of that name.
            "services" if !args.is_empty() => Ok(Value::Resource(Arc::new(XinetdConf {
                path: self.path.clone(),
                only: str_arg(args, 0),
                host: self.host.clone(),
                loaded: Lazy::default(),
            }))),
            "disabled?" => Ok(Value::Bool(self.none_with_disable("no")?)),
            "enabled?" => Ok(Value::Bool(self.none_with_disable("yes")?)),
            "params" => Ok(self.loaded()?.0.clone()),
            _ => table_call("xinetd_conf", &self.loaded()?.1, method, args),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.loaded()?.1.clone()))
    }

    /// xinetd_conf.rb reads the main file in `initialize`.
    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(read_file_content(&self.host, &self.path, false))
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(table(&self.to_s(), FIELDS, &ACCESSORS, Vec::new()))
    }

    /// Its FilterTable reads the files again (`service_lines` → `read_params` →
    /// `read_content`): a failed read answers filter.rb's ExceptionCatcher.
    fn lazy_rows_class(&self) -> Option<&'static str> {
        Some("Inspec::Resources::XinetdConf")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn services_from_the_file_and_its_includedir() {
        let dir = std::env::temp_dir().join(format!("airs-xinetd-{}", std::process::id()));
        let d = dir.join("xinetd.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            dir.join("xinetd.conf"),
            format!(
                "defaults\n{{\n  log_type = SYSLOG daemon info\n}}\nincludedir {}\n",
                d.display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("chargen"),
            "# x\nservice chargen\n{\n  disable = yes\n  id = chargen-stream\n  socket_type = stream\n  protocol = tcp\n}\n\
             service chargen\n{\n  disable = yes\n  id = chargen-dgram\n  protocol = udp\n}\n",
        )
        .unwrap();
        std::fs::write(
            d.join("time"),
            "service time\n{\n  disable = no\n  id = time-stream\n}\n",
        )
        .unwrap();
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let x = create(
            &[Value::str(dir.join("xinetd.conf").to_str().unwrap())],
            &host,
        )
        .unwrap();
        assert_eq!(
            x.call("ids", &[]).unwrap(),
            Value::Array(
                ["chargen-stream", "chargen-dgram", "time-stream"]
                    .map(Value::str)
                    .to_vec()
            )
        );
        let Value::Resource(chargen) = x.call("services", &[Value::str("chargen")]).unwrap() else {
            panic!()
        };
        assert_eq!(chargen.call("disabled?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(
            chargen.call("protocols", &[]).unwrap(),
            Value::Array(vec![Value::str("tcp"), Value::str("udp")])
        );
        let Value::Resource(time) = x.call("services", &[Value::str("time")]).unwrap() else {
            panic!()
        };
        assert_eq!(time.call("disabled?", &[]).unwrap(), Value::Bool(false));
        assert_eq!(time.call("enabled?", &[]).unwrap(), Value::Bool(true));
        let Value::Resource(none) = x.call("services", &[Value::str("echo")]).unwrap() else {
            panic!()
        };
        assert_eq!(none.call("disabled?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(
            x.call("params", &[]).unwrap(),
            Value::Hash(vec![(
                Value::str("log_type"),
                Value::str("SYSLOG daemon info")
            )])
        );
        for junk in ["", "{", "}", "service\n{\n", "includedir", "{{}}\n}"] {
            let _ = parse_groups(junk);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
