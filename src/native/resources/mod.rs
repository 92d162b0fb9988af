//! InSpec's resources, natively. Each is created by name from evaluated arguments on a
//! [`Host`](crate::transport::Host) and answers InSpec's properties and predicates by name
//! (`mode`, `exist?`, `installed?`, `stdout`); matchers such as `be_owned_by('root')` reach
//! the predicate `owned_by?` with the same arguments.

use std::sync::{Arc, LazyLock};

use crate::native::ruby::value::Value;
use crate::transport::Host;

pub use facts::facts;
pub use os::{detect as detect_platform, Platform};

mod accounts;
mod aide;
mod apt;
mod auditd;
mod cassandra;
mod cgroup;
mod command;
mod config_file;
mod crontab;
mod data_formats;
mod der;
mod dh_params;
mod docker;
mod facts;
mod file;
pub use file::lacks_predicate as file_lacks_predicate;
mod file_reader;
mod filesystem;
mod firewall;
mod grub;
mod host;
mod hosts;
mod http;
mod iptables;
mod kernel;
mod key_decrypt;
mod key_formats;
mod keys;
mod lang_packages;
mod linux_audit;
mod lxc;
mod mail_alias;
mod mash;
mod mount;
mod mssql;
mod mysql;
mod network;
mod nginx_parser;
mod oracle;
mod os;
mod package;
mod php_config;
mod postgres;
mod process;
mod routing;
mod selinux;
mod service;
mod simple_config;
mod support;
mod timezone;
mod webserver;
mod x509;
mod x509_key;
mod xinetd;
mod yum;
mod zfs;

pub use crate::native::ruby::value::{Resource, ResourceError};

type Create = fn(&[Value], &Arc<Host>) -> Result<Arc<dyn Resource>, ResourceError>;

/// One native resource: its InSpec name, what it answers, how it is made.
struct Entry {
    name: &'static str,
    methods: &'static [&'static str],
    create: Create,
}

