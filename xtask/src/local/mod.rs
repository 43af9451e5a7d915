//! The local stack: the stand-ins, the template read into what runs, the Lambda Runtime and
//! Invoke APIs, the HTTP API, the triggers and schedules, and the stack that wires them.

pub mod api;
pub mod invoke;
pub mod lambda;
pub mod provision;
pub mod schedule;
pub mod server;
pub mod stack;
pub mod standins;
pub mod stripe;
pub mod template;
pub mod triggers;
