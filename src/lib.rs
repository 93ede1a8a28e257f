//! minxin (民心): a city appeal platform — intake, the problem pool, dispatch, department
//! handling under deadlines, follow-up and a tamper-evident audit log. See docs/ARCHITECTURE.md.

pub mod admin;
pub mod api;
pub mod assign;
pub mod auth;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod db;
pub mod deadlines;
pub mod domain;
pub mod error;
pub mod import;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod notify;
pub mod open311;
pub mod partitions;
pub mod pgcluster;
pub mod rollups;
pub mod rulebook;
pub mod seed;
pub mod startup;
pub mod synthetic;
pub mod telemetry;
pub mod web;
pub mod worker;
pub mod workflow;
