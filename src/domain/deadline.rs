//! Deadline policy on the working calendar (DESIGN.md §1 "Deadlines"): the due instants a
//! dispatch, a return, a resume, an extension or a re-handle sets; the warning instant (80% of the
//! allowed time); the escalation instant (2 working days after the deadline); and which alarm of
//! a running clock is due at a given instant. Pure: the calendar and the suspensions are passed
//! in.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;

use super::calendar::{Calendar, Interval, add_wall, wall_between};
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
    EndOfWorkingDay(#[serde(with = "super::calendar::hh_mm")] NaiveTime),
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

impl Span {
    /// Whether this span runs on the wall clock (nights and holidays count).
    pub fn is_wall(&self) -> bool {
        matches!(self, Span::WallMinutes(_))
    }

    /// The due instant of a clock started at `start` (nothing suspended yet).
    pub fn due_from(&self, cal: &Calendar, start: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Span::WallMinutes(m) => add_wall(start, Duration::minutes(m), &[]),
            Span::WorkingMinutes(m) => cal.add_working(start, Duration::minutes(m), &[]),
            Span::WorkingDays(d) => cal.add_working_days(start, d, &[]),
            Span::EndOfWorkingDay(cutoff) => cal.end_of_working_day(start, cutoff),
        }
    }

    fn check(&self, what: &str) -> Result<(), String> {
        let n = match *self {
            Span::WallMinutes(n) | Span::WorkingMinutes(n) | Span::WorkingDays(n) => n,
            Span::EndOfWorkingDay(_) => 1,
        };
        if n <= 0 {
            return Err(format!("{what} must be a positive span"));
        }
        if n > 60 * 24 * 366 {
            return Err(format!("{what} is longer than a year"));
        }
        Ok(())
    }

    /// A short human description, e.g. for messages: `2 working hours`, `5 working days`.
    pub fn describe(&self) -> String {
        match *self {
            Span::WallMinutes(m) if m % 60 == 0 => format!("{} hours", m / 60),
            Span::WallMinutes(m) => format!("{m} minutes"),
            Span::WorkingMinutes(m) if m % 60 == 0 => format!("{} working hours", m / 60),
            Span::WorkingMinutes(m) => format!("{m} working minutes"),
            Span::WorkingDays(1) => "1 working day".to_owned(),
            Span::WorkingDays(d) => format!("{d} working days"),
            Span::EndOfWorkingDay(cutoff) => {
                format!(
                    "the end of the working day (the next one after {})",
                    cutoff.format("%H:%M")
                )
            }
        }
    }
}

/// Which deadline a clock watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    /// the pool: a dispatcher dispatches (派单)
    Dispatch,
    /// the lead department signs (签收)
    Sign,
    /// the lead department replies (答复)
    Reply,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Dispatch => "dispatch",
            ClockKind::Sign => "sign",
            ClockKind::Reply => "reply",
        }
    }
}

/// How far a clock's alarms have gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// 80% of the allowed time has passed
    Warning = 1,
    /// the deadline passed: reminder (催办) to the department
    Overdue = 2,
    /// still overdue 2 working days later: escalated to supervisors (督办)
    Escalated = 3,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Warning, Stage::Overdue, Stage::Escalated];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Warning => "warning",
            Stage::Overdue => "overdue",
            Stage::Escalated => "escalated",
        }
    }

    pub fn level(self) -> i16 {
        self as i16
    }
}

/// A running clock of an appeal: when it warns, when it is due, and how far its alarms went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub kind: ClockKind,
    pub warn_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// 0 = nothing raised yet, else the level of the last [`Stage`] raised
    pub stage: i16,
}

/// The due instants of a dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub sign_by: DateTime<Utc>,
    pub sign_warn: DateTime<Utc>,
    pub reply_by: DateTime<Utc>,
    pub reply_warn: DateTime<Utc>,
}

impl DeadlineSettings {
    /// Refuses settings that would make deadlines meaningless.
    pub fn check(&self) -> Result<(), String> {
        if !(self.warning_fraction > 0.0 && self.warning_fraction < 1.0) {
            return Err("deadlines.warning_fraction must be between 0 and 1".into());
        }
        if !(1..=60).contains(&self.extension_max_working_days) {
            return Err("deadlines.extension_max_working_days must be 1 to 60".into());
        }
        if !(0..=60).contains(&self.escalate_after_working_days) {
            return Err("deadlines.escalate_after_working_days must be 0 to 60".into());
        }
        if self.scan_batch < 1 {
            return Err("deadlines.scan_batch must be at least 1".into());
        }
        self.dispatch_within.check("deadlines.dispatch_within")?;
        self.return_within.check("deadlines.return_within")?;
        self.rehandle_within.check("deadlines.rehandle_within")?;
        for class in DeadlineClass::ALL {
            let spans = self.spans(*class);
            spans
                .sign
                .check(&format!("deadlines.classes.{class}.sign"))?;
            spans
                .reply
                .check(&format!("deadlines.classes.{class}.reply"))?;
        }
        Ok(())
    }

