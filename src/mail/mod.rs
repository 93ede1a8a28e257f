//! E-mail that never gets lost: notices are rendered (`templates`) and written to the outbox
//! table in the transaction that caused them (`outbox`); a sender delivers them after commit,
//! retrying with backoff (`sender`). See docs/OPERATIONS.md "E-mail".

pub mod outbox;
pub mod sender;
pub mod templates;

pub use outbox::{OutboxRow, OutboxStats, enqueue};
pub use sender::{Backoff, DeliveryReport, Mailer, deliver_due, spawn_mail_sender};
pub use templates::{Clock, Links, Notice, Rendered};
