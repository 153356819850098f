//! `tsunagu`: see `cli.rs` for the commands. Errors end the process with one clear line.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = tsunagu_gateway::cli::Cli::parse();
    match tsunagu_gateway::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
