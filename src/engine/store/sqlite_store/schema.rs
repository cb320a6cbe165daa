//! The schema is whatever duroxide 0.1.32's own provider creates and migrates:
//! opening a file with it first (damage check, folder lock, migrations) keeps
//! our files and the built-in provider's (and duroxide-node's) interchangeable
//! without a second copy of its DDL.

use std::path::Path;

pub async fn ensure(path: &Path) -> Result<(), String> {
    let built_in = super::super::sqlite_file(path).await?;
    built_in.get_pool().close().await;
    Ok(())
}
