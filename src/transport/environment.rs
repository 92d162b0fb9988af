//! The environment a child process inherits, for every process we start (the runner's
//! `ansible-playbook`/`inspec`/commands, the native transport's local commands and ssh).

/// Environment variables a child inherits. Everything else (tokens, database URLs, …) is
/// withheld, so a check never sees the server's secrets.
const ENV_ALLOW: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM",
];

/// The allow-listed variables of our own environment, as a child inherits them, plus the
/// mark that has the child killed when this process ends ([`super::lifeline`]).
pub fn inherited_env() -> impl Iterator<Item = (&'static str, std::ffi::OsString)> {
    ENV_ALLOW
        .iter()
        .filter_map(|k| std::env::var_os(k).map(|v| (*k, v)))
        .chain(super::lifeline::mark().map(|(k, v)| (k, v.into())))
}
