//! `duroxide types`: the TypeScript declarations of the `duroxide` module.

use clap::Args;

use super::output::print_line;

/// The declarations, written by hand beside the SDK's JavaScript.
pub const DECLARATIONS: &str = include_str!("../../js/duroxide.d.ts");

#[derive(Args)]
#[command(
    after_help = "Examples:\n  duroxide types > duroxide.d.ts     # editors then complete ctx. and check argument counts\n  npx tsc --strict --noEmit workflows.ts duroxide.d.ts"
)]
pub struct TypesArgs {}

pub fn run(_args: TypesArgs) -> i32 {
    print_line(DECLARATIONS.trim_end());
    0
}
