//! `local://`: facts read with system calls, commands run as real subprocesses.

use std::ffi::CStr;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::{child, CommandOutput, FileInfo, Transport, TransportError};

/// The most output of one command's stream (InSpec keeps all; profiles read a few lines).
/// More fails the command rather than answering from a cut output.
pub const OUTPUT_CAP: usize = 16 << 20;

/// The largest file read whole (as over SSH, see [`super::ssh::OUTPUT_CAP`]).
pub const FILE_CAP: usize = OUTPUT_CAP;

/// The shell's reserved words and special built-ins Ruby leaves to the shell
/// (process.c `posix_sh_cmds`).
const SHELL_WORDS: &[&str] = &[
    "!", ".", ":", "break", "case", "continue", "do", "done", "elif", "else", "esac", "eval",
    "exec", "exit", "export", "fi", "for", "if", "in", "readonly", "return", "set", "shift",
    "then", "times", "trap", "unset", "until", "while",
];

/// The program of a command string Ruby's `exec` runs without a shell (process.c
/// `rb_exec_fillarg`): no shell meta character, no `=` in the first word, and a first word
/// that is not one of the shell's own. None: the shell runs it. An empty string has no
/// program (`Some("")`, never found).
fn direct_program(command: &str) -> Option<&str> {
    const META: &str = "*?{}[]<>()~&|\\$;'`\"\n#";
    if command.chars().any(|c| META.contains(c)) {
        return None;
    }
    let first = command
        .split([' ', '\t'])
        .find(|w| !w.is_empty())
        .unwrap_or("");
    // An `=` counts only before the word's first `/` (after it, process.c stops looking).
    let before_slash = first.split('/').next().unwrap_or_default();
    if before_slash.contains('=') || SHELL_WORDS.contains(&first) {
        return None;
    }
    Some(first)
}

/// Why Ruby's `exec` of a program (without a shell) fails before it runs.
#[derive(Debug)]
enum ExecRefusal {
    /// ENOENT: no path that exists, or no executable file of that name in a `PATH`
    /// directory (dln_find_exe_r).
    NotFound,
    /// EACCES: a path that exists but execve refuses, a directory or a file without
    /// execute permission.
    PermissionDenied,
}

/// Whether (and why) `exec` refuses the program; None: it runs.
fn exec_refusal(program: &str) -> Option<ExecRefusal> {
    use std::os::unix::fs::PermissionsExt;
    if program.is_empty() {
        return Some(ExecRefusal::NotFound);
    }
    if program.contains('/') {
        let path = std::path::Path::new(program);
        if !path.exists() {
            return Some(ExecRefusal::NotFound);
        }
        return (!path.is_file() || !executable(program)).then_some(ExecRefusal::PermissionDenied);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    });
    (!found).then_some(ExecRefusal::NotFound)
}

/// access(2) X_OK: whether this process may execute the file (its mode bits and the
/// directories on the way, as execve checks them).
fn executable(path: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(path) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
}

/// This machine, checked directly.
#[derive(Debug, Default)]
pub struct LocalTransport;

impl LocalTransport {
    pub fn new() -> Self {
        LocalTransport
    }
}

impl Transport for LocalTransport {
    fn run(
        &self,
        command: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        self.run_with_env(command, &[], deadline, cancel)
    }

    fn run_with_env(
        &self,
        command: &str,
        env: &[(String, String)],
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        // Ruby execs a string without shell syntax itself, and train's local transport
        // answers a program it cannot find with empty output and status 1 (local.rb
        // `rescue Errno::ENOENT`), where a shell would say "sh: 1: x: not found" (127). A
        // path execve refuses raises Errno::EACCES, which nothing rescues: the command
        // fails with Ruby's message (a shell would say "Permission denied", 126).
        if let Some(program) = direct_program(command) {
            match exec_refusal(program) {
                Some(ExecRefusal::NotFound) => {
                    return Ok(CommandOutput {
                        stdout: String::new(),
                        stderr: String::new(),
                        exit_status: Some(1),
                    })
                }
                Some(ExecRefusal::PermissionDenied) => {
                    return Err(TransportError::Failed(format!(
                        "Permission denied - {program}"
                    )))
                }
                None => {}
            }
        }
        // /bin/sh named `sh`, as Ruby's `exec` of a shell string (train's local commands)
        // starts it: the shell names itself so in its messages ("sh: 1: Syntax error").
        let argv = [child::SHELL.to_string(), "-c".into(), command.into()];
        let out = child::run_with_env(&argv, env, OUTPUT_CAP, deadline, cancel)?;
        if out.truncated {
            return Err(TransportError::Failed(format!(
                "the output passed {} MiB",
                OUTPUT_CAP >> 20
            )));
        }
        Ok(CommandOutput {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            exit_status: out.code,
        })
    }

