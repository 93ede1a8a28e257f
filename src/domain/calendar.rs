//! The working calendar: working hours on working days in a time zone, public holidays and
//! make-up working days, and deadline arithmetic on it that pauses while an appeal is suspended.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::ControlFlow;

use chrono::{
    DateTime, Datelike, Duration, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Most calendar days one computation visits (about 40 years); a safety bound only.
const MAX_DAYS: u32 = 40 * 366;
/// Longest allowed run of consecutive days without a working day.
const MAX_DAYS_OFF: u32 = 31;

/// One working period of a day, local time, start < end, e.g. 08:30–12:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// HH:MM
    #[serde(with = "hh_mm")]
    #[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "08:30")]
    pub start: NaiveTime,
    /// HH:MM, after start
    #[serde(with = "hh_mm")]
    #[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "12:00")]
    pub end: NaiveTime,
}

/// `NaiveTime` as `"HH:MM"`.
pub mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    const FORMAT: &str = "%H:%M";

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.format(FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(&text, FORMAT)
            .map_err(|_| D::Error::custom(format!("`{text}` is not a time like 08:30")))
    }
}

/// An explicit override of the weekday pattern for one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday: no working time.
    Holiday,
    /// A make-up working day (调休上班), e.g. a Saturday worked instead of a holiday.
    Workday,
}

/// What an administrator edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarSpec {
    /// IANA time zone name.
    pub time_zone: String,
    /// Working periods of a working day, sorted, not overlapping.
    pub working_hours: Vec<WorkingHours>,
    /// ISO weekdays: 1 = Monday … 7 = Sunday.
    pub working_weekdays: Vec<u8>,
    /// Holidays and make-up working days; they override the weekday pattern.
    pub days: BTreeMap<NaiveDate, DayKind>,
}

impl CalendarSpec {
    /// Asia/Shanghai, 08:30–12:00 and 13:00–17:00, Monday to Friday, no explicit days.
    pub fn china_default() -> CalendarSpec {
        let time = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a valid constant time");
        CalendarSpec {
            time_zone: "Asia/Shanghai".to_owned(),
            working_hours: vec![
                WorkingHours {
                    start: time(8, 30),
                    end: time(12, 0),
                },
                WorkingHours {
                    start: time(13, 0),
                    end: time(17, 0),
                },
            ],
            working_weekdays: vec![1, 2, 3, 4, 5],
            days: BTreeMap::new(),
        }
    }
}

/// A refused calendar: which field and why (shown to the administrator as a 422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarError {
    pub field: &'static str,
    pub message: String,
}

impl CalendarError {
    fn new(field: &'static str, message: impl Into<String>) -> CalendarError {
        CalendarError {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for CalendarError {}

/// A half-open interval [from, to) of suspended time; empty when `to <= from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A validated working calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    spec: CalendarSpec,
    tz: Tz,
    /// Indexed by `num_days_from_monday`.
    weekdays: [bool; 7],
    day_length: Duration,
}

impl Calendar {
    /// Validates and compiles a spec.
    ///
    /// Refuses an unknown time zone (`time_zone`); no working period, a period with
    /// start >= end, or periods unsorted or overlapping (`working_hours`); no working weekday,
    /// one outside 1..=7 or listed twice (`working_weekdays`); more than 31 consecutive days
    /// without a working day (`days`).
    pub fn new(spec: CalendarSpec) -> Result<Calendar, CalendarError> {
        let tz: Tz = spec.time_zone.parse().map_err(|_| {
            CalendarError::new(
                "time_zone",
                format!("`{}` is not a known IANA time zone", spec.time_zone),
            )
        })?;

        if spec.working_hours.is_empty() {
            return Err(CalendarError::new(
                "working_hours",
                "at least one working period is required",
            ));
        }
        for (index, period) in spec.working_hours.iter().enumerate() {
            if period.start >= period.end {
                return Err(CalendarError::new(
                    "working_hours",
                    format!(
                        "period {} ({}-{}) must start before it ends",
                        index + 1,
                        period.start.format("%H:%M"),
                        period.end.format("%H:%M")
                    ),
                ));
            }
        }
        for (index, pair) in spec.working_hours.windows(2).enumerate() {
            if pair[1].start < pair[0].end {
                return Err(CalendarError::new(
                    "working_hours",
                    format!(
                        "period {} must start after period {} ends: periods must be sorted and must not overlap",
                        index + 2,
                        index + 1
                    ),
                ));
            }
        }

        if spec.working_weekdays.is_empty() {
            return Err(CalendarError::new(
                "working_weekdays",
                "at least one working weekday is required",
            ));
        }
        let mut weekdays = [false; 7];
        for &weekday in &spec.working_weekdays {
            let slot = weekday
                .checked_sub(1)
                .and_then(|index| weekdays.get_mut(usize::from(index)))
                .ok_or_else(|| {
                    CalendarError::new(
                        "working_weekdays",
                        format!("{weekday} is not a weekday: use 1 (Monday) to 7 (Sunday)"),
                    )
                })?;
            if *slot {
                return Err(CalendarError::new(
                    "working_weekdays",
                    format!("weekday {weekday} is listed twice"),
                ));
            }
            *slot = true;
        }

        let day_length = spec
            .working_hours
            .iter()
            .fold(Duration::zero(), |total, period| {
                total + (period.end - period.start)
            });

        let calendar = Calendar {
            spec,
            tz,
            weekdays,
            day_length,
        };
        calendar.check_days_off()?;
        Ok(calendar)
    }

    /// The built-in default: [`CalendarSpec::china_default`].
    pub fn china_default() -> Calendar {
        Calendar::new(CalendarSpec::china_default())
            .expect("the built-in default calendar is valid")
    }

    /// The validated spec.
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The calendar's time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Whether `date` is a working day; an explicit day overrides the weekday pattern.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.spec.days.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => self.is_working_weekday(date),
        }
    }

    /// Working time of one working day (7h30m by default).
    pub fn day_length(&self) -> Duration {
        self.day_length
    }

