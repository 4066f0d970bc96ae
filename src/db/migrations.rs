//! Embedded migrations: one tree per backend with the same names, applied at start.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type MigrationResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut DbConnection) -> MigrationResult<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES)?,
    };
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration, newest first (for the up -> down -> up test and for
/// operators rolling back).
pub fn revert_all(conn: &mut DbConnection) -> MigrationResult<Vec<String>> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE)?,
        DbConnection::Pg(c) => c.revert_all_migrations(POSTGRES)?,
    };
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

/// The migration names of each tree, to check the trees stay in step.
pub fn names() -> (Vec<String>, Vec<String>) {
    use diesel::migration::MigrationSource;
    let list = |source: &EmbeddedMigrations| -> Vec<String> {
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(source)
            .expect("embedded migrations are readable")
            .iter()
            .map(|m| m.name().to_string())
            .collect()
    };
    (list(&SQLITE), list(&POSTGRES))
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_trees_have_the_same_migration_names() {
        let (sqlite, postgres) = super::names();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
