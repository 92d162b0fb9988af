//! `fixture://DIR`: a recorded host state answers the evaluator's questions, so profiles
//! written for other systems (RHEL, Ubuntu, ...) are evaluated here without such a host.
//!
//! A state is a directory:
//! - `root/`: the host's files at their paths (`root/etc/os-release`, `root/proc/sys/...`);
//! - `host.yml`: what a checkout cannot keep, and the commands' answers:
//!   ```yaml
//!   files:      # kind (file, directory, symlink), mode, owner, group, target (symlinks)
//!     /etc/shadow: {mode: "0640", group: shadow}
//!     /bin: {kind: symlink, target: usr/bin}
//!   programs: [/usr/bin/systemctl]         # executables that exist (empty files)
//!   commands:  # one entry per argv (quoting does not matter) or exact command line
//!     - argv: [systemctl, is-active, --quiet, ssh]
//!       exit_status: 0
//!     - command: "dpkg-query -W -f='...'"
//!       stdout: |
//!         ...
//!   ```
//!
//! Paths resolve inside the state only: `..` stops at its root and symlinks (real ones under
//! `root/` or declared ones) are followed in the state's namespace, never on this machine.
//! Owners default to root, modes to 0644 (files) and 0755 (directories, programs); user and
//! group ids come from the state's own /etc/passwd and /etc/group.
//!
//! Commands: a line is split into words as `sh` would (quotes, `;` sequences, leading
//! `VAR=value` assignments, `2>/dev/null`); `command -v`, `which` and `cat` are answered from
//! the files. A program the state does not have exits 127 (`not found`), as on a real host;
//! a program it has, asked something it has no answer for, is an error naming the command,
//! so a gap in a state shows instead of passing as empty output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::local::FILE_CAP;
use super::{CommandOutput, FileInfo, Transport, TransportError};

/// The state's description file, beside `root/`.
pub const STATE_FILE: &str = "host.yml";
/// Where `command -v` looks, in order (Debian's default PATH for root).
const PATH_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];
/// Every file of a state has this modification time (a checkout's mtimes mean nothing).
pub const MTIME: i64 = 1_700_000_000;
/// Symlinks followed in one resolution before giving up (Linux's ELOOP limit).
const MAX_LINKS: usize = 40;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    #[serde(default)]
    #[allow(dead_code)] // for people: what the state is and where it comes from
    description: Option<String>,
    #[serde(default)]
    files: HashMap<String, Attrs>,
    #[serde(default)]
    programs: Vec<String>,
    #[serde(default)]
    commands: Vec<Recorded>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Attrs {
    kind: Option<String>,
    /// Octal text (`"0640"`), as `ls -l` people write it.
    mode: Option<String>,
    owner: Option<String>,
    group: Option<String>,
    /// A symlink's target text.
    target: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    argv: Option<Vec<String>>,
    command: Option<String>,
    #[serde(default)]
    stdout: String,
    #[serde(default)]
    stderr: String,
    #[serde(default)]
    exit_status: i32,
}

/// A loaded state.
#[derive(Debug)]
struct State {
    name: String,
    root: PathBuf,
    files: HashMap<String, Attrs>,
    programs: Vec<String>,
    commands: Vec<Recorded>,
    uids: HashMap<String, u32>,
    gids: HashMap<String, u32>,
}

/// What a path is, before symlinks are followed.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Dir,
    /// A real file under `root/`, or None for a declared program (empty).
    File(Option<PathBuf>),
    Symlink(String),
}

/// A recorded host state (see the module documentation). A state that cannot be loaded
/// makes every question fail as an unreachable host would, with the reason.
#[derive(Debug)]
pub struct FixtureTransport {
    state: Result<State, TransportError>,
}

impl FixtureTransport {
    pub fn open(dir: &Path) -> Self {
        FixtureTransport {
            state: State::load(dir).map_err(TransportError::Unreachable),
        }
    }

    fn state(&self) -> Result<&State, TransportError> {
        self.state.as_ref().map_err(Clone::clone)
    }
}

fn check(deadline: Option<Instant>, cancel: &CancellationToken) -> Result<(), TransportError> {
    if cancel.is_cancelled() {
        return Err(TransportError::Canceled);
    }
    if deadline.is_some_and(|d| Instant::now() >= d) {
        return Err(TransportError::TimedOut);
    }
    Ok(())
}

impl Transport for FixtureTransport {
    fn run(
        &self,
        command: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        check(deadline, cancel)?;
        self.state()?.run(command)
    }

