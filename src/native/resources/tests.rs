//! The registry's promises: sorted names, and every listed method answered (never
//! `Unsupported`) by a resource made on this machine.

use crate::native::resources::*;
use crate::transport::LocalTransport;
use tokio_util::sync::CancellationToken;

/// Arguments to create each resource with, and to call predicates that need one.
fn sample_args(name: &str) -> Vec<Value> {
    match name {
        "file" | "directory" => vec![Value::str("/etc/passwd")],
        "command" | "bash" | "ksh" => vec![Value::str("true")],
        "powershell" => vec![Value::str("Write-Output 'x'")],
        "kernel_parameter" | "linux_kernel_parameter" => vec![Value::str("kernel.ostype")],
        "kernel_module" => vec![Value::str("ext4")],
        "user" | "group" => vec![Value::str("root")],
        "os_env" => vec![Value::str("PATH")],
        "apt" | "ppa" => vec![Value::str("ppa:airs/none")],
        "package" | "packages" => vec![Value::str("bash")],
        "service" | "systemd_service" | "sysv_service" | "upstart_service" => {
            vec![Value::str("ssh")]
        }
        "mount" | "filesystem" => vec![Value::str("/")],
        "mail_alias" => vec![Value::str("root")],
        "interface" => vec![Value::str("lo")],
        "bond" => vec![Value::str("bond0")],
        "bridge" => vec![Value::str("br0")],
        "host" => vec![Value::str("localhost")],
        "port" => vec![Value::Int(22)],
        "xinetd_conf" => vec![Value::str("/nonexistent/xinetd.conf")],
        "nftables" => vec![Value::Hash(vec![
            (Value::Sym("family".into()), Value::str("inet")),
            (Value::Sym("table".into()), Value::str("filter")),
            (Value::Sym("chain".into()), Value::str("input")),
        ])],
        "x509_certificate" => vec![Value::str("/nonexistent/cert.pem")],
        "x509_private_key" => vec![Value::str("/nonexistent/key.pem")],
        "parse_config_file" | "ini" | "json" | "yaml" | "xml" | "postfix_conf" => {
            vec![Value::str("/etc/hostname")]
        }
        "gem" | "npm" | "pip" | "cpan" | "cran" | "cgroup" | "lxc" | "zfs" | "zfs_pool"
        | "zfs_dataset" | "runit_service" => vec![Value::str("airs-none")],
        "http" => vec![Value::str("http://127.0.0.1:9/")],
        "toml" | "csv" | "ssh_key" | "cassandradb_conf" | "oracledb_listener_conf" => {
            vec![Value::str("/etc/hostname")]
        }
        "key_rsa" | "dh_params" => vec![Value::str("/nonexistent/key.pem")],
        "php_config" | "mssql_sys_conf" => vec![Value::str("memory_limit")],
        "docker_container" | "docker_image" | "docker_service" | "docker_plugin" => {
            vec![Value::str("x")]
        }
        _ => vec![],
    }
}

fn method_args(method: &str) -> Vec<Value> {
    match method {
        "owned_by?" | "grouped_into?" => vec![Value::str("root")],
        "more_permissive_than?" => vec![Value::str("0644")],
        "linked_to?" | "has_matching_certificate?" => vec![Value::str("/x")],
        "object" | "repo" => vec![Value::str("x")],
        "has_rule?" => vec![Value::str("-P INPUT ACCEPT")],
        _ => vec![],
    }
}

#[test]
fn names_are_sorted_and_unique() {
    let n = names();
    assert!(n.windows(2).all(|w| w[0] < w[1]), "{n:?}");
}

#[test]
fn every_listed_method_is_answered() {
    let host = Arc::new(Host::new(
        Box::new(LocalTransport::new()),
        None,
        CancellationToken::new(),
    ));
    for name in names() {
        let r = create(name, &sample_args(name), &host)
            .expect("registered")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.name(), *name);
        for m in methods(name).unwrap() {
            if *m == "*" {
                continue;
            }
            let got = r.call(m, &method_args(m));
            assert!(
                !matches!(got, Err(ResourceError::Unsupported { .. })),
                "{name}.{m} is listed but unsupported"
            );
        }
        assert!(
            matches!(
                r.call("no_such_property_here", &[]),
                Err(ResourceError::Unsupported { .. })
            ) || methods(name).unwrap().contains(&"*")
        );
    }
    assert!(create("no_such_resource", &[], &host).is_none());
}
