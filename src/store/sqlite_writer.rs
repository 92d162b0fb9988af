//! SQLite's single writer: one thread that owns one connection and performs every write
//! of this process. Whatever is queued when it wakes is written in one transaction (group
//! commit), and each caller hears only after that transaction has committed.
//!
//! Why not sqlx's connection: each statement there is a round trip between a tokio thread
//! and the connection's own thread. With the cores busy checking hosts, every round trip
//! waits for a scheduler slot, and a write took several of them (BEGIN, statements,
//! COMMIT), so the writer's queue, not SQLite, set the pace. Here a whole group costs one
//! wake-up, and its statements are prepared once and reused.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc as std_mpsc;

use rusqlite::types::{ToSqlOutput, Value as SqlValue};
use rusqlite::{Connection, ToSql};
use tokio::sync::oneshot;

use crate::error::{Error, Result, StoreError};

/// A bind value of a write statement.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(s) => ToSqlOutput::from(s.as_str()),
            Arg::OptText(Some(s)) => ToSqlOutput::from(s.as_str()),
            Arg::OptText(None) => ToSqlOutput::Owned(SqlValue::Null),
            Arg::Int(i) => ToSqlOutput::from(*i),
        })
    }
}

/// Told the commit's outcome (None: committed) once the op's group has ended.
type Reply = Box<dyn FnOnce(Option<&str>) + Send>;
type Op = Box<dyn FnOnce(&Connection) -> Reply + Send>;

/// Ops written per transaction at most, so one commit never grows without bound.
const GROUP_MAX: usize = 1024;

pub(crate) struct SqliteWriter {
    ops: std_mpsc::Sender<Op>,
}

/// A statement failed: a unique constraint (the caller may name what collided) or else.
pub(crate) enum WriteError {
    Unique,
    Other(Error),
}

impl WriteError {
    pub(crate) fn or_exists(self, name: &str) -> Error {
        match self {
            WriteError::Unique => Error::TemplateExists(name.to_string()),
            WriteError::Other(e) => e,
        }
    }
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                WriteError::Unique
            }
            _ => WriteError::Other(StoreError::Database(e.to_string()).into()),
        }
    }
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Unique => {
                StoreError::Database("a unique constraint was violated".into()).into()
            }
            WriteError::Other(e) => e,
        }
    }
}

pub(crate) type WriteResult<T> = std::result::Result<T, WriteError>;

impl SqliteWriter {
    /// Opens `path` (already created, in WAL mode, and migrated) for writing.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let err = |e: rusqlite::Error| {
            Error::from(StoreError::Unavailable(format!(
                "cannot open the SQLite writer: {e}"
            )))
        };
        let conn = Connection::open(path).map_err(err)?;
        // The same settings as the readers': WAL, other processes' writers waited for,
        // NORMAL is durable across process crashes in WAL.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;",
        )
        .map_err(err)?;
        conn.set_prepared_statement_cache_capacity(64);
        let (ops, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&conn, &rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the SQLite writer: {e}")))?;
        Ok(SqliteWriter { ops })
    }

    /// Runs `f` on the writer (atomically: in a savepoint) and returns its result once the
    /// transaction holding it has committed.
    pub(crate) async fn write<R, F>(&self, f: F) -> WriteResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> WriteResult<R> + Send + 'static,
    {
        self.send(f, true).await
    }

    /// `write`, with the savepoint only when `guard`: a single statement is undone by
    /// SQLite itself when it fails, and a savepoint copies every page the op touches.
    async fn send<R, F>(&self, f: F, guard: bool) -> WriteResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> WriteResult<R> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let op: Op = Box::new(move |conn| {
            let out = if guard {
                in_savepoint(conn, f)
            } else {
                f(conn)
            };
            Box::new(move |commit: Option<&str>| {
                let out = match commit {
                    Some(e) => Err(WriteError::Other(Error::from(StoreError::Database(
                        format!("the write could not be committed: {e}"),
                    )))),
                    None => out,
                };
                let _ = tx.send(out);
            })
        });
        let gone = || WriteError::Other(StoreError::WriterStopped("SQLite writer").into());
        self.ops.send(op).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Executes statements in order, atomically; the rows each changed.
    pub(crate) async fn execute(&self, stmts: Vec<(String, Vec<Arg>)>) -> WriteResult<Vec<u64>> {
        let guard = stmts.len() > 1;
        self.send(move |conn| run_stmts(conn, &stmts), guard).await
    }
}

