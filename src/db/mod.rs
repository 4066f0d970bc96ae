//! The database: one connection type over SQLite and PostgreSQL, the pool, and the only
//! place that knows which backend is in use.

mod dialect;
pub mod migrations;
mod pool;
mod row_text;
pub mod schema;
mod stored_time;

use diesel::prelude::*;

pub use dialect::DatePart;
pub use pool::{DbPool, DbPooledConnection, connect, connect_with, read, run, side_by_side};
pub use row_text::{TextSpan, append_text, text_at, value_at};
pub use stored_time::{MaybeStoredTime, StoredTime};

/// A connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// The current UTC time truncated to microseconds: what both backends store exactly, so a
/// time read back equals the time written. Times are always set here, never by SQL defaults.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .expect("fewer nanoseconds is valid")
}

/// A client's time as stored: UTC, truncated to microseconds (PostgreSQL's precision), so
/// what is answered at once equals what is read back later.
pub fn stored_time(time: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let time = time.naive_utc();
    time.with_nanosecond(time.nanosecond() / 1_000 * 1_000)
        .expect("fewer nanoseconds is valid")
}

/// The diesel backend type of `DbConnection`, for boxed queries.
pub type DbBackend = <DbConnection as diesel::Connection>::Backend;

/// The database engines safeloop runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Pg(_) => Backend::Postgres,
        }
    }

    /// Lets go of the pages an embedded database cached for this connection: after the
    /// start-up's migrations and region list its page cache is full (up to 2 MiB, SQLite's
    /// default), where an idle connection otherwise holds ~350 KiB.
    /// PostgreSQL keeps its cache in the server, so there is nothing to let go of.
    pub fn release_cache(&mut self) -> diesel::QueryResult<()> {
        use diesel::RunQueryDsl;
        if let DbConnection::Sqlite(_) = self {
            diesel::sql_query("PRAGMA shrink_memory").execute(self)?;
        }
        Ok(())
    }
}

/// Where a `DATABASE_URL` points, decided from its scheme alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A SQLite file path.
    Sqlite(String),
    /// A PostgreSQL connection URL, passed to libpq as given.
    Postgres(String),
}

impl DatabaseTarget {
    /// `sqlite://PATH` or a plain path is SQLite; `postgres://` or `postgresql://` is PostgreSQL;
    /// any other scheme is refused.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return non_empty_path(path);
        }
        if let Some(path) = url.strip_prefix("sqlite:") {
            return non_empty_path(path);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseTarget::Postgres(url.to_owned()));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "unsupported database scheme `{scheme}://` (use sqlite://PATH or postgres://…)"
            ));
        }
        non_empty_path(url)
    }
}

fn non_empty_path(path: &str) -> Result<DatabaseTarget, String> {
    if path.is_empty() {
        Err("the SQLite path is empty".into())
    } else {
        Ok(DatabaseTarget::Sqlite(path.to_owned()))
    }
}

/// The URL with any password replaced by `***`, fit for logs and error messages.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(
            DatabaseTarget::parse("sqlite://./data/x.db"),
            Ok(DatabaseTarget::Sqlite("./data/x.db".into()))
        );
        assert_eq!(
            DatabaseTarget::parse("sqlite:///abs/x.db"),
            Ok(DatabaseTarget::Sqlite("/abs/x.db".into()))
        );
        assert_eq!(
            DatabaseTarget::parse("data/x.db"),
            Ok(DatabaseTarget::Sqlite("data/x.db".into()))
        );
        assert!(matches!(
            DatabaseTarget::parse("postgres://u:p@h/db"),
            Ok(DatabaseTarget::Postgres(_))
        ));
        assert!(matches!(
            DatabaseTarget::parse("postgresql://h/db"),
            Ok(DatabaseTarget::Postgres(_))
        ));
        let err = DatabaseTarget::parse("mysql://h/db").unwrap_err();
        assert!(err.contains("mysql://"), "{err}");
        assert!(DatabaseTarget::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://app:s3cret@db:5432/safeloop"),
            "postgres://app:***@db:5432/safeloop"
        );
        assert_eq!(
            mask_password("postgres://db/safeloop"),
            "postgres://db/safeloop"
        );
        assert_eq!(mask_password("./data/x.db"), "./data/x.db");
    }
}
