//! Loaders that fill networks with data as the system, outside any request: the demo networks'
//! accounts and content (`tsunagu seed demo`, run by `just dev`) and the benchmark's volume
//! (`tsunagu seed scale`). They write through the owning crates' query functions where those
//! exist; the scale loader writes in bulk SQL of its own, for speed.

pub mod events;
pub mod messages;
pub mod scale;
pub mod seed;
pub mod surveys;