    pub fn spans(&self, class: DeadlineClass) -> ClassSpans {
        let t = &self.classes;
        match class {
            DeadlineClass::Urgent => t.urgent,
            DeadlineClass::Livelihood => t.livelihood,
            DeadlineClass::SameDay => t.same_day,
            DeadlineClass::Week => t.week,
            DeadlineClass::Complex => t.complex,
        }
    }

    /// The sign-by and reply-by instants of a dispatch at `at`. `reply_by` overrides the class's
    /// reply span (a complex matter's deadline set per appeal).
    pub fn at_dispatch(
        &self,
        cal: &Calendar,
        class: DeadlineClass,
        at: DateTime<Utc>,
        reply_by: Option<DateTime<Utc>>,
    ) -> Due {
        let spans = self.spans(class);
        let sign_by = spans.sign.due_from(cal, at);
        let reply_by = reply_by.unwrap_or_else(|| spans.reply.due_from(cal, at));
        Due {
            sign_by,
            sign_warn: self.warn_at(cal, spans.sign.is_wall(), at, sign_by, &[]),
            reply_by,
            reply_warn: self.warn_at(cal, spans.reply.is_wall(), at, reply_by, &[]),
        }
    }

    /// (warn, due) of the pool's clock started at `at`.
    pub fn pool_clock(&self, cal: &Calendar, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let due = self.dispatch_within.due_from(cal, at);
        (
            self.warn_at(cal, self.dispatch_within.is_wall(), at, due, &[]),
            due,
        )
    }

    /// The instant `warning_fraction` of the allowed time from `start` to `due` has passed,
    /// on the clock the deadline runs on, suspended time excluded.
    pub fn warn_at(
        &self,
        cal: &Calendar,
        wall: bool,
        start: DateTime<Utc>,
        due: DateTime<Utc>,
        suspended: &[Interval],
    ) -> DateTime<Utc> {
        let allowed = if wall {
            wall_between(start, due, suspended)
        } else {
            cal.working_between(start, due, suspended)
        };
        let part = scale(allowed, self.warning_fraction);
        let warn = if wall {
            add_wall(start, part, suspended)
        } else {
            cal.add_working(start, part, suspended)
        };
        warn.min(due)
    }

    /// A due instant moved by a suspension `[from, to)`: later by the suspended time, counted on
    /// the deadline's own clock.
    pub fn extended_by_suspension(
        &self,
        cal: &Calendar,
        wall: bool,
        due: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if wall {
            add_wall(due, to - from, &[])
        } else {
            cal.add_working(due, cal.working_between(from, to, &[]), &[])
        }
    }

    /// Whether the class's sign or reply deadline runs on the wall clock.
    pub fn is_wall(&self, class: Option<DeadlineClass>, kind: ClockKind) -> bool {
        match (kind, class) {
            (ClockKind::Dispatch, _) => self.dispatch_within.is_wall(),
            (ClockKind::Sign, Some(c)) => self.spans(c).sign.is_wall(),
            (ClockKind::Reply, Some(c)) => self.spans(c).reply.is_wall(),
            (_, None) => false,
        }
    }

    /// The latest instant an extension may move the reply deadline to.
    pub fn extension_limit(&self, cal: &Calendar, reply_by: DateTime<Utc>) -> DateTime<Utc> {
        cal.add_working_days(reply_by, self.extension_max_working_days, &[])
    }

    /// Until when the lead department may return an appeal dispatched at `dispatched_at`.
    pub fn return_by(
        &self,
        cal: &Calendar,
        dispatched_at: DateTime<Utc>,
        suspended: &[Interval],
    ) -> DateTime<Utc> {
        match self.return_within {
            Span::WallMinutes(m) => add_wall(dispatched_at, Duration::minutes(m), suspended),
            Span::WorkingMinutes(m) => {
                cal.add_working(dispatched_at, Duration::minutes(m), suspended)
            }
            Span::WorkingDays(d) => cal.add_working_days(dispatched_at, d, suspended),
            Span::EndOfWorkingDay(cutoff) => cal.end_of_working_day(dispatched_at, cutoff),
        }
    }

