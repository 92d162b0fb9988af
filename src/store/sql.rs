//! SQLite (embedded, WAL) and PostgreSQL (shared by several executors) through one
//! implementation on sqlx's `Any` driver. Only the DDL and the claim query differ.
//!
//! Timestamps are stored as fixed-width UTC text (`2026-01-02T03:04:05.000006Z`) so that
//! text order is time order in both databases; bodies (templates, results, events) as JSON.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};
use uuid::Uuid;

use super::held_conns::{AnyQuery, HeldConns, Ran};
use super::sqlite_writer::{bind_numbered, run_stmts, Arg, SqliteWriter, WriteError, WriteResult};
use super::{Fence, JobFilter, JobRecord, Notice, RecoveryPolicy, Store, INTERRUPTED};
use crate::error::{Error, Result, StoreError};
use crate::job::{sort_in_host_order, timestamp as ts, Event, HostResult, JobStatus};
use crate::template::Template;

const NOTIFY_CHANNEL: &str = "ansible_inspec_rs";
/// The kind of notice that carries several jobs' ends: `ends:N:origin:[[job, note], …]`
/// (the listener hears each as a `finished` notice with its note).
const ENDS: &str = "ends";
/// Bytes of ends' notes one notice carries at most: PostgreSQL refuses payloads of 8,000
/// bytes or more.
const ENDS_PAYLOAD: usize = 6_000;
/// A note longer than this (as a JSON string) is not told (followers read the job instead).
const ENDS_NOTE_MAX: usize = 4_000;
/// PostgreSQL advisory lock held while a job is admitted (counted against `queue_size`
/// and inserted); the migration lock is another key.
const ADMISSION_LOCK: i64 = 7_244_032;

/// Versioned schema: (version, SQLite DDL, PostgreSQL DDL). Applied in order on open.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
    1,
    "CREATE TABLE IF NOT EXISTS templates (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, body TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, template_id TEXT, template_name TEXT NOT NULL, template TEXT NOT NULL, hosts TEXT NOT NULL, extra_vars TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, error TEXT, attempt BIGINT NOT NULL DEFAULT 0, worker TEXT, cancel_requested BIGINT NOT NULL DEFAULT 0);
     CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
     CREATE INDEX IF NOT EXISTS jobs_template ON jobs (template_name);
     CREATE TABLE IF NOT EXISTS host_results (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, attempt BIGINT NOT NULL, body TEXT NOT NULL);
     CREATE INDEX IF NOT EXISTS host_results_job ON host_results (job_id, attempt);
     CREATE TABLE IF NOT EXISTS events (job_id TEXT NOT NULL, seq BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (job_id, seq));
     CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS templates (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, body TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS jobs (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, template_id TEXT, template_name TEXT NOT NULL, template TEXT NOT NULL, hosts TEXT NOT NULL, extra_vars TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, error TEXT, attempt BIGINT NOT NULL DEFAULT 0, worker TEXT, cancel_requested BIGINT NOT NULL DEFAULT 0);
     CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
     CREATE INDEX IF NOT EXISTS jobs_template ON jobs (template_name);
     CREATE TABLE IF NOT EXISTS host_results (id BIGSERIAL PRIMARY KEY, job_id TEXT NOT NULL, attempt BIGINT NOT NULL, body TEXT NOT NULL);
     CREATE INDEX IF NOT EXISTS host_results_job ON host_results (job_id, attempt);
     CREATE TABLE IF NOT EXISTS events (job_id TEXT NOT NULL, seq BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (job_id, seq));
     CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL)",
    ),
    // The lease a worker holds is written with it: readers never apply their own length.
    (
        2,
        "ALTER TABLE workers ADD COLUMN lease_until TEXT",
        "ALTER TABLE workers ADD COLUMN lease_until TEXT",
    ),
    // 1 once a process streams the job: only then do its events' writes send notices
    // (PostgreSQL wakes every listening backend on a commit that notifies, whatever the
    // channel). Set by the listener (`mark_watched`); SQLite sends no notices.
    (
        3,
        "ALTER TABLE jobs ADD COLUMN watched BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN watched BIGINT NOT NULL DEFAULT 0",
    ),
    // A row of `events` may hold several events of its job (a JSON array, seqs `seq` to
    // `last_seq`), and a row of `host_results` several results (a JSON array): a job's end
    // on PostgreSQL stores what its worker held of it as one row of each. Readers take
    // either form; a process of an older version would not, hence the version check.
    (
        4,
        "ALTER TABLE events ADD COLUMN last_seq BIGINT",
        "ALTER TABLE events ADD COLUMN last_seq BIGINT",
    ),
];

/// A worker whose lease ran out (rows from before leases were written: by heartbeat age).
const LEASE_EXPIRED: &str =
    "((w.lease_until IS NOT NULL AND w.lease_until < $1) OR (w.lease_until IS NULL AND w.heartbeat_at < $2))";

const JOB_COLUMNS: &str = "id, template_id, template, hosts, extra_vars, status, created_at, started_at, finished_at, error, attempt, worker";

pub struct SqlStore {
    /// Reads. Every read runs to its end (`fetch_all`, never `fetch_one`/`fetch_optional`):
    /// sqlx's SQLite connection resets a statement dropped after its first row only later,
    /// and until then the connection's next reads see the WAL snapshot of the earlier one
    /// (a finished job read back as `pending`; sqlx issue 2543).
    pool: AnyPool,
    writes: Writes,
    backend: &'static str,
    /// Kept for PostgreSQL's LISTEN connection (never logged: it may hold a password).
    url: String,
    /// SQLite's database file.
    file: Option<std::path::PathBuf>,
    /// Tags this store's notices, so its own listener ignores them (this process wakes
    /// its own workers directly).
    origin: String,
}

/// Where writes go.
enum Writes {
    /// One writer of its own, so this process's writers queue there in order instead of
    /// colliding on SQLite's write lock and sleeping in its busy handler, while reads go
    /// on beside it (WAL).
    Sqlite(SqliteWriter),
    /// PostgreSQL: connections kept aside from the pool (no pings per statement).
    Pool { conns: Arc<HeldConns> },
}

/// A job's columns (`JOB_COLUMNS`) as read, before they are parsed.
struct JobRow {
    id: String,
    template_id: Option<String>,
    template: String,
    hosts: String,
    extra_vars: String,
    status: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    error: Option<String>,
    attempt: i64,
    worker: Option<String>,
}

impl JobRow {
    /// The columns, read by name through one getter per column type (the drivers differ).
    fn read<E>(
        text: impl Fn(&str) -> std::result::Result<String, E>,
        opt: impl Fn(&str) -> std::result::Result<Option<String>, E>,
        int: impl Fn(&str) -> std::result::Result<i64, E>,
    ) -> std::result::Result<Self, E> {
        Ok(JobRow {
            id: text("id")?,
            template_id: opt("template_id")?,
            template: text("template")?,
            hosts: text("hosts")?,
            extra_vars: text("extra_vars")?,
            status: text("status")?,
            created_at: text("created_at")?,
            started_at: opt("started_at")?,
            finished_at: opt("finished_at")?,
            error: opt("error")?,
            attempt: int("attempt")?,
            worker: opt("worker")?,
        })
    }

    fn from_any(row: &AnyRow) -> Result<Self> {
        Self::read(
            |c| row.try_get(c).map_err(db_err),
            |c| row.try_get(c).map_err(db_err),
            |c| row.try_get(c).map_err(db_err),
        )
    }

    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Self::read(|c| row.get(c), |c| row.get(c), |c| row.get(c))
    }
}

/// A unique violation from sqlx, told apart like the SQLite writer's.
fn write_err(e: sqlx::Error) -> WriteError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => WriteError::Unique,
        _ => WriteError::Other(db_err(e)),
    }
}

fn bind_args<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        };
    }
    q
}

/// How long the executor's writer of events and host results waits, on PostgreSQL, after
/// the first row before it writes, so that what other jobs' hosts finish meanwhile goes in
/// the same statement: a few ms of delay for a fraction of the statements (issue 19).
pub const WRITE_LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// The job row of `v.job_id` (a batch row), locked FOR SHARE, when the fence of `attempt`
/// and `finished` admits it (see [`Fence::sql`]), with its `watched` mark: a lateral subquery, so that each batch row
/// looks its job up by the id index. A join of the batch to `jobs` was planned for the
/// batch function's default estimate (100 rows) as a hash join over the whole jobs table
/// while it held up to a few thousand jobs, read on every batch (at 800 jobs: 0.47 ms of a
/// 3-row batch's 0.5, 0.14 ms by index).
/// The fence sits inside the locking subquery: a row changed meanwhile by a recovery, a
/// claim or a watch mark is waited for and judged (and its mark read) in its new version.
fn fenced_job(attempt: &str, finished: &str) -> String {
    format!(
        "(SELECT j.watched FROM jobs j WHERE j.id = v.job_id AND {} FOR SHARE) AS j",
        Fence::sql("j", attempt, finished)
    )
}

/// The rows a statement run for its rows gave back.
fn rows_of(ran: Ran) -> Vec<AnyRow> {
    match ran {
        Ran::Rows(rows) => rows,
        Ran::Affected(_) => Vec::new(),
    }
}

