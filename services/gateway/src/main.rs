//! `tsunagu`: see `cli.rs` for the commands. Errors end the process with one clear line.

use clap::Parser;

/// mimalloc rather than glibc malloc: rendering a page allocates many small strings, and
/// `just bench` measured glibc's allocator at 15% of the timeline's server CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