    /// The instant a stage of a clock is due.
    pub fn stage_at(&self, cal: &Calendar, clock: &Clock, stage: Stage) -> DateTime<Utc> {
        match stage {
            Stage::Warning => clock.warn_at,
            Stage::Overdue => clock.due_at,
            Stage::Escalated => {
                cal.add_working_days(clock.due_at, self.escalate_after_working_days, &[])
            }
        }
    }

    /// The stages of `clock` due at `at` and not yet raised, in order.
    pub fn due_stages(&self, cal: &Calendar, clock: &Clock, at: DateTime<Utc>) -> Vec<Stage> {
        Stage::ALL
            .into_iter()
            .filter(|s| s.level() > clock.stage && self.stage_at(cal, clock, *s) <= at)
            .collect()
    }

    /// The earliest instant any of `clocks` has a stage left to raise.
    pub fn next_alarm(&self, cal: &Calendar, clocks: &[Clock]) -> Option<DateTime<Utc>> {
        clocks
            .iter()
            .filter_map(|c| {
                Stage::ALL
                    .into_iter()
                    .find(|s| s.level() > c.stage)
                    .map(|s| self.stage_at(cal, c, s))
            })
            .min()
    }
}

/// `d × f`, to the second.
fn scale(d: Duration, f: f64) -> Duration {
    Duration::seconds((d.num_seconds() as f64 * f).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{CalendarSpec, DayKind};
    use chrono::{NaiveDate, TimeZone};

    /// The defaults of config/default.toml.
    fn settings() -> DeadlineSettings {
        let text = include_str!("../../config/default.toml");
        let table: toml_like::Root = toml_like::parse(text);
        table.deadlines
    }

    /// config/default.toml read with the same serde shapes the service uses.
    mod toml_like {
        use serde::Deserialize;

        #[derive(Deserialize)]
        pub struct Root {
            pub deadlines: super::DeadlineSettings,
        }

        pub fn parse(text: &str) -> Root {
            config::Config::builder()
                .add_source(config::File::from_str(text, config::FileFormat::Toml))
                .build()
                .and_then(|c| c.try_deserialize())
                .expect("default.toml has a valid [deadlines] section")
        }
    }

    fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a valid Shanghai time")
            .with_timezone(&Utc)
    }

    /// 2026 with the Spring Festival: 2026-02-15..23 off, Saturday 2026-02-14 worked.
    fn calendar() -> Calendar {
        let mut spec = CalendarSpec::china_default();
        for d in 15..=23 {
            spec.days.insert(
                NaiveDate::from_ymd_opt(2026, 2, d).expect("date"),
                DayKind::Holiday,
            );
        }
        spec.days.insert(
            NaiveDate::from_ymd_opt(2026, 2, 14).expect("date"),
            DayKind::Workday,
        );
        Calendar::new(spec).expect("valid")
    }

    #[test]
    fn the_default_table_is_designs() {
        let s = settings();
        assert!(s.check().is_ok());
        let cal = calendar();
        // Monday 2026-11-23 10:00
        let at = sh(2026, 11, 23, 10, 0);
        let urgent = s.at_dispatch(&cal, DeadlineClass::Urgent, at, None);
        assert_eq!(urgent.sign_by, at + Duration::minutes(30));
        assert_eq!(urgent.reply_by, at + Duration::hours(2));
        let livelihood = s.at_dispatch(&cal, DeadlineClass::Livelihood, at, None);
        assert_eq!(livelihood.reply_by, at + Duration::hours(24));
        let same_day = s.at_dispatch(&cal, DeadlineClass::SameDay, at, None);
        assert_eq!(
            same_day.sign_by,
            sh(2026, 11, 23, 12, 0),
            "ends as the morning ends"
        );
        let after_lunch =
            s.at_dispatch(&cal, DeadlineClass::SameDay, sh(2026, 11, 23, 11, 0), None);
        assert_eq!(
            after_lunch.sign_by,
            sh(2026, 11, 23, 14, 0),
            "lunch does not count"
        );
        assert_eq!(same_day.reply_by, sh(2026, 11, 23, 17, 0));
        let late = s.at_dispatch(&cal, DeadlineClass::SameDay, sh(2026, 11, 23, 15, 30), None);
        assert_eq!(
            late.reply_by,
            sh(2026, 11, 24, 17, 0),
            "after 15:00: the next day"
        );
        let week = s.at_dispatch(&cal, DeadlineClass::Week, at, None);
        assert_eq!(week.sign_by, sh(2026, 11, 24, 10, 0));
        assert_eq!(
            week.reply_by,
            sh(2026, 11, 30, 10, 0),
            "5 working days: next Monday"
        );
        let complex = s.at_dispatch(&cal, DeadlineClass::Complex, at, None);
        assert_eq!(complex.reply_by, sh(2026, 12, 14, 10, 0), "15 working days");
        let set = sh(2027, 1, 29, 17, 0);
        let custom = s.at_dispatch(&cal, DeadlineClass::Complex, at, Some(set));
        assert_eq!(custom.reply_by, set);
    }

    #[test]
    fn a_week_matter_dispatched_before_the_spring_festival_counts_the_make_up_saturday() {
        let s = settings();
        let cal = calendar();
        // Thursday 2026-02-12 10:00 → Fri 13, Sat 14 (worked), the holiday, Tue 24, Wed 25, Thu 26
        let due = s.at_dispatch(&cal, DeadlineClass::Week, sh(2026, 2, 12, 10, 0), None);
        assert_eq!(due.reply_by, sh(2026, 2, 26, 10, 0));
    }

    #[test]
    fn the_warning_comes_at_80_percent_of_the_working_time() {
        let s = settings();
        let cal = calendar();
        let at = sh(2026, 11, 23, 8, 30);
        let due = s.at_dispatch(&cal, DeadlineClass::Week, at, None);
        // 5 days × 7.5 h = 37.5 h; 80% = 30 h = 4 days: Friday 08:30 plus nothing
        assert_eq!(due.reply_warn, sh(2026, 11, 26, 17, 0));
        assert_eq!(
            cal.working_between(at, due.reply_warn, &[]),
            Duration::minutes(30 * 60)
        );
        let urgent = s.at_dispatch(&cal, DeadlineClass::Urgent, at, None);
        assert_eq!(urgent.reply_warn, at + Duration::minutes(96), "wall clock");
    }

    #[test]
    fn a_suspension_moves_the_deadline_by_the_suspended_working_time() {
        let s = settings();
        let cal = calendar();
        let due = sh(2026, 11, 27, 17, 0);
        // suspended Tuesday 14:00 to Wednesday 14:00: 7.5 working hours
        let moved = s.extended_by_suspension(
            &cal,
            false,
            due,
            sh(2026, 11, 24, 14, 0),
            sh(2026, 11, 25, 14, 0),
        );
        assert_eq!(moved, sh(2026, 11, 30, 17, 0));
        // on the wall clock: a full day
        let wall = s.extended_by_suspension(
            &cal,
            true,
            due,
            sh(2026, 11, 24, 14, 0),
            sh(2026, 11, 25, 14, 0),
        );
        assert_eq!(wall, due + Duration::days(1));
    }

    #[test]
    fn stages_come_in_order_and_escalation_waits_two_working_days() {
        let s = settings();
        let cal = calendar();
        let clock = Clock {
            kind: ClockKind::Reply,
            warn_at: sh(2026, 11, 26, 17, 0),
            due_at: sh(2026, 11, 27, 17, 0),
            stage: 0,
        };
        assert_eq!(s.next_alarm(&cal, &[clock]), Some(clock.warn_at));
        assert!(
            s.due_stages(&cal, &clock, sh(2026, 11, 26, 16, 59))
                .is_empty()
        );
        assert_eq!(
            s.due_stages(&cal, &clock, sh(2026, 11, 27, 17, 0)),
            vec![Stage::Warning, Stage::Overdue]
        );
        let overdue = Clock { stage: 2, ..clock };
        // Friday 17:00 + 2 working days = Tuesday 17:00
        assert_eq!(s.next_alarm(&cal, &[overdue]), Some(sh(2026, 12, 1, 17, 0)));
        assert!(
            s.due_stages(&cal, &overdue, sh(2026, 12, 1, 16, 0))
                .is_empty()
        );
        assert_eq!(
            s.due_stages(&cal, &overdue, sh(2026, 12, 1, 17, 0)),
            vec![Stage::Escalated]
        );
        let done = Clock { stage: 3, ..clock };
        assert_eq!(s.next_alarm(&cal, &[done]), None);
        assert_eq!(
            s.next_alarm(&cal, &[done, overdue]),
            Some(sh(2026, 12, 1, 17, 0))
        );
    }

    #[test]
    fn extensions_reach_at_most_ten_working_days() {
        let s = settings();
        let cal = calendar();
        assert_eq!(
            s.extension_limit(&cal, sh(2026, 11, 27, 17, 0)),
            sh(2026, 12, 11, 17, 0)
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = settings();
        s.warning_fraction = 1.0;
        assert!(s.check().is_err());
        let mut s = settings();
        s.classes.week.reply = Span::WorkingDays(0);
        assert!(s.check().expect_err("refused").contains("week.reply"));
    }
}
