//! `gateway-worker migrate`: applies the pending migrations built into this binary to
//! `DATABASE_URL` and says what it did.

use std::process::ExitCode;

use crate::db::{self, config::DatabaseConfig};

pub async fn main() -> anyhow::Result<ExitCode> {
    let config = DatabaseConfig::from_env().map_err(super::BadConfiguration::new)?;
    let (database, report) = db::open_migrated(&config).await?;
    for applied in &report.applied {
        println!("applied {}", applied.name);
    }
    if report.applied.is_empty() {
        println!(
            "{} is up to date ({} migrations)",
            database.location(),
            report.total
        );
    } else {
        println!(
            "{} is up to date ({} migrations, {} applied now)",
            database.location(),
            report.total,
            report.applied.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
