//! `service`, `systemd_service`, `sysv_service`, `upstart_service` and `runit_service` as InSpec's
//! service.rb: the service manager is chosen by platform (`select_service_mgmt`: systemd on
//! Debian ≥ 8, Ubuntu ≥ 15.04, RHEL-likes ≥ 7 …), not by what runs as pid 1, and a manager
//! that cannot answer (`systemctl` failing in a container) means no information: not
//! installed, not enabled, not running.

use std::sync::Arc;

use crate::native::resources::os::{detect, Platform};
use crate::native::resources::simple_config;
use crate::native::resources::support::{
    dig, has_program, need_str, read_text, run_argv, str_arg, unsupported, Lazy, Res,
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
    "runlevels",
    "startname",
    "type",
];

/// InSpec's skip message where it knows no service manager for the platform.
pub const NOT_SUPPORTED: &str = "The `service` resource is not supported on your OS yet.";

/// A service manager, with the control program InSpec uses by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manager {
    Systemd(String),
    SysV(String),
    Upstart(String),
    /// runit's `sv` (only `runit_service` chooses it).
    Runit(String),
    /// One InSpec has (launchctl, BSD init, SMF, SRC, Windows) that is not native yet.
    Other(&'static str),
}

/// Ruby's `String#to_f` (the leading decimal number, else 0.0).
fn ruby_to_f(s: &str) -> f64 {
    let s = s.trim_start();
    let mut end = 0;
    let mut dot = false;
    for (i, c) in s.char_indices() {
        match c {
            '0'..='9' => end = i + 1,
            '.' if !dot => dot = true,
            '-' | '+' if i == 0 => {}
            _ => break,
        }
    }
    s[..end].parse().unwrap_or(0.0)
}

/// Ruby's `String#to_i` (the leading integer, else 0).
fn ruby_to_i(s: &str) -> i64 {
    let digits: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap_or(0)
}

/// InSpec's `select_service_mgmt` for `service`: the manager by platform name and release.
/// None: InSpec knows none (the resource is skipped). `has_initctl` answers Amazon Linux's
/// question only when asked.
pub fn manager_for(p: &Platform, has_initctl: impl FnOnce() -> bool) -> Option<Manager> {
    let systemd = || Some(Manager::Systemd("systemctl".into()));
    let sysv = |ctl: &str| Some(Manager::SysV(ctl.into()));
    let upstart = || Some(Manager::Upstart("initctl".into()));
    if p.is("windows") {
        return Some(Manager::Other("windows"));
    }
    let release = p.release.as_str();
    match p.name.as_str() {
        "ubuntu" if ruby_to_f(release) < 15.04 => upstart(),
        "ubuntu" => systemd(),
        "linuxmint" if ruby_to_f(release) < 18.0 => upstart(),
        "linuxmint" => systemd(),
        "debian" => {
            let v = if release == "buster/sid" {
                10
            } else {
                ruby_to_i(release)
            };
            match v {
                v if v > 7 => systemd(),
                v if v > 0 => sysv("/usr/sbin/service"),
                _ => None,
            }
        }
        name @ ("redhat" | "fedora" | "centos" | "oracle" | "cloudlinux" | "scientific"
        | "rocky" | "almalinux") => {
            let v = ruby_to_i(release);
            if (name != "fedora" && v >= 7) || (name == "fedora" && v >= 15) {
                systemd()
            } else {
                sysv("/sbin/service")
            }
        }
        "alibaba" if ruby_to_i(release) >= 3 => systemd(),
        "alibaba" => sysv("/sbin/service"),
        "suse" | "opensuse" if ruby_to_i(release) >= 12 => systemd(),
        "suse" | "opensuse" => sysv("/sbin/service"),
        "wrlinux" | "alpine" => sysv("service"),
        "arch" | "coreos" | "yocto" => systemd(),
        "amazon" if has_initctl() => upstart(),
        "amazon" => systemd(),
        "mac_os_x" | "darwin" => Some(Manager::Other("launchctl")),
        "freebsd" => Some(Manager::Other("BSD init")),
        "aix" => Some(Manager::Other("srcmstr")),
        "solaris" | "smartos" | "omnios" | "openindiana" | "opensolaris" | "nexentacore" => {
            Some(Manager::Other("svcs"))
        }
        _ => None,
    }
}

