//! PostgreSQL connections the hot paths (claims, results, events, job ends) keep between
//! statements instead of returning them to sqlx's pool.
//!
//! Why: sqlx's pool pings a connection when it is taken (`test_before_acquire`) and again
//! when it is given back, so each statement costs PostgreSQL three wake-ups, and the pings
//! cost it more CPU than the statements themselves (issue 19: 3,000 one-row inserts took
//! 0.37 CPU-s of PostgreSQL through the pool, 0.09 on a connection kept aside). Connections
//! kept here are pool connections (they count against its size), pinged only after they
//! sat idle for [`PING_IDLE`]; one that fails a statement is closed, not kept.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Connection};

/// A kept connection idle for longer is pinged before use (the database may have restarted).
const PING_IDLE: Duration = Duration::from_secs(1);

/// A statement, made anew for a retry (running consumes it).
pub(crate) type AnyQuery = sqlx::query::Query<'static, Any, AnyArguments>;

pub(crate) struct HeldConns {
    pool: AnyPool,
    /// Idle connections, most recently used last.
    idle: Mutex<Vec<(PoolConnection<Any>, Instant)>>,
    /// Kept at most: the rest of the pool serves reads and rare writes.
    keep: usize,
}

/// What a statement gave back.
pub(crate) enum Ran {
    Rows(Vec<AnyRow>),
    Affected(u64),
}

impl HeldConns {
    pub(crate) fn new(pool: AnyPool, keep: usize) -> Self {
        HeldConns {
            pool,
            idle: Mutex::new(Vec::new()),
            keep,
        }
    }

    /// A connection that answered lately (or a pinged one); the bool: it was not pinged now.
    async fn take(&self) -> Result<(PoolConnection<Any>, bool), sqlx::Error> {
        loop {
            let next = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let Some((mut conn, since)) = next else {
                return Ok((self.pool.acquire().await?, false));
            };
            if since.elapsed() < PING_IDLE {
                return Ok((conn, true));
            }
            if conn.ping().await.is_ok() {
                return Ok((conn, false));
            }
            // Broken: dropped (the pool closes it).
        }
    }

    fn keep(&self, conn: PoolConnection<Any>) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.keep {
            idle.push((conn, Instant::now()));
        }
    }

    /// Runs one statement (`make` builds it): rows when `rows`, else the rows it changed.
    /// A connection kept from earlier (not pinged) and found gone — the server ended it
    /// (SQLSTATE 57P01–57P03, class 08) or the socket failed, which for a connection that
    /// sat idle means the statement did not reach a server — is replaced by one from the
    /// pool, which waits out an outage as any pool user does, and the statement runs there
    /// once more. (A socket failing between the statement's commit and its answer would
    /// make it run twice; that window is the moment between the two.)
    pub(crate) async fn run(
        &self,
        make: impl Fn() -> crate::error::Result<AnyQuery>,
        rows: bool,
    ) -> crate::error::Result<Result<Ran, sqlx::Error>> {
        let (mut conn, unchecked) = match self.take().await {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let first = run_on(&mut conn, make()?, rows).await;
        let ran = match first {
            Err(e) if unchecked && connection_lost(&e) => {
                drop(conn);
                conn = match self.pool.acquire().await {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(e)),
                };
                run_on(&mut conn, make()?, rows).await
            }
            other => other,
        };
        if ran.is_ok() {
            self.keep(conn);
        }
        Ok(ran)
    }

    /// A connection for a transaction (given back with [`HeldConns::give_back`] once it
    /// committed; dropped otherwise).
    pub(crate) async fn take_for_tx(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        let (mut conn, unchecked) = self.take().await?;
        if unchecked && conn.ping().await.is_err() {
            conn = self.pool.acquire().await?;
        }
        Ok(conn)
    }

    pub(crate) fn give_back(&self, conn: PoolConnection<Any>) {
        self.keep(conn);
    }
}

impl Drop for HeldConns {
    /// A pool connection dropped goes back to its pool by a task spawned on the Tokio
    /// runtime, and panics outside one: the store is dropped wherever the executor's last
    /// reference goes (Python's collector, on a thread of its own), so the kept connections
    /// are taken off the pool and closed here instead.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        let idle = self.idle.get_mut().unwrap_or_else(|p| p.into_inner());
        for (conn, _) in idle.drain(..) {
            drop(conn.detach());
        }
    }
}

async fn run_on(
    conn: &mut PoolConnection<Any>,
    q: AnyQuery,
    rows: bool,
) -> Result<Ran, sqlx::Error> {
    if rows {
        q.fetch_all(&mut **conn).await.map(Ran::Rows)
    } else {
        q.execute(&mut **conn)
            .await
            .map(|d| Ran::Affected(d.rows_affected()))
    }
}

/// The connection was gone before the statement reached the server: closed under it
/// (I/O), or terminated by an administrator, a crash or a restart (SQLSTATE 57P01–57P03,
/// class 08).
fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("57P0") || c.starts_with("08")),
        _ => false,
    }
}