    fn read_file(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        check(deadline, cancel)?;
        self.state()?.read(path)
    }

    fn stat(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError> {
        check(deadline, cancel)?;
        Ok(self.state()?.stat(path))
    }

    fn kind(&self) -> &'static str {
        "fixture"
    }
}

/// `/a/./b/../c` → `/a/c`; `..` at the root stays at the root, as the kernel does.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn ids(text: &str, id_field: usize) -> HashMap<String, u32> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.first()?.to_string(), f.get(id_field)?.parse().ok()?))
        })
        .collect()
}

impl State {
    fn load(dir: &Path) -> Result<State, String> {
        let name = dir.display().to_string();
        let text = std::fs::read_to_string(dir.join(STATE_FILE))
            .map_err(|e| format!("fixture host {name}: cannot read {STATE_FILE}: {e}"))?;
        let file: StateFile = serde_yaml_ng::from_str(&text)
            .map_err(|e| format!("fixture host {name}: {STATE_FILE}: {e}"))?;
        let root = dir.join("root");
        if !root.is_dir() {
            return Err(format!("fixture host {name}: no root/ directory"));
        }
        for (path, a) in &file.files {
            if !path.starts_with('/') {
                return Err(format!("fixture host {name}: {path:?} is not absolute"));
            }
            if let Some(m) = &a.mode {
                u32::from_str_radix(m, 8)
                    .map_err(|_| format!("fixture host {name}: {path}: mode {m:?} is not octal"))?;
            }
            if a.kind.as_deref() == Some("symlink") && a.target.is_none() {
                return Err(format!(
                    "fixture host {name}: {path}: a symlink needs a target"
                ));
            }
        }
        if let Some(c) = file
            .commands
            .iter()
            .find(|c| c.argv.is_some() == c.command.is_some())
        {
            return Err(format!(
                "fixture host {name}: each command needs one of `argv` or `command` ({c:?})"
            ));
        }
        let mut state = State {
            name,
            root,
            files: file
                .files
                .into_iter()
                .map(|(p, a)| (normalize(&p), a))
                .collect(),
            programs: file.programs.iter().map(|p| normalize(p)).collect(),
            commands: file.commands,
            uids: HashMap::new(),
            gids: HashMap::new(),
        };
        let text = |p: &str| {
            state
                .read(p)
                .ok()
                .flatten()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let (uids, gids) = (ids(&text("/etc/passwd"), 2), ids(&text("/etc/group"), 2));
        state.uids = uids;
        state.gids = gids;
        Ok(state)
    }

    /// What `path` (normalized, symlinks in it already resolved) is, without following it.
    fn node(&self, path: &str) -> Option<Node> {
        let declared = self.files.get(path);
        if let Some(a) = declared {
            match a.kind.as_deref() {
                Some("symlink") => return a.target.clone().map(Node::Symlink),
                Some("directory") => return Some(Node::Dir),
                _ => {}
            }
        }
        let real = self.root.join(path.trim_start_matches('/'));
        if let Ok(meta) = std::fs::symlink_metadata(&real) {
            let t = meta.file_type();
            if t.is_symlink() {
                return std::fs::read_link(&real)
                    .ok()
                    .map(|l| Node::Symlink(l.to_string_lossy().into_owned()));
            }
            return Some(if t.is_dir() {
                Node::Dir
            } else {
                Node::File(Some(real))
            });
        }
        if self.programs.iter().any(|p| p == path) {
            return Some(Node::File(None));
        }
        // The directories above anything declared exist too.
        let inside = format!("{}/", path.trim_end_matches('/'));
        if self
            .files
            .keys()
            .chain(self.programs.iter())
            .any(|p| p.starts_with(&inside))
        {
            return Some(Node::Dir);
        }
        None
    }

    /// Resolves `path` in the state's namespace: the final path and what it is, following
    /// symlinks on the way (and the last one when `follow`). None: it does not exist.
    fn resolve(&self, path: &str, follow: bool) -> Option<(String, Node)> {
        let mut pending = normalize(path);
        let mut hops = 0;
        'restart: loop {
            let parts: Vec<String> = pending
                .split('/')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            let mut cur = String::from("/");
            let mut node = Node::Dir;
            for (i, c) in parts.iter().enumerate() {
                if node != Node::Dir {
                    return None; // a file used as a directory
                }
                let next = if cur == "/" {
                    format!("/{c}")
                } else {
                    format!("{cur}/{c}")
                };
                node = self.node(&next)?;
                let last = i + 1 == parts.len();
                if let Node::Symlink(target) = &node {
                    if !last || follow {
                        hops += 1;
                        if hops > MAX_LINKS {
                            return None;
                        }
                        let base = if target.starts_with('/') {
                            target.clone()
                        } else {
                            format!("{cur}/{target}")
                        };
                        let rest = parts[i + 1..].join("/");
                        pending = normalize(&format!("{base}/{rest}"));
                        continue 'restart;
                    }
                }
                cur = next;
            }
            return Some((cur, node));
        }
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        match self.resolve(path, true) {
            Some((_, Node::File(Some(real)))) => {
                let data = std::fs::read(&real).map_err(|e| {
                    TransportError::Failed(format!("fixture host {}: {path}: {e}", self.name))
                })?;
                if data.len() > FILE_CAP {
                    return Err(TransportError::Failed(format!(
                        "{path} is larger than {} MiB",
                        FILE_CAP >> 20
                    )));
                }
                Ok(Some(data))
            }
            Some((_, Node::File(None))) => Ok(Some(Vec::new())),
            // Directories and missing files read as "no content", as locally.
            _ => Ok(None),
        }
    }

