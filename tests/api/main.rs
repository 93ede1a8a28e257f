//! Black-box tests: a real PostgreSQL (a database per test, cloned from a migrated and seeded
//! template), a real server on a free port, requests over HTTP.

mod helpers;
mod smtp_sink;

mod audit;
mod auth;
mod cli;
mod clients;
mod closed_loop_dup;
mod concurrency;
mod deadlines;
mod email;
mod follow_up;
mod health;
mod import;
mod intake;
mod lifecycle;
mod limits;
mod lists;
mod open311;
mod partitions;
mod pool;
mod privacy;
mod report_rollups;
mod reports;
mod routing;
mod security_matrix;
mod web_admin;
mod web_e2e;
mod web_photo;