    fn read_file(
        &self,
        path: &str,
        _deadline: Option<Instant>,
        _cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        use std::io::Read;
        // Directories, missing and unreadable files all read as "no content", as InSpec's.
        let Ok(file) = std::fs::File::open(path) else {
            return Ok(None);
        };
        let mut data = Vec::new();
        // /proc files report size 0: read up to the cap rather than trusting the size.
        if file
            .take(FILE_CAP as u64 + 1)
            .read_to_end(&mut data)
            .is_err()
        {
            return Ok(None);
        }
        if data.len() > FILE_CAP {
            return Err(TransportError::Failed(format!(
                "{path} is larger than {} MiB",
                FILE_CAP >> 20
            )));
        }
        Ok(Some(data))
    }

    fn stat(
        &self,
        path: &str,
        _deadline: Option<Instant>,
        _cancel: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError> {
        // Any failing lstat is "does not exist", as train's (file/local/unix.rb `stat` rescues
        // every error into `{}`, and Ruby's `File.exist?` is false): ENOENT, ENOTDIR, and what
        // an unprivileged scan meets, EACCES on a path under a directory it cannot search.
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return Ok(None);
        };
        let kind = kind_of(meta.file_type());
        let (link_path, target_kind) = if meta.file_type().is_symlink() {
            (
                std::fs::read_link(path)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned()),
                std::fs::metadata(path).ok().map(|m| kind_of(m.file_type())),
            )
        } else {
            (None, None)
        };
        Ok(Some(FileInfo {
            kind: kind.to_string(),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            owner: user_name(meta.uid()),
            group: group_name(meta.gid()),
            size: meta.size(),
            mtime: meta.mtime(),
            link_path,
            target_kind: target_kind.map(str::to_string),
        }))
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "directory"
    } else if t.is_file() {
        "file"
    } else if t.is_fifo() {
        "pipe"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character_device"
    } else if t.is_block_device() {
        "block_device"
    } else {
        "unknown"
    }
}

