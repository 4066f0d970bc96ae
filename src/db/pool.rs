//! The r2d2 pool and the one way handlers reach the database: off the actix workers.
//!
//! A database that is down must not hold requests: phones in the field would block and load
//! balancers' probes time out. The pool remembers whether the last attempt to connect failed
//! (`Outage`); while it did, a request that finds no idle connection answers 503 at once
//! instead of waiting out the checkout timeout. r2d2 keeps trying to connect in the
//! background, and the first success ends the outage by itself.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};

use super::{DatabaseTarget, DbConnection, mask_password};
use crate::error::ApiError;

pub type DbPooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// How long a request waits for a connection by default while the database is up.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a waiting checkout looks whether an outage has become known.
const OUTAGE_POLL: Duration = Duration::from_millis(50);

/// The connection pool, and whether the database is known to be down. Derefs to the r2d2
/// pool for direct use by tools and tests.
#[derive(Clone, Debug)]
pub struct DbPool {
    pool: r2d2::Pool<ConnectionManager>,
    outage: Arc<Outage>,
    /// SQLite: the database is a file read in this process, never a wait on the network.
    in_process: bool,
}

impl Deref for DbPool {
    type Target = r2d2::Pool<ConnectionManager>;

    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}

/// Set when an attempt to connect fails, cleared when one succeeds.
#[derive(Debug, Default)]
pub struct Outage(AtomicBool);

impl Outage {
    pub fn is_known(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn record(&self, connected: bool) {
        self.0.store(!connected, Ordering::Relaxed);
    }
}

impl DbPool {
    /// A connection, waiting at most the checkout timeout while the database is up; at once
    /// `Unavailable` (503) while it is known to be down and no idle connection still works.
    pub fn checkout(&self) -> Result<DbPooledConnection, ApiError> {
        let deadline = Instant::now() + self.pool.connection_timeout();
        loop {
            if self.outage.is_known() {
                return self.pool.try_get().ok_or_else(|| {
                    ApiError::database_unavailable("cannot connect to the database (outage)")
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ApiError::database_unavailable(
                    "no database connection became free within the checkout timeout",
                ));
            }
            if let Ok(conn) = self.pool.get_timeout((deadline - now).min(OUTAGE_POLL)) {
                return Ok(conn);
            }
        }
    }

    /// Whether the last attempt to connect failed.
    pub fn outage_known(&self) -> bool {
        self.outage.is_known()
    }
}

/// Opens connections for one backend, chosen from the URL scheme before anything connects,
/// so a failure reports the real cause (`MultiConnection::establish` would hide it).
#[derive(Debug)]
pub struct ConnectionManager {
    target: DatabaseTarget,
    outage: Arc<Outage>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        let connected = self.open();
        self.outage.record(connected.is_ok());
        connected
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.ping().map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConnection, ConnectError> {
        match &self.target {
            DatabaseTarget::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(|e| ConnectError(e.to_string()))?;
                // WAL lets readers run beside the writer; the busy timeout makes writers queue
                // instead of failing; SQLite leaves foreign keys off unless asked.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| ConnectError(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseTarget::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(|e| ConnectError(e.to_string()))?;
                // diesel keeps prepared statements, and after five runs PostgreSQL may switch
                // one to a generic plan made without the parameters' values. For a region
                // prefix that plan reads every older row of the region on each ledger batch:
                // a 91,000-row export took 16 s instead of 3.5 s. Plan with the values, always.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan")
                    .map_err(|e| ConnectError(e.to_string()))?;
                Ok(DbConnection::Pg(conn))
            }
        }
    }
}

/// Builds the pool and checks one connection, so a bad URL stops start-up with one line
/// that names the URL (password masked) and the cause.
pub fn connect(database_url: &str, max_size: u32) -> Result<DbPool, String> {
    connect_with(database_url, max_size, DEFAULT_CHECKOUT_TIMEOUT)
}

/// `connect`, with requests waiting at most `checkout_timeout` for a connection.
pub fn connect_with(
    database_url: &str,
    max_size: u32,
    checkout_timeout: Duration,
) -> Result<DbPool, String> {
    let shown = mask_password(database_url);
    let target =
        DatabaseTarget::parse(database_url).map_err(|e| format!("DATABASE_URL {shown}: {e}"))?;
    if let DatabaseTarget::Sqlite(path) = &target
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("DATABASE_URL {shown}: cannot create {}: {e}", dir.display()))?;
    }
    let outage = Arc::new(Outage::default());
    let in_process = matches!(target, DatabaseTarget::Sqlite(_));
    let manager = ConnectionManager {
        target,
        outage: outage.clone(),
    };
    // Fail fast with the real cause instead of r2d2's generic timeout.
    manager
        .connect()
        .map_err(|e| format!("cannot connect to database {shown}: {}", one_line(&e.0)))?;
    // Connections are opened as requests need them, up to `max_size`, and the ones above
    // `IDLE_CONNECTIONS` close after ten idle minutes: an idle SQLite connection holds ~350 KiB
    // (its schema and page cache), and an idle PostgreSQL one a server process.
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(IDLE_CONNECTIONS.min(max_size)))
        .connection_timeout(checkout_timeout)
        .build(manager)
        .map_err(|e| format!("cannot connect to database {shown}: {e}"))?;
    Ok(DbPool {
        pool,
        outage,
        in_process,
    })
}

