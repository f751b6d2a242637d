#![allow(dead_code)]
pub mod mock;
pub mod sim;
pub mod world;