/// What a manager knows of a service (InSpec's `info` hash).
#[derive(Clone, Debug, PartialEq)]
struct Info {
    name: Option<String>,
    installed: bool,
    enabled: bool,
    running: bool,
    description: Option<String>,
    startname: Option<String>,
    params: Value,
    kind: &'static str,
    /// SysV's runlevels 0–6, each with whether a start link enables the service there;
    /// None for managers without runlevels (InSpec's `info[:runlevels]` nil).
    runlevels: Option<Vec<(i64, bool)>>,
}

impl Info {
    /// What the non-systemd managers report of a service they know.
    fn known(name: &str, kind: &'static str, enabled: bool, running: bool) -> Info {
        Info {
            name: Some(name.to_string()),
            installed: true,
            enabled,
            running,
            description: None,
            startname: None,
            params: Value::Hash(Vec::new()),
            kind,
            runlevels: None,
        }
    }
}

pub struct Service {
    name: &'static str,
    service: String,
    /// The manager's control program given as the second argument.
    ctl: Option<String>,
    host: Arc<Host>,
    /// None: the manager knows nothing of the service (or could not be asked).
    info: Lazy<Option<Info>>,
}

pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Service {
        name,
        // service.rb interpolates the name into the manager's commands and its to_s, so
        // any object serves, by its to_s (`service(mysql)` is "Service MySQL").
        service: match args.first() {
            Some(Value::Resource(r)) => r.to_s(),
            _ => need_str(name, args, 0, "a service name")?,
        },
        ctl: str_arg(args, 1),
        host: host.clone(),
        info: Lazy::default(),
    }))
}

impl Service {
    /// The manager: fixed by the resource's name, else by platform as InSpec.
    fn manager(&self) -> Res<Manager> {
        let ctl = |default: &str| self.ctl.clone().unwrap_or_else(|| default.to_string());
        let chosen = match self.name {
            "systemd_service" => Manager::Systemd(ctl("systemctl")),
            "sysv_service" => Manager::SysV(ctl("service")),
            "upstart_service" => Manager::Upstart(ctl("initctl")),
            "runit_service" => Manager::Runit(ctl("sv")),
            _ => {
                let p = detect(&self.host)?;
                let initctl = || {
                    has_program(&self.host, "initctl").unwrap_or(false)
                        || has_program(&self.host, "/sbin/initctl").unwrap_or(false)
                };
                match manager_for(&p, initctl) {
                    Some(Manager::Systemd(c)) => Manager::Systemd(self.ctl.clone().unwrap_or(c)),
                    Some(Manager::SysV(c)) => Manager::SysV(self.ctl.clone().unwrap_or(c)),
                    Some(Manager::Upstart(c)) => Manager::Upstart(self.ctl.clone().unwrap_or(c)),
                    Some(other) => other,
                    None => return Err(ResourceError::Skip(NOT_SUPPORTED.into())),
                }
            }
        };
        Ok(chosen)
    }

    fn info(&self) -> Res<Option<&Info>> {
        self.info
            .get(|| match self.manager()? {
                Manager::Systemd(ctl) => self.systemd(&ctl),
                Manager::SysV(ctl) => self.sysv(&ctl),
                Manager::Upstart(ctl) => self.upstart(&ctl),
                Manager::Runit(ctl) => self.runit(&ctl).map(Some),
                Manager::Other(m) => Err(unsupported(self.name, &format!("({m})"))),
            })
            .map(Option::as_ref)
    }

