//! Deadline policy: a deadline class gives a sign-by and a reply-by instant at dispatch.
//!
//! Not finished: this is wall-clock arithmetic. The working calendar (working hours, holidays,
//! 调休 make-up days, suspension pausing the clock) is issue 4 and will replace
//! [`DeadlinePolicy::due`] with working-time arithmetic; the classes and their table stay.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;

use super::enums::DeadlineClass;

/// How long something may take, on the wall clock or on the working calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Span {
    /// clock time, nights and holidays included (urgent and livelihood matters)
    WallMinutes(i64),
    /// working time
    WorkingMinutes(i64),
    /// N × the working time of one working day
    WorkingDays(i64),
    /// the end of the working day; of the next working day when later than the cutoff (local
    /// time) or not a working day
    EndOfWorkingDay(#[serde(with = "hh_mm")] NaiveTime),
}

/// `"08:30"` in config files and the API.
pub mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a time like 08:30")))
    }
}

/// Sign and reply spans of one deadline class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSpans {
    pub sign: Span,
    pub reply: Span,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassTable {
    pub urgent: ClassSpans,
    pub livelihood: ClassSpans,
    pub same_day: ClassSpans,
    pub week: ClassSpans,
    pub complex: ClassSpans,
}

/// `[deadlines]` of the configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct DeadlineSettings {
    pub dispatch_within: Span,
    pub return_within: Span,
    pub extension_max_working_days: i64,
    pub warning_fraction: f64,
    pub escalate_after_working_days: i64,
    pub rehandle_within: Span,
    pub scan_interval_secs: u64,
    pub scan_batch: i64,
    pub classes: ClassTable,
}

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