    fn stat(&self, path: &str) -> Option<FileInfo> {
        let (at, node) = self.resolve(path, false)?;
        let a = self.files.get(&at).cloned().unwrap_or_default();
        let owner = a.owner.unwrap_or_else(|| "root".into());
        let group = a.group.unwrap_or_else(|| "root".into());
        let program = self.programs.contains(&at);
        let (kind, default_mode, size, link_path, target_kind) = match &node {
            Node::Dir => ("directory", 0o755, 4096, None, None),
            Node::File(real) => (
                "file",
                if program { 0o755 } else { 0o644 },
                real.as_ref()
                    .and_then(|r| std::fs::metadata(r).ok())
                    .map_or(0, |m| m.len()),
                None,
                None,
            ),
            Node::Symlink(t) => (
                "symlink",
                0o777,
                t.len() as u64,
                Some(t.clone()),
                self.resolve(&at, true).map(|(_, n)| match n {
                    Node::Dir => "directory".to_string(),
                    _ => "file".to_string(),
                }),
            ),
        };
        Some(FileInfo {
            kind: kind.into(),
            mode: a
                .mode
                .and_then(|m| u32::from_str_radix(&m, 8).ok())
                .unwrap_or(default_mode),
            uid: self.uids.get(&owner).copied().unwrap_or(0),
            gid: self.gids.get(&group).copied().unwrap_or(0),
            owner: Some(owner),
            group: Some(group),
            size,
            mtime: MTIME,
            link_path,
            target_kind,
        })
    }

    /// The path `command -v name` prints, when the state has that program.
    fn which(&self, name: &str) -> Option<String> {
        let is_file = |p: &str| matches!(self.resolve(p, true), Some((_, Node::File(_))));
        if name.contains('/') {
            return is_file(name).then(|| name.to_string());
        }
        PATH_DIRS
            .iter()
            .map(|d| format!("{d}/{name}"))
            .find(|p| is_file(p))
    }

    fn run(&self, line: &str) -> Result<CommandOutput, TransportError> {
        let line = line.trim();
        if let Some(r) = self
            .commands
            .iter()
            .find(|r| r.command.as_deref().map(str::trim) == Some(line))
        {
            return Ok(r.output());
        }
        let Some(sequence) = split_words(line) else {
            return Err(self.unanswered(line));
        };
        let mut out = CommandOutput {
            exit_status: Some(0),
            ..CommandOutput::default()
        };
        for simple in sequence {
            let one = self.simple(&simple, line)?;
            out.stdout.push_str(&one.stdout);
            out.stderr.push_str(&one.stderr);
            out.exit_status = one.exit_status;
        }
        Ok(out)
    }

