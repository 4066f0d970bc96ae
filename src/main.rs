//! The `safeloop` command: serve (the default), migrate, and admin tasks.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel::Connection;
use secrecy::ExposeSecret;

use safeloop::auth::{Role, password};
use safeloop::config::Config;
use safeloop::ops::{memory, telemetry};
use safeloop::registry::catalog;
use safeloop::registry::user::{self, NewUser};
use safeloop::stats::tally;
use safeloop::{openapi, server};

#[derive(Parser)]
#[command(name = "safeloop", version, about = "Work-safety inspection server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (redirect it to openapi/openapi.json to update the copy).
    Openapi,
    /// Fill an empty database with a small demo county (not in production), and print the
    /// accounts to sign in with.
    Demo,
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; the password comes from SAFELOOP_ADMIN_PASSWORD or a prompt.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: Role,
    },
    /// Remove photos never attached to a record within 24 hours (also runs hourly when serving).
    GcPhotos,
    /// Import or rename regions from a CSV file with a header and `code,name[,parent_code]` rows.
    ImportRegions { file: std::path::PathBuf },
    /// Recount the report tallies behind /stats from the rows, e.g. after a bulk import.
    RecountTallies,
    /// Check the report tallies against a recount; fails if any row differs.
    CheckTallies,
}

fn main() -> ExitCode {
    // Before any thread starts: one allocator arena per core.
    memory::limit_arenas(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(e.to_string()),
    };
    telemetry::init(config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(server::serve(config)),
        Command::Migrate => server::prepare_database(&config).map(|_| ()),
        Command::Demo => actix_web::rt::System::new()
            .block_on(safeloop::demo::fill(config))
            .map(|()| print_demo_accounts()),
        Command::Admin {
            command: AdminCommand::CreateUser { username, role },
        } => create_user(&config, &username, role),
        Command::Admin {
            command: AdminCommand::ImportRegions { file },
        } => import_regions(&config, &file),
        Command::Admin {
            command: AdminCommand::RecountTallies,
        } => recount_tallies(&config),
        Command::Admin {
            command: AdminCommand::CheckTallies,
        } => check_tallies(&config),
        Command::Admin {
            command: AdminCommand::GcPhotos,
        } => server::collect_photos_once(config).map(|removed| {
            println!("removed {removed} unattached photos");
        }),
        Command::Openapi => unreachable!("handled above"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

fn print_demo_accounts() {
    println!(
        "\nsafeloop: the demo county is ready (赣县区: 3 enterprises, an inspection, hazards at every status)."
    );
    println!(
        "Sign in with any of these; the password of each is `{}`:\n",
        safeloop::demo::PASSWORD
    );
    for account in &safeloop::demo::ACCOUNTS {
        println!(
            "  {:<17} {:<11} {}",
            account.username,
            account.role.as_str(),
            account.what
        );
    }
    println!(
        "\nStart the server with `cargo run --release` and open http://127.0.0.1:8080/console/ (the API: /docs/)"
    );
}

fn fail(message: String) -> ExitCode {
    eprintln!("safeloop: {message}");
    ExitCode::FAILURE
}

fn create_user(config: &Config, username: &str, role: Role) -> Result<(), String> {
    if role != Role::Admin {
        return Err("only admins can be created here; create other users through the API".into());
    }
    let username = &safeloop::text::fold_username(username);
    if let Some(problem) = safeloop::registry::user_rules::username_error(username) {
        return Err(format!("the username {}", problem.message));
    }
    let pw = match &config.admin_password {
        Some(secret) => secret.expose_secret().to_owned(),
        None => rpassword::prompt_password(format!("password for {username}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?,
    };
    if let Some(why) = password::weakness(&pw, username) {
        return Err(format!("the password {why}"));
    }
    let pool = server::prepare_database(config)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let new_user = NewUser::admin(username, password::hash(&pw));
    conn.transaction(|conn| user::insert(conn, &new_user))
        .map_err(|e| format!("cannot create {username}: {e}"))?;
    println!("created {} {username}", role.as_str());
    Ok(())
}

fn import_regions(config: &Config, file: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let rows = catalog::parse_regions_csv(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let pool = server::prepare_database(config)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let written = catalog::import_regions(&mut conn, &rows).map_err(|e| e.to_string())?;
    println!("imported {written} regions");
    Ok(())
}

fn recount_tallies(config: &Config) -> Result<(), String> {
    let pool = server::prepare_database(config)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    tally::rebuild(&mut conn).map_err(|e| format!("cannot recount the tallies: {e}"))?;
    println!("recounted the report tallies");
    Ok(())
}

fn check_tallies(config: &Config) -> Result<(), String> {
    let pool = server::prepare_database(config)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    match tally::differences(&mut conn).map_err(|e| format!("cannot check the tallies: {e}"))? {
        0 => {
            println!("the report tallies agree with the rows");
            Ok(())
        }
        n => Err(format!(
            "{n} tally rows differ from a recount; run `safeloop admin recount-tallies`"
        )),
    }
}
