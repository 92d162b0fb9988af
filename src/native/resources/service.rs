//! `service` and `systemd_service`: systemd through `systemctl` where systemd runs the
//! target, SysV init scripts where a classic init does; anything else is skipped, naming
//! pid 1, rather than guessed.

use std::sync::Arc;

use crate::native::resources::simple_config;
use crate::native::resources::support::{
    dig, need_str, read_text, run_argv, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "description",
    "enabled?",
    "installed?",
    "name",
    "params",
    "running?",
    "type",
];

/// What tells the init system apart (see [`init_system`]).
pub const SYSTEMD_BOOTED: &str = "/run/systemd/system";
pub const PID1_NAME: &str = "/proc/1/comm";
pub const INIT_D: &str = "/etc/init.d";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InitSystem {
    Systemd,
    SysV,
}

/// Which init system manages services, from facts: systemd marks a systemd boot with
/// /run/systemd/system (sd_booted); a classic init runs as pid 1 named `init` with
/// /etc/init.d scripts.
pub fn init_system(
    systemd_booted: bool,
    pid1: &str,
    has_init_d: bool,
) -> Result<InitSystem, String> {
    if systemd_booted {
        Ok(InitSystem::Systemd)
    } else if has_init_d && matches!(pid1, "init" | "openrc-init" | "busybox") {
        Ok(InitSystem::SysV)
    } else {
        Err(format!(
            "the init system could not be determined (pid 1 is `{pid1}`, not systemd or init)"
        ))
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Info {
    installed: bool,
    enabled: bool,
    running: bool,
    description: Option<String>,
    params: Value,
    kind: &'static str,
}

pub struct Service {
    name: &'static str,
    service: String,
    host: Arc<Host>,
    info: Lazy<Info>,
}

pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Service {
        name,
        service: need_str(name, args, 0, "a service name")?,
        host: host.clone(),
        info: Lazy::default(),
    }))
}

impl Info {
    /// A service the init system does not know.
    fn absent(kind: &'static str) -> Info {
        Info {
            installed: false,
            enabled: false,
            running: false,
            description: None,
            params: Value::Hash(Vec::new()),
            kind,
        }
    }
}

impl Service {
    fn detect(&self) -> Res<InitSystem> {
        let booted = self.host.stat(SYSTEMD_BOOTED)?.is_some();
        let pid1 = read_text(&self.host, PID1_NAME)?.unwrap_or_default();
        let init_d = self.host.stat(INIT_D)?.is_some();
        if self.name == "systemd_service" && !booted {
            return Err(ResourceError::Skip(
                "systemd does not run this target".into(),
            ));
        }
        init_system(booted, pid1.trim(), init_d).map_err(ResourceError::Skip)
    }

    fn info(&self) -> Res<&Info> {
        self.info.get(|| match self.detect()? {
            InitSystem::Systemd => self.systemd(),
            InitSystem::SysV => self.sysv(),
        })
    }

    /// InSpec's Systemd: `show` for the unit's properties, `is-active`/`is-enabled` for
    /// the predicates.
    fn systemd(&self) -> Res<Info> {
        let s = self.service.as_str();
        let show = run_argv(&self.host, &["systemctl", "show", "--no-pager", "--all", s])?;
        if show.exit_status != Some(0) {
            return Ok(Info::absent("systemd"));
        }
        let params = simple_config::parse(
            &show.stdout,
            &simple_config::Options {
                groups: false,
                comment_char: None,
                ..Default::default()
            },
        );
        let get = |k: &str| match dig(&params, &[Value::str(k)]) {
            Value::Str(s) => Some(s),
            _ => None,
        };
        let active = run_argv(&self.host, &["systemctl", "is-active", "--quiet", s])?;
        let enabled = run_argv(&self.host, &["systemctl", "is-enabled", "--quiet", s])?;
        Ok(Info {
            installed: get("LoadState").as_deref() == Some("loaded"),
            enabled: enabled.exit_status == Some(0),
            running: active.exit_status == Some(0),
            description: get("Description"),
            params,
            kind: "systemd",
        })
    }

    /// InSpec's SysV: installed with an init script, enabled with an `S` link in an rc
    /// directory, running when the script's `status` succeeds.
    fn sysv(&self) -> Res<Info> {
        let s = self.service.as_str();
        let script = format!("/etc/init.d/{s}");
        let installed = self.host.stat(&script)?.is_some();
        if !installed {
            return Ok(Info::absent("sysv"));
        }
        let links = run_argv(
            &self.host,
            &[
                "sh",
                "-c",
                r#"ls -1 /etc/rc[0-6S].d/ 2>/dev/null | grep -E "^S[0-9]*$1\$""#,
                "sh",
                s,
            ],
        )?;
        let status = run_argv(&self.host, &[&script, "status"])?;
        Ok(Info {
            installed,
            enabled: !links.stdout.trim().is_empty(),
            running: status.exit_status == Some(0),
            description: None,
            params: Value::Hash(Vec::new()),
            kind: "sysv",
        })
    }
}

impl Resource for Service {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        format!("Service {}", self.service)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "name" => Ok(Value::str(&self.service)),
            "installed?" => Ok(Value::Bool(self.info()?.installed)),
            "enabled?" => Ok(Value::Bool(self.info()?.enabled)),
            "running?" => Ok(Value::Bool(self.info()?.running)),
            "type" => Ok(Value::str(self.info()?.kind)),
            "description" => Ok(self
                .info()?
                .description
                .as_deref()
                .map_or(Value::Nil, Value::str)),
            "params" => Ok(self.info()?.params.clone()),
            _ => Err(unsupported(self.name, method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn the_init_system_is_named_or_the_service_skipped() {
        assert_eq!(init_system(true, "systemd", true), Ok(InitSystem::Systemd));
        assert_eq!(init_system(false, "init", true), Ok(InitSystem::SysV));
        assert!(init_system(false, "init", false).is_err());
        assert!(init_system(false, "process_api", true).is_err());
        assert!(init_system(false, "bash", false)
            .unwrap_err()
            .contains("`bash`"));
    }

    #[test]
    fn this_machine_answers_or_skips_honestly() {
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let r = create("service", &[Value::str("ssh")], &host).unwrap();
        assert_eq!(r.to_s(), "Service ssh");
        let booted = std::path::Path::new("/run/systemd/system").exists();
        let pid1 = std::fs::read_to_string("/proc/1/comm").unwrap_or_default();
        match init_system(
            booted,
            pid1.trim(),
            std::path::Path::new("/etc/init.d").exists(),
        ) {
            Ok(_) => assert!(matches!(r.call("installed?", &[]), Ok(Value::Bool(_)))),
            Err(why) => {
                assert_eq!(r.call("running?", &[]), Err(ResourceError::Skip(why)));
                let s = create("systemd_service", &[Value::str("ssh")], &host).unwrap();
                assert!(matches!(
                    s.call("enabled?", &[]),
                    Err(ResourceError::Skip(_))
                ));
            }
        }
    }
}
