//! Staff authentication: argon2 password hashes, JWTs, and the extractors that are the role
//! guards. Residents never log in; they hold a tracking number and an access code.

pub mod accounts;
pub mod extract;
pub mod jwt;
pub mod password;

pub use extract::{AdminStaff, CentreStaff, ClerkStaff, Staff, SupervisorStaff};
pub use jwt::{Claims, JwtKeys};