    /// One simple command: assignments dropped, redirections applied.
    fn simple(&self, cmd: &Simple, line: &str) -> Result<CommandOutput, TransportError> {
        let argv = &cmd.argv;
        let Some(program) = argv.first() else {
            return Ok(CommandOutput {
                exit_status: Some(0),
                ..CommandOutput::default()
            });
        };
        let base = program.rsplit('/').next().unwrap_or(program);
        let recorded = self.commands.iter().find(|r| {
            r.argv.as_ref().is_some_and(|a| {
                a.first().is_some_and(|p| p == program || p == base) && a[1..] == argv[1..]
            })
        });
        let mut out = match (recorded, base, &argv[1..]) {
            (Some(r), _, _) => r.output(),
            (None, "command", [v, name]) if v == "-v" => self.found(self.which(name)),
            (None, "which", [name]) => self.found(self.which(name)),
            (None, "cat", [path]) => match self.read(path)? {
                Some(data) => CommandOutput {
                    stdout: String::from_utf8_lossy(&data).into_owned(),
                    stderr: String::new(),
                    exit_status: Some(0),
                },
                None => CommandOutput {
                    stdout: String::new(),
                    stderr: format!("cat: {path}: No such file or directory\n"),
                    exit_status: Some(1),
                },
            },
            (None, _, _) if self.which(program).is_none() => CommandOutput {
                stdout: String::new(),
                stderr: format!("sh: 1: {program}: not found\n"),
                exit_status: Some(127),
            },
            (None, _, _) => return Err(self.unanswered(line)),
        };
        if cmd.no_stdout {
            out.stdout.clear();
        }
        if cmd.no_stderr {
            out.stderr.clear();
        }
        if cmd.stderr_to_stdout {
            let err = std::mem::take(&mut out.stderr);
            out.stdout.push_str(&err);
        }
        Ok(out)
    }

    fn found(&self, path: Option<String>) -> CommandOutput {
        CommandOutput {
            exit_status: Some(if path.is_some() { 0 } else { 1 }),
            stdout: path.map(|p| format!("{p}\n")).unwrap_or_default(),
            stderr: String::new(),
        }
    }

    fn unanswered(&self, line: &str) -> TransportError {
        TransportError::Failed(format!(
            "fixture host {}: no recorded output for `{line}`",
            self.name
        ))
    }
}

impl Recorded {
    fn output(&self) -> CommandOutput {
        CommandOutput {
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            exit_status: Some(self.exit_status),
        }
    }
}

/// A simple command of a line, as the fixture understands it.
#[derive(Debug, Default, PartialEq)]
struct Simple {
    argv: Vec<String>,
    no_stdout: bool,
    no_stderr: bool,
    stderr_to_stdout: bool,
}