    /// InSpec's Systemd: `show` for the unit's properties (a failure: no information),
    /// `is-active` / `is-enabled` for the predicates.
    fn systemd(&self, ctl: &str) -> Res<Option<Info>> {
        let s = self.service.as_str();
        let show = run_argv(&self.host, &[ctl, "show", "--no-pager", "--all", s])?;
        if show.exit_status != Some(0) {
            return Ok(None);
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
        let active = run_argv(&self.host, &[ctl, "is-active", "--quiet", s])?;
        let enabled = run_argv(&self.host, &[ctl, "is-enabled", "--quiet", s])?;
        // Without a unit file, systemctl cannot tell: InSpec asks SysV instead.
        let enabled = enabled.exit_status == Some(0)
            || (enabled.stderr.contains("Failed to get")
                && enabled.stderr.contains("No such file or directory")
                && self.sysv("service")?.is_some_and(|i| i.enabled));
        Ok(Some(Info {
            name: get("Id"),
            installed: get("LoadState").as_deref() == Some("loaded"),
            enabled,
            running: active.exit_status == Some(0),
            description: get("Description"),
            startname: get("User"),
            params,
            kind: "systemd",
            runlevels: None,
        }))
    }

    /// InSpec's SysV: known with an /etc/init.d script, enabled with an `S` link in an
    /// rc0.d–rc6.d directory, running when `service NAME status` succeeds.
    fn sysv(&self, ctl: &str) -> Res<Option<Info>> {
        let s = self.service.as_str();
        let list = run_argv(&self.host, &["ls", "-1", "/etc/init.d/"])?;
        if list.exit_status != Some(0) || !list.stdout.lines().any(|l| l == s) {
            return Ok(None);
        }
        // The glob is InSpec's own command line; no argument of the profile is in it.
        let links = self
            .host
            .run(r#"find /etc/rc*.d /etc/init.d/rc*.d -name "S*""#)?;
        let mut levels: Vec<(i64, bool)> = (0..=6).map(|l| (l, false)).collect();
        for l in links.stdout.lines().filter_map(|l| sysv_start_link(l, s)) {
            if let Some(slot) = levels.iter_mut().find(|(n, _)| *n == l) {
                slot.1 = true;
            }
        }
        let enabled = levels.iter().any(|(_, on)| *on);
        let status = run_argv(&self.host, &[ctl, s, "status"])?;
        let mut info = Info::known(s, "sysv", enabled, status.exit_status == Some(0));
        info.runlevels = Some(levels);
        Ok(Some(info))
    }

    /// InSpec's Upstart: `initctl status` (SysV when it does not know the job), enabled
    /// with a `start on` stanza in /etc/init/NAME.conf.
    fn upstart(&self, ctl: &str) -> Res<Option<Info>> {
        let s = self.service.as_str();
        let status = run_argv(&self.host, &[ctl, "status", s])?;
        if status.exit_status != Some(0) || status.stdout.is_empty() {
            return self.sysv("service");
        }
        let conf = format!("/etc/init/{s}.conf");
        let Some(text) = read_text(&self.host, &conf)? else {
            return Err(ResourceError::Skip(format!("Can't find file: {conf}")));
        };
        let enabled = text.lines().any(|l| l.trim_start().starts_with("start on"));
        Ok(Some(Info::known(
            s,
            "upstart",
            enabled,
            status.stdout.contains("start/running"),
        )))
    }

    /// InSpec's Runit: `sv status NAME` succeeding means installed; running on a `run:`
    /// line; enabled when running or when it says `normally up` or `want up`.
    fn runit(&self, ctl: &str) -> Res<Info> {
        let s = self.service.as_str();
        let out = run_argv(&self.host, &[ctl, "status", s])?;
        let installed = out.exit_status == Some(0);
        let line_starts = |p: &str| out.stdout.lines().any(|l| l.starts_with(p));
        let running = installed && line_starts("run:");
        let enabled = installed
            && (running || out.stdout.contains("normally up") || out.stdout.contains("want up"));
        Ok(Info {
            installed,
            ..Info::known(s, "runit", enabled, running)
        })
    }
}

/// InSpec's `rc(?<runlevel>[0-6])\.d/S[^/]*?NAME$` on one line of `find`: the runlevel
/// whose start link it is.
fn sysv_start_link(line: &str, service: &str) -> Option<i64> {
    let at = line.rfind("/S")?;
    let (dir, link) = (&line[..at], &line[at + 2..]);
    let level = dir
        .strip_suffix(".d")
        .and_then(|d| d.rsplit_once("rc"))
        .and_then(|(_, lvl)| lvl.parse::<i64>().ok().filter(|_| lvl.len() == 1))
        .filter(|l| (0..=6).contains(l))?;
    link.ends_with(service).then_some(level)
}

/// InSpec's `Runlevels` (a Hash of runlevel → enabled, service.rb): the runlevels a
/// service has, narrowed by `runlevels(filter)`.
pub struct Runlevels {
    owner: String,
    levels: Vec<(i64, bool)>,
}

impl Runlevels {
    /// `Runlevels.from_hash`: no filter keeps every level; a Regexp the levels whose text
    /// it matches; several values those whose text is among theirs; an Integer that level.
    fn select(owner: String, levels: &[(i64, bool)], filter: &[Value]) -> Res<Runlevels> {
        let keep = |n: i64| -> Res<bool> {
            Ok(match filter {
                [] => true,
                [re @ Value::Regex { .. }] => {
                    let re = crate::native::ruby::methods::pattern(re)
                        .map_err(|e| ResourceError::Failed(format!("{e:?}")))?;
                    crate::native::ruby::methods::is_match(&re, &n.to_string())
                        .map_err(|e| ResourceError::Failed(format!("{e:?}")))?
                }
                [Value::Int(i)] => *i == n,
                [Value::Float(f)] => *f == n as f64,
                // Another single value is compared with the Integer levels: never equal.
                [_] => false,
                many => many
                    .iter()
                    .any(|v| crate::native::ruby::methods::to_s(v) == n.to_string()),
            })
        };
        let mut kept = Vec::new();
        for (n, on) in levels {
            if keep(*n)? {
                kept.push((*n, *on));
            }
        }
        Ok(Runlevels {
            owner,
            levels: kept,
        })
    }
}

impl Resource for Runlevels {
    fn name(&self) -> &str {
        "runlevels"
    }

    fn to_s(&self) -> String {
        let keys: Vec<String> = self.levels.iter().map(|(n, _)| n.to_string()).collect();
        format!("{} runlevels {}", self.owner, keys.join(", "))
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "enabled?" => Ok(Value::Bool(self.levels.iter().all(|(_, on)| *on))),
            "disabled?" => Ok(Value::Bool(self.levels.iter().all(|(_, on)| !*on))),
            // A Hash subclass: its size.
            "empty?" => Ok(Value::Bool(self.levels.is_empty())),
            "size" | "length" | "count" => Ok(Value::Int(self.levels.len() as i64)),
            "keys" => Ok(Value::Array(
                self.levels.iter().map(|(n, _)| Value::Int(*n)).collect(),
            )),
            "values" => Ok(Value::Array(
                self.levels.iter().map(|(_, on)| Value::Bool(*on)).collect(),
            )),
            "filter" => Ok(Value::Resource(Arc::new(Runlevels::select(
                self.owner.clone(),
                &self.levels,
                args,
            )?))),
            "to_h" => Ok(Value::Hash(
                self.levels
                    .iter()
                    .map(|(n, on)| (Value::Int(*n), Value::Bool(*on)))
                    .collect(),
            )),
            _ => Err(unsupported("runlevels", method)),
        }
    }
}

impl Resource for Service {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        format!("Service {}", self.service)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        if !METHODS.contains(&method) {
            return Err(unsupported(self.name, method));
        }
        let info = self.info()?;
        let text =
            |f: fn(&Info) -> Option<&String>| info.and_then(f).map_or(Value::Nil, Value::str);
        match method {
            "name" => Ok(Value::str(
                info.and_then(|i| i.name.as_deref())
                    .unwrap_or(&self.service),
            )),
            "installed?" => Ok(Value::Bool(info.is_some_and(|i| i.installed))),
            "enabled?" => Ok(Value::Bool(info.is_some_and(|i| i.enabled))),
            "running?" => Ok(Value::Bool(info.is_some_and(|i| i.running))),
            "type" => Ok(info.map_or(Value::Nil, |i| Value::str(i.kind))),
            "description" => Ok(text(|i| i.description.as_ref())),
            "startname" => Ok(text(|i| i.startname.as_ref())),
            "params" => Ok(info.map_or(Value::Hash(Vec::new()), |i| i.params.clone())),
            "runlevels" => {
                let levels = info.and_then(|i| i.runlevels.as_deref()).unwrap_or(&[]);
                Ok(Value::Resource(Arc::new(Runlevels::select(
                    self.to_s(),
                    levels,
                    args,
                )?)))
            }
            _ => Err(unsupported(self.name, method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::fixture::FixtureTransport;
    use tokio_util::sync::CancellationToken;

    /// A directory removed when dropped.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "service-state-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn platform(name: &str, release: &str) -> Platform {
        Platform {
            name: name.into(),
            families: vec!["linux".into(), "unix".into(), "os".into()],
            release: release.into(),
            arch: "x86_64".into(),
        }
    }

    #[test]
    fn the_manager_is_chosen_by_platform_as_select_service_mgmt() {
        let systemd = Some(Manager::Systemd("systemctl".into()));
        let upstart = Some(Manager::Upstart("initctl".into()));
        let cases: &[(&str, &str, Option<Manager>)] = &[
            ("debian", "12.11", systemd.clone()),
            ("debian", "8", systemd.clone()),
            ("debian", "buster/sid", systemd.clone()),
            (
                "debian",
                "7.11",
                Some(Manager::SysV("/usr/sbin/service".into())),
            ),
            ("debian", "", None),
            ("ubuntu", "20.04", systemd.clone()),
            ("ubuntu", "15.04", systemd.clone()),
            ("ubuntu", "14.04", upstart.clone()),
            ("linuxmint", "17.3", upstart.clone()),
            ("redhat", "8.9", systemd.clone()),
            ("centos", "7.9.2009", systemd.clone()),
            ("rocky", "9.3", systemd.clone()),
            (
                "redhat",
                "6.10",
                Some(Manager::SysV("/sbin/service".into())),
            ),
            ("fedora", "14", Some(Manager::SysV("/sbin/service".into()))),
            ("fedora", "39", systemd.clone()),
            ("opensuse", "15.5", systemd.clone()),
            ("suse", "11.4", Some(Manager::SysV("/sbin/service".into()))),
            ("alpine", "3.19.1", Some(Manager::SysV("service".into()))),
            ("arch", "", systemd.clone()),
            ("amazon", "2", systemd.clone()),
            ("mac_os_x", "14.2", Some(Manager::Other("launchctl"))),
            ("gentoo", "2.14", None),
        ];
        for (name, release, want) in cases {
            assert_eq!(
                &manager_for(&platform(name, release), || false),
                want,
                "{name} {release}"
            );
        }
        assert_eq!(
            manager_for(&platform("amazon", "2018.03"), || true),
            upstart
        );
    }

    #[test]
    fn sysv_start_links_match_inspecs_pattern() {
        assert_eq!(sysv_start_link("/etc/rc2.d/S01ssh", "ssh"), Some(2));
        assert_eq!(
            sysv_start_link("/etc/init.d/rc3.d/S10sshd", "sshd"),
            Some(3)
        );
        assert_eq!(sysv_start_link("/etc/rcS.d/S01ssh", "ssh"), None);
        assert_eq!(sysv_start_link("/etc/rc2.d/K01ssh", "ssh"), None);
        assert_eq!(sysv_start_link("/etc/rc2.d/S01sshd", "ssh"), None);
        assert_eq!(sysv_start_link("/etc/rc12.d/S01ssh", "ssh"), None);
        assert_eq!(ruby_to_f("15.04"), 15.04);
        assert_eq!(ruby_to_f("20.04 LTS"), 20.04);
        assert_eq!(ruby_to_i("7.9.2009"), 7);
    }

    /// A Debian 12 container: systemd is the manager by platform, but `systemctl` cannot
    /// reach it (recorded answers of a container without systemd as pid 1).
    fn container() -> (TempDir, Arc<Host>) {
        let dir = TempDir::new();
        let root = dir.path().join("root/etc");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("os-release"),
            "ID=debian\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n",
        )
        .unwrap();
        std::fs::write(root.join("debian_version"), "12.11\n").unwrap();
        let failing = |args: &str| {
            format!(
                "  - argv: [\"systemctl\", {args}]\n    stderr: \"System has not been booted with systemd as init system (PID 1). Can't operate.\\nFailed to connect to bus: Host is down\\n\"\n    exit_status: 1\n"
            )
        };
        let yml = format!(
            "programs: [/usr/bin/systemctl, /usr/bin/uname]\ncommands:\n  - argv: [uname, -s]\n    stdout: \"Linux\\n\"\n  - argv: [uname, -m]\n    stdout: \"x86_64\\n\"\n{}{}{}",
            failing("\"show\", \"--no-pager\", \"--all\", \"ssh\""),
            failing("\"is-active\", \"--quiet\", \"ssh\""),
            failing("\"is-enabled\", \"--quiet\", \"ssh\""),
        );
        std::fs::write(dir.path().join("host.yml"), yml).unwrap();
        let t = FixtureTransport::open(dir.path());
        let host = Arc::new(Host::new(Box::new(t), None, CancellationToken::new()));
        (dir, host)
    }

    #[test]
    fn a_failing_systemctl_means_no_information_not_a_skip() {
        let (_dir, host) = container();
        for name in ["service", "systemd_service"] {
            let r = create(name, &[Value::str("ssh")], &host).unwrap();
            assert_eq!(r.to_s(), "Service ssh");
            for pred in ["installed?", "enabled?", "running?"] {
                assert_eq!(r.call(pred, &[]), Ok(Value::Bool(false)), "{name} {pred}");
            }
            assert_eq!(r.call("type", &[]), Ok(Value::Nil));
            assert_eq!(r.call("name", &[]), Ok(Value::str("ssh")));
            assert_eq!(r.call("params", &[]), Ok(Value::Hash(Vec::new())));
        }
    }
}

#[cfg(test)]
mod runlevel_tests {
    use super::*;
    use crate::transport::fixture::FixtureTransport;
    use tokio_util::sync::CancellationToken;