/// Sorted by name (a test checks).
static REGISTRY: &[Entry] = &[
    Entry {
        name: "aide_conf",
        methods: aide::METHODS,
        create: aide::create,
    },
    Entry {
        name: "apache",
        methods: webserver::APACHE_METHODS,
        create: webserver::create_apache,
    },
    Entry {
        name: "apache_conf",
        methods: webserver::APACHE_CONF_METHODS,
        create: webserver::create_apache_conf,
    },
    Entry {
        name: "apt",
        methods: apt::METHODS,
        create: |a, h| apt::create("apt", a, h),
    },
    Entry {
        name: "auditd",
        methods: auditd::METHODS,
        create: auditd::create,
    },
    Entry {
        name: "auditd_conf",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("auditd_conf", a, h),
    },
    Entry {
        name: "bash",
        methods: command::METHODS,
        create: |a, h| command::create("bash", a, h),
    },
    Entry {
        name: "bond",
        methods: network::BOND_METHODS,
        create: network::create_bond,
    },
    Entry {
        name: "bridge",
        methods: network::BRIDGE_METHODS,
        create: network::create_bridge,
    },
    Entry {
        name: "cassandradb_conf",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("cassandradb_conf", a, h),
    },
    Entry {
        name: "cassandradb_session",
        methods: cassandra::SESSION_METHODS,
        create: cassandra::create_session,
    },
    Entry {
        name: "cgroup",
        methods: cgroup::METHODS,
        create: cgroup::create,
    },
    Entry {
        name: "chrony_conf",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("chrony_conf", a, h),
    },
    Entry {
        name: "command",
        methods: command::METHODS,
        create: |a, h| command::create("command", a, h),
    },
    Entry {
        name: "cpan",
        methods: lang_packages::METHODS,
        create: |a, h| lang_packages::create(lang_packages::Kind::Cpan, a, h),
    },
    Entry {
        name: "cran",
        methods: lang_packages::METHODS,
        create: |a, h| lang_packages::create(lang_packages::Kind::Cran, a, h),
    },
    Entry {
        name: "cron",
        methods: crontab::CRON_METHODS,
        create: crontab::create_cron,
    },
    Entry {
        name: "crontab",
        methods: crontab::METHODS,
        create: crontab::create,
    },
    Entry {
        name: "csv",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("csv", a, h),
    },
    Entry {
        name: "default_gateway",
        methods: routing::DEFAULT_GATEWAY_METHODS,
        create: |_, h| routing::create("default_gateway", h),
    },
    Entry {
        name: "dh_params",
        methods: dh_params::METHODS,
        create: dh_params::create,
    },
    Entry {
        name: "directory",
        methods: file::METHODS,
        create: |a, h| file::create("directory", a, h),
    },
    Entry {
        name: "docker",
        methods: docker::METHODS,
        create: docker::create,
    },
    Entry {
        name: "docker_container",
        methods: docker::CONTAINER_METHODS,
        create: |a, h| docker::create_object(docker::ObjectKind::Container, a, h),
    },
    Entry {
        name: "docker_image",
        methods: docker::IMAGE_METHODS,
        create: |a, h| docker::create_object(docker::ObjectKind::Image, a, h),
    },
    Entry {
        name: "docker_plugin",
        methods: docker::PLUGIN_METHODS,
        create: |a, h| docker::create_object(docker::ObjectKind::Plugin, a, h),
    },
    Entry {
        name: "docker_service",
        methods: docker::SERVICE_METHODS,
        create: |a, h| docker::create_object(docker::ObjectKind::Service, a, h),
    },
    Entry {
        name: "etc_fstab",
        methods: mount::FSTAB_METHODS,
        create: mount::create_fstab,
    },
    Entry {
        name: "etc_group",
        methods: accounts::GROUP_FILE_METHODS,
        create: |a, h| accounts::create_file("etc_group", a, h),
    },
    Entry {
        name: "etc_hosts",
        methods: hosts::HOSTS_METHODS,
        create: |a, h| hosts::create("etc_hosts", a, h),
    },
    Entry {
        name: "etc_hosts_allow",
        methods: hosts::ALLOW_DENY_METHODS,
        create: |a, h| hosts::create("etc_hosts_allow", a, h),
    },
    Entry {
        name: "etc_hosts_deny",
        methods: hosts::ALLOW_DENY_METHODS,
        create: |a, h| hosts::create("etc_hosts_deny", a, h),
    },
    Entry {
        name: "file",
        methods: file::METHODS,
        create: |a, h| file::create("file", a, h),
    },
    Entry {
        name: "filesystem",
        methods: filesystem::METHODS,
        create: filesystem::create,
    },
    Entry {
        name: "firewalld",
        methods: firewall::FIREWALLD_METHODS,
        create: firewall::create_firewalld,
    },
    Entry {
        name: "gem",
        methods: lang_packages::GEM_METHODS,
        create: |a, h| lang_packages::create(lang_packages::Kind::Gem, a, h),
    },
    Entry {
        name: "group",
        methods: accounts::GROUP_METHODS,
        create: accounts::create_group,
    },
    Entry {
        name: "groups",
        methods: accounts::GROUPS_METHODS,
        create: accounts::create_groups,
    },
    Entry {
        name: "grub_conf",
        methods: grub::METHODS,
        create: grub::create,
    },
    Entry {
        name: "host",
        methods: host::METHODS,
        create: host::create,
    },
    Entry {
        name: "http",
        methods: http::METHODS,
        create: http::create,
    },
    Entry {
        name: "inetd_conf",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("inetd_conf", a, h),
    },
    Entry {
        name: "ini",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("ini", a, h),
    },
    Entry {
        name: "interface",
        methods: network::INTERFACE_METHODS,
        create: network::create_interface,
    },
    Entry {
        name: "interfaces",
        methods: network::INTERFACES_METHODS,
        create: network::create_interfaces,
    },
    Entry {
        name: "ip6tables",
        methods: iptables::METHODS,
        create: |a, h| iptables::create("ip6tables", a, h),
    },
    Entry {
        name: "iptables",
        methods: iptables::METHODS,
        create: |a, h| iptables::create("iptables", a, h),
    },
    Entry {
        name: "json",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("json", a, h),
    },
    Entry {
        name: "kernel_module",
        methods: kernel::MODULE_METHODS,
        create: kernel::create_module,
    },
    Entry {
        name: "kernel_parameter",
        methods: kernel::PARAMETER_METHODS,
        create: |a, h| kernel::create_parameter("kernel_parameter", a, h),
    },
    Entry {
        name: "kernel_parameters",
        methods: kernel::PARAMETERS_METHODS,
        create: kernel::create_parameters,
    },
    Entry {
        name: "key_rsa",
        methods: keys::RSA_METHODS,
        create: keys::create_key_rsa,
    },
    Entry {
        name: "ksh",
        methods: command::METHODS,
        create: |a, h| command::create("ksh", a, h),
    },
    Entry {
        name: "limits_conf",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("limits_conf", a, h),
    },
    Entry {
        name: "linux_audit_system",
        methods: linux_audit::METHODS,
        create: linux_audit::create,
    },
    Entry {
        name: "linux_kernel_parameter",
        methods: kernel::PARAMETER_METHODS,
        create: |a, h| kernel::create_parameter("linux_kernel_parameter", a, h),
    },
    Entry {
        name: "login_def",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("login_def", a, h),
    },
    Entry {
        name: "login_defs",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("login_defs", a, h),
    },
    Entry {
        name: "lxc",
        methods: lxc::METHODS,
        create: lxc::create,
    },
    Entry {
        name: "mail_alias",
        methods: mail_alias::METHODS,
        create: mail_alias::create,
    },
    Entry {
        name: "mount",
        methods: mount::MOUNT_METHODS,
        create: mount::create_mount,
    },
    Entry {
        name: "mssql_session",
        methods: mssql::SESSION_METHODS,
        create: mssql::create_session,
    },
    Entry {
        name: "mssql_sys_conf",
        methods: mssql::SYS_CONF_METHODS,
        create: mssql::create_sys_conf,
    },
    Entry {
        name: "mysql",
        methods: mysql::MYSQL_METHODS,
        create: mysql::create_mysql,
    },
    Entry {
        name: "mysql_conf",
        methods: mysql::CONF_METHODS,
        create: mysql::create_conf,
    },
    Entry {
        name: "mysql_session",
        methods: mysql::SESSION_METHODS,
        create: mysql::create_session,
    },
    Entry {
        name: "nftables",
        methods: firewall::NFTABLES_METHODS,
        create: firewall::create_nftables,
    },
    Entry {
        name: "nginx",
        methods: webserver::NGINX_METHODS,
        create: webserver::create_nginx,
    },
    Entry {
        name: "nginx_conf",
        methods: webserver::NGINX_CONF_METHODS,
        create: webserver::create_nginx_conf,
    },
    Entry {
        name: "npm",
        methods: lang_packages::METHODS,
        create: |a, h| lang_packages::create(lang_packages::Kind::Npm, a, h),
    },
    Entry {
        name: "ntp_conf",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("ntp_conf", a, h),
    },
    Entry {
        name: "oracledb_conf",
        methods: oracle::CONF_METHODS,
        create: oracle::create_conf,
    },
    Entry {
        name: "oracledb_listener_conf",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("oracledb_listener_conf", a, h),
    },
    Entry {
        name: "oracledb_session",
        methods: oracle::SESSION_METHODS,
        create: oracle::create_session,
    },
    Entry {
        name: "os",
        methods: os::OS_METHODS,
        create: os::create_os,
    },
    Entry {
        name: "os_env",
        methods: os::OS_ENV_METHODS,
        create: os::create_os_env,
    },
    Entry {
        name: "package",
        methods: package::PACKAGE_METHODS,
        create: package::create_package,
    },
    Entry {
        name: "packages",
        methods: package::PACKAGES_METHODS,
        create: package::create_packages,
    },
    Entry {
        name: "parse_config",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("parse_config", a, h),
    },
    Entry {
        name: "parse_config_file",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("parse_config_file", a, h),
    },
    Entry {
        name: "passwd",
        methods: accounts::PASSWD_METHODS,
        create: |a, h| accounts::create_file("passwd", a, h),
    },
    Entry {
        name: "php_config",
        methods: php_config::METHODS,
        create: php_config::create,
    },
    Entry {
        name: "pip",
        methods: lang_packages::METHODS,
        create: |a, h| lang_packages::create(lang_packages::Kind::Pip, a, h),
    },
    Entry {
        name: "platform",
        methods: os::PLATFORM_METHODS,
        create: os::create_platform,
    },
    Entry {
        name: "port",
        methods: process::PORT_METHODS,
        create: process::create_port,
    },
    Entry {
        name: "postfix_conf",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("postfix_conf", a, h),
    },
    Entry {
        name: "postgres",
        methods: postgres::POSTGRES_METHODS,
        create: postgres::create_postgres,
    },
    Entry {
        name: "postgres_conf",
        methods: postgres::CONF_METHODS,
        create: postgres::create_conf,
    },
    Entry {
        name: "postgres_hba_conf",
        methods: postgres::HBA_METHODS,
        create: postgres::create_hba,
    },
    Entry {
        name: "postgres_ident_conf",
        methods: postgres::IDENT_METHODS,
        create: postgres::create_ident,
    },
    Entry {
        name: "postgres_session",
        methods: postgres::SESSION_METHODS,
        create: postgres::create_session,
    },
    Entry {
        name: "powershell",
        methods: command::POWERSHELL_METHODS,
        create: command::create_powershell,
    },
    Entry {
        name: "ppa",
        methods: apt::METHODS,
        create: |a, h| apt::create("ppa", a, h),
    },
    Entry {
        name: "processes",
        methods: process::PROCESSES_METHODS,
        create: process::create_processes,
    },
    Entry {
        name: "routing_table",
        methods: routing::ROUTING_TABLE_METHODS,
        create: |_, h| routing::create("routing_table", h),
    },
    Entry {
        name: "runit_service",
        methods: service::METHODS,
        create: |a, h| service::create("runit_service", a, h),
    },
    Entry {
        name: "selinux",
        methods: selinux::METHODS,
        create: selinux::create,
    },
    Entry {
        name: "service",
        methods: service::METHODS,
        create: |a, h| service::create("service", a, h),
    },
    Entry {
        name: "shadow",
        methods: accounts::SHADOW_METHODS,
        create: |a, h| accounts::create_file("shadow", a, h),
    },
    Entry {
        name: "ssh_config",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("ssh_config", a, h),
    },
    Entry {
        name: "ssh_key",
        methods: keys::SSH_KEY_METHODS,
        create: keys::create_ssh_key,
    },
    Entry {
        name: "sshd_active_config",
        methods: config_file::SSHD_ACTIVE_METHODS,
        create: |a, h| config_file::create("sshd_active_config", a, h),
    },
    Entry {
        name: "sshd_config",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("sshd_config", a, h),
    },
    Entry {
        name: "sys_info",
        methods: os::SYS_INFO_METHODS,
        create: os::create_sys_info,
    },
    Entry {
        name: "systemd_service",
        methods: service::METHODS,
        create: |a, h| service::create("systemd_service", a, h),
    },
    Entry {
        name: "sysv_service",
        methods: service::METHODS,
        create: |a, h| service::create("sysv_service", a, h),
    },
    Entry {
        name: "timezone",
        methods: timezone::METHODS,
        create: timezone::create,
    },
    Entry {
        name: "toml",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("toml", a, h),
    },
    Entry {
        name: "upstart_service",
        methods: service::METHODS,
        create: |a, h| service::create("upstart_service", a, h),
    },
    Entry {
        name: "user",
        methods: accounts::USER_METHODS,
        create: accounts::create_user,
    },
    Entry {
        name: "users",
        methods: accounts::USERS_METHODS,
        create: accounts::create_users,
    },
    Entry {
        name: "virtualization",
        methods: os::VIRTUALIZATION_METHODS,
        create: os::create_virtualization,
    },
    Entry {
        name: "x509_certificate",
        methods: x509::METHODS,
        create: x509::create,
    },
    Entry {
        name: "x509_private_key",
        methods: x509_key::METHODS,
        create: x509_key::create,
    },
    Entry {
        name: "xinetd_conf",
        methods: xinetd::METHODS,
        create: xinetd::create,
    },
    Entry {
        name: "xml",
        methods: config_file::METHODS,
        create: |a, h| config_file::create("xml", a, h),
    },
    Entry {
        name: "yaml",
        methods: config_file::DATA_METHODS,
        create: |a, h| config_file::create("yaml", a, h),
    },
    Entry {
        name: "yum",
        methods: yum::METHODS,
        create: yum::create,
    },
    Entry {
        name: "zfs",
        methods: zfs::ZFS_METHODS,
        create: |a, h| zfs::create("zfs", a, h),
    },
    Entry {
        name: "zfs_dataset",
        methods: zfs::DATASET_METHODS,
        create: |a, h| zfs::create("zfs_dataset", a, h),
    },
    Entry {
        name: "zfs_pool",
        methods: zfs::POOL_METHODS,
        create: |a, h| zfs::create("zfs_pool", a, h),
    },
];

