//! Start-up: connect, migrate, make the first admin, serve until SIGTERM.

use actix_web::HttpServer;
use diesel::Connection;
use secrecy::ExposeSecret;

use crate::auth::password;
use crate::config::Config;
use crate::db::{self, DbConnection, DbPool};
use crate::ops::memory;
use crate::registry::catalog;
use crate::registry::user::{self, NewUser};
use crate::{AppState, app};

/// Connects to the configured database and applies pending migrations.
pub fn prepare_database(config: &Config) -> Result<DbPool, String> {
    let pool = db::connect_with(
        &config.database_url,
        config.database_pool_size,
        config.db_checkout_timeout,
    )?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let applied =
        db::migrations::run_pending(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    for version in applied {
        tracing::info!(%version, "migration applied");
    }
    if catalog::region_count(&mut conn).map_err(|e| e.to_string())? == 0 {
        let loaded = catalog::load_national(&mut conn).map_err(|e| e.to_string())?;
        tracing::info!(
            loaded,
            "the regions of China loaded (provinces to townships; add villages or local ones with `safeloop admin import-regions`)"
        );
    }
    conn.release_cache().map_err(|e| e.to_string())?;
    Ok(pool)
}

/// Creates the first admin when the database has none: from `SAFELOOP_ADMIN_USERNAME` /
/// `SAFELOOP_ADMIN_PASSWORD`, or with a random password printed once.
pub fn ensure_first_admin(conn: &mut DbConnection, config: &Config) -> Result<(), String> {
    if user::any_admin_exists(conn).map_err(|e| e.to_string())? {
        return Ok(());
    }
    let username = &config.admin_username;
    let (pw, generated) = match &config.admin_password {
        Some(secret) => (secret.expose_secret().to_owned(), false),
        None => (random_password(), true),
    };
    if let Some(why) = password::weakness(&pw, username) {
        return Err(format!("SAFELOOP_ADMIN_PASSWORD {why}"));
    }
    let new_admin = NewUser::admin(username, password::hash(&pw));
    conn.transaction(|conn| user::insert(conn, &new_admin))
        .map_err(|e| format!("cannot create the first admin: {e}"))?;
    if generated {
        // Shown once, on the console only; change it with POST /api/v1/me/password.
        println!(
            "\n  ┌──────────────────────────────────────────────────────────────\n  │ safeloop: the first admin was created; this is shown only once\n  │   username: {username}\n  │   password: {pw}\n  │ change it with POST /api/v1/me/password\n  └──────────────────────────────────────────────────────────────\n"
        );
    }
    tracing::info!(%username, generated, "first admin created");
    Ok(())
}

fn random_password() -> String {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config) -> Result<(), String> {
    let pool = prepare_database(&config)?;
    catalog::forget_national_statements();
    {
        let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
        ensure_first_admin(&mut conn, &config)?;
    }
    let bind = config.bind;
    let state = AppState::new(pool, config).map_err(|e| e.to_string())?;
    actix_web::rt::spawn(collect_photos_hourly(state.clone()));
    actix_web::rt::spawn(release_memory_between_photos(state.clone()));
    actix_web::rt::spawn(notify_continually(state.clone()));
    actix_web::rt::spawn(schedule_continually(state.clone()));
    tracing::info!(
        jpeg_decoder = crate::evidence::jpeg::in_use(),
        "photos are decoded with {}",
        crate::evidence::jpeg::in_use()
    );
    tracing::info!(%bind, "safeloop listening; the console at http://{bind}/console/, the API at http://{bind}/docs/");
    HttpServer::new(move || {
        let app = app(state.clone());
        // What building the worker's app freed goes back before the first request.
        memory::release_freed();
        app
    })
    .bind(bind)
    .map_err(|e| format!("cannot listen on {bind}: {e}"))?
    .shutdown_timeout(30)
    .run()
    .await
    .map_err(|e| format!("server: {e}"))
}

/// Every ten seconds, while no photo is being decoded, hands back what the allocator holds free
/// (`ops::memory`); on a quiet server that costs microseconds.
async fn release_memory_between_photos(state: AppState) {
    let mut ticks = actix_web::rt::time::interval(std::time::Duration::from_secs(10));
    loop {
        ticks.tick().await;
        if state.images_idle() {
            memory::release_freed();
        }
    }
}

/// Fans out new events and sends due deliveries, every `SAFELOOP_NOTIFY_INTERVAL_MS`; every
/// node does, and the database decides who sends what.
async fn notify_continually(state: AppState) {
    let mut ticks = actix_web::rt::time::interval(state.config.notify_interval);
    loop {
        ticks.tick().await;
        if let Err(error) = crate::notify::run_once(&state).await {
            tracing::warn!(%error, "notification round failed; will retry");
        }
    }
}

/// Runs the deadline scheduler every `SAFELOOP_SCHEDULER_INTERVAL_SECS` on every node; the
/// reminders' keys make each announcement happen once.
async fn schedule_continually(state: AppState) {
    let mut ticks = actix_web::rt::time::interval(state.config.scheduler_interval);
    loop {
        ticks.tick().await;
        let config = state.config.clone();
        let ran = db::run(&state.pool, move |conn| {
            let rules = crate::notify::scheduler::Rules {
                reminder_days: &config.reminder_days,
                auto_listing_level: config.auto_listing_level.as_deref(),
            };
            crate::notify::scheduler::tick(conn, &rules, db::now())
        })
        .await;
        match ran {
            Ok(done) if done != Default::default() => tracing::info!(?done, "scheduler"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "scheduler tick failed; will retry"),
        }
    }
}

/// Removes photos never attached within a day, once an hour.
async fn collect_photos_hourly(state: AppState) {
    let mut ticks = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
    loop {
        ticks.tick().await;
        match crate::evidence::ingest::collect_garbage(&state).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "unattached photos removed"),
            Err(error) => tracing::warn!(%error, "photo cleanup failed; will retry"),
        }
    }
}

/// `safeloop admin gc-photos`: the hourly cleanup, once, now.
pub fn collect_photos_once(config: Config) -> Result<usize, String> {
    let pool = prepare_database(&config)?;
    let state = AppState::new(pool, config).map_err(|e| e.to_string())?;
    actix_web::rt::System::new()
        .block_on(crate::evidence::ingest::collect_garbage(&state))
        .map_err(|e| e.to_string())
}