/// Splits a command line as `sh` would into simple commands separated by `;`: quotes and
/// backslashes, leading `VAR=value` assignments (dropped: a state has one environment),
/// `>/dev/null`, `2>/dev/null`, `2>&1`. None for anything else the shell would interpret
/// (pipes, `&&`, expansions, globs, other redirections): such a line must be recorded
/// whole as a `command`.
fn split_words(line: &str) -> Option<Vec<Simple>> {
    let mut seq = vec![Simple::default()];
    let mut chars = line.chars().peekable();
    // The current word, whether it had an unquoted `=` before any quote (an assignment),
    // and whether anything was quoted (an empty quoted word still counts).
    let mut word = String::new();
    let mut started = false;
    let mut plain = true;
    let mut expands = false;
    let finish = |seq: &mut Vec<Simple>,
                  word: &mut String,
                  started: &mut bool,
                  plain: &mut bool,
                  expands: &mut bool|
     -> Option<()> {
        if !*started {
            return Some(());
        }
        let w = std::mem::take(word);
        let cur = seq.last_mut()?;
        let redirect = *plain && matches!(w.as_str(), ">/dev/null" | "1>/dev/null");
        let assignment = cur.argv.is_empty()
            && w.split_once('=').is_some_and(|(n, _)| {
                !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !n.starts_with(|c: char| c.is_ascii_digit())
            });
        if redirect {
            cur.no_stdout = true;
        } else if *plain && w == "2>/dev/null" {
            cur.no_stderr = true;
        } else if *plain && w == "2>&1" {
            cur.stderr_to_stdout = true;
        } else if assignment {
        } else if *expands || (*plain && w.contains(['>', '<', '&', '|', '*', '?', '[', '~'])) {
            return None;
        } else {
            cur.argv.push(w);
        }
        *started = false;
        *plain = true;
        *expands = false;
        Some(())
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                finish(&mut seq, &mut word, &mut started, &mut plain, &mut expands)?
            }
            ';' => {
                finish(&mut seq, &mut word, &mut started, &mut plain, &mut expands)?;
                seq.push(Simple::default());
            }
            '\'' => {
                started = true;
                plain = false;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                started = true;
                plain = false;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('$' | '`' | '"' | '\\') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c @ ('$' | '`') => {
                            expands = true;
                            word.push(c);
                        }
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                started = true;
                plain = false;
                match chars.next()? {
                    '\n' => {}
                    c => word.push(c),
                }
            }
            '$' | '`' | '(' | ')' | '{' | '}' => {
                started = true;
                expands = true;
                word.push(c);
            }
            c => {
                started = true;
                word.push(c);
            }
        }
    }
    finish(&mut seq, &mut word, &mut started, &mut plain, &mut expands)?;
    seq.retain(|s| !s.argv.is_empty());
    Some(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory, removed when dropped.
    struct Scratch(PathBuf);
    impl Scratch {
        fn new() -> Self {
            let p = std::env::temp_dir().join(format!("airs-fixture-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&p).unwrap();
            Scratch(p)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn state(yml: &str, files: &[(&str, &str)]) -> (Scratch, FixtureTransport) {
        let dir = Scratch::new();
        std::fs::write(dir.path().join(STATE_FILE), yml).unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        for (p, text) in files {
            let real = root.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(real.parent().unwrap()).unwrap();
            std::fs::write(real, text).unwrap();
        }
        let t = FixtureTransport::open(dir.path());
        (dir, t)
    }

    fn run(t: &FixtureTransport, line: &str) -> Result<CommandOutput, TransportError> {
        t.run(line, None, &CancellationToken::new())
    }
    fn read(t: &FixtureTransport, p: &str) -> Option<String> {
        t.read_file(p, None, &CancellationToken::new())
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap())
    }
    fn stat(t: &FixtureTransport, p: &str) -> Option<FileInfo> {
        t.stat(p, None, &CancellationToken::new()).unwrap()
    }

    const YML: &str = r#"
files:
  /etc/shadow: {mode: "0640", group: shadow}
  /bin: {kind: symlink, target: usr/bin}
  /run/systemd/system: {kind: directory}
  /etc/loop: {kind: symlink, target: /etc/loop}
programs: [/usr/bin/systemctl, /usr/bin/uname]
commands:
  - argv: [uname, -s]
    stdout: "Linux\n"
  - argv: [uname, -m]
    stdout: "x86_64\n"
  - argv: [systemctl, is-active, --quiet, ssh]
    exit_status: 3
    stderr: "inactive\n"
  - command: "ls /etc | wc -l"
    stdout: "7\n"
"#;

    fn sample() -> (Scratch, FixtureTransport) {
        state(
            YML,
            &[
                ("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"),
                ("/etc/group", "root:x:0:\nshadow:x:42:\n"),
                ("/etc/shadow", "root:*:19000:0:99999:7:::\n"),
            ],
        )
    }

    #[test]
    fn files_and_their_recorded_attributes() {
        let (_d, t) = sample();
        assert_eq!(read(&t, "/etc/passwd").unwrap().lines().count(), 1);
        let s = stat(&t, "/etc/shadow").unwrap();
        assert_eq!(
            (s.kind.as_str(), s.mode, s.uid, s.gid),
            ("file", 0o640, 0, 42)
        );
        assert_eq!(s.group.as_deref(), Some("shadow"));
        assert_eq!(s.mtime, MTIME);
        assert_eq!(stat(&t, "/etc/passwd").unwrap().mode, 0o644);
        assert_eq!(stat(&t, "/etc").unwrap().kind, "directory");
        assert_eq!(stat(&t, "/run/systemd").unwrap().kind, "directory");
        assert_eq!(stat(&t, "/run/systemd/system").unwrap().kind, "directory");
        assert_eq!(stat(&t, "/nothing"), None);
        assert_eq!(stat(&t, "/etc/passwd/x"), None, "a file is no directory");
        assert_eq!(read(&t, "/etc"), None, "directories have no content");
    }

    #[test]
    fn symlinks_resolve_inside_the_state() {
        let (_d, t) = sample();
        let bin = stat(&t, "/bin").unwrap();
        assert_eq!(bin.kind, "symlink");
        assert_eq!(bin.link_path.as_deref(), Some("usr/bin"));
        assert_eq!(bin.target_kind.as_deref(), Some("directory"));
        let prog = stat(&t, "/bin/systemctl").unwrap();
        assert_eq!((prog.kind.as_str(), prog.mode), ("file", 0o755));
        assert_eq!(read(&t, "/bin/systemctl").as_deref(), Some(""));
        // `..` stops at the state's root: nothing of this machine is reachable.
        assert_eq!(
            read(&t, "/../../../etc/passwd"),
            read(&t, "/etc/passwd"),
            "the state's own file"
        );
        assert_eq!(read(&t, "/../../host.yml"), None);
        assert_eq!(stat(&t, "/etc/loop").unwrap().target_kind, None, "a loop");
        assert_eq!(read(&t, "/etc/loop"), None);
    }

    #[test]
    fn real_symlinks_do_not_escape() {
        let (d, t) = sample();
        std::os::unix::fs::symlink("/etc/hostname", d.path().join("root/etc/escape")).unwrap();
        // Read in the state's namespace: the state has no /etc/hostname.
        assert_eq!(read(&t, "/etc/escape"), None);
        std::os::unix::fs::symlink("passwd", d.path().join("root/etc/pw")).unwrap();
        assert_eq!(read(&t, "/etc/pw"), read(&t, "/etc/passwd"));
    }

    #[test]
    fn commands_by_argv_whatever_the_quoting() {
        let (_d, t) = sample();
        assert_eq!(run(&t, "'uname' '-s'").unwrap().stdout, "Linux\n");
        assert_eq!(
            run(&t, "uname -s; uname -m").unwrap().stdout,
            "Linux\nx86_64\n"
        );
        assert_eq!(run(&t, "/usr/bin/uname -m").unwrap().stdout, "x86_64\n");
        let out = run(
            &t,
            "LC_ALL=C systemctl is-active --quiet \"ssh\" 2>/dev/null",
        )
        .unwrap();
        assert_eq!((out.exit_status, out.stderr.as_str()), (Some(3), ""));
        assert_eq!(
            run(&t, "ls /etc | wc -l").unwrap().stdout,
            "7\n",
            "exact line"
        );
    }

    #[test]
    fn builtins_and_missing_programs() {
        let (_d, t) = sample();
        let v = run(&t, "command -v 'systemctl'").unwrap();
        assert_eq!(
            (v.exit_status, v.stdout.as_str()),
            (Some(0), "/usr/bin/systemctl\n")
        );
        assert_eq!(run(&t, "which iptables").unwrap().exit_status, Some(1));
        assert_eq!(run(&t, "cat /etc/group").unwrap().stdout.lines().count(), 2);
        let missing = run(&t, "PATH=\"$PATH:/sbin\" 'iptables' '-S'").unwrap();
        assert_eq!(missing.exit_status, Some(127));
        assert!(missing.stderr.contains("iptables: not found"));
        // A program the state has, asked something not recorded: an error, not empty output.
        let e = run(&t, "systemctl status ssh").unwrap_err();
        assert!(e
            .to_string()
            .contains("no recorded output for `systemctl status ssh`"));
        assert!(
            run(&t, "echo $HOME").is_err(),
            "expansions must be recorded whole"
        );
    }

    #[test]
    fn bad_states_are_unreachable_with_the_reason() {
        let dir = Scratch::new();
        let t = FixtureTransport::open(dir.path());
        let e = t.stat("/", None, &CancellationToken::new()).unwrap_err();
        assert!(matches!(e, TransportError::Unreachable(ref m) if m.contains("host.yml")));
        for bad in [
            "files: {etc/x: {}}",
            "files: {/x: {mode: rw}}",
            "files: {/x: {kind: symlink}}",
            "commands: [{stdout: x}]",
            "unknown: 1",
        ] {
            let (_d, t) = state(bad, &[]);
            assert!(
                matches!(run(&t, "true"), Err(TransportError::Unreachable(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn canceled_is_canceled() {
        let (_d, t) = sample();
        let c = CancellationToken::new();
        c.cancel();
        assert_eq!(t.stat("/", None, &c), Err(TransportError::Canceled));
    }

    #[test]
    fn word_splitting() {
        let w = |l: &str| split_words(l).map(|s| s.into_iter().map(|s| s.argv).collect::<Vec<_>>());
        assert_eq!(
            w(r#"a 'b c' "d\"e" f\ g ''"#),
            Some(vec![vec![
                "a".into(),
                "b c".into(),
                "d\"e".into(),
                "f g".into(),
                String::new()
            ]])
        );
        assert_eq!(w("a | b"), None);
        assert_eq!(w("a && b"), None);
        assert_eq!(w("a > f"), None);
        assert_eq!(w("ls *.conf"), None);
        assert_eq!(
            w("ls '*.conf'"),
            Some(vec![vec!["ls".into(), "*.conf".into()]])
        );
        assert_eq!(w("'unclosed"), None);
    }
}