    /// A SysV host: `autofs` started in runlevels 3 and 5 (recorded `ls`/`find` answers).
    fn sysv_host(dir: &std::path::Path) -> Arc<Host> {
        std::fs::create_dir_all(dir.join("root")).unwrap();
        let yml = r#"commands:
  - argv: [ls, "-1", /etc/init.d/]
    stdout: "autofs\nxinetd\n"
  - command: 'find /etc/rc*.d /etc/init.d/rc*.d -name "S*"'
    stdout: "/etc/rc3.d/S28autofs\n/etc/rc5.d/S28autofs\n/etc/rc2.d/S10network\n"
  - argv: [service, autofs, status]
    exit_status: 3
  - argv: [service, xinetd, status]
    exit_status: 3
"#;
        std::fs::write(dir.join("host.yml"), yml).unwrap();
        let t = FixtureTransport::open(dir);
        Arc::new(Host::new(Box::new(t), None, CancellationToken::new()))
    }

    #[test]
    fn runlevels_are_inspecs_hash_of_level_to_enabled_and_filter_as_from_hash() {
        let dir = std::env::temp_dir().join(format!("runlevels-{}", std::process::id()));
        let host = sysv_host(&dir);
        let svc = create("sysv_service", &[Value::str("autofs")], &host).unwrap();
        let levels = |args: &[Value]| match svc.call("runlevels", args) {
            Ok(Value::Resource(r)) => r,
            other => panic!("{other:?}"),
        };
        let all = levels(&[]);
        assert_eq!(all.to_s(), "Service autofs runlevels 0, 1, 2, 3, 4, 5, 6");
        assert_eq!(all.call("enabled?", &[]), Ok(Value::Bool(false)));
        assert_eq!(all.call("disabled?", &[]), Ok(Value::Bool(false)));
        let on = levels(&[Value::Int(3), Value::Int(5)]);
        assert_eq!(on.to_s(), "Service autofs runlevels 3, 5");
        assert_eq!(on.call("enabled?", &[]), Ok(Value::Bool(true)));
        let re = |s: &str| Value::Regex {
            source: s.into(),
            flags: String::new(),
        };
        let off = levels(&[re("[0126]")]);
        assert_eq!(off.to_s(), "Service autofs runlevels 0, 1, 2, 6");
        assert_eq!(off.call("disabled?", &[]), Ok(Value::Bool(true)));
        assert_eq!(
            levels(&[Value::Int(4)]).to_s(),
            "Service autofs runlevels 4"
        );
        assert_eq!(
            levels(&[Value::str("4")]).to_s(),
            "Service autofs runlevels "
        );
        assert_eq!(
            levels(&[Value::str("4")]).call("empty?", &[]),
            Ok(Value::Bool(true))
        );
        assert_eq!(all.call("size", &[]), Ok(Value::Int(7)));
        // A service SysV does not know has no runlevels (an empty Runlevels, all? true).
        let missing = create("sysv_service", &[Value::str("nfs")], &host).unwrap();
        match missing.call("runlevels", &[]) {
            Ok(Value::Resource(r)) => {
                assert_eq!(r.call("keys", &[]), Ok(Value::Array(Vec::new())));
                assert_eq!(r.call("enabled?", &[]), Ok(Value::Bool(true)));
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
