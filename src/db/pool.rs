//! The r2d2 pool and the one way handlers reach the database: off the actix workers.

use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};

use super::{DatabaseTarget, DbConnection, mask_password};
use crate::error::ApiError;

pub type DbPool = r2d2::Pool<ConnectionManager>;
pub type DbPooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Opens connections for one backend, chosen from the URL scheme before anything connects,
/// so a failure reports the real cause (`MultiConnection::establish` would hide it).
#[derive(Debug)]
pub struct ConnectionManager {
    target: DatabaseTarget,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
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

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.ping().map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool and checks one connection, so a bad URL stops start-up with one line
/// that names the URL (password masked) and the cause.
pub fn connect(database_url: &str, max_size: u32) -> Result<DbPool, String> {
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
    let manager = ConnectionManager { target };
    // Fail fast with the real cause instead of r2d2's generic timeout.
    manager
        .connect()
        .map_err(|e| format!("cannot connect to database {shown}: {}", one_line(&e.0)))?;
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map_err(|e| format!("cannot connect to database {shown}: {e}"))
}

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
        let mut conn = pool.get().map_err(ApiError::database_unavailable)?;
        work(&mut conn)
    })
    .await
    .map_err(ApiError::internal)?
}
