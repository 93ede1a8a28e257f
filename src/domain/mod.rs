//! Pure business rules: no database, no HTTP. Everything here is unit-tested.

pub mod audit;
pub mod calendar;
pub mod credit_code;
pub mod deadline;
pub mod duplicates;
pub mod enums;
pub mod export;
pub mod ids;
pub mod intake;
pub mod lifecycle;
pub mod masking;
pub mod metrics;
pub mod photo;
pub mod reference;
pub mod routing;