/// Logs host results refused because their attempt no longer holds the job (it was
/// recovered and re-queued while that attempt ran on).
fn stale_results_refused(n: u64) {
    let what = format!(
        "store: refused {n} host result(s) of a stale attempt (its job was recovered meanwhile)"
    );
    crate::oplog::log("stale_refused", None, &what, &[("results", n.into())]);
}

/// Applies the migrations not applied yet.
async fn migrate(pool: &AnyPool, pg: bool) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    if pg {
        // Several executors may start at once: one migrates, the others wait.
        sqlx::query("SELECT pg_advisory_lock(7244031)")
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    let result = async {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        let newest: Option<Option<i64>> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
            .pop();
        let known = MIGRATIONS.iter().map(|(v, _, _)| *v).max().unwrap_or(0);
        if let Some(newer) = newest.flatten().filter(|v| *v > known) {
            // Rows a newer version wrote may be in a form this one cannot read.
            return Err(StoreError::Database(format!(
                "the store's schema is version {newer}, newer than this ansible-inspec-rs knows \
                 ({known}): run the same version on every process that shares it"
            ))
            .into());
        }
        for (version, sqlite_ddl, pg_ddl) in MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?
                .pop();
            if done.is_some() {
                continue;
            }
            let ddl = if pg { pg_ddl } else { sqlite_ddl };
            for stmt in ddl.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                sqlx::query(stmt).execute(&mut *conn).await.map_err(db_err)?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(ts(Utc::now()))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
    .await;
    if pg {
        sqlx::query("SELECT pg_advisory_unlock(7244031)")
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    result
}

fn db_err(e: sqlx::Error) -> Error {
    StoreError::Database(e.to_string()).into()
}

fn json_err(e: serde_json::Error) -> Error {
    StoreError::Corrupt(e.to_string()).into()
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("bad timestamp {s:?}: {e}")).into())
}

fn opt_ts(s: Option<String>) -> Result<Option<DateTime<Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(json_err)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(json_err)
}

fn status_of(s: &str) -> Result<JobStatus> {
    JobStatus::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown job status {s:?}")).into())
}

/// `sqlite:///abs/path.db`, `sqlite://rel.db` or `sqlite:rel.db` → a sqlx URL that creates the file.
fn sqlite_url(url: &str) -> Result<(String, std::path::PathBuf)> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(crate::error::ValidationError::new(
            "store",
            "sqlite URL needs a file path: sqlite:///path/to/file.db",
        )
        .into());
    }
    Ok((format!("sqlite://{path}?mode=rwc"), path.into()))
}

/// What is wrong with a SQLite store file, found at once (opening it the pool's way
/// would retry until the pool's acquire timeout and say only that it timed out).
fn sqlite_problem(path: &std::path::Path) -> Option<String> {
    use rusqlite::ErrorCode;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        match std::fs::metadata(dir) {
            Ok(m) if !m.is_dir() => return Some(format!("{} is not a directory", dir.display())),
            Ok(_) => {}
            Err(_) => {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    return Some(format!("cannot create directory {}: {e}", dir.display()));
                }
            }
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Some("is a directory, not a database file".into()),
        Ok(m) if !m.is_file() => return Some("is not a regular file".into()),
        _ => {}
    }
    let check = || -> rusqlite::Result<Option<String>> {
        let conn = rusqlite::Connection::open(path)?;
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Ok(Some("is read-only: the store needs to write it".into()));
        }
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))?;
        // Every page, for a file small enough to read at start-up (a truncated or
        // overwritten file otherwise fails only when a query reaches the broken page).
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= QUICK_CHECK_BYTES);
        if small {
            let verdict: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
            if verdict != "ok" {
                return Ok(Some(format!("is corrupt ({verdict})")));
            }
        }
        Ok(None)
    };
    match check() {
        Ok(problem) => problem,
        Err(e) => {
            let what = match e.sqlite_error_code() {
                Some(ErrorCode::NotADatabase) => "is not a SQLite database",
                Some(ErrorCode::DatabaseCorrupt) => "is corrupt",
                Some(ErrorCode::ReadOnly) => "is read-only: the store needs to write it and its directory",
                Some(ErrorCode::CannotOpen) => "cannot be opened (its directory must be writable: SQLite keeps -wal and -shm files beside it)",
                Some(ErrorCode::PermissionDenied) => "is not accessible (permission denied)",
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => "is locked by another process",
                _ => "cannot be used",
            };
            Some(format!("{what} ({e})"))
        }
    }
}

/// What is wrong with a SQLite file's header, read from the file (16 bytes).
fn sqlite_header_problem(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|f| {
        let mut n = 0;
        let mut f = f.take(16);
        while n < 16 {
            match f.read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    });
    match read {
        Err(e) => Some(format!("cannot be read ({e})")),
        // Empty: SQLite writes the header with the first transaction.
        Ok(0) => None,
        Ok(n) if n < 16 || &head != MAGIC => {
            Some("is not a SQLite database (its header was overwritten or cut short)".into())
        }
        Ok(_) => None,
    }
}

/// A PostgreSQL store's connections (the pool's size, the kept ones included).
const PG_CONNECTIONS: u32 = 10;

/// Files up to this size get a full `quick_check` when the store opens.
const QUICK_CHECK_BYTES: u64 = 64 * 1024 * 1024;

