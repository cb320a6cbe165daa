//! `duroxide init [DIR]`: a TypeScript project a new user can run at once.

use std::path::{Path, PathBuf};

use clap::Args;

use super::types::DECLARATIONS;
use crate::failure::Failure;

/// What init writes: a workflow module, the compiler settings editors read,
/// and the declarations that let them complete `ctx.`.
const FILES: [(&str, &str); 3] = [
    ("workflows.ts", include_str!("../../js/init/workflows.ts")),
    ("tsconfig.json", include_str!("../../js/init/tsconfig.json")),
    ("duroxide.d.ts", DECLARATIONS),
];

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide init shop && cd shop\n  duroxide run workflows.ts")]
pub struct InitArgs {
    /// Folder to create the project in (created if missing)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

pub fn run(args: InitArgs) -> Result<i32, Failure> {
    let dir = &args.dir;
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::Usage(format!("{} is a file, not a folder", dir.display())));
    }
    // Nothing is written when any of the files is there already.
    let existing: Vec<String> =
        FILES.iter().map(|(name, _)| dir.join(name)).filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
    if !existing.is_empty() {
        return Err(Failure::Failed(format!("{} already exist(s): init writes into a folder without them", existing.join(", "))));
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::Failed(format!("cannot create {}: {e}", dir.display())))?;
    for (name, text) in FILES {
        write(&dir.join(name), text)?;
    }
    let names: Vec<&str> = FILES.iter().map(|(name, _)| *name).collect();
    println!("created {} in {}", names.join(", "), dir.display());
    println!("next, in two terminals:");
    let cd = if dir == Path::new(".") { String::new() } else { format!("cd {} && ", dir.display()) };
    println!("  {cd}duroxide run workflows.ts");
    // The store is ./duroxide.db of the folder each command runs in: both run in the project.
    println!("  {cd}duroxide start Checkout --input '{{\"id\":\"o-1\",\"amount\":42}}' --id o-1");
    let there = if cd.is_empty() { String::new() } else { format!(" (in {})", dir.display()) };
    println!("then approve it with `duroxide raise o-1 Approve` and see the result with `duroxide wait o-1`{there}");
    Ok(0)
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))
}
