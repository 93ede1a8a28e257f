//! Deadline policy: a deadline class gives a sign-by and a reply-by instant at dispatch.
//!
//! Not finished: this is wall-clock arithmetic. The working calendar (working hours, holidays,
//! 调休 make-up days, suspension pausing the clock) is issue 4 and will replace
//! [`DeadlinePolicy::due`] with working-time arithmetic; the classes and their table stay.

use chrono::{DateTime, Duration, Utc};

use super::enums::DeadlineClass;

/// Allowed time to sign and to reply, per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub sign_within: Duration,
    pub reply_within: Duration,
}

#[derive(Debug, Clone)]
pub struct DeadlinePolicy {
    pub urgent: Allowance,
    pub livelihood: Allowance,
    pub same_day: Allowance,
    pub week: Allowance,
    pub complex: Allowance,
    /// the class used when neither the dispatcher nor a rule names one
    pub default_class: DeadlineClass,
}

impl Default for DeadlinePolicy {
    /// DESIGN.md's table, with working days approximated by calendar days until issue 4.
    fn default() -> Self {
        let a = |sign: Duration, reply: Duration| Allowance {
            sign_within: sign,
            reply_within: reply,
        };
        DeadlinePolicy {
            urgent: a(Duration::minutes(30), Duration::hours(2)),
            livelihood: a(Duration::hours(1), Duration::hours(24)),
            same_day: a(Duration::hours(2), Duration::hours(8)),
            week: a(Duration::days(1), Duration::days(7)),
            complex: a(Duration::days(1), Duration::days(21)),
            default_class: DeadlineClass::Week,
        }
    }
}

/// The two due instants of a dispatched appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub sign_by: DateTime<Utc>,
    pub reply_by: DateTime<Utc>,
}

impl DeadlinePolicy {
    pub fn allowance(&self, class: DeadlineClass) -> Allowance {
        match class {
            DeadlineClass::Urgent => self.urgent,
            DeadlineClass::Livelihood => self.livelihood,
            DeadlineClass::SameDay => self.same_day,
            DeadlineClass::Week => self.week,
            DeadlineClass::Complex => self.complex,
        }
    }

    pub fn due(&self, class: DeadlineClass, dispatched_at: DateTime<Utc>) -> Due {
        let a = self.allowance(class);
        Due {
            sign_by: dispatched_at + a.sign_within,
            reply_by: dispatched_at + a.reply_within,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_signs_before_it_replies() {
        let policy = DeadlinePolicy::default();
        let now = Utc::now();
        for class in DeadlineClass::ALL {
            let due = policy.due(*class, now);
            assert!(due.sign_by > now && due.reply_by > due.sign_by, "{class}");
        }
        assert_eq!(
            policy.due(DeadlineClass::Urgent, now).reply_by - now,
            Duration::hours(2)
        );
    }
}