/// How long a store check (`/health`) may take before the store counts as unreachable.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl SqlStore {
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let (connect_url, backend) = if sqlite {
            let (u, path) = sqlite_url(url)?;
            if let Some(problem) = sqlite_problem(&path) {
                return Err(StoreError::Unavailable(format!(
                    "sqlite store {}: {problem}",
                    path.display()
                ))
                .into());
            }
            (u, "sqlite")
        } else {
            (url.to_string(), "postgresql")
        };
        let options = |connections: u32| {
            let options = AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(std::time::Duration::from_secs(30));
            if !sqlite {
                return options.after_connect(|conn, _| {
                    Box::pin(async move {
                        // Each statement is prepared once per connection: plan it once
                        // too. Left to PostgreSQL, a statement gets a fresh plan on each of
                        // its first five runs in a connection, and the periodic ones (leases,
                        // probes, recovery) spread over the pool never get past five: most
                        // of their cost was planning (about 1 ms each, their run 0.1 ms).
                        // Every hot statement finds its rows by index whatever the values
                        // (see `fenced_job`, `claim_pg`).
                        sqlx::query("SET plan_cache_mode = force_generic_plan")
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                });
            }
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL: readers never block the writer; busy_timeout: writers of other
                    // processes queue instead of failing; NORMAL is durable across process
                    // crashes in WAL.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA busy_timeout = 30000",
                        "PRAGMA synchronous = NORMAL",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        };
        let open_err = |e: sqlx::Error| {
            StoreError::Unavailable(format!(
                "cannot open {backend} store {}: {e}",
                super::redact(url)
            ))
        };
        let pool = options(if sqlite { 4 } else { PG_CONNECTIONS })
            .connect(&connect_url)
            .await
            .map_err(open_err)?;
        // The first connection created the file and switched it to WAL.
        migrate(&pool, !sqlite).await?;
        let writes = if sqlite {
            let (_, path) = sqlite_url(url)?;
            Writes::Sqlite(SqliteWriter::open(&path)?)
        } else {
            // Half the pool at most is kept aside: reads and rare writes get the rest.
            let conns = Arc::new(HeldConns::new(pool.clone(), PG_CONNECTIONS as usize / 2));
            Writes::Pool { conns }
        };
        Ok(SqlStore {
            pool,
            writes,
            backend,
            url: url.to_string(),
            file: sqlite
                .then(|| sqlite_url(url).map(|(_, path)| path))
                .transpose()?,
            origin: Uuid::new_v4().simple().to_string(),
        })
    }

    /// Executes write statements in order, atomically; the rows each changed.
    async fn exec(&self, stmts: Vec<(String, Vec<Arg>)>) -> WriteResult<Vec<u64>> {
        let conns = match &self.writes {
            Writes::Sqlite(w) => return w.execute(stmts).await,
            Writes::Pool { conns } => conns,
        };
        if let [(sql, args)] = &stmts[..] {
            let make = || {
                Ok(bind_args(
                    sqlx::query(AssertSqlSafe(sql.clone())),
                    args.clone(),
                ))
            };
            return match conns.run(make, false).await.map_err(WriteError::Other)? {
                Ok(Ran::Affected(n)) => Ok(vec![n]),
                Ok(Ran::Rows(_)) => Ok(vec![0]),
                Err(e) => Err(write_err(e)),
            };
        }
        let mut out = Vec::with_capacity(stmts.len());
        let mut conn = conns.take_for_tx().await.map_err(write_err)?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(write_err)?;
        for (sql, args) in stmts {
            let done = bind_args(sqlx::query(AssertSqlSafe(sql)), args)
                .execute(&mut *tx)
                .await
                .map_err(write_err)?;
            out.push(done.rows_affected());
        }
        tx.commit().await.map_err(write_err)?;
        conns.give_back(conn);
        Ok(out)
    }

    /// One statement; the rows it changed.
    async fn exec_one(&self, sql: &str, args: Vec<Arg>) -> WriteResult<u64> {
        let done = self.exec(vec![(sql.to_string(), args)]).await?;
        Ok(done.first().copied().unwrap_or(0))
    }

    /// The `finished` event of a job that recovery just ended `error` at `attempt`, after its
    /// stored history: nothing else can be stored for it now (its attempt's fence admits
    /// only this end), so the next seq stays free, and its streams end with the stored end.
    async fn store_interrupted(&self, job: Uuid, attempt: i64) -> Result<()> {
        let end = Event {
            job_id: job,
            seq: self.last_event_seq(job).await? + 1,
            time: super::now(),
            kind: crate::job::EventKind::Finished {
                status: JobStatus::Error,
                error: Some(INTERRUPTED.to_string()),
            },
        };
        let fence = Fence::Attempt(u32::try_from(attempt).unwrap_or(0));
        self.append_events(&[(end, fence)], usize::MAX).await
    }

    /// A read's rows: on PostgreSQL on a kept connection (no pool pings), on SQLite
    /// through the pool (beside the writer).
    async fn read(&self, make: impl Fn() -> Result<AnyQuery>) -> Result<Vec<AnyRow>> {
        match &self.writes {
            Writes::Pool { conns } => Ok(rows_of(conns.run(make, true).await?.map_err(db_err)?)),
            Writes::Sqlite(_) => make()?.fetch_all(&self.pool).await.map_err(db_err),
        }
    }

    /// Claims up to `n` of the oldest pending jobs for `worker` on PostgreSQL, in one
    /// statement: the claims (SKIP LOCKED: workers elsewhere claim other jobs at once, each
    /// job once, one attempt per claim), each first attempt's `started` event (its body made
    /// here with a placeholder id, the job's put in by the statement) with its `events` notice
    /// when the job is watched, and with `lease`, the worker's lease renewed for that long
    /// from now: a job is never claimed under a lease that ran out meanwhile.
    /// The jobs are found by index (`seq = ANY (ARRAY(…))`): a semi-join to the subquery
    /// could be planned as a scan of the whole jobs table for a parameter's row estimate.
    async fn claim_pg(
        &self,
        worker: &str,
        n: usize,
        lease: Option<std::time::Duration>,
    ) -> Result<Vec<JobRecord>> {
        let Some(conns) = self.pg_conns() else {
            return Ok(Vec::new());
        };
        let at = super::now();
        let (worker, now) = (worker.to_string(), ts(at));
        let started = to_json(&super::first_started(Uuid::nil(), Some(worker.clone()), at))?;
        let renew = match lease {
            Some(_) => "lease AS (INSERT INTO workers (id, started_at, heartbeat_at, lease_until) \
                 VALUES ($1, $2, $2, $8) ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, \
                 lease_until = excluded.lease_until RETURNING id), ",
            None => "",
        };
        let lease_until = lease.map(|l| {
            let l = chrono::Duration::from_std(l).unwrap_or(chrono::Duration::MAX);
            ts(at.checked_add_signed(l).unwrap_or(at))
        });
        let sql = format!(
            "WITH {renew}claimed AS (UPDATE jobs SET status = 'running', attempt = attempt + 1, worker = $1, \
             started_at = $2, cancel_requested = 0 WHERE seq = ANY (ARRAY(SELECT seq FROM jobs \
             WHERE status = 'pending' ORDER BY seq LIMIT $7 FOR UPDATE SKIP LOCKED)) \
             AND status = 'pending' RETURNING {JOB_COLUMNS}, watched), \
             started AS (INSERT INTO events (job_id, seq, body) SELECT id, 2, replace($3, $4, id) \
             FROM claimed WHERE attempt = 1 ON CONFLICT DO NOTHING RETURNING job_id), \
             told AS (SELECT pg_notify($5 || ':' || job_id, '{}:' || job_id || ':' || $6) FROM started \
             WHERE job_id IN (SELECT id FROM claimed WHERE watched = 1)) \
             SELECT {JOB_COLUMNS}, watched, (SELECT COUNT(*) FROM told) AS told FROM claimed",
            Notice::Events.as_str()
        );
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let make = || {
            let q = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(worker.clone())
                .bind(now.clone())
                .bind(started.clone())
                .bind(Uuid::nil().to_string())
                .bind(NOTIFY_CHANNEL)
                .bind(self.origin.clone())
                .bind(limit);
            Ok(match &lease_until {
                Some(until) => q.bind(until.clone()),
                None => q,
            })
        };
        let rows = rows_of(conns.run(make, true).await?.map_err(db_err)?);
        let mut jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut job = self.job_from_row(JobRow::from_any(row)?, true).await?;
            job.watched = row.try_get::<i64, _>("watched").map_err(db_err)? != 0;
            jobs.push(job);
        }
        // In queue order (the statement returns them in no particular order).
        jobs.sort_by_key(|j| j.created_at);
        Ok(jobs)
    }

    /// Ends jobs on PostgreSQL in one statement ([`finish_batch_sql`] with no other rows):
    /// each end fenced by its own attempt, its `finished` event with it, and `finished`
    /// notices carrying several ends each (one wake-up of the listening processes per
    /// batch, not per job; see `ends_chunks`). Per end, whether it was stored.
    async fn finish_pg(&self, conns: &HeldConns, ends: &[super::JobEnding]) -> Result<Vec<bool>> {
        self.finish_batch_pg(conns, &[], &[], ends).await
    }

    /// [`finish_batch_sql`]: a flush's events, results and ends in one statement. Per end,
    /// whether it was stored; the events and results the fences refused are logged.
    async fn finish_batch_pg(
        &self,
        conns: &HeldConns,
        results: &[(Uuid, u32, HostResult)],
        events: &[(Event, Fence)],
        ends: &[super::JobEnding],
    ) -> Result<Vec<bool>> {
        let make = || batch_statement(ends, events, results, &self.origin);
        let rows = rows_of(conns.run(make, true).await?.map_err(db_err)?);
        let ended = ended_of(ends, rows.last())?;
        stale_refused(refused_of(events.len(), results.len(), rows)?);
        Ok(ended)
    }

    /// PostgreSQL's connections for what only PostgreSQL does (NOTIFY).
    fn pg_conns(&self) -> Option<&HeldConns> {
        match &self.writes {
            Writes::Pool { conns } => Some(conns),
            Writes::Sqlite(_) => None,
        }
    }

    /// A job from its row, with the current attempt's results unless `fresh` (a job just
    /// claimed: its new attempt has none yet).
    async fn job_from_row(&self, row: JobRow, fresh: bool) -> Result<JobRecord> {
        let id = Uuid::parse_str(&row.id)
            .map_err(|e| StoreError::Corrupt(format!("bad job id: {e}")))?;
        let attempt = u32::try_from(row.attempt).unwrap_or(0);
        let template: Template = from_json(&row.template)?;
        let hosts: Vec<String> = from_json(&row.hosts)?;
        let mut results = Vec::new();
        if !fresh {
            let make = || {
                Ok(sqlx::query(
                    "SELECT body FROM host_results WHERE job_id = $1 AND attempt = $2 ORDER BY id",
                )
                .bind(id.to_string())
                .bind(i64::from(attempt)))
            };
            for row in self.read(make).await? {
                let body: String = row.try_get("body").map_err(db_err)?;
                results.extend(unpacked::<HostResult>(&body)?);
            }
            sort_in_host_order(&hosts, &mut results);
        }
        Ok(JobRecord {
            id,
            template: template.into(),
            template_id: row.template_id.and_then(|s| Uuid::parse_str(&s).ok()),
            hosts,
            extra_vars: from_json(&row.extra_vars)?,
            status: status_of(&row.status)?,
            created_at: parse_ts(&row.created_at)?,
            started_at: opt_ts(row.started_at)?,
            finished_at: opt_ts(row.finished_at)?,
            results,
            error: row.error,
            attempt,
            worker: row.worker,
            watched: false,
        })
    }

    async fn jobs_from_rows(&self, rows: Vec<AnyRow>) -> Result<Vec<JobRecord>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.job_from_row(JobRow::from_any(row)?, false).await?);
        }
        Ok(out)
    }

    /// `WHERE …` for a filter, with its bind values in order.
    fn filter_sql(filter: &JobFilter) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        if let Some(s) = filter.status {
            binds.push(s.as_str().to_string());
            clauses.push(format!("status = ${}", binds.len()));
        }
        if let Some(t) = &filter.template {
            binds.push(t.clone());
            let n = binds.len();
            clauses.push(format!("(template_name = ${n} OR template_id = ${n})"));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (sql, binds)
    }

    async fn template_row(&self, key: &str) -> Result<Option<Template>> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM templates WHERE name = $1 OR id = $1")
                .bind(key)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?
                .pop();
        body.as_deref().map(from_json).transpose()
    }
}

/// Ends a running attempt, if it still holds its job (its fence): $1 status, $2 error, $3
/// finished at, $4 job, $5 attempt.
fn finish_job_sql() -> String {
    format!(
        "UPDATE jobs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND {}",
        Fence::sql("jobs", "$5", "0")
    )
}