/// Creates resource `name` with evaluated arguments on `host`. None: no native resource of
/// that name (the interpreter then tries the profile's own library resources, else skips the
/// control naming the resource).
pub fn create(
    name: &str,
    args: &[Value],
    host: &Arc<Host>,
) -> Option<Result<Arc<dyn Resource>, ResourceError>> {
    REGISTRY
        .iter()
        .find(|e| e.name == name)
        .map(|e| (e.create)(args, host))
}

/// The names of the native resources, sorted (for static coverage).
pub fn names() -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<&'static str>> =
        LazyLock::new(|| REGISTRY.iter().map(|e| e.name).collect());
    &NAMES
}

/// The properties and predicates a native resource implements (for static coverage: a
/// control calling anything else is reported as blocked). None: unknown resource. `*` in
/// the list: any other name is a property too (a configuration key, e.g. `sshd_config`'s
/// `PermitRootLogin`).
pub fn methods(name: &str) -> Option<&'static [&'static str]> {
    REGISTRY.iter().find(|e| e.name == name).map(|e| e.methods)
}

#[cfg(test)]
mod file_db_tests;
#[cfg(test)]
mod gap_tests;
#[cfg(test)]
mod package_net_tests;
#[cfg(test)]
mod pg_test_server;
#[cfg(test)]
mod postgres_session_tests;
#[cfg(test)]
mod services_tests;
#[cfg(test)]
mod tests;
