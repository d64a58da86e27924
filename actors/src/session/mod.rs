//! Chat sessions: an actor per (bot, chat) that runs the chat's updates one at a time (`actor`), the registry that
//! creates them on demand (`registry`), and their state in Redis (`store`), and updates parked after repeated transient failures (`dead_letter`).

pub mod actor;
pub mod dead_letter;
pub mod registry;
pub mod store;

pub use actor::{HandleUpdate, Handled, SessionActor, SessionDeps, SessionError};
pub use registry::{SessionCount, SessionRegistry};