/// Executes statements in order on the writer's connection; the rows each changed.
pub(crate) fn run_stmts(conn: &Connection, stmts: &[(String, Vec<Arg>)]) -> WriteResult<Vec<u64>> {
    stmts
        .iter()
        .map(|(sql, args)| {
            let mut stmt = conn.prepare_cached(sql)?;
            bind_numbered(&mut stmt, args)?;
            Ok(u64::try_from(stmt.raw_execute()?).unwrap_or(u64::MAX))
        })
        .collect()
}

/// Binds `args` to `$1`, `$2`, … by name: SQLite numbers parameters in order of first
/// appearance, which is not their own number when a statement uses `$3` before `$1`.
pub(crate) fn bind_numbered(
    stmt: &mut rusqlite::Statement<'_>,
    args: &[Arg],
) -> rusqlite::Result<()> {
    for (i, arg) in args.iter().enumerate() {
        if let Some(at) = stmt.parameter_index(&format!("${}", i + 1))? {
            stmt.raw_bind_parameter(at, arg)?;
        }
    }
    Ok(())
}

/// A statement without binds, prepared once per connection.
fn run_sql(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn in_savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> WriteResult<R>,
) -> WriteResult<R> {
    run_sql(conn, "SAVEPOINT op")?;
    match f(conn) {
        Ok(r) => {
            run_sql(conn, "RELEASE op")?;
            Ok(r)
        }
        Err(e) => {
            let _ = run_sql(conn, "ROLLBACK TO op").and_then(|()| run_sql(conn, "RELEASE op"));
            Err(e)
        }
    }
}

fn run(conn: &Connection, rx: &std_mpsc::Receiver<Op>) {
    let mut replies: Vec<Reply> = Vec::with_capacity(GROUP_MAX);
    while let Ok(first) = rx.recv() {
        // Should another process hold the write lock past busy_timeout, the ops still run,
        // each in its own transaction (a savepoint outside a transaction is one).
        let grouped = run_sql(conn, "BEGIN IMMEDIATE").is_ok();
        let mut next = Some(first);
        while let Some(op) = next.take() {
            // A panicking op loses only its own reply (its caller hears the writer stopped).
            if let Ok(reply) = std::panic::catch_unwind(AssertUnwindSafe(|| op(conn))) {
                replies.push(reply);
            }
            if replies.len() < GROUP_MAX {
                next = rx.try_recv().ok();
            }
        }
        let failed = if grouped {
            run_sql(conn, "COMMIT").err().map(|e| {
                let _ = run_sql(conn, "ROLLBACK");
                e.to_string()
            })
        } else {
            None
        };
        for reply in replies.drain(..) {
            reply(failed.as_deref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn groups_commit_and_failed_ops_roll_back_alone() {
        let dir = std::env::temp_dir().join(format!("airs-writer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT)")
            .unwrap();
        let w = SqliteWriter::open(&path).unwrap();
        let ins = |k: &str, v: i64| {
            (
                "INSERT INTO t (k, v) VALUES ($1, $2)".to_string(),
                vec![Arg::Text(k.into()), Arg::Int(v)],
            )
        };
        let (a, b, c, d) = tokio::join!(
            w.execute(vec![ins("a", 1)]),
            // The second statement collides: the whole op is undone, the others stay.
            w.execute(vec![ins("b", 2), ins("a", 3)]),
            w.execute(vec![ins("c", 4)]),
            // A single statement (no savepoint) that collides is undone alone too.
            w.execute(vec![ins("c", 5)]),
        );
        assert_eq!(a.ok(), Some(vec![1]));
        assert!(matches!(b, Err(WriteError::Unique)));
        assert_eq!(c.ok(), Some(vec![1]));
        assert!(matches!(d, Err(WriteError::Unique)));
        let rows: Vec<(String, i64)> = Connection::open(&path)
            .unwrap()
            .prepare("SELECT k, v FROM t ORDER BY k")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(rows, [("a".to_string(), 1), ("c".to_string(), 4)]);
        // `$2` before `$1`: bound by number, not by position.
        let set = "UPDATE t SET v = $2 WHERE k = $1".to_string();
        let done = w.execute(vec![(set, vec![Arg::Text("c".into()), Arg::Int(9)])]);
        assert_eq!(done.await.ok(), Some(vec![1]));
        let _ = std::fs::remove_dir_all(dir);
    }
}
