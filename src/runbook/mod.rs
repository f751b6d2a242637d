//! Runbooks: the SOPs as data, the engine that walks them, and the journal of what happened.

pub mod event;
pub mod journal;