/// How many connections the pool keeps open when nothing is asked of it.
const IDLE_CONNECTIONS: u32 = 2;

/// libpq explains itself over several lines; start-up failures are one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs blocking database work on actix's blocking thread pool with a pooled connection.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.checkout()?;
        work(&mut conn)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Runs a short read, bounded by its query (a page of a list, one row), at once on the calling
/// thread when the database is SQLite and a connection is idle; otherwise as `run`.
///
/// The exception to "no diesel on an actix worker", measured (`scripts/bench-list`): a page of
/// 50 hazards is a few hundred microseconds of CPU in process, and handing it to the blocking
/// pool and waking a worker for the answer cost a fifth of that. PostgreSQL waits on the
/// network, and a busy pool would wait for a connection: both still go to the blocking pool.
/// A LIMIT bounds the rows returned, not the rows scanned: text searches and other reads that
/// may walk a table stay on `run`.
pub async fn read<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    if pool.in_process
        && !pool.outage_known()
        && let Some(mut conn) = pool.pool.try_get()
    {
        return work(&mut conn);
    }
    run(pool, work).await
}

/// Two independent reads at once: `side` on a second connection while `main` runs on `conn`,
/// when the pool has one idle now; otherwise one after the other on `conn`, so it never waits
/// for a connection (the pool may open a new idle one behind it, up to its size). For a long
/// answer made of statements that need not wait for each other (the statistics' sums and their
/// distinct enterprises); each statement sees its own snapshot either way, as statements
/// outside a transaction do. Not inside a transaction: the spare would not see its rows. Call
/// it on the blocking pool, as every diesel call.
pub fn side_by_side<A, B>(
    conn: &mut DbConnection,
    pool: &DbPool,
    main: impl FnOnce(&mut DbConnection) -> Result<A, ApiError>,
    side: impl FnOnce(&mut DbConnection) -> Result<B, ApiError> + Send,
) -> Result<(A, B), ApiError>
where
    B: Send,
{
    let spare = if pool.outage_known() {
        None
    } else {
        pool.pool.try_get()
    };
    let Some(mut spare) = spare else {
        let a = main(conn)?;
        return Ok((a, side(conn)?));
    };
    std::thread::scope(|scope| {
        let beside = scope.spawn(move || side(&mut spare));
        let a = main(conn);
        let b = beside
            .join()
            .map_err(|_| ApiError::internal("a statistics read panicked"))?;
        Ok((a?, b?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_thread(conn: &mut DbConnection) -> Result<std::thread::ThreadId, ApiError> {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(std::thread::current().id())
    }

    #[test]
    fn side_by_side_uses_an_idle_connection_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/side.db", dir.path().display());
        let roomy = connect_with(&url, 3, Duration::from_secs(1)).unwrap();
        let mut conn = roomy.checkout().unwrap();
        let (main, side) = side_by_side(&mut conn, &roomy, on_thread, on_thread).unwrap();
        assert_eq!(main, std::thread::current().id());
        assert_ne!(side, main, "a spare connection, on a thread of its own");

        let single = connect_with(&url, 1, Duration::from_secs(1)).unwrap();
        let mut only = single.checkout().unwrap();
        let (main, side) = side_by_side(&mut only, &single, on_thread, on_thread).unwrap();
        assert_eq!(
            (main, side),
            (std::thread::current().id(), main),
            "one after the other"
        );

        let failed = side_by_side(&mut conn, &roomy, on_thread, |_| {
            Err::<(), _>(ApiError::validation("x", "refused"))
        });
        assert!(matches!(failed, Err(ApiError::Validation { .. })));
    }
}
