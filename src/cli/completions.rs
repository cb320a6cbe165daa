//! `duroxide completions SHELL`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide completions bash > /etc/bash_completion.d/duroxide\n  duroxide completions zsh > \"${fpath[1]}/_duroxide\"\n  duroxide completions fish > ~/.config/fish/completions/duroxide.fish")]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> i32 {
    clap_complete::generate(args.shell, &mut Cli::command(), "duroxide", &mut std::io::stdout());
    0
}
