//! `command`, `bash` and `ksh`: the profile's own command line, run by the target's shell
//! (or by bash / ksh, as InSpec's CommandWrapper does: `bash -c CMD`).

use std::sync::Arc;

use crate::native::resources::support::{need_str, run_argv, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::{CommandOutput, Host};

pub const METHODS: &[&str] = &["exist?", "exit_status", "result", "stderr", "stdout"];
pub const POWERSHELL_METHODS: &[&str] = &[
    "exist?",
    "exit_status",
    "result",
    "stderr",
    "stdout",
    "strip",
];

pub struct Command {
    name: &'static str,
    command: String,
    host: Arc<Host>,
    out: Lazy<CommandOutput>,
    /// powershell: whether the target has `pwsh` (asked once, before anything else).
    pwsh: Lazy<()>,
}

pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Command {
        name,
        command: need_str(name, args, 0, "a command")?,
        host: host.clone(),
        out: Lazy::default(),
        pwsh: Lazy::default(),
    }))
}

/// `powershell(script)` on a Unix target (resources/powershell.rb): the script, after
/// `$ProgressPreference='SilentlyContinue';`, as UTF-16LE in base64 to
/// `pwsh -encodedCommand`; skipped when the target has no `pwsh` (asked at the first call,
/// as InSpec's initialize does before any property). Windows targets are outside this
/// evaluator (no WinRM transport), so the Windows branch is not taken.
pub fn create_powershell(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    use base64::Engine as _;
    let script = need_str("powershell", args, 0, "a script")?;
    let utf16: Vec<u8> = format!("$ProgressPreference='SilentlyContinue';{script}")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(utf16);
    Ok(Arc::new(Command {
        name: "powershell",
        command: format!("pwsh -encodedCommand '{encoded}'"),
        host: host.clone(),
        out: Lazy::default(),
        pwsh: Lazy::default(),
    }))
}

impl Command {
    fn output(&self) -> Res<&CommandOutput> {
        self.out.get(|| {
            Ok(if self.name == "bash" || self.name == "ksh" {
                run_argv(&self.host, &[self.name, "-c", &self.command])?
            } else {
                self.host.run(&self.command)?
            })
        })
    }
}

impl Resource for Command {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        if self.name == "bash" {
            format!("Bash command {}", self.command)
        } else if self.name == "ksh" {
            format!("KornShell command {}", self.command)
        } else if self.name == "powershell" {
            "Powershell".into()
        } else {
            format!("Command: `{}`", self.command)
        }
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if self.name == "powershell" && POWERSHELL_METHODS.contains(&method) {
            self.pwsh.get(|| {
                // A fixed program name: no user data reaches the shell line.
                match self.host.run("command -v pwsh")?.exit_status {
                    Some(0) => Ok(()),
                    _ => Err(ResourceError::Skip("Can not find `pwsh` command".into())),
                }
            })?;
        }
        match method {
            "stdout" => Ok(Value::str(&self.output()?.stdout)),
            "stderr" => Ok(Value::str(&self.output()?.stderr)),
            // InSpec reports a signal's end as exit status -1... train gives nil; keep nil.
            "exit_status" => Ok(self
                .output()?
                .exit_status
                .map_or(Value::Nil, |c| Value::Int(i64::from(c)))),
            "result" => Ok(Value::Hash(vec![
                (Value::str("stdout"), self.call("stdout", &[])?),
                (Value::str("stderr"), self.call("stderr", &[])?),
                (Value::str("exit_status"), self.call("exit_status", &[])?),
            ])),
            // powershell.rb: `exist?` is nil, `strip` the stripped stdout.
            "exist?" if self.name == "powershell" => Ok(Value::Nil),
            "strip" if self.name == "powershell" => Ok(Value::str(self.output()?.stdout.trim())),
            // Whether the command names a program on the target (InSpec: `type "cmd"`).
            "exist?" => {
                let out = run_argv(
                    &self.host,
                    &["sh", "-c", r#"command -v "$1""#, "sh", &self.command],
                )?;
                Ok(Value::Bool(out.exit_status == Some(0)))
            }
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
    fn commands_report_streams_and_status() {
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let r = create(
            "command",
            &[Value::str("echo out; echo err >&2; exit 3")],
            &host,
        )
        .unwrap();
        assert_eq!(r.to_s(), "Command: `echo out; echo err >&2; exit 3`");
        assert_eq!(r.call("stdout", &[]).unwrap(), Value::str("out\n"));
        assert_eq!(r.call("stderr", &[]).unwrap(), Value::str("err\n"));
        assert_eq!(r.call("exit_status", &[]).unwrap(), Value::Int(3));
        let r = create("command", &[Value::str("ls")], &host).unwrap();
        assert_eq!(r.call("exist?", &[]).unwrap(), Value::Bool(true));
        let r = create("command", &[Value::str("no-such-program-x")], &host).unwrap();
        assert_eq!(r.call("exist?", &[]).unwrap(), Value::Bool(false));
        // Ruby execs it without a shell; train's local transport answers ENOENT with 1.
        assert_eq!(r.call("exit_status", &[]).unwrap(), Value::Int(1));
        let r = create(
            "bash",
            &[Value::str("echo ${BASH_VERSINFO[0]:+bash}")],
            &host,
        )
        .unwrap();
        assert_eq!(r.call("stdout", &[]).unwrap(), Value::str("bash\n"));
        assert_eq!(r.to_s(), "Bash command echo ${BASH_VERSINFO[0]:+bash}");
    }

    /// A line Ruby executes without a shell and whose program does not exist answers
    /// train's rescued ENOENT: empty stdout and stderr, status 1; a line with shell syntax
    /// (or an assignment, or a special built-in first) is the shell's. Each row is InSpec
    /// 7.1.16's `command(line)` on local:// (stdout, stderr, exit_status).
    #[test]
    fn a_missing_program_run_directly_answers_like_train() {
        let host = crate::transport::local::test_host();
        let rows: [(&str, &str, &str, i64); 10] = [
            ("NetworkManager_not_here --print-config", "", "", 1),
            ("nosuchprog_x", "", "", 1),
            (
                "nosuchprog_x | cat",
                "",
                "sh: 1: nosuchprog_x: not found\n",
                0,
            ),
            (
                "nosuchprog_x 2>&1",
                "sh: 1: nosuchprog_x: not found\n",
                "",
                127,
            ),
            ("/nonexistent/bin/x -a", "", "", 1),
            ("type ls", "", "", 1),
            (
                "A=1 nosuchprog_x",
                "",
                "sh: 1: nosuchprog_x: not found\n",
                127,
            ),
            (
                "nosuchprog_x \"q\"",
                "",
                "sh: 1: nosuchprog_x: not found\n",
                127,
            ),
            ("exit 3", "", "", 3),
            ("  nosuchprog_x  ", "", "", 1),
        ];
        for (line, out, err, status) in rows {
            let r = create("command", &[Value::str(line)], &host).unwrap();
            let got = (
                r.call("stdout", &[]).unwrap(),
                r.call("stderr", &[]).unwrap(),
                r.call("exit_status", &[]).unwrap(),
            );
            assert_eq!(
                got,
                (Value::str(out), Value::str(err), Value::Int(status)),
                "{line}"
            );
        }
    }
}