/// The `started` event ([`super::first_started`]) of a job whose claim returned `row`, when
/// it is a first attempt claimed at `at`.
fn claimed_started(row: &JobRow, at: DateTime<Utc>) -> Option<Result<Event>> {
    if row.attempt != 1 {
        return None;
    }
    Some(
        Uuid::parse_str(&row.id)
            .map(|id| super::first_started(id, row.worker.clone(), at))
            .map_err(|e| StoreError::Corrupt(format!("bad job id: {e}")).into()),
    )
}

/// One event, stored if its fence admits it (see [`Fence::admits`]): $4 the attempt (-1:
/// open), $5 1 for a `finished` event.
fn insert_event_sql() -> String {
    format!(
        "INSERT INTO events (job_id, seq, body) SELECT $1, $2, $3 \
         WHERE $4 = -1 OR EXISTS (SELECT 1 FROM jobs j WHERE j.id = $1 AND {}) \
         ON CONFLICT DO NOTHING",
        Fence::sql("j", "$4", "$5")
    )
}
const TRIM_EVENTS: &str = "DELETE FROM events WHERE job_id = $1 AND COALESCE(last_seq, seq) <= $2";

/// One INSERT per host result, for SQLite's writer (see `store_batch`): stored only while
/// its attempt holds the job.
fn result_stmts(results: &[(Uuid, u32, HostResult)]) -> Result<Vec<(String, Vec<Arg>)>> {
    let sql = format!(
        "INSERT INTO host_results (job_id, attempt, body) SELECT $1, $2, $3 \
         WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.id = $1 AND {})",
        Fence::sql("j", "$2", "0")
    );
    results
        .iter()
        .map(|(job, attempt, result)| {
            let args = vec![
                Arg::Text(job.to_string()),
                Arg::Int(i64::from(*attempt)),
                Arg::Text(to_json(result)?),
            ];
            Ok((sql.clone(), args))
        })
        .collect()
}

/// One INSERT per event, for SQLite's writer (see `store_batch`).
fn event_stmts(events: &[(Event, Fence)]) -> Result<Vec<(String, Vec<Arg>)>> {
    events
        .iter()
        .map(|(e, fence)| {
            let (attempt, finished) = fence.sql_args(e);
            let args = vec![
                Arg::Text(e.job_id.to_string()),
                Arg::Int(i64::try_from(e.seq).unwrap_or(i64::MAX)),
                Arg::Text(to_json(e)?),
                Arg::Int(attempt),
                Arg::Int(finished),
            ];
            Ok((insert_event_sql(), args))
        })
        .collect()
}

/// Per job whose newest event in `events` passes `keep`, the seq up to which its older
/// events are deleted.
fn trims_of(events: &[(Event, Fence)], keep: usize) -> Vec<(Uuid, u64)> {
    let mut newest: BTreeMap<Uuid, u64> = BTreeMap::new();
    for (e, _) in events {
        let n = newest.entry(e.job_id).or_insert(0);
        *n = (*n).max(e.seq);
    }
    newest
        .into_iter()
        .filter(|(_, seq)| *seq > keep as u64)
        .map(|(job, seq)| (job, seq - keep as u64))
        .collect()
}

/// The values a stored body holds: one JSON value, or several as a JSON array (rows a job's
/// end stored, see migration 4).
fn unpacked<T: serde::de::DeserializeOwned>(body: &str) -> Result<Vec<T>> {
    match body.trim_start().starts_with('[') {
        true => from_json(body),
        false => Ok(vec![from_json(body)?]),
    }
}

/// Events stored per INSERT statement.
const EVENT_ROWS: usize = 256;

/// The statement every PostgreSQL write of the writer runs ([`finish_batch_sql`]), for
/// `ends` (none for a batch of events and results only) and the events and results.
/// Returns one row: `ended`, the ids of the jobs ended; `admitted`, the events the fences let
/// through; `stored`, the results.
fn batch_statement(
    ends: &[super::JobEnding],
    events: &[(Event, Fence)],
    results: &[(Uuid, u32, HostResult)],
    origin: &str,
) -> Result<AnyQuery> {
    Ok(sqlx::query(AssertSqlSafe(finish_batch_sql()))
        .bind(end_rows(ends)?)
        .bind(NOTIFY_CHANNEL)
        .bind(origin.to_string())
        .bind(event_rows(events)?)
        .bind(result_rows(results)?))
}