/// The name of user `uid` (getpwuid_r: NSS-aware, thread-safe).
pub fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: all-zero is a valid `passwd` (null pointers, zero ids); it is only read after
    // getpwuid_r filled it.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: the buffers outlive the call and their lengths are given.
    let rc =
        unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into `buf`, NUL-terminated by getpwuid_r.
    Some(
        unsafe { CStr::from_ptr(pw.pw_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// The name of group `gid` (getgrgid_r).
pub fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0u8; 16384];
    // SAFETY: as in `user_name`.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::group = std::ptr::null_mut();
    // SAFETY: the buffers outlive the call and their lengths are given.
    let rc =
        unsafe { libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || gr.gr_name.is_null() {
        return None;
    }
    // SAFETY: gr_name points into `buf`, NUL-terminated by getgrgid_r.
    Some(
        unsafe { CStr::from_ptr(gr.gr_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// A [`Host`](super::Host) on this machine, for tests.
#[cfg(test)]
pub fn test_host() -> std::sync::Arc<super::Host> {
    std::sync::Arc::new(super::Host::new(
        Box::new(LocalTransport::new()),
        None,
        tokio_util::sync::CancellationToken::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn stat(path: &str) -> Option<FileInfo> {
        LocalTransport
            .stat(path, None, &CancellationToken::new())
            .unwrap()
    }

    #[test]
    fn stat_reads_kind_mode_owner_and_links() {
        let dir = std::env::temp_dir().join(format!("airs-local-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        std::fs::write(&f, b"hello").unwrap();
        std::os::unix::fs::chown(&f, Some(1), Some(1)).unwrap(); // daemon:daemon
                                                                 // After chown, which clears setuid.
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o4750)).unwrap();
        let l = dir.join("l");
        let _ = std::fs::remove_file(&l);
        std::os::unix::fs::symlink(&f, &l).unwrap();
        let d = dir.join("dangling");
        let _ = std::fs::remove_file(&d);
        std::os::unix::fs::symlink("/nonexistent/x", &d).unwrap();

        let info = stat(f.to_str().unwrap()).unwrap();
        assert_eq!(info.kind, "file");
        assert_eq!(info.mode, 0o4750);
        assert_eq!((info.uid, info.gid, info.size), (1, 1, 5));
        assert_eq!(info.owner.as_deref(), Some("daemon"));
        assert_eq!(info.group.as_deref(), Some("daemon"));
        let link = stat(l.to_str().unwrap()).unwrap();
        assert_eq!(link.kind, "symlink");
        assert_eq!(link.link_path.as_deref(), f.to_str());
        assert_eq!(link.target_kind.as_deref(), Some("file"));
        let dangling = stat(d.to_str().unwrap()).unwrap();
        assert_eq!(dangling.target_kind, None);
        assert_eq!(stat(dir.to_str().unwrap()).unwrap().kind, "directory");
        assert_eq!(stat("/dev/null").unwrap().kind, "character_device");
        assert_eq!(stat(&format!("{}/x", f.display())), None);
        assert_eq!(stat("/nonexistent/file"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_lstat_refuses_does_not_exist() {
        // EACCES needs an unprivileged user; ELOOP and ENAMETOOLONG fail lstat for root too,
        // and take the same way.
        let dir = std::env::temp_dir().join(format!("airs-lstat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lp = dir.join("loop");
        let _ = std::fs::remove_file(&lp);
        std::os::unix::fs::symlink(&lp, &lp).unwrap();
        assert_eq!(stat(&format!("{}/x", lp.display())), None);
        assert_eq!(stat(&format!("/tmp/{}", "n".repeat(300))), None);
        let locked = dir.join("locked");
        std::fs::create_dir_all(&locked).unwrap();
        std::fs::write(locked.join("f"), b"x").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let under = stat(&format!("{}/f", locked.display()));
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        assert_eq!(under.is_none(), !root, "{under:?}");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_read_whole_and_absent_ones_are_none() {
        let t = CancellationToken::new();
        let read = |p: &str| LocalTransport.read_file(p, None, &t).unwrap();
        assert_eq!(
            read("/etc/hostname"),
            Some(std::fs::read("/etc/hostname").unwrap())
        );
        // /proc reports size 0 yet has content.
        assert!(read("/proc/self/status").is_some_and(|d| d.starts_with(b"Name:")));
        assert_eq!(read("/etc"), None);
        assert_eq!(read("/nonexistent/x"), None);
    }

    #[test]
    fn names_resolve_like_getent() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(group_name(0).as_deref(), Some("root"));
        assert_eq!(user_name(4_000_000_000), None);
    }

    #[test]
    fn a_missing_program_without_shell_syntax_is_empty_with_status_1() {
        // The oracle (InSpec 7.1.16, train's local transport) on this machine.
        let run = |c: &str| {
            let o = LocalTransport
                .run(c, None, &CancellationToken::new())
                .unwrap();
            (o.stdout, o.stderr, o.exit_status)
        };
        let none = (String::new(), String::new(), Some(1));
        assert_eq!(run("nosuchprog --x"), none);
        assert_eq!(run("  nosuchprog  a"), none);
        assert_eq!(run("/no/such/prog"), none);
        let shell = run("nosuchprog --x 2>&1");
        assert_eq!(
            (shell.0.as_str(), shell.2),
            ("sh: 1: nosuchprog: not found\n", Some(127))
        );
        let env = run("FOO=1 nosuchprog");
        assert_eq!(
            (env.1.as_str(), env.2),
            ("sh: 1: nosuchprog: not found\n", Some(127))
        );
        assert_eq!(run("exit 3").2, Some(3));
        assert_eq!(run("true"), (String::new(), String::new(), Some(0)));
        assert_eq!(direct_program("ls -l /tmp"), Some("ls"));
        assert_eq!(direct_program("/usr/bin/a=b x"), Some("/usr/bin/a=b"));
        assert_eq!(direct_program("set -x"), None);
    }

    #[test]
    fn a_path_execve_refuses_fails_with_rubys_eacces_message() {
        // The oracle (InSpec 7.1.16, train's local transport): Errno::EACCES, unrescued,
        // for a file without execute permission (even as root), a script without +x and a
        // directory; through a shell the same paths run the shell's way.
        let dir = std::env::temp_dir().join(format!("airs-noexec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("s.sh");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = script.to_str().unwrap();
        let run = |c: &str| LocalTransport.run(c, None, &CancellationToken::new());
        for (command, program) in [
            (s.to_string(), s),
            (format!("{s} arg"), s),
            ("/etc/passwd".to_string(), "/etc/passwd"),
            (dir.to_str().unwrap().to_string(), dir.to_str().unwrap()),
        ] {
            match run(&command) {
                Err(TransportError::Failed(m)) => {
                    assert_eq!(m, format!("Permission denied - {program}"))
                }
                other => panic!("{command}: {other:?}"),
            }
        }
        let shell = run(&format!("{s} 2>&1; echo $?")).unwrap();
        assert!(shell.stdout.ends_with("126\n"), "{shell:?}");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(run(s).unwrap().stdout, "hi\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commands_run_in_sh() {
        let out = LocalTransport
            .run(
                "printf '%s' \"$0\"; echo e >&2; exit 4",
                None,
                &CancellationToken::new(),
            )
            .unwrap();
        // `sh`, as Ruby starts it for a command string: the shell names itself so in its
        // messages, which profiles interpolate into code_descs (`sh: 1: Syntax error`).
        assert_eq!(out.stdout, "sh");
        assert_eq!((out.stderr.as_str(), out.exit_status), ("e\n", Some(4)));
        let bad = LocalTransport
            .run("echo (", None, &CancellationToken::new())
            .unwrap();
        assert!(bad.stderr.starts_with("sh: "), "{:?}", bad.stderr);
    }
}