    /// The instant reached after `amount` of working time from `start`, not counting time inside
    /// `suspended`. `amount <= 0` gives `start`; an amount running out at the end of a working
    /// period gives that end. Saturates at `DateTime::<Utc>::MAX_UTC` when the amount cannot be
    /// reached within about 40 years of calendar days visited (e.g. an open-ended suspension).
    pub fn add_working(
        &self,
        start: DateTime<Utc>,
        amount: Duration,
        suspended: &[Interval],
    ) -> DateTime<Utc> {
        if amount <= Duration::zero() {
            return start;
        }
        let suspended = normalize(suspended);
        let mut remaining = amount;
        let mut reached = None;
        let _ = self.walk(start, None, &suspended, |from, to| {
            let piece = to - from;
            if piece >= remaining {
                reached = Some(from + remaining);
                ControlFlow::Break(())
            } else {
                remaining -= piece;
                ControlFlow::Continue(())
            }
        });
        reached.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Working time in [from, to) outside `suspended`; zero when `to <= from`.
    /// Counts at most about 40 years of calendar days visited.
    pub fn working_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        suspended: &[Interval],
    ) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let suspended = normalize(suspended);
        let mut total = Duration::zero();
        let _ = self.walk(from, Some(to), &suspended, |a, b| {
            if a >= to {
                return ControlFlow::Break(());
            }
            total += b.min(to) - a;
            if b >= to {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        total
    }

    /// `add_working(start, day_length × days, suspended)`.
    pub fn add_working_days(
        &self,
        start: DateTime<Utc>,
        days: i64,
        suspended: &[Interval],
    ) -> DateTime<Utc> {
        if days <= 0 {
            return start;
        }
        match i32::try_from(days)
            .ok()
            .and_then(|days| self.day_length.checked_mul(days))
        {
            Some(amount) => self.add_working(start, amount, suspended),
            None => DateTime::<Utc>::MAX_UTC,
        }
    }

    /// The end of the last working period of `at`'s local day when that day is a working day
    /// and `at`'s local time is not later than `cutoff`; otherwise the end of the next working
    /// day. Suspension is not considered.
    pub fn end_of_working_day(&self, at: DateTime<Utc>, cutoff: NaiveTime) -> DateTime<Utc> {
        let Some(local) = self.local_naive(at) else {
            return DateTime::<Utc>::MAX_UTC;
        };
        let mut periods = Vec::with_capacity(self.spec.working_hours.len());
        let mut date = local.date();
        if local.time() <= cutoff
            && let Some(end) = self.day_end(date, &mut periods)
        {
            return end;
        }
        for _ in 0..MAX_DAYS {
            let Some(next) = date.succ_opt() else { break };
            date = next;
            if let Some(end) = self.day_end(date, &mut periods) {
                return end;
            }
        }
        DateTime::<Utc>::MAX_UTC
    }

    fn is_working_weekday(&self, date: NaiveDate) -> bool {
        self.weekdays[date.weekday().num_days_from_monday() as usize]
    }

    /// End of the last working period of `date`, if it is a working day with any period.
    fn day_end(
        &self,
        date: NaiveDate,
        periods: &mut Vec<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Option<DateTime<Utc>> {
        if !self.is_working_day(date) {
            return None;
        }
        self.periods_of(date, periods);
        periods.last().map(|&(_, end)| end)
    }

    /// Refuses a run of more than `MAX_DAYS_OFF` days without a working day, checked over the
    /// explicit days plus `MAX_DAYS_OFF` days on each side.
    fn check_days_off(&self) -> Result<(), CalendarError> {
        let days = &self.spec.days;
        let (Some(&first), Some(&last)) = (days.keys().next(), days.keys().next_back()) else {
            return Ok(());
        };
        let margin = Duration::days(i64::from(MAX_DAYS_OFF));
        let begin = first.checked_sub_signed(margin).unwrap_or(NaiveDate::MIN);
        let end = last.checked_add_signed(margin).unwrap_or(NaiveDate::MAX);

        let mut date = begin;
        let mut run = 0u32;
        let mut run_start = begin;
        loop {
            // Far from any explicit day only the weekday pattern applies, whose runs are
            // shorter than a week: leap to a working weekday shortly before the next one.
            let next_explicit = days.range(date..).next().map_or(end, |(&day, _)| day);
            if (next_explicit - date).num_days() > 40 {
                let mut landing = next_explicit
                    .checked_sub_signed(Duration::days(14))
                    .expect("lands after `date`, which is a valid date");
                while !self.is_working_weekday(landing) {
                    landing = landing
                        .succ_opt()
                        .expect("a working weekday occurs within a week");
                }
                date = landing;
                run = 0;
            }

            if self.is_working_day(date) {
                run = 0;
            } else {
                if run == 0 {
                    run_start = date;
                }
                run += 1;
                if run > MAX_DAYS_OFF {
                    return Err(CalendarError::new(
                        "days",
                        format!(
                            "more than {MAX_DAYS_OFF} consecutive days without a working day, from {run_start}"
                        ),
                    ));
                }
            }

            if date >= end {
                return Ok(());
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => return Ok(()),
            }
        }
    }

    /// Local wall time of an instant, `None` out of chrono's range.
    fn local_naive(&self, at: DateTime<Utc>) -> Option<NaiveDateTime> {
        let utc = at.naive_utc();
        utc.checked_add_offset(self.tz.offset_from_utc_datetime(&utc).fix())
    }

    /// The instant of a local wall time: a non-existent one maps to the first instant after
    /// the gap, an ambiguous one to the earlier instant.
    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.tz.from_local_datetime(&local) {
            MappedLocalTime::Single(at) => Some(at.to_utc()),
            MappedLocalTime::Ambiguous(a, b) => Some(a.min(b).to_utc()),
            MappedLocalTime::None => self.gap_end(local),
        }
    }

    /// The first instant whose local time is not before `local` (inside a gap: the transition).
    fn gap_end(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let guess = local.and_utc();
        let mut low = guess.checked_sub_signed(Duration::days(1))?.timestamp();
        let mut high = guess.checked_add_signed(Duration::days(1))?.timestamp();
        let before = |seconds: i64| -> Option<bool> {
            let at = DateTime::from_timestamp(seconds, 0)?;
            Some(self.local_naive(at)? < local)
        };
        if !before(low)? || before(high)? {
            return None;
        }
        // Offset transitions fall on whole seconds.
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if before(middle)? {
                low = middle;
            } else {
                high = middle;
            }
        }
        DateTime::from_timestamp(high, 0)
    }

    /// The working periods of `date` as UTC instants, sorted and disjoint; a period whose end
    /// is not after its start (DST) is skipped.
    fn periods_of(&self, date: NaiveDate, out: &mut Vec<(DateTime<Utc>, DateTime<Utc>)>) {
        out.clear();
        let mut floor: Option<DateTime<Utc>> = None;
        for period in &self.spec.working_hours {
            let (Some(start), Some(end)) = (
                self.resolve(date.and_time(period.start)),
                self.resolve(date.and_time(period.end)),
            ) else {
                continue;
            };
            let start = floor.map_or(start, |floor| start.max(floor));
            if end > start {
                out.push((start, end));
                floor = Some(end);
            }
        }
    }

    /// Calls `visit` with each piece [a, b) of working time outside `suspended` (normalized)
    /// at or after `from`, in order, until it breaks, `until` is passed, or the safety bound.
    fn walk(
        &self,
        from: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        suspended: &[Interval],
        mut visit: impl FnMut(DateTime<Utc>, DateTime<Utc>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let last_date = match until {
            Some(until) => match self.local_naive(until) {
                Some(local) => local.date().succ_opt(),
                None => None,
            },
            None => None,
        };
        let mut periods = Vec::with_capacity(self.spec.working_hours.len());
        let mut cursor = from;
        let mut date = NaiveDate::MIN;
        for _ in 0..MAX_DAYS {
            if until.is_some_and(|until| cursor >= until) {
                return ControlFlow::Continue(());
            }
            // Leap over a suspension in progress, then resume on the day before its end (a
            // day's periods never start before the previous local day).
            if let Some(interval) = covering(suspended, cursor) {
                cursor = interval.to;
            }
            let Some(local) = self.local_naive(cursor) else {
                return ControlFlow::Continue(());
            };
            date = date.max(local.date().pred_opt().unwrap_or(NaiveDate::MIN));
            if last_date.is_some_and(|last| date > last) {
                return ControlFlow::Continue(());
            }

            if self.is_working_day(date) {
                self.periods_of(date, &mut periods);
                for &(start, end) in &periods {
                    let mut at = start.max(cursor);
                    let mut next = suspended.partition_point(|interval| interval.to <= at);
                    while at < end {
                        match suspended.get(next) {
                            Some(interval) if interval.from < end => {
                                if interval.from > at {
                                    visit(at, interval.from)?;
                                }
                                at = at.max(interval.to);
                                next += 1;
                            }
                            _ => {
                                visit(at, end)?;
                                at = end;
                            }
                        }
                    }
                    cursor = cursor.max(at);
                }
            }

            match date.succ_opt() {
                Some(next) => date = next,
                None => return ControlFlow::Continue(()),
            }
        }
        ControlFlow::Continue(())
    }
}

/// Non-empty intervals sorted by start, overlapping or touching ones merged.
fn normalize(intervals: &[Interval]) -> Vec<Interval> {
    let mut sorted: Vec<Interval> = intervals
        .iter()
        .copied()
        .filter(|interval| interval.from < interval.to)
        .collect();
    sorted.sort_by_key(|interval| interval.from);
    let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
    for interval in sorted {
        match merged.last_mut() {
            Some(last) if interval.from <= last.to => last.to = last.to.max(interval.to),
            _ => merged.push(interval),
        }
    }
    merged
}

/// The interval of normalized `intervals` containing `at`.
fn covering(intervals: &[Interval], at: DateTime<Utc>) -> Option<&Interval> {
    let index = intervals.partition_point(|interval| interval.to <= at);
    intervals.get(index).filter(|interval| interval.from <= at)
}

/// The instant reached after `amount` of wall-clock time from `start`, not counting time inside
/// `suspended`. `amount <= 0` gives `start`; saturates at `DateTime::<Utc>::MAX_UTC`.
pub fn add_wall(start: DateTime<Utc>, amount: Duration, suspended: &[Interval]) -> DateTime<Utc> {
    if amount <= Duration::zero() {
        return start;
    }
    let suspended = normalize(suspended);
    let first = suspended.partition_point(|interval| interval.to <= start);
    let mut cursor = start;
    let mut remaining = amount;
    for interval in &suspended[first..] {
        if interval.from > cursor {
            let free = interval.from - cursor;
            if free >= remaining {
                return cursor + remaining;
            }
            remaining -= free;
        }
        cursor = cursor.max(interval.to);
    }
    cursor
        .checked_add_signed(remaining)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Wall-clock time in [from, to) outside `suspended`; zero when `to <= from`.
pub fn wall_between(from: DateTime<Utc>, to: DateTime<Utc>, suspended: &[Interval]) -> Duration {
    if to <= from {
        return Duration::zero();
    }
    normalize(suspended)
        .iter()
        .fold(to - from, |total, interval| {
            let start = interval.from.max(from);
            let end = interval.to.min(to);
            if end > start {
                total - (end - start)
            } else {
                total
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use chrono_tz::America::New_York;
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    fn local(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        in_zone(Shanghai, year, month, day, hour, minute)
    }

    fn in_zone(tz: Tz, year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("an unambiguous local time")
            .to_utc()
    }

    fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("a valid UTC time")
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
    }

    fn time(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).expect("a valid time")
    }

    fn hours(h: i64) -> Duration {
        Duration::hours(h)
    }

    fn minutes(m: i64) -> Duration {
        Duration::minutes(m)
    }

    fn interval(from: DateTime<Utc>, to: DateTime<Utc>) -> Interval {
        Interval { from, to }
    }

    fn hours_spec(periods: &[(u32, u32, u32, u32)]) -> Vec<WorkingHours> {
        periods
            .iter()
            .map(|&(h1, m1, h2, m2)| WorkingHours {
                start: time(h1, m1),
                end: time(h2, m2),
            })
            .collect()
    }

    fn with_days(days: &[(NaiveDate, DayKind)]) -> Calendar {
        let mut spec = CalendarSpec::china_default();
        spec.days.extend(days.iter().copied());
        Calendar::new(spec).expect("a valid calendar")
    }

    /// 2026-02-14 (Saturday) worked, 2026-02-15..=23 Spring Festival holidays.
    fn spring_festival_2026() -> Calendar {
        let mut days = vec![(date(2026, 2, 14), DayKind::Workday)];
        days.extend((15..=23).map(|day| (date(2026, 2, day), DayKind::Holiday)));
        with_days(&days)
    }

    fn refusal(spec: CalendarSpec) -> CalendarError {
        Calendar::new(spec).expect_err("the calendar must be refused")
    }

    #[test]
    fn dates_used_have_the_expected_weekdays() {
        assert_eq!(date(2026, 11, 23).weekday(), Weekday::Mon);
        assert_eq!(date(2026, 11, 27).weekday(), Weekday::Fri);
        assert_eq!(date(2026, 2, 13).weekday(), Weekday::Fri);
        assert_eq!(date(2026, 2, 14).weekday(), Weekday::Sat);
        assert_eq!(date(2026, 3, 8).weekday(), Weekday::Sun);
        assert_eq!(date(2026, 11, 1).weekday(), Weekday::Sun);
        assert_eq!(date(2100, 1, 1).weekday(), Weekday::Fri);
    }

    #[test]
    fn default_calendar() {
        let cal = Calendar::china_default();
        assert_eq!(cal.tz(), Shanghai);
        assert_eq!(cal.day_length(), hours(7) + minutes(30));
        assert_eq!(cal.spec(), &CalendarSpec::china_default());
        assert!(cal.is_working_day(date(2026, 11, 23)));
        assert!(!cal.is_working_day(date(2026, 11, 28)));
        assert!(!cal.is_working_day(date(2026, 11, 29)));
    }

    #[test]
    fn two_hours_skip_the_lunch_break() {
        let cal = Calendar::china_default();
        assert_eq!(
            cal.add_working(local(2026, 11, 23, 11, 0), hours(2), &[]),
            local(2026, 11, 23, 14, 0)
        );
    }

    #[test]
    fn two_hours_from_friday_afternoon_end_on_monday() {
        let cal = Calendar::china_default();
        assert_eq!(
            cal.add_working(local(2026, 11, 27, 16, 30), hours(2), &[]),
            local(2026, 11, 30, 10, 0)
        );
    }

    #[test]
    fn two_hours_from_saturday_end_on_monday() {
        let cal = Calendar::china_default();
        assert_eq!(
            cal.add_working(local(2026, 11, 28, 10, 0), hours(2), &[]),
            local(2026, 11, 30, 10, 30)
        );
    }

    #[test]
    fn amount_running_out_at_a_period_end_stays_there() {
        let cal = Calendar::china_default();
        assert_eq!(
            cal.add_working(local(2026, 11, 23, 10, 0), hours(2), &[]),
            local(2026, 11, 23, 12, 0)
        );
        assert_eq!(
            cal.add_working(local(2026, 11, 23, 13, 0), hours(4), &[]),
            local(2026, 11, 23, 17, 0)
        );
        assert_eq!(
            cal.add_working_days(local(2026, 11, 23, 8, 30), 1, &[]),
            local(2026, 11, 23, 17, 0)
        );
    }

    #[test]
    fn non_positive_amounts_return_the_start() {
        let cal = Calendar::china_default();
        let start = local(2026, 11, 28, 10, 0);
        assert_eq!(cal.add_working(start, Duration::zero(), &[]), start);
        assert_eq!(cal.add_working(start, -hours(3), &[]), start);
        assert_eq!(cal.add_working_days(start, 0, &[]), start);
        assert_eq!(cal.add_working_days(start, -2, &[]), start);
    }

    #[test]
    fn sub_second_precision_is_kept() {
        let cal = Calendar::china_default();
        let start = local(2026, 11, 23, 11, 59) + Duration::nanoseconds(59_999_999_999);
        let end = cal.add_working(start, Duration::nanoseconds(60_000_000_002), &[]);
        assert_eq!(end, local(2026, 11, 23, 13, 1) + Duration::nanoseconds(1));
        assert_eq!(
            cal.working_between(start, end, &[]),
            Duration::nanoseconds(60_000_000_002)
        );
    }

    #[test]
    fn a_holiday_monday_is_skipped() {
        let cal = with_days(&[(date(2026, 11, 30), DayKind::Holiday)]);
        assert!(!cal.is_working_day(date(2026, 11, 30)));
        assert_eq!(
            cal.add_working(local(2026, 11, 27, 16, 30), hours(2), &[]),
            local(2026, 12, 1, 10, 0)
        );
    }

    #[test]
    fn a_make_up_saturday_is_worked() {
        let cal = spring_festival_2026();
        assert!(cal.is_working_day(date(2026, 2, 14)));
        assert!(!cal.is_working_day(date(2026, 2, 16)));
        assert_eq!(
            cal.add_working_days(local(2026, 2, 13, 9, 0), 1, &[]),
            local(2026, 2, 14, 9, 0)
        );
        // 7h on Friday, 7h30m on Saturday, then the holidays, 30m on Tuesday the 24th.
        assert_eq!(
            cal.add_working_days(local(2026, 2, 13, 9, 0), 2, &[]),
            local(2026, 2, 24, 9, 0)
        );
        assert_eq!(
            cal.working_between(local(2026, 2, 14, 0, 0), local(2026, 2, 15, 0, 0), &[]),
            cal.day_length()
        );
    }

    #[test]
    fn working_between_examples() {
        let cal = Calendar::china_default();
        // Across a weekend: 2h on Friday, 1h30m on Monday.
        assert_eq!(
            cal.working_between(local(2026, 11, 27, 15, 0), local(2026, 11, 30, 10, 0), &[]),
            hours(3) + minutes(30)
        );
        // Across lunch.
        assert_eq!(
            cal.working_between(local(2026, 11, 23, 11, 0), local(2026, 11, 23, 14, 0), &[]),
            hours(2)
        );
        // Across a holiday Monday.
        let holiday = with_days(&[(date(2026, 11, 30), DayKind::Holiday)]);
        assert_eq!(
            holiday.working_between(local(2026, 11, 27, 15, 0), local(2026, 12, 1, 10, 0), &[]),
            hours(3) + minutes(30)
        );
        // A whole week.
        assert_eq!(
            cal.working_between(local(2026, 11, 23, 0, 0), local(2026, 11, 30, 0, 0), &[]),
            hours(37) + minutes(30)
        );
        // Empty or reversed.
        let at = local(2026, 11, 23, 10, 0);
        assert_eq!(cal.working_between(at, at, &[]), Duration::zero());
        assert_eq!(
            cal.working_between(at, at - hours(5), &[]),
            Duration::zero()
        );
    }

    #[test]
    fn working_between_inverts_add_working() {
        let cal = spring_festival_2026();
        let start = local(2026, 2, 12, 16, 45);
        for amount in [minutes(1), hours(2), hours(15), hours(40), hours(100)] {
            let end = cal.add_working(start, amount, &[]);
            assert_eq!(cal.working_between(start, end, &[]), amount);
        }
    }

    #[test]
    fn a_suspended_tuesday_pushes_the_deadline_one_working_day() {
        let cal = Calendar::china_default();
        let start = local(2026, 11, 23, 9, 0);
        assert_eq!(
            cal.add_working_days(start, 2, &[]),
            local(2026, 11, 25, 9, 0)
        );
        let tuesday = [interval(
            local(2026, 11, 24, 0, 0),
            local(2026, 11, 25, 0, 0),
        )];
        assert_eq!(
            cal.add_working_days(start, 2, &tuesday),
            local(2026, 11, 26, 9, 0)
        );
        // The same Tuesday as unsorted, overlapping pieces, plus an empty and a reversed one.
        let pieces = [
            interval(local(2026, 11, 24, 10, 0), local(2026, 11, 24, 15, 0)),
            interval(local(2026, 11, 24, 14, 0), local(2026, 11, 25, 0, 0)),
            interval(local(2026, 11, 26, 3, 0), local(2026, 11, 26, 3, 0)),
            interval(local(2026, 11, 26, 10, 0), local(2026, 11, 26, 8, 0)),
            interval(local(2026, 11, 24, 0, 0), local(2026, 11, 24, 12, 0)),
        ];
        assert_eq!(
            cal.add_working_days(start, 2, &pieces),
            local(2026, 11, 26, 9, 0)
        );
        assert_eq!(
            cal.working_between(start, local(2026, 11, 26, 9, 0), &pieces),
            hours(15)
        );
    }

    #[test]
    fn partial_suspensions() {
        let cal = Calendar::china_default();
        let start = local(2026, 11, 23, 9, 0);
        let hour = [interval(
            local(2026, 11, 23, 10, 0),
            local(2026, 11, 23, 11, 0),
        )];
        assert_eq!(
            cal.add_working(start, hours(2), &hour),
            local(2026, 11, 23, 12, 0)
        );
        // Running out exactly where a suspension begins.
        assert_eq!(
            cal.add_working(start, hours(1), &hour),
            local(2026, 11, 23, 10, 0)
        );
        assert_eq!(
            cal.working_between(start, local(2026, 11, 23, 15, 0), &hour),
            hours(4)
        );
        // Starting inside a suspension.
        assert_eq!(
            cal.add_working(local(2026, 11, 23, 10, 30), minutes(30), &hour),
            local(2026, 11, 23, 11, 30)
        );
    }

    #[test]
    fn open_ended_suspensions_are_leapt_over() {
        let cal = Calendar::china_default();
        let start = local(2026, 11, 23, 9, 0);
        // Until 2100-01-01 08:00 local, a Friday: 7h on Monday, 7h30m then, 30m next Monday.
        let long = [interval(local(2026, 11, 24, 0, 0), utc(2100, 1, 1, 0, 0))];
        assert_eq!(
            cal.add_working_days(start, 2, &long),
            local(2100, 1, 4, 9, 0)
        );
        assert_eq!(
            cal.working_between(start, local(2100, 1, 4, 9, 0), &long),
            hours(15)
        );
        // Never ending: the deadline saturates.
        let forever = [interval(
            local(2026, 11, 24, 0, 0),
            DateTime::<Utc>::MAX_UTC,
        )];
        assert_eq!(
            cal.add_working_days(start, 2, &forever),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            cal.working_between(start, DateTime::<Utc>::MAX_UTC, &forever),
            hours(7)
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let cal = Calendar::china_default();
        let max = DateTime::<Utc>::MAX_UTC;
        let min = DateTime::<Utc>::MIN_UTC;
        assert_eq!(cal.add_working(max, hours(1), &[]), max);
        assert_eq!(cal.add_working(max - hours(20), hours(100), &[]), max);
        assert_eq!(cal.add_working_days(min, i64::MAX, &[]), max);
        assert_eq!(cal.add_working(min, Duration::MAX, &[]), max);
        let end = cal.add_working(min, hours(30), &[]);
        assert!(end > min);
        assert_eq!(cal.working_between(min, end, &[]), hours(30));
        let _ = cal.end_of_working_day(max, time(15, 0));
        let _ = cal.end_of_working_day(min, time(15, 0));
        assert_eq!(add_wall(max - hours(1), hours(2), &[]), max);
        assert_eq!(wall_between(min, max, &[]), max - min);
    }

    #[test]
    fn end_of_working_day_examples() {
        let cal = Calendar::china_default();
        let cutoff = time(15, 0);
        assert_eq!(
            cal.end_of_working_day(local(2026, 11, 23, 10, 0), cutoff),
            local(2026, 11, 23, 17, 0)
        );
        assert_eq!(
            cal.end_of_working_day(local(2026, 11, 23, 15, 0), cutoff),
            local(2026, 11, 23, 17, 0)
        );
        assert_eq!(
            cal.end_of_working_day(local(2026, 11, 23, 15, 30), cutoff),
            local(2026, 11, 24, 17, 0)
        );
        assert_eq!(
            cal.end_of_working_day(local(2026, 11, 28, 10, 0), cutoff),
            local(2026, 11, 30, 17, 0)
        );
        // Early Monday in Shanghai is still Sunday in UTC.
        assert_eq!(
            cal.end_of_working_day(local(2026, 11, 23, 0, 30), cutoff),
            local(2026, 11, 23, 17, 0)
        );
        let holiday = with_days(&[(date(2026, 11, 30), DayKind::Holiday)]);
        assert_eq!(
            holiday.end_of_working_day(local(2026, 11, 27, 16, 0), cutoff),
            local(2026, 12, 1, 17, 0)
        );
    }

    #[test]
    fn the_local_date_decides_not_the_utc_date() {
        let cal = Calendar::china_default();
        let sunday_utc = utc(2026, 11, 22, 23, 30);
        assert_eq!(sunday_utc, local(2026, 11, 23, 7, 30));
        assert_eq!(
            cal.add_working(sunday_utc, hours(1), &[]),
            local(2026, 11, 23, 9, 30)
        );
        // Local Monday is 16:00 UTC Sunday to 16:00 UTC Monday.
        assert_eq!(
            cal.working_between(utc(2026, 11, 22, 16, 0), utc(2026, 11, 23, 16, 0), &[]),
            cal.day_length()
        );
        // Friday 16:00 UTC to Sunday 16:00 UTC is the local weekend: nothing counts.
        assert_eq!(
            cal.working_between(utc(2026, 11, 27, 16, 0), utc(2026, 11, 29, 16, 0), &[]),
            Duration::zero()
        );
    }

    fn new_york(hours: &[(u32, u32, u32, u32)], weekdays: Vec<u8>) -> Calendar {
        let mut spec = CalendarSpec::china_default();
        spec.time_zone = "America/New_York".to_owned();
        spec.working_hours = hours_spec(hours);
        spec.working_weekdays = weekdays;
        spec.days.insert(date(2026, 3, 8), DayKind::Workday);
        spec.days.insert(date(2026, 11, 1), DayKind::Workday);
        Calendar::new(spec).expect("a valid calendar")
    }

    fn ny_day(cal: &Calendar, day: NaiveDate) -> Duration {
        let midnight = |d: NaiveDate| {
            cal.resolve(d.and_time(NaiveTime::MIN))
                .expect("a representable midnight")
        };
        let next = day.succ_opt().expect("a next day");
        cal.working_between(midnight(day), midnight(next), &[])
    }

    #[test]
    fn new_york_working_days_keep_their_length_across_dst() {
        let cal = new_york(&[(8, 30, 12, 0), (13, 0, 17, 0)], vec![1, 2, 3, 4, 5]);
        for day in [
            date(2026, 3, 6),
            date(2026, 3, 8),
            date(2026, 3, 9),
            date(2026, 10, 30),
            date(2026, 11, 1),
            date(2026, 11, 2),
        ] {
            assert_eq!(ny_day(&cal, day), cal.day_length(), "{day}");
        }
        // One working day from Friday 09:00 is Sunday 09:00 (worked), in local wall time.
        assert_eq!(
            cal.add_working_days(in_zone(New_York, 2026, 3, 6, 9, 0), 1, &[]),
            in_zone(New_York, 2026, 3, 8, 9, 0)
        );
        assert_eq!(
            cal.add_working_days(in_zone(New_York, 2026, 3, 6, 9, 0), 2, &[]),
            in_zone(New_York, 2026, 3, 9, 9, 0)
        );
        assert_eq!(
            cal.add_working_days(in_zone(New_York, 2026, 10, 30, 9, 0), 2, &[]),
            in_zone(New_York, 2026, 11, 2, 9, 0)
        );
        assert_eq!(
            cal.end_of_working_day(in_zone(New_York, 2026, 3, 7, 9, 0), time(15, 0)),
            in_zone(New_York, 2026, 3, 8, 17, 0)
        );
    }

    #[test]
    fn new_york_gap_and_fold() {
        // Spring forward 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        let gap = new_york(&[(2, 30, 5, 0)], vec![1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(ny_day(&gap, date(2026, 3, 8)), hours(2));
        assert_eq!(
            gap.add_working(utc(2026, 3, 8, 5, 0), minutes(1), &[]),
            utc(2026, 3, 8, 7, 1)
        );
        assert_eq!(ny_day(&gap, date(2026, 3, 7)), hours(2) + minutes(30));

        let into_gap = new_york(&[(1, 0, 2, 30)], vec![7]);
        assert_eq!(ny_day(&into_gap, date(2026, 3, 8)), hours(1));
        assert_eq!(
            into_gap.add_working(utc(2026, 3, 8, 5, 0), hours(1), &[]),
            utc(2026, 3, 8, 7, 0)
        );

        // A period entirely inside the gap is skipped.
        let inside = new_york(&[(2, 10, 2, 50), (9, 0, 10, 0)], vec![7]);
        assert_eq!(ny_day(&inside, date(2026, 3, 8)), hours(1));
        assert_eq!(ny_day(&inside, date(2026, 3, 15)), hours(1) + minutes(40));
        assert_eq!(
            inside.end_of_working_day(utc(2026, 3, 8, 5, 0), time(15, 0)),
            utc(2026, 3, 8, 14, 0)
        );

        // Fall back 2026-11-01: 01:30 is ambiguous and taken at its earlier instant (EDT).
        let fold = new_york(&[(1, 30, 5, 0)], vec![7]);
        assert_eq!(ny_day(&fold, date(2026, 11, 1)), hours(4) + minutes(30));
        assert_eq!(
            fold.add_working(utc(2026, 11, 1, 0, 0), minutes(1), &[]),
            utc(2026, 11, 1, 5, 31)
        );
        assert_eq!(
            fold.add_working(utc(2026, 11, 1, 0, 0), hours(4) + minutes(30), &[]),
            utc(2026, 11, 1, 10, 0)
        );
    }

    #[test]
    fn refuses_an_unknown_time_zone() {
        let mut spec = CalendarSpec::china_default();
        spec.time_zone = "Mars/Olympus_Mons".to_owned();
        let error = refusal(spec);
        assert_eq!(error.field, "time_zone");
        assert!(error.message.contains("Mars/Olympus_Mons"), "{error}");
    }

    #[test]
    fn refuses_bad_working_hours() {
        for periods in [
            vec![],
            vec![(9, 0, 9, 0)],
            vec![(17, 0, 8, 30)],
            vec![(13, 0, 17, 0), (8, 30, 12, 0)],
            vec![(8, 30, 12, 0), (11, 0, 17, 0)],
            vec![(8, 30, 12, 0), (8, 30, 12, 0)],
        ] {
            let mut spec = CalendarSpec::china_default();
            spec.working_hours = hours_spec(&periods);
            assert_eq!(refusal(spec).field, "working_hours", "{periods:?}");
        }
        // Touching periods are fine.
        let mut spec = CalendarSpec::china_default();
        spec.working_hours = hours_spec(&[(8, 0, 12, 0), (12, 0, 16, 0)]);
        let cal = Calendar::new(spec).expect("touching periods are valid");
        assert_eq!(cal.day_length(), hours(8));
        assert_eq!(
            cal.add_working(local(2026, 11, 23, 11, 0), hours(2), &[]),
            local(2026, 11, 23, 13, 0)
        );
    }

    #[test]
    fn refuses_bad_working_weekdays() {
        for weekdays in [vec![], vec![0], vec![1, 8], vec![1, 2, 2]] {
            let mut spec = CalendarSpec::china_default();
            spec.working_weekdays = weekdays.clone();
            assert_eq!(refusal(spec).field, "working_weekdays", "{weekdays:?}");
        }
        let mut spec = CalendarSpec::china_default();
        spec.working_weekdays = vec![7, 1];
        let cal = Calendar::new(spec).expect("unsorted weekdays are valid");
        assert!(cal.is_working_day(date(2026, 11, 29)));
        assert!(!cal.is_working_day(date(2026, 11, 28)));
    }

    /// Holidays on `count` days from `first`, framed by make-up working days.
    fn holiday_run(first: NaiveDate, count: u32) -> Vec<(NaiveDate, DayKind)> {
        let mut days = vec![(first.pred_opt().expect("a previous day"), DayKind::Workday)];
        let mut day = first;
        for _ in 0..count {
            days.push((day, DayKind::Holiday));
            day = day.succ_opt().expect("a next day");
        }
        days.push((day, DayKind::Workday));
        days
    }

    #[test]
    fn refuses_more_than_31_days_off() {
        let spec_with = |days: Vec<(NaiveDate, DayKind)>| {
            let mut spec = CalendarSpec::china_default();
            spec.days.extend(days);
            spec
        };
        assert!(Calendar::new(spec_with(holiday_run(date(2026, 7, 1), 31))).is_ok());
        let error = refusal(spec_with(holiday_run(date(2026, 7, 1), 32)));
        assert_eq!(error.field, "days");
        assert!(error.message.contains("2026-07-01"), "{error}");

        // Explicit days centuries apart are checked quickly, including the stretch between.
        let mut far = holiday_run(date(2400, 3, 1), 20);
        far.push((date(1900, 1, 1), DayKind::Holiday));
        assert!(Calendar::new(spec_with(far.clone())).is_ok());
        far.extend(holiday_run(date(2200, 5, 5), 40));
        assert_eq!(refusal(spec_with(far)).field, "days");

        // Explicit days at the very ends of the date range.
        let ends = vec![
            (NaiveDate::MIN, DayKind::Holiday),
            (NaiveDate::MAX, DayKind::Holiday),
        ];
        assert!(Calendar::new(spec_with(ends)).is_ok());

        // Only Mondays worked: three holiday Mondays in a row make a 27-day run, four 34 days.
        let mut spec = spec_with(Vec::new());
        spec.working_weekdays = vec![1];
        spec.days = (0..4)
            .map(|week| (date(2026, 6, 1) + Duration::weeks(week), DayKind::Holiday))
            .collect();
        assert_eq!(refusal(spec.clone()).field, "days");
        spec.days.pop_last();
        assert!(Calendar::new(spec).is_ok());
    }

    #[test]
    fn calendar_error_display() {
        let error = CalendarError::new("days", "too many days off");
        assert_eq!(error.to_string(), "days: too many days off");
        let boxed: Box<dyn std::error::Error> = Box::new(error);
        assert_eq!(boxed.to_string(), "days: too many days off");
    }

    #[test]
    fn hh_mm_parsing() {
        use serde::de::value::{Error as ValueError, StrDeserializer};
        let parse = |text: &str| hh_mm::deserialize(StrDeserializer::<ValueError>::new(text));
        assert_eq!(parse("08:30").expect("a time"), time(8, 30));
        assert_eq!(parse("17:00").expect("a time"), time(17, 0));
        let error = parse("8h30").expect_err("not a time");
        assert_eq!(error.to_string(), "`8h30` is not a time like 08:30");
        assert!(parse("25:00").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn wall_clock_with_suspensions() {
        let start = utc(2026, 11, 23, 10, 0);
        assert_eq!(add_wall(start, hours(2), &[]), utc(2026, 11, 23, 12, 0));
        let pause = [interval(utc(2026, 11, 23, 11, 0), utc(2026, 11, 23, 12, 0))];
        assert_eq!(add_wall(start, hours(2), &pause), utc(2026, 11, 23, 13, 0));
        assert_eq!(add_wall(start, hours(1), &pause), utc(2026, 11, 23, 11, 0));
        assert_eq!(add_wall(start, Duration::zero(), &pause), start);
        assert_eq!(add_wall(start, -hours(1), &pause), start);
        // Starting inside a suspension.
        assert_eq!(
            add_wall(utc(2026, 11, 23, 11, 30), minutes(10), &pause),
            utc(2026, 11, 23, 12, 10)
        );
        // Unsorted, overlapping, reversed.
        let messy = [
            interval(utc(2026, 11, 23, 14, 0), utc(2026, 11, 23, 15, 0)),
            interval(utc(2026, 11, 23, 11, 30), utc(2026, 11, 23, 12, 0)),
            interval(utc(2026, 11, 23, 11, 0), utc(2026, 11, 23, 11, 45)),
            interval(utc(2026, 11, 23, 13, 0), utc(2026, 11, 23, 12, 0)),
        ];
        assert_eq!(add_wall(start, hours(4), &messy), utc(2026, 11, 23, 16, 0));
        assert_eq!(
            wall_between(start, utc(2026, 11, 23, 16, 0), &messy),
            hours(4)
        );
        assert_eq!(
            wall_between(utc(2026, 11, 23, 11, 15), utc(2026, 11, 23, 14, 30), &messy),
            hours(2)
        );
        assert_eq!(wall_between(start, start, &messy), Duration::zero());
        assert_eq!(
            wall_between(start, start - hours(1), &messy),
            Duration::zero()
        );
    }

    // ---- property tests ----

    const DAY_SECONDS: i64 = 86_400;

    /// A calendar with random explicit days near `start`, and random suspensions.
    #[derive(Debug, Clone)]
    struct Scenario {
        calendar: Calendar,
        start: DateTime<Utc>,
        suspended: Vec<Interval>,
    }

    fn instant_near(base: DateTime<Utc>, seconds: i64, nanos: u32) -> DateTime<Utc> {
        base + Duration::seconds(seconds) + Duration::nanoseconds(i64::from(nanos))
    }

    fn arb_start() -> impl Strategy<Value = DateTime<Utc>> {
        let base = utc(2025, 1, 1, 0, 0);
        let dst = |d: DateTime<Utc>| {
            (-10 * DAY_SECONDS..10 * DAY_SECONDS).prop_map(move |s| d + Duration::seconds(s))
        };
        let anywhere = (0..4 * 365 * DAY_SECONDS).prop_map(move |s| base + Duration::seconds(s));
        (
            prop_oneof![
                4 => anywhere,
                1 => dst(utc(2026, 3, 8, 7, 0)),
                1 => dst(utc(2026, 11, 1, 6, 0)),
            ],
            prop_oneof![
                2 => Just(0u32),
                1 => 0u32..60,
                1 => 0u32..1_000_000_000,
            ],
        )
            .prop_map(|(at, extra)| {
                // Whole minutes often, to meet period boundaries exactly.
                if extra < 60 {
                    let aligned = at.timestamp() - at.timestamp().rem_euclid(60);
                    DateTime::from_timestamp(aligned, 0).expect("in range")
                        + Duration::minutes(i64::from(extra % 7))
                } else {
                    at + Duration::nanoseconds(i64::from(extra))
                }
            })
    }

    fn arb_amount() -> impl Strategy<Value = Duration> {
        let max_minutes = 30 * 450;
        prop_oneof![
            (0i64..=max_minutes).prop_map(Duration::minutes),
            (0i64..=max_minutes * 60_000_000_000).prop_map(Duration::nanoseconds),
        ]
    }

    fn arb_spec_shape() -> impl Strategy<Value = (Tz, Vec<WorkingHours>, Vec<u8>)> {
        (
            prop_oneof![Just(Shanghai), Just(New_York)],
            prop_oneof![
                Just(hours_spec(&[(8, 30, 12, 0), (13, 0, 17, 0)])),
                Just(hours_spec(&[(1, 30, 2, 30), (9, 0, 17, 0)])),
                Just(hours_spec(&[(0, 0, 23, 59)])),
            ],
            prop_oneof![
                Just(vec![1u8, 2, 3, 4, 5]),
                Just(vec![1u8, 2, 3, 4, 5, 6, 7]),
                Just(vec![1u8, 3, 6]),
            ],
        )
    }

    fn arb_scenario() -> impl Strategy<Value = Scenario> {
        (
            arb_start(),
            arb_spec_shape(),
            prop::collection::vec(
                (
                    -3i64..45,
                    prop_oneof![Just(DayKind::Holiday), Just(DayKind::Workday)],
                ),
                0..8,
            ),
            prop::collection::vec(
                (
                    -3 * DAY_SECONDS..40 * DAY_SECONDS,
                    0..5 * DAY_SECONDS,
                    any::<bool>(),
                ),
                0..4,
            ),
            prop::option::weighted(0.1, -DAY_SECONDS..20 * DAY_SECONDS),
        )
            .prop_map(|(start, (tz, hours, weekdays), days, pauses, open)| {
                let start_date = start.with_timezone(&tz).date_naive();
                let spec = CalendarSpec {
                    time_zone: tz.name().to_owned(),
                    working_hours: hours,
                    working_weekdays: weekdays,
                    days: days
                        .into_iter()
                        .map(|(offset, kind)| (start_date + Duration::days(offset), kind))
                        .collect(),
                };
                let calendar = Calendar::new(spec).expect("a few random days stay valid");
                let mut suspended: Vec<Interval> = pauses
                    .into_iter()
                    .map(|(offset, length, reversed)| {
                        let from = start + Duration::seconds(offset);
                        let to = from + Duration::seconds(length);
                        if reversed {
                            interval(to, from)
                        } else {
                            interval(from, to)
                        }
                    })
                    .collect();
                if let Some(offset) = open {
                    suspended.push(interval(
                        start + Duration::seconds(offset),
                        utc(2100, 1, 1, 0, 0),
                    ));
                }
                Scenario {
                    calendar,
                    start,
                    suspended,
                }
            })
    }

    fn local_date_of(cal: &Calendar, at: DateTime<Utc>) -> NaiveDate {
        cal.local_naive(at).expect("a representable instant").date()
    }

    fn local_midnight(cal: &Calendar, day: NaiveDate) -> DateTime<Utc> {
        cal.resolve(day.and_time(NaiveTime::MIN))
            .expect("a representable midnight")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn adding_then_measuring_gives_the_amount(s in arb_scenario(), amount in arb_amount()) {
            let end = s.calendar.add_working(s.start, amount, &s.suspended);
            prop_assert!(end >= s.start);
            prop_assert_eq!(s.calendar.working_between(s.start, end, &s.suspended), amount);
        }

        #[test]
        fn add_working_is_monotone_in_the_amount(
            s in arb_scenario(),
            a in arb_amount(),
            b in arb_amount(),
        ) {
            let (small, large) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(
                s.calendar.add_working(s.start, small, &s.suspended)
                    <= s.calendar.add_working(s.start, large, &s.suspended)
            );
        }

        #[test]
        fn add_working_is_monotone_in_the_start(
            s in arb_scenario(),
            later in 0..10 * DAY_SECONDS,
            nanos in 0u32..1_000_000_000,
            amount in arb_amount(),
        ) {
            let second = instant_near(s.start, later, nanos);
            prop_assert!(
                s.calendar.add_working(s.start, amount, &s.suspended)
                    <= s.calendar.add_working(second, amount, &s.suspended)
            );
        }

        #[test]
        fn working_between_is_additive(
            s in arb_scenario(),
            mut offsets in prop::collection::vec((-DAY_SECONDS..40 * DAY_SECONDS, 0u32..1_000_000_000), 3),
        ) {
            offsets.sort();
            let [a, b, c] = [0, 1, 2].map(|i| instant_near(s.start, offsets[i].0, offsets[i].1));
            let cal = &s.calendar;
            prop_assert_eq!(
                cal.working_between(a, b, &s.suspended) + cal.working_between(b, c, &s.suspended),
                cal.working_between(a, c, &s.suspended)
            );
        }

        #[test]
        fn holidays_are_never_counted(s in arb_scenario(), amount in arb_amount()) {
            let cal = &s.calendar;
            for (&day, &kind) in &cal.spec().days {
                if kind == DayKind::Holiday {
                    let next = day.succ_opt().expect("a next day");
                    let from = local_midnight(cal, day);
                    let to = local_midnight(cal, next);
                    prop_assert_eq!(cal.working_between(from, to, &s.suspended), Duration::zero());
                    prop_assert_eq!(cal.working_between(from, to, &[]), Duration::zero());
                }
            }
            let end = cal.add_working(s.start, amount, &s.suspended);
            if end != s.start {
                prop_assert!(cal.is_working_day(local_date_of(cal, end)));
            }
        }

        #[test]
        fn a_make_up_saturday_counts_a_full_day(
            s in arb_scenario(),
            week in -1i64..6,
        ) {
            let start_date = local_date_of(&s.calendar, s.start);
            let to_saturday = 5 - i64::from(start_date.weekday().num_days_from_monday());
            let saturday = start_date + Duration::days(to_saturday + 7 * week);
            prop_assert_eq!(saturday.weekday(), Weekday::Sat);
            let mut spec = s.calendar.spec().clone();
            spec.days.insert(saturday, DayKind::Workday);
            let cal = Calendar::new(spec).expect("a make-up day keeps the calendar valid");
            let next = saturday.succ_opt().expect("a next day");
            prop_assert_eq!(
                cal.working_between(local_midnight(&cal, saturday), local_midnight(&cal, next), &[]),
                cal.day_length()
            );
        }

        #[test]
        fn suspended_time_is_never_counted(
            s in arb_scenario(),
            length in 0..40 * DAY_SECONDS,
            nanos in 0u32..1_000_000_000,
        ) {
            let cal = &s.calendar;
            let (a, b) = (s.start, instant_near(s.start, length, nanos));
            let with = cal.working_between(a, b, &s.suspended);
            prop_assert!(with <= wall_between(a, b, &s.suspended));
            prop_assert!(wall_between(a, b, &s.suspended) <= b - a);
            prop_assert!(with <= cal.working_between(a, b, &[]));
            let inside = normalize(&s.suspended)
                .iter()
                .map(|pause| cal.working_between(pause.from.max(a), pause.to.min(b), &[]))
                .fold(Duration::zero(), |total, piece| total + piece);
            prop_assert_eq!(with, cal.working_between(a, b, &[]) - inside);
            for pause in &s.suspended {
                prop_assert_eq!(cal.working_between(pause.from, pause.to, &s.suspended), Duration::zero());
            }
        }

        #[test]
        fn wall_clock_round_trip(s in arb_scenario(), amount in arb_amount()) {
            let end = add_wall(s.start, amount, &s.suspended);
            prop_assert_eq!(wall_between(s.start, end, &s.suspended), amount);
            prop_assert!(end - s.start >= amount);
        }
    }
}