/// `events` as the batch statements bind them: a JSON array of rows (job_id, seq, body,
/// attempt, final: the fence's inputs, see [`Fence::sql_args`]).
fn event_rows(events: &[(Event, Fence)]) -> Result<String> {
    let rows = events
        .iter()
        .map(|(e, fence)| {
            let (attempt, finished) = fence.sql_args(e);
            Ok(serde_json::json!({
                "job_id": e.job_id.to_string(),
                "seq": e.seq,
                "body": to_json(e)?,
                "attempt": attempt,
                "final": finished,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    to_json(&rows)
}

/// `results` as the batch statements bind them: a JSON array of (job_id, attempt, body).
fn result_rows(results: &[(Uuid, u32, HostResult)]) -> Result<String> {
    let rows = results
        .iter()
        .map(|(job, attempt, result)| {
            Ok(serde_json::json!({
                "job_id": job.to_string(),
                "attempt": attempt,
                "body": to_json(result)?,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    to_json(&rows)
}

/// `ends` as the end statements bind them: a JSON array of rows (job_id, attempt, status,
/// error, finished_at, seq and body of the `finished` event, the note its notice carries
/// and which notice: see [`ends_chunks`]). A note too long to share a notice is not told
/// (followers read the job instead).
fn end_rows(ends: &[super::JobEnding]) -> Result<String> {
    let notes: Vec<&str> = ends
        .iter()
        .map(|e| match quoted_len(&e.note) <= ENDS_NOTE_MAX {
            true => e.note.as_str(),
            false => "",
        })
        .collect();
    let chunks = ends_chunks(&notes);
    let rows = ends
        .iter()
        .zip(notes.iter().zip(&chunks))
        .map(|(e, (note, chunk))| {
            let (status, error) = super::end_of(&e.end)?;
            Ok(serde_json::json!({
                "job_id": e.end.job_id.to_string(),
                "attempt": e.attempt,
                "status": status.as_str(),
                "error": error,
                "finished_at": ts(e.end.time),
                "seq": e.end.seq,
                "body": to_json(&e.end)?,
                "note": note,
                "chunk": chunk,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    to_json(&rows)
}

/// The CTEs that end jobs, shared by the end statements: `fin`, the ends bound as `$1`
/// ([`end_rows`]); `ended`, the jobs whose attempt still held them, ended (found by index,
/// `id = ANY (ARRAY(…))`, not by a join planned for the recordset's estimate); `told_ends`,
/// their `ends` notices on channel `$2` from origin `$3`, several ends each. The
/// `finished` events are inserted by the statement (from `ended`).
fn ending_ctes() -> String {
    format!(
        "fin AS (SELECT * FROM json_to_recordset(CAST($1 AS json)) AS f (job_id text, attempt bigint, \
         status text, error text, finished_at text, seq bigint, body text, note text, chunk bigint)), \
         ended AS (UPDATE jobs SET status = f.status, error = f.error, finished_at = f.finished_at FROM fin f \
         WHERE jobs.id = ANY (ARRAY(SELECT job_id FROM fin)) AND jobs.id = f.job_id AND {} \
         RETURNING jobs.id, f.attempt, f.seq, f.body, f.note, f.chunk), \
         told_ends AS (SELECT pg_notify($2, '{ENDS}:' || COUNT(*) || ':' || $3 || ':' \
         || CAST(json_agg(json_build_array(id, note)) AS text)) FROM ended GROUP BY chunk)",
        Fence::sql("jobs", "f.attempt", "0"),
    )
}

/// One statement for a writer's flush ([`Store::store_and_finish`], or a batch without
/// ends): each end fenced by its own attempt, with `ends` notices of several ends each, and
/// the events and host results their fence admits (events: seqs already stored are
/// skipped). Each row's job is read `FOR SHARE` ([`fenced_job`]): a recovery or claim
/// changing a job's attempt waits for it, or it waits for them and sees their change, so a
/// stale attempt's row never slips in beside a re-queue. In the same statement (so at no
/// extra round trip, delivered at commit) one `events` notice per watched job that got new
/// events, from `origin`, on the job's channel ([`events_channel`]). The mark is read under
/// the row's lock: a mark set while the batch holds it waits for the batch's commit (the
/// marking stream's first read sees its events), and a batch locking the row after a mark
/// sees it and notifies. The rows of the jobs ending here are admitted with their job's end
/// (its attempt held the job until this end), never on their own, so an end is stored with
/// everything its attempt sent before it or not at all, and no row waits on a job row the
/// statement itself updates; an ending job's events (its `finished` last) go as one row,
/// and its results as one (migration 4).
/// The rows go as JSON arrays: the statement's text is the same for any number of rows, so
/// each connection prepares it once and PostgreSQL plans it once, where a VALUES list made
/// a statement (parsed and planned anew) per batch size.
/// Binds: $1 ends, $2 channel, $3 origin, $4 events, $5 results.
fn finish_batch_sql() -> String {
    format!(
        "WITH {ending}, \
         ev AS (SELECT * FROM json_to_recordset(CAST($4 AS json)) AS v (job_id text, seq bigint, body text, attempt bigint, final bigint)), \
         fenced AS (SELECT v.job_id, v.seq, v.body, j.watched FROM ev v CROSS JOIN LATERAL {event_job} \
         WHERE v.job_id NOT IN (SELECT job_id FROM fin)), \
         closing AS (SELECT v.job_id, v.seq, v.body FROM ev v JOIN ended d ON d.id = v.job_id \
         WHERE v.attempt = -1 OR v.attempt = d.attempt), \
         packed AS (SELECT job_id, MIN(seq) AS seq, MAX(seq) AS last_seq, \
         '[' || string_agg(body, ',' ORDER BY seq) || ']' AS body FROM (SELECT job_id, seq, body FROM closing \
         UNION ALL SELECT id, seq, body FROM ended) AS c GROUP BY job_id), \
         added AS (INSERT INTO events (job_id, seq, body, last_seq) \
         SELECT job_id, seq, body, CAST(NULL AS bigint) FROM fenced \
         UNION ALL SELECT job_id, seq, body, last_seq FROM packed \
         ON CONFLICT DO NOTHING RETURNING job_id), \
         told AS (SELECT pg_notify($2 || ':' || job_id, '{events}:' || job_id || ':' || $3) \
         FROM (SELECT DISTINCT job_id FROM added \
         WHERE job_id IN (SELECT job_id FROM fenced WHERE watched = 1)) AS jobs), \
         rs AS (SELECT * FROM json_to_recordset(CAST($5 AS json)) AS v (job_id text, attempt bigint, body text)), \
         open_results AS (SELECT v.job_id, v.attempt, v.body FROM rs v CROSS JOIN LATERAL {result_job} \
         WHERE v.job_id NOT IN (SELECT job_id FROM fin)), \
         closing_results AS (SELECT v.job_id, v.attempt, v.body FROM rs v \
         JOIN ended d ON d.id = v.job_id AND d.attempt = v.attempt), \
         stored AS (INSERT INTO host_results (job_id, attempt, body) SELECT job_id, attempt, body FROM open_results \
         UNION ALL SELECT job_id, attempt, '[' || string_agg(body, ',') || ']' FROM closing_results \
         GROUP BY job_id, attempt RETURNING id) \
         SELECT (SELECT string_agg(id, ',') FROM ended) AS ended, \
         (SELECT COUNT(*) FROM fenced) + (SELECT COUNT(*) FROM closing) AS admitted, \
         (SELECT COUNT(*) FROM open_results) + (SELECT COUNT(*) FROM closing_results) AS stored, \
         (SELECT COUNT(*) FROM stored) AS result_rows, (SELECT COUNT(*) FROM added) AS added, \
         (SELECT COUNT(*) FROM told) + (SELECT COUNT(*) FROM told_ends) AS told",
        ending = ending_ctes(),
        events = Notice::Events.as_str(),
        event_job = fenced_job("v.attempt", "v.final"),
        result_job = fenced_job("v.attempt", "0"),
    )
}

/// Which of `ends` a end statement's answer says were stored (the `ended` column: ids).
fn ended_of(ends: &[super::JobEnding], row: Option<&AnyRow>) -> Result<Vec<bool>> {
    let ended: Option<String> = match row {
        Some(r) => r.try_get("ended").map_err(db_err)?,
        None => None,
    };
    let ended: std::collections::HashSet<&str> =
        ended.as_deref().unwrap_or_default().split(',').collect();
    Ok(ends
        .iter()
        .map(|e| ended.contains(e.end.job_id.to_string().as_str()))
        .collect())
}

/// Runs [`batch_statement`] without ends; the events and the results their fence refused.
async fn store_batch_on<'c, E>(
    events: &[(Event, Fence)],
    results: &[(Uuid, u32, HostResult)],
    origin: &str,
    on: E,
) -> Result<(usize, usize)>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = batch_statement(&[], events, results, origin)?
        .fetch_all(on)
        .await
        .map_err(db_err)?;
    refused_of(events.len(), results.len(), rows)
}

/// The events of `events` and results of `results` that [`batch_statement`]'s answer says
/// the fence refused.
fn refused_of(events: usize, results: usize, mut rows: Vec<AnyRow>) -> Result<(usize, usize)> {
    let (admitted, stored): (i64, i64) = match rows.pop() {
        Some(r) => (
            r.try_get("admitted").map_err(db_err)?,
            r.try_get("stored").map_err(db_err)?,
        ),
        None => (0, 0),
    };
    let left = |n: usize, done: i64| n.saturating_sub(usize::try_from(done).unwrap_or(0));
    Ok((left(events, admitted), left(results, stored)))
}

/// Logs what a batch's fences refused.
fn stale_refused((events, results): (usize, usize)) {
    super::stale_events_refused(events);
    if results > 0 {
        stale_results_refused(results as u64);
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn create_template(&self, t: &Template) -> Result<()> {
        let args = vec![
            Arg::Text(t.id.to_string()),
            Arg::Text(t.name.clone()),
            Arg::Text(ts(t.created_at)),
            Arg::Text(to_json(t)?),
        ];
        self.exec_one(
            "INSERT INTO templates (id, name, created_at, body) VALUES ($1, $2, $3, $4)",
            args,
        )
        .await
        .map_err(|e| e.or_exists(&t.name))?;
        Ok(())
    }

    async fn get_template(&self, key: &str) -> Result<std::sync::Arc<Template>> {
        let t = self.template_row(key).await?;
        t.map(std::sync::Arc::new)
            .ok_or_else(|| Error::TemplateNotFound(key.to_string()))
    }

    async fn list_templates(&self) -> Result<Vec<Template>> {
        let bodies: Vec<String> =
            sqlx::query_scalar("SELECT body FROM templates ORDER BY created_at, name")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        bodies.iter().map(|b| from_json(b)).collect()
    }

    async fn replace_template(&self, old: &Template, new: &Template) -> Result<()> {
        let args = vec![
            Arg::Text(new.name.clone()),
            Arg::Text(to_json(new)?),
            Arg::Text(old.id.to_string()),
        ];
        let done = self
            .exec_one(
                "UPDATE templates SET name = $1, body = $2 WHERE id = $3",
                args,
            )
            .await
            .map_err(|e| e.or_exists(&new.name))?;
        if done == 0 {
            return Err(Error::TemplateNotFound(old.name.clone()));
        }
        Ok(())
    }

    async fn delete_template(&self, key: &str) -> Result<()> {
        let done = self
            .exec_one(
                "DELETE FROM templates WHERE name = $1 OR id = $1",
                vec![Arg::Text(key.to_string())],
            )
            .await?;
        if done == 0 {
            return Err(Error::TemplateNotFound(key.to_string()));
        }
        Ok(())
    }

    async fn insert_job(&self, job: &JobRecord, events: &[Event], queue_size: usize) -> Result<()> {
        let args = vec![
            Arg::Text(job.id.to_string()),
            Arg::OptText(job.template_id.map(|u| u.to_string())),
            Arg::Text(job.template.name.clone()),
            Arg::Text(to_json(&job.template)?),
            Arg::Text(to_json(&job.hosts)?),
            Arg::Text(to_json(&job.extra_vars)?),
            Arg::Text(job.status.as_str().to_string()),
            Arg::Text(ts(job.created_at)),
            Arg::Int(i64::try_from(queue_size).unwrap_or(i64::MAX)),
        ];
        // Counted and inserted in one statement, inside a write transaction: SQLite has
        // one writer at a time (across processes too), PostgreSQL's admitters take one
        // advisory lock first, so no two admissions count the same free place.
        let insert = "INSERT INTO jobs (id, template_id, template_name, template, hosts, extra_vars, status, created_at, attempt) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, 0 \
             WHERE (SELECT COUNT(*) FROM jobs WHERE status = 'pending') < $9";
        let full = || Error::QueueFull(queue_size);
        let events: Vec<(Event, Fence)> = events.iter().map(|e| (e.clone(), Fence::Open)).collect();
        let conns = match &self.writes {
            Writes::Sqlite(w) => {
                // One write: the job and its events are committed together, or neither.
                let events = event_stmts(&events)?;
                let admitted = w
                    .write(move |conn| {
                        let done = run_stmts(conn, &[(insert.to_string(), args)])?;
                        if done.first() != Some(&1) {
                            return Ok(false);
                        }
                        run_stmts(conn, &events)?;
                        Ok(true)
                    })
                    .await?;
                return if admitted { Ok(()) } else { Err(full()) };
            }
            Writes::Pool { conns } => conns,
        };
        // The job, its events and its `queued` notice (idle workers elsewhere take it, and
        // streams read it) in one statement. A new job's events need no fence (`Open`).
        let mut sql = format!(
            "WITH job AS ({insert} RETURNING id), \
             added AS (INSERT INTO events (job_id, seq, body) SELECT job.id, v.seq, v.body \
             FROM job, (VALUES "
        );
        let mut n = 9;
        for i in 0..events.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(CAST(${} AS BIGINT), ${})", n + 1, n + 2));
            n += 2;
        }
        if events.is_empty() {
            sql.push_str("(CAST(NULL AS BIGINT), NULL)");
        }
        sql.push_str(&format!(
            ") AS v (seq, body) WHERE v.seq IS NOT NULL ON CONFLICT DO NOTHING RETURNING job_id), \
             told AS (SELECT pg_notify(${}, '{}:' || id || ':' || ${}) FROM job) \
             SELECT (SELECT COUNT(*) FROM job) AS admitted, (SELECT COUNT(*) FROM added) AS added, \
             (SELECT COUNT(*) FROM told) AS told",
            n + 1,
            Notice::Queued.as_str(),
            n + 2
        ));
        let mut q = bind_args(sqlx::query(AssertSqlSafe(sql)), args);
        for (e, _) in &events {
            q = q
                .bind(i64::try_from(e.seq).unwrap_or(i64::MAX))
                .bind(to_json(e)?);
        }
        let q = q.bind(NOTIFY_CHANNEL).bind(self.origin.clone());
        let mut conn = conns.take_for_tx().await.map_err(db_err)?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db_err)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADMISSION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // READ COMMITTED: this statement's snapshot is taken after the lock is held, so it
        // counts every job admitted before.
        let row = q.fetch_all(&mut *tx).await.map_err(db_err)?.pop();
        let admitted: i64 = match row {
            Some(r) => r.try_get("admitted").map_err(db_err)?,
            None => 0,
        };
        if admitted != 1 {
            return Err(full()); // the transaction rolls back on drop
        }
        tx.commit().await.map_err(db_err)?;
        conns.give_back(conn);
        Ok(())
    }

    async fn claim_job(&self, worker: &str) -> Result<Option<JobRecord>> {
        let Writes::Sqlite(w) = &self.writes else {
            return Ok(self.claim_pg(worker, 1, None).await?.pop());
        };
        // One statement, atomic in SQLite (one writer at a time).
        let claim = format!(
            "UPDATE jobs SET status = 'running', attempt = attempt + 1, worker = $1, started_at = $2, cancel_requested = 0 \
             WHERE seq = (SELECT seq FROM jobs WHERE status = 'pending' ORDER BY seq LIMIT 1) \
             AND status = 'pending' RETURNING {JOB_COLUMNS}"
        );
        let at = super::now();
        let (worker, now) = (worker.to_string(), ts(at));
        let row = w
            .write(move |conn| {
                let mut stmt = conn.prepare_cached(&claim)?;
                bind_numbered(&mut stmt, &[Arg::Text(worker), Arg::Text(now)])?;
                let mut rows = stmt.raw_query();
                let Some(row) = rows.next()?.map(JobRow::from_sqlite).transpose()? else {
                    return Ok(None);
                };
                drop(rows);
                // A first attempt's `started` event, in the same transaction.
                if let Some(started) = claimed_started(&row, at) {
                    let stmts = started
                        .and_then(|e| event_stmts(&[(e, Fence::Open)]))
                        .map_err(WriteError::Other)?;
                    run_stmts(conn, &stmts)?;
                }
                Ok(Some(row))
            })
            .await?;
        match row {
            Some(r) => Ok(Some(self.job_from_row(r, true).await?)),
            None => Ok(None),
        }
    }

    async fn claim_jobs(
        &self,
        worker: &str,
        n: usize,
        lease: std::time::Duration,
    ) -> Result<super::Claimed> {
        if matches!(self.writes, Writes::Sqlite(_)) {
            // One claim per job, as before (SQLite's writer takes one at a time anyway).
            return super::claim_each(self, worker, n).await;
        }
        let jobs = self.claim_pg(worker, n, Some(lease)).await?;
        Ok(super::Claimed {
            jobs,
            lease_renewed: true,
        })
    }

    async fn save_host_result(&self, job: Uuid, attempt: u32, result: &HostResult) -> Result<()> {
        self.store_batch(&[(job, attempt, result.clone())], &[], 0)
            .await
    }

    async fn finish_job(&self, attempt: u32, end: &Event, note: &str) -> Result<bool> {
        let (status, error) = super::end_of(end)?;
        let args = vec![
            Arg::Text(status.as_str().to_string()),
            Arg::OptText(error.map(String::from)),
            Arg::Text(ts(end.time)),
            Arg::Text(end.job_id.to_string()),
            Arg::Int(i64::from(attempt)),
        ];
        let conns = match &self.writes {
            Writes::Sqlite(w) => {
                // The end and its event in one transaction: the event only with the end.
                let event = event_stmts(&[(end.clone(), Fence::Open)])?;
                let ended = w
                    .write(move |conn| {
                        let done = run_stmts(conn, &[(finish_job_sql(), args)])?;
                        if done.first() != Some(&1) {
                            return Ok(false);
                        }
                        run_stmts(conn, &event)?;
                        Ok(true)
                    })
                    .await?;
                return Ok(ended);
            }
            Writes::Pool { conns } => conns,
        };
        let ending = super::JobEnding {
            attempt,
            end: end.clone(),
            note: note.to_string(),
        };
        let ended = self.finish_pg(conns, &[ending]).await?;
        Ok(ended.first().copied().unwrap_or(false))
    }

    async fn finish_jobs(&self, ends: &[super::JobEnding]) -> Result<Vec<bool>> {
        let Some(conns) = self.pg_conns() else {
            return super::finish_each(self, ends).await;
        };
        if ends.is_empty() {
            return Ok(Vec::new());
        }
        self.finish_pg(conns, ends).await
    }

    async fn cancel_pending(&self, job: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let done = self
            .exec_one(
                "UPDATE jobs SET status = 'canceled', error = 'canceled before it started', finished_at = $1 \
                 WHERE id = $2 AND status = 'pending'",
                vec![Arg::Text(ts(at)), Arg::Text(job.to_string())],
            )
            .await?;
        Ok(done == 1)
    }

    async fn request_cancel(&self, job: Uuid) -> Result<bool> {
        let done = self
            .exec_one(
                "UPDATE jobs SET cancel_requested = 1 WHERE id = $1 AND status = 'running'",
                vec![Arg::Text(job.to_string())],
            )
            .await?;
        Ok(done == 1)
    }

    async fn cancel_requests(&self, worker: &str) -> Result<Vec<Uuid>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE worker = $1 AND status = 'running' AND cancel_requested = 1",
        )
        .bind(worker)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
    }

    async fn get_job(&self, id: Uuid) -> Result<Option<JobRecord>> {
        let make = || {
            Ok(sqlx::query(AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
            )))
            .bind(id.to_string()))
        };
        let row = self.read(make).await?.pop();
        match row {
            Some(r) => Ok(Some(self.job_from_row(JobRow::from_any(&r)?, false).await?)),
            None => Ok(None),
        }
    }

    async fn list_jobs(
        &self,
        filter: &JobFilter,
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Vec<JobRecord>> {
        let (where_sql, binds) = Self::filter_sql(filter);
        let n = binds.len();
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs {where_sql} ORDER BY seq {} LIMIT ${} OFFSET ${}",
            filter.order.as_str(),
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = q
            .bind(limit)
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        self.jobs_from_rows(rows).await
    }

    async fn count_jobs(&self, filter: &JobFilter) -> Result<usize> {
        let (where_sql, binds) = Self::filter_sql(filter);
        let sql = format!("SELECT COUNT(*) FROM jobs {where_sql}");
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let n = q.fetch_all(&self.pool).await.map_err(db_err)?.pop();
        Ok(n.and_then(|n| usize::try_from(n).ok()).unwrap_or(0))
    }

    async fn count_by_status(&self) -> Result<BTreeMap<JobStatus, usize>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut out = BTreeMap::new();
        for r in rows {
            let status = status_of(&r.try_get::<String, _>("status").map_err(db_err)?)?;
            let n = r.try_get::<i64, _>("n").map_err(db_err)?;
            out.insert(status, usize::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    async fn job_stats(&self) -> Result<super::JobStats> {
        // One statement: the jobs by status, and (status '') the executors with a live lease.
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n, CAST(COALESCE(SUM(attempt), 0) AS BIGINT) AS attempts, \
             CAST(COALESCE(SUM(CASE WHEN attempt > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS claimed, \
             MIN(created_at) AS oldest FROM jobs GROUP BY status \
             UNION ALL SELECT '', COUNT(*), 0, 0, NULL FROM workers \
             WHERE lease_until IS NULL OR lease_until >= $1",
        )
        .bind(ts(Utc::now()))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut stats = super::JobStats::default();
        for r in rows {
            let status: String = r.try_get("status").map_err(db_err)?;
            let n = usize::try_from(r.try_get::<i64, _>("n").map_err(db_err)?).unwrap_or(0);
            if status.is_empty() {
                stats.live_workers = n;
                continue;
            }
            let count = |c: &str| -> Result<u64> {
                Ok(u64::try_from(r.try_get::<i64, _>(c).map_err(db_err)?).unwrap_or(0))
            };
            let oldest = opt_ts(r.try_get("oldest").map_err(db_err)?)?;
            let (attempts, claimed) = (count("attempts")?, count("claimed")?);
            stats.add(status_of(&status)?, n, attempts, claimed, oldest);
        }
        Ok(stats)
    }

    async fn delete_job(&self, id: Uuid) -> Result<()> {
        let key = id.to_string();
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
            .bind(&key)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .pop();
        match status.as_deref().map(status_of).transpose()? {
            None => return Err(Error::JobNotFound(key)),
            Some(s) if !s.is_terminal() => return Err(Error::JobNotFinished(key)),
            Some(_) => {}
        }
        let stmts = [
            "DELETE FROM events WHERE job_id = $1",
            "DELETE FROM host_results WHERE job_id = $1",
            "DELETE FROM jobs WHERE id = $1",
        ]
        .map(|sql| (sql.to_string(), vec![Arg::Text(key.clone())]));
        self.exec(stmts.into()).await?;
        Ok(())
    }

    async fn append_events(&self, events: &[(Event, Fence)], keep: usize) -> Result<()> {
        self.store_batch(&[], events, keep).await
    }

    async fn store_batch(
        &self,
        results: &[(Uuid, u32, HostResult)],
        events: &[(Event, Fence)],
        keep: usize,
    ) -> Result<()> {
        if events.is_empty() && results.is_empty() {
            return Ok(());
        }
        let trims = trims_of(events, keep);
        let conns = match &self.writes {
            Writes::Sqlite(_) => {
                // One transaction, row by row: the writer reuses one prepared statement per
                // kind; a statement per batch size would be prepared every time.
                let mut stmts = result_stmts(results)?;
                stmts.extend(event_stmts(events)?);
                for (job, upto) in trims {
                    let args = vec![
                        Arg::Text(job.to_string()),
                        Arg::Int(i64::try_from(upto).unwrap_or(0)),
                    ];
                    stmts.push((TRIM_EVENTS.to_string(), args));
                }
                let done = self.exec(stmts).await?;
                // A row not stored was refused (or, an event, stored already: a retry).
                let refused = |skip: usize, n: usize| {
                    done.iter().skip(skip).take(n).filter(|n| **n == 0).count()
                };
                stale_refused((
                    refused(results.len(), events.len()),
                    refused(0, results.len()),
                ));
                return Ok(());
            }
            Writes::Pool { conns } => conns,
        };
        let chunks: Vec<&[(Event, Fence)]> = events.chunks(EVENT_ROWS).collect();
        if chunks.len() <= 1 && trims.is_empty() {
            // The common case (the hosts' results and lifecycle events, a batch of
            // output): one statement, which is atomic by itself, instead of a
            // transaction's three round trips.
            let make = || batch_statement(&[], events, results, &self.origin);
            let rows = rows_of(conns.run(make, true).await?.map_err(db_err)?);
            stale_refused(refused_of(events.len(), results.len(), rows)?);
            return Ok(());
        }
        let mut conn = conns.take_for_tx().await.map_err(db_err)?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db_err)?;
        let mut refused = (0, 0);
        // The results go with the first chunk of events.
        let mut results = results;
        for chunk in chunks {
            let (e, r) = store_batch_on(chunk, results, &self.origin, &mut *tx).await?;
            refused = (refused.0 + e, refused.1 + r);
            results = &[];
        }
        for (job, upto) in trims {
            sqlx::query(TRIM_EVENTS)
                .bind(job.to_string())
                .bind(i64::try_from(upto).unwrap_or(0))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        conns.give_back(conn);
        stale_refused(refused);
        Ok(())
    }

    async fn store_and_finish(
        &self,
        results: &[(Uuid, u32, HostResult)],
        events: &[(Event, Fence)],
        keep: usize,
        ends: &[super::JobEnding],
    ) -> (Result<()>, Result<Vec<bool>>) {
        let one_statement =
            !ends.is_empty() && events.len() <= EVENT_ROWS && trims_of(events, keep).is_empty();
        match self.pg_conns() {
            Some(conns) if one_statement => {
                match self.finish_batch_pg(conns, results, events, ends).await {
                    Ok(ended) => (Ok(()), Ok(ended)),
                    Err(e) => (Err(StoreError::Database(e.to_string()).into()), Err(e)),
                }
            }
            _ => super::store_then_finish(self, results, events, keep, ends).await,
        }
    }

    async fn events(&self, job: Uuid, after: u64) -> Result<Vec<Event>> {
        let make = || {
            Ok(sqlx::query(
                "SELECT body FROM events WHERE job_id = $1 AND COALESCE(last_seq, seq) > $2 ORDER BY seq",
            )
            .bind(job.to_string())
            .bind(i64::try_from(after).unwrap_or(i64::MAX)))
        };
        let mut events: Vec<Event> = Vec::new();
        for row in self.read(make).await? {
            let body: String = row.try_get("body").map_err(db_err)?;
            for e in unpacked::<Event>(&body)? {
                // In order, each once (rows of several events may overlap a retry's).
                if e.seq > after && events.last().is_none_or(|l| e.seq > l.seq) {
                    events.push(e);
                }
            }
        }
        Ok(events)
    }

    async fn last_event_seq(&self, job: Uuid) -> Result<u64> {
        let n: Option<Option<i64>> =
            sqlx::query_scalar("SELECT MAX(COALESCE(last_seq, seq)) FROM events WHERE job_id = $1")
                .bind(job.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?
                .pop();
        Ok(n.flatten().and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    async fn heartbeat(&self, worker: &str, lease: std::time::Duration) -> Result<()> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        self.exec_one(
            "INSERT INTO workers (id, started_at, heartbeat_at, lease_until) VALUES ($1, $2, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until",
            vec![
                Arg::Text(worker.to_string()),
                Arg::Text(ts(now)),
                Arg::Text(ts(until)),
            ],
        )
        .await?;
        Ok(())
    }

    async fn recover(
        &self,
        stale_before: DateTime<Utc>,
        policy: RecoveryPolicy,
        max_attempts: u32,
    ) -> Result<Vec<(Uuid, JobStatus)>> {
        let now = ts(Utc::now());
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT j.id AS id, j.attempt AS attempt FROM jobs j LEFT JOIN workers w ON w.id = j.worker \
             WHERE j.status = 'running' AND (w.id IS NULL OR {LEASE_EXPIRED})"
        )))
        .bind(now.clone())
        .bind(ts(stale_before))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.try_get("id").map_err(db_err)?;
            let attempt: i64 = r.try_get("attempt").map_err(db_err)?;
            let requeue = policy == RecoveryPolicy::Requeue && attempt < i64::from(max_attempts);
            let mut args = vec![Arg::Text(id.clone()), Arg::Int(attempt)];
            let set = if requeue {
                "status = 'pending', worker = NULL, started_at = NULL"
            } else {
                args.push(Arg::Text(INTERRUPTED.to_string()));
                args.push(Arg::Text(ts(Utc::now())));
                "status = 'error', error = $3, finished_at = $4"
            };
            // Only while the attempt found holds the job (its fence).
            let fence = Fence::sql("jobs", "$2", "0");
            let sql = format!("UPDATE jobs SET {set} WHERE id = $1 AND {fence}");
            let done = self.exec_one(&sql, args).await?;
            let status = if requeue {
                JobStatus::Pending
            } else {
                JobStatus::Error
            };
            let Ok(job) = Uuid::parse_str(&id) else {
                continue;
            };
            if done == 1 {
                if !requeue {
                    self.store_interrupted(job, attempt).await?;
                }
                out.push((job, status));
            }
        }
        let sql = format!(
            "DELETE FROM workers WHERE id IN (SELECT w.id FROM workers w WHERE {LEASE_EXPIRED})"
        );
        self.exec_one(&sql, vec![Arg::Text(now), Arg::Text(ts(stale_before))])
            .await?;
        Ok(out)
    }

    async fn retire_worker(&self, worker: &str) -> Result<()> {
        self.exec_one(
            "DELETE FROM workers WHERE id = $1",
            vec![Arg::Text(worker.to_string())],
        )
        .await?;
        Ok(())
    }

    async fn check(&self) -> Result<Vec<super::LiveWorker>> {
        if let Some(path) = &self.file {
            // The readers' page caches survive the file being overwritten (WAL mode trusts
            // its index): look at the file itself.
            if let Some(problem) = sqlite_header_problem(path) {
                return Err(StoreError::Unavailable(format!(
                    "sqlite store {}: {problem}",
                    path.display()
                ))
                .into());
            }
        }
        // Bounded, so a hung database reads as unreachable rather than as a hang.
        let probe = sqlx::query(
            "SELECT id, heartbeat_at, lease_until FROM workers WHERE lease_until IS NULL OR lease_until >= $1 ORDER BY id",
        )
        .bind(ts(Utc::now()))
        .fetch_all(&self.pool);
        match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
            Ok(Ok(rows)) => rows
                .iter()
                .map(|r| {
                    Ok(super::LiveWorker {
                        id: r.try_get("id").map_err(db_err)?,
                        heartbeat_at: r.try_get("heartbeat_at").map_err(db_err)?,
                        lease_until: r.try_get("lease_until").map_err(db_err)?,
                    })
                })
                .collect(),
            Ok(Err(e)) => Err(db_err(e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer from the {} store within {} s",
                self.backend,
                CHECK_TIMEOUT.as_secs()
            ))
            .into()),
        }
    }

    async fn notify(&self, what: Notice, job: Uuid) -> Result<()> {
        let Some(conns) = self.pg_conns() else {
            return Ok(());
        };
        let payload = format!("{}:{job}:{}", what.as_str(), self.origin);
        let make = || {
            Ok(sqlx::query("SELECT pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(payload.clone()))
        };
        conns.run(make, false).await?.map_err(db_err)?;
        Ok(())
    }

    async fn listen(&self) -> Result<Option<super::Listening>> {
        if self.backend != "postgresql" {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url)
            .await
            .map_err(db_err)?;
        listener.listen(NOTIFY_CHANNEL).await.map_err(db_err)?;
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let (watch, mut watches) = tokio::sync::mpsc::unbounded_channel();
        let origin = self.origin.clone();
        let pool = self.pool.clone();
        tokio::spawn(async move {
            // PgListener reconnects by itself (and listens again on every channel); a
            // notice lost meanwhile is covered by the workers' periodic look at the queue
            // and the streams' rechecks.
            loop {
                // `recv` is cancel-safe: a notice arriving meanwhile waits in the buffer.
                let n = tokio::select! {
                    n = listener.recv() => n,
                    Some(w) = watches.recv() => {
                        // A failure leaves the stream to its periodic recheck.
                        match w {
                            super::EventsWatch::Start(job, ready) => {
                                // Listening first: a notice sent once the job is marked
                                // reaches this process.
                                if listener.listen(&events_channel(job)).await.is_ok() {
                                    let mark = mark_watched(&pool, job);
                                    let _ = tokio::time::timeout(CHECK_TIMEOUT, mark).await;
                                }
                                let _ = ready.send(());
                            }
                            super::EventsWatch::Stop(job) => {
                                let _ = listener.unlisten(&events_channel(job)).await;
                            }
                        }
                        continue;
                    }
                };
                let Ok(n) = n else {
                    break;
                };
                // kind:job:origin[:note] (origins are hex; a note may hold anything).
                let mut parts = n.payload().splitn(4, ':');
                let (Some(kind), Some(id), from) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                if from == Some(origin.as_str()) {
                    continue;
                }
                if kind == ENDS {
                    // Several ends: each heard as its own `finished` notice.
                    let ends: Vec<(String, String)> =
                        serde_json::from_str(parts.next().unwrap_or_default()).unwrap_or_default();
                    for (id, note) in ends {
                        let Ok(id) = Uuid::parse_str(&id) else {
                            continue;
                        };
                        if tx.send((Notice::Finished, id, note)).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                let Ok(id) = Uuid::parse_str(id) else {
                    continue;
                };
                let Some(notice) = Notice::parse(kind) else {
                    continue;
                };
                let note = parts.next().unwrap_or_default().to_string();
                if tx.send((notice, id, note)).await.is_err() {
                    break;
                }
            }
        });
        Ok(Some(super::Listening { heard: rx, watch }))
    }
}

/// Marks `job` watched (see migration 3): from its commit on, every write of the job's
/// events notifies. A write holding the job's row (FOR SHARE) meanwhile is waited for, so
/// what was stored without a notice is visible to reads after this. A pending job the mark
/// held locked may have been skipped by a claim (SKIP LOCKED): a `queued` notice (from no
/// executor's origin) has idle workers look again.
async fn mark_watched(pool: &AnyPool, job: Uuid) -> Result<()> {
    sqlx::query(
        "WITH marked AS (UPDATE jobs SET watched = 1 WHERE id = $1 AND watched = 0 RETURNING id, status), \
         told AS (SELECT pg_notify($2, CASE status WHEN 'pending' THEN $3 ELSE $4 END || ':' || id || ':watch') \
         FROM marked WHERE status IN ('pending', 'running')) \
         SELECT (SELECT COUNT(*) FROM marked) AS marked, (SELECT COUNT(*) FROM told) AS told",
    )
    .bind(job.to_string())
    .bind(NOTIFY_CHANNEL)
    .bind(Notice::Queued.as_str())
    .bind(Notice::Watched.as_str())
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The bytes of `note` as a JSON string (quoted and escaped), as a notice carries it.
fn quoted_len(note: &str) -> usize {
    serde_json::to_string(note).map_or(note.len() * 6 + 2, |q| q.len())
}

/// The notice each end goes in (see [`ENDS`]): consecutive ends share one while their notes
/// fit in [`ENDS_PAYLOAD`] bytes (a job id and the array's punctuation counted with each).
fn ends_chunks(notes: &[&str]) -> Vec<u64> {
    let (mut chunk, mut used) = (0u64, 0usize);
    notes
        .iter()
        .map(|note| {
            let size = quoted_len(note) + 48;
            if used > 0 && used + size > ENDS_PAYLOAD {
                chunk += 1;
                used = 0;
            }
            used += size;
            chunk
        })
        .collect()
}

/// The channel of a job's `events` notices (see [`super::EventsWatch`]): the notice
/// channel and the job's id, as the statements that send them spell it.
fn events_channel(job: Uuid) -> String {
    format!("{NOTIFY_CHANNEL}:{job}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh SQLite file in the system's temp dir (removed by the caller's guard).
    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new() -> Self {
            TempDb(std::env::temp_dir().join(format!("airs-{}.db", Uuid::new_v4().simple())))
        }

        fn url(&self) -> String {
            format!("sqlite://{}", self.0.display())
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    /// A store written by a newer version (a schema version this one does not know) is
    /// refused at open with a message saying so, not misread.
    #[tokio::test]
    async fn a_store_with_a_newer_schema_is_refused() {
        let db = TempDb::new();
        let store = SqlStore::open(&db.url()).await.unwrap();
        let newer = MIGRATIONS.iter().map(|(v, _, _)| *v).max().unwrap() + 1;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 'now')")
            .bind(newer)
            .execute(&store.pool)
            .await
            .unwrap();
        drop(store);
        let err = SqlStore::open(&db.url()).await.err().expect("refused");
        let text = err.to_string();
        assert!(text.contains(&format!("version {newer}")), "{text}");
        assert!(text.contains("run the same version"), "{text}");
    }

    /// Rows holding several events or results (a job's end on PostgreSQL) read back as
    /// their values, in order, beside rows of one, each event once.
    #[test]
    fn packed_bodies_unpack_beside_single_ones() {
        let job = Uuid::new_v4();
        let ev = |seq| Event {
            job_id: job,
            seq,
            time: crate::store::now(),
            kind: crate::job::EventKind::Lagged { missed: seq },
        };
        let single = to_json(&ev(3)).unwrap();
        let packed = to_json(&vec![ev(4), ev(5)]).unwrap();
        let one: Vec<Event> = unpacked(&single).unwrap();
        assert_eq!(one.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
        let two: Vec<Event> = unpacked(&packed).unwrap();
        assert_eq!(two.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
        let r = HostResult::not_run("h", crate::job::HostStatus::Skipped, "x");
        let results: Vec<HostResult> =
            unpacked(&to_json(&vec![r.clone(), r.clone()]).unwrap()).unwrap();
        assert_eq!(results.len(), 2);
        let results: Vec<HostResult> = unpacked(&to_json(&r).unwrap()).unwrap();
        assert_eq!(results, vec![r]);
    }

    /// Each `ends` notice stays under PostgreSQL's payload limit (8,000 bytes), whatever the
    /// notes (quotes double in JSON), and ends share notices while they fit.
    #[test]
    fn ends_notices_fit_postgresqls_payload_limit() {
        // The longest note told: a quote and a control character (escaped as 6 bytes) each.
        let quoted = "\"\u{1}".repeat(ENDS_NOTE_MAX / 8 - 1);
        assert!(quoted_len(&quoted) <= ENDS_NOTE_MAX);
        let typical = r#"{"status":"successful","seconds":0.213,"hosts":{"passed":3}}"#.to_string();
        let notes: Vec<&str> = [quoted.as_str(), typical.as_str(), "", quoted.as_str()]
            .into_iter()
            .cycle()
            .take(200)
            .collect();
        let chunks = ends_chunks(&notes);
        assert_eq!(chunks.len(), notes.len());
        assert!(chunks.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1));
        let id = Uuid::new_v4().to_string();
        let origin = Uuid::new_v4().simple().to_string();
        for chunk in 0..=chunks[chunks.len() - 1] {
            let ends: Vec<(&str, &str)> = notes
                .iter()
                .zip(&chunks)
                .filter(|(_, c)| **c == chunk)
                .map(|(note, _)| (id.as_str(), *note))
                .collect();
            let payload = format!(
                "{ENDS}:{}:{origin}:{}",
                ends.len(),
                serde_json::to_string(&ends).unwrap()
            );
            assert!(payload.len() < 8000, "{} bytes", payload.len());
        }
        // Typical notes: many ends per notice.
        let chunks = ends_chunks(&vec![typical.as_str(); 100]);
        assert!(chunks[99] < 3, "{chunks:?}");
    }
}
