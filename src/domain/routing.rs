//! Routing (派单目录 as data): the pure rule matcher.
//!
//! Administrators keep an ordered table of [`Rule`]s (lower `priority` first, ties by `id`). For
//! one appeal ([`Sample`]) the first enabled rule whose conditions all hold decides the lead
//! department; a rule with `continue_matching` only contributes co-handlers, a deadline class and
//! an urgency and lets later rules decide. A rule whose lead is "the office of the appeal's
//! division" (直派街乡) and finds no office does not decide: matching goes on.
//!
//! [`CompiledRules::decide`] is the fast path: the table is compiled once into bitsets indexed by
//! rule position (one per prefix, enum value and keyword) and one Aho-Corasick automaton over every
//! keyword, so a decision ANDs a dozen bitsets and checks dates only on the surviving rules.
//! [`CompiledRules::explain`] walks the rules one by one and says why each did or did not match;
//! it is the slow, obviously-correct twin, and `decide(s) == explain(s).decision` always.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use chrono::{Datelike, NaiveDate};
use fixedbitset::FixedBitSet;
use serde::{Deserialize, Serialize};

use super::enums::{AppealKind, AppellantKind, Channel, DeadlineClass, DepartmentKind, Urgency};

// ---------------------------------------------------------------------------------------------
// Rules as stored (JSONB) and exchanged over the API
// ---------------------------------------------------------------------------------------------

/// When a rule applies. Every non-empty condition must hold; an empty list means "any".
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// the appeal's category code starts with one of these
    #[serde(default)]
    pub category_prefixes: Vec<String>,
    /// the appeal's division code starts with one of these
    #[serde(default)]
    pub division_prefixes: Vec<String>,
    #[serde(default)]
    pub appellant_kinds: Vec<AppellantKind>,
    #[serde(default)]
    pub appeal_kinds: Vec<AppealKind>,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub urgencies: Vec<Urgency>,
    /// at least one occurs in the title or the content (ASCII letters case-insensitively)
    #[serde(default)]
    pub keywords_any: Vec<String>,
    /// none occurs in the title or the content
    #[serde(default)]
    pub keywords_none: Vec<String>,
    /// first day the rule applies, on the appeal's local date (inclusive)
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// last day the rule applies (inclusive)
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// a yearly window with `season_end`, inclusive; it wraps the new year when start > end
    /// (the heating season `11-01`…`03-31`)
    #[serde(default)]
    pub season_start: Option<MonthDay>,
    #[serde(default)]
    pub season_end: Option<MonthDay>,
}

/// A day of the year without the year, written `"MM-DD"`. `02-29` is allowed (it occurs in leap
/// years); `02-30` and `13-01` are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    /// The day, if it exists in some year.
    pub fn new(month: u32, day: u32) -> Option<MonthDay> {
        let last = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => return None,
        };
        (1..=last).contains(&day).then_some(MonthDay { month, day })
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }

    /// The month and day of a date.
    pub fn of(date: NaiveDate) -> MonthDay {
        MonthDay {
            month: date.month(),
            day: date.day(),
        }
    }

    /// Whether `date` falls in the yearly window `start..=end`, which wraps the new year when
    /// `start` is after `end`.
    pub fn window_contains(start: MonthDay, end: MonthDay, date: NaiveDate) -> bool {
        let day = MonthDay::of(date);
        if start <= end {
            start <= day && day <= end
        } else {
            day >= start || day <= end
        }
    }
}

/// Text that is not a valid `"MM-DD"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a day of the year written MM-DD (such as 11-01)")]
pub struct MonthDayError(String);

impl FromStr for MonthDay {
    type Err = MonthDayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MonthDayError(s.to_owned());
        let b = s.as_bytes();
        let digits = [0, 1, 3, 4]
            .iter()
            .all(|&i| b.get(i).is_some_and(u8::is_ascii_digit));
        if b.len() != 5 || b[2] != b'-' || !digits {
            return Err(bad());
        }
        let number = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
        MonthDay::new(number(0), number(3)).ok_or_else(bad)
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for MonthDay {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))
            .description(Some("a day of the year, MM-DD"))
            .examples(["11-01"])
            .into()
    }
}

impl utoipa::ToSchema for MonthDay {}

/// Who leads (主办) when a rule decides.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LeadTarget {
    /// a fixed department
    Department { code: String },
    /// 直派街乡: the office responsible for the appeal's division at this level (2 = the
    /// district/county government, 3 = the street/township office), falling back upward
    DivisionOffice { level: u8 },
}

/// What a matching rule does.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleAction {
    /// the lead department; none on a deciding rule keeps the appeal in the pool
    #[serde(default)]
    pub lead: Option<LeadTarget>,
    /// co-handlers (协办)
    #[serde(default)]
    pub co_departments: Vec<String>,
    #[serde(default)]
    pub deadline_class: Option<DeadlineClass>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
}

/// One version of one rule.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: i64,
    pub version: i32,
    pub name: String,
    /// lower first
    pub priority: i32,
    pub enabled: bool,
    /// only contribute (co-handlers, deadline class, urgency) and let later rules decide
    pub continue_matching: bool,
    pub conditions: Conditions,
    pub action: RuleAction,
}

/// Which rule (and which version of it) did something.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRef {
    pub id: i64,
    pub version: i32,
    pub name: String,
}

impl RuleRef {
    fn of(rule: &Rule) -> RuleRef {
        RuleRef {
            id: rule.id,
            version: rule.version,
            name: rule.name.clone(),
        }
    }
}

/// The division tree and which department is the office of which division.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    pub divisions: Vec<DivisionEntry>,
    pub offices: Vec<OfficeEntry>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DivisionEntry {
    pub code: String,
    pub parent_code: Option<String>,
    /// 1 city, 2 district/county, 3 street/township, 4 community/village, 5 grid
    pub level: i16,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeEntry {
    pub department_code: String,
    pub division_code: String,
    pub kind: DepartmentKind,
    pub active: bool,
}

/// What the matcher looks at: one appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample<'a> {
    pub category_code: Option<&'a str>,
    pub division_code: &'a str,
    pub appellant_kind: AppellantKind,
    pub kind: AppealKind,
    pub channel: Channel,
    pub urgency: Urgency,
    pub title: &'a str,
    pub content: &'a str,
    /// the appeal's date in the city's time zone
    pub local_date: NaiveDate,
}

/// The outcome of routing one appeal.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// none: the appeal stays in the pool
    pub lead_department: Option<String>,
    /// the rule that set the lead, or that stopped matching without one
    pub deciding_rule: Option<RuleRef>,
    /// deduplicated, in rule order, never the lead
    pub co_departments: Vec<String>,
    /// from the first matching rule that sets one
    pub deadline_class: Option<DeadlineClass>,
    /// from the first matching rule that sets one
    pub urgency: Option<Urgency>,
    /// every rule that applied, continue-rules included, in order
    pub contributing_rules: Vec<RuleRef>,
}

/// A decision and, rule by rule, how it came about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    pub decision: Decision,
    /// one entry per rule in order, up to and including the deciding one
    pub trace: Vec<RuleTrace>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTrace {
    pub rule: RuleRef,
    pub priority: i32,
    pub outcome: TraceOutcome,
    /// the first condition that failed: enabled, category_prefixes, division_prefixes,
    /// appellant_kinds, appeal_kinds, channels, urgencies, validity, season, keywords_any,
    /// keywords_none
    pub failed_condition: Option<String>,
    /// one sentence for a person
    pub detail: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TraceOutcome {
    /// matched and set the lead (or kept the appeal in the pool); matching stopped here
    Decided,
    /// a continue rule matched and contributed
    Contributed,
    /// a condition failed
    Failed,
    /// the rule is switched off
    Disabled,
    /// matched, but no office serves the appeal's division; matching went on
    NoOffice,
}

/// Why a rule cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleProblem {
    /// the offending field, e.g. `conditions.season_start`
    pub field: &'static str,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// The compiled table
// ---------------------------------------------------------------------------------------------

const WORD_BITS: usize = usize::BITS as usize;
/// Scratch words kept on the stack; tables needing more (about 3,000 rules and up) take one Vec.
const STACK_WORDS: usize = 128;

/// A rule table prepared for fast matching. Build it once per table version and share it
/// (it is immutable, `Send` and `Sync`).
#[derive(Debug, Clone)]
pub struct CompiledRules {
    /// sorted by (priority, id); bit `i` of every set below means `rules[i]`
    rules: Vec<Rule>,
    /// enabled rules that are not excluded by an empty `keywords_none` entry
    base: FixedBitSet,
    categories: PrefixIndex,
    divisions: PrefixIndex,
    appellant_kinds: Vec<FixedBitSet>,
    appeal_kinds: Vec<FixedBitSet>,
    channels: Vec<FixedBitSet>,
    urgencies: Vec<FixedBitSet>,
    keywords: KeywordIndex,
    tree: DivisionTree,
}

impl CompiledRules {
    /// Sorts the rules by (priority, id) and indexes them. Disabled rules are kept, so that
    /// [`explain`](Self::explain) can show them, but never match.
    pub fn compile(mut rules: Vec<Rule>, directory: &Directory) -> CompiledRules {
        rules.sort_by_key(|r| (r.priority, r.id));
        let n = rules.len();
        let keywords = KeywordIndex::build(&rules);
        let mut base = FixedBitSet::with_capacity(n);
        for (i, rule) in rules.iter().enumerate() {
            base.set(i, rule.enabled);
        }
        base.difference_with(&keywords.always_excluded);
        CompiledRules {
            base,
            categories: PrefixIndex::build(&rules, |c| &c.category_prefixes),
            divisions: PrefixIndex::build(&rules, |c| &c.division_prefixes),
            appellant_kinds: enum_index(&rules, AppellantKind::ALL, |c| &c.appellant_kinds),
            appeal_kinds: enum_index(&rules, AppealKind::ALL, |c| &c.appeal_kinds),
            channels: enum_index(&rules, Channel::ALL, |c| &c.channels),
            urgencies: enum_index(&rules, Urgency::ALL, |c| &c.urgencies),
            keywords,
            tree: DivisionTree::build(directory),
            rules,
        }
    }

    /// The number of rules, disabled ones included.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules in matching order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The department that is the office of `division_code` at `level` (falling back upward
    /// from a street office to the district government), if any.
    pub fn resolve_office(&self, division_code: &str, level: u8) -> Option<String> {
        self.tree
            .resolve(division_code, level)
            .map(|office| office.department.to_owned())
    }

    /// Routes one appeal.
    pub fn decide(&self, s: &Sample<'_>) -> Decision {
        let mut decision = Decision::default();
        if self.rules.is_empty() {
            return decision;
        }
        let words = self.base.as_slice().len();
        let need = 2 * words + self.keywords.pattern_words();
        let mut stack = [0usize; STACK_WORDS];
        let mut heap = Vec::new();
        let scratch: &mut [usize] = if need <= STACK_WORDS {
            &mut stack[..need]
        } else {
            heap.resize(need, 0);
            &mut heap
        };
        let (candidates, rest) = scratch.split_at_mut(words);
        let (tmp, seen) = rest.split_at_mut(words);
        self.candidates(s, candidates, tmp, seen);

        'walk: for (w, &word) in candidates.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let i = w * WORD_BITS + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let Some(rule) = self.rules.get(i) else {
                    break 'walk;
                };
                if !validity_holds(&rule.conditions, s.local_date)
                    || !season_holds(&rule.conditions, s.local_date)
                {
                    continue;
                }
                if rule.continue_matching {
                    contribute(&mut decision, rule);
                    continue;
                }
                match self.lead_of(rule, s.division_code) {
                    Lead::NoOffice => continue,
                    lead => {
                        contribute(&mut decision, rule);
                        decision.lead_department = lead.department().map(str::to_owned);
                        decision.deciding_rule = Some(RuleRef::of(rule));
                        break 'walk;
                    }
                }
            }
        }
        finish(&mut decision);
        decision
    }

    /// The rules that pass every condition but the dates, as a bitset in `candidates`.
    fn candidates(
        &self,
        s: &Sample<'_>,
        candidates: &mut [usize],
        tmp: &mut [usize],
        seen: &mut [usize],
    ) {
        candidates.copy_from_slice(self.base.as_slice());
        for (sets, index) in [
            (&self.appellant_kinds, s.appellant_kind as usize),
            (&self.appeal_kinds, s.kind as usize),
            (&self.channels, s.channel as usize),
            (&self.urgencies, s.urgency as usize),
        ] {
            match sets.get(index) {
                Some(set) => and_into(candidates, set.as_slice()),
                None => candidates.fill(0),
            }
        }
        self.categories.allowed(s.category_code, tmp);
        and_into(candidates, tmp);
        self.divisions.allowed(Some(s.division_code), tmp);
        and_into(candidates, tmp);

        // The text search is the expensive part: skip it when no surviving rule cares.
        if !intersects(candidates, self.keywords.constrained.as_slice()) {
            return;
        }
        self.keywords.find(s.title, seen);
        self.keywords.find(s.content, seen);
        tmp.copy_from_slice(self.keywords.any_satisfied.as_slice());
        for_each_one(seen, |p| {
            if let Some(set) = self.keywords.any_of.get(p) {
                or_into(tmp, set.as_slice());
            }
        });
        and_into(candidates, tmp);
        for_each_one(seen, |p| {
            if let Some(set) = self.keywords.none_of.get(p) {
                and_not_into(candidates, set.as_slice());
            }
        });
    }

    /// Routes one appeal rule by rule, saying why each rule did or did not apply.
    pub fn explain(&self, s: &Sample<'_>) -> Explanation {
        let text = LoweredText {
            title: s.title.to_ascii_lowercase(),
            content: s.content.to_ascii_lowercase(),
        };
        let mut decision = Decision::default();
        let mut trace = Vec::new();
        for rule in &self.rules {
            let step = |outcome, failed: Option<&str>, detail: String| RuleTrace {
                rule: RuleRef::of(rule),
                priority: rule.priority,
                outcome,
                failed_condition: failed.map(str::to_owned),
                detail,
            };
            if !rule.enabled {
                trace.push(step(
                    TraceOutcome::Disabled,
                    Some("enabled"),
                    "the rule is disabled, so it is skipped".to_owned(),
                ));
                continue;
            }
            if let Some((condition, detail)) = first_failure(&rule.conditions, s, &text) {
                trace.push(step(TraceOutcome::Failed, Some(condition), detail));
                continue;
            }
            if rule.continue_matching {
                contribute(&mut decision, rule);
                let detail = match contribution_summary(&rule.action) {
                    Some(summary) => format!(
                        "all conditions hold; the rule adds {summary} and matching continues"
                    ),
                    None => {
                        "all conditions hold; the rule contributes nothing and matching continues"
                            .to_owned()
                    }
                };
                trace.push(step(TraceOutcome::Contributed, None, detail));
                continue;
            }
            let lead = self.lead_of(rule, s.division_code);
            if let Lead::NoOffice = lead {
                let level = match &rule.action.lead {
                    Some(LeadTarget::DivisionOffice { level }) => *level,
                    _ => 0,
                };
                let detail = if self.tree.contains(s.division_code) {
                    format!(
                        "all conditions hold, but no active office serves division {} at level {level} or above, \
                         so the rule does not apply and matching continues",
                        s.division_code
                    )
                } else {
                    format!(
                        "all conditions hold, but division {} is not in the directory, so no office can be found \
                         at level {level} and matching continues",
                        s.division_code
                    )
                };
                trace.push(step(TraceOutcome::NoOffice, None, detail));
                continue;
            }
            contribute(&mut decision, rule);
            decision.lead_department = lead.department().map(str::to_owned);
            decision.deciding_rule = Some(RuleRef::of(rule));
            let extra = contribution_summary(&rule.action)
                .map(|summary| format!(", and the rule adds {summary}"))
                .unwrap_or_default();
            let detail = match lead {
                Lead::Department(code) => {
                    format!("all conditions hold, so department {code} leads{extra}")
                }
                Lead::Office { office, level } if i16::from(level) == office.level => format!(
                    "all conditions hold, so {}, the {} of {}, leads{extra}",
                    office.department,
                    office_kind_name(office.level),
                    office.division
                ),
                Lead::Office { office, level } => format!(
                    "all conditions hold; no active office at level {level} serves division {}, so the lead falls \
                     back to {}, the {} of {}{extra}",
                    s.division_code,
                    office.department,
                    office_kind_name(office.level),
                    office.division
                ),
                Lead::Pool | Lead::NoOffice => {
                    format!(
                        "all conditions hold and the rule names no lead, so the appeal stays in the pool{extra}"
                    )
                }
            };
            trace.push(step(TraceOutcome::Decided, None, detail));
            break;
        }
        finish(&mut decision);
        Explanation { decision, trace }
    }

    fn lead_of<'a>(&'a self, rule: &'a Rule, division_code: &str) -> Lead<'a> {
        match &rule.action.lead {
            None => Lead::Pool,
            Some(LeadTarget::Department { code }) => Lead::Department(code),
            Some(LeadTarget::DivisionOffice { level }) => {
                match self.tree.resolve(division_code, *level) {
                    Some(office) => Lead::Office {
                        office,
                        level: *level,
                    },
                    None => Lead::NoOffice,
                }
            }
        }
    }
}

/// How a deciding rule's lead resolves for one appeal.
enum Lead<'a> {
    /// the rule names no lead: the appeal stays in the pool
    Pool,
    Department(&'a str),
    Office {
        office: Office<'a>,
        level: u8,
    },
    /// a division-office lead with no office anywhere up the tree: the rule does not apply
    NoOffice,
}

impl<'a> Lead<'a> {
    fn department(&self) -> Option<&'a str> {
        match self {
            Lead::Department(code) => Some(code),
            Lead::Office { office, .. } => Some(office.department),
            Lead::Pool | Lead::NoOffice => None,
        }
    }
}

/// Applies a matching rule's co-handlers, deadline class and urgency.
fn contribute(decision: &mut Decision, rule: &Rule) {
    for code in &rule.action.co_departments {
        if !decision.co_departments.contains(code) {
            decision.co_departments.push(code.clone());
        }
    }
    if decision.deadline_class.is_none() {
        decision.deadline_class = rule.action.deadline_class;
    }
    if decision.urgency.is_none() {
        decision.urgency = rule.action.urgency;
    }
    decision.contributing_rules.push(RuleRef::of(rule));
}

/// The lead is never also a co-handler.
fn finish(decision: &mut Decision) {
    if let Some(lead) = &decision.lead_department {
        decision.co_departments.retain(|code| code != lead);
    }
}

fn validity_holds(c: &Conditions, date: NaiveDate) -> bool {
    c.valid_from.is_none_or(|from| date >= from) && c.valid_until.is_none_or(|until| date <= until)
}

/// A season with only one end never holds (check_rule refuses it; a stored one must not widen).
fn season_holds(c: &Conditions, date: NaiveDate) -> bool {
    match (c.season_start, c.season_end) {
        (None, None) => true,
        (Some(start), Some(end)) => MonthDay::window_contains(start, end, date),
        _ => false,
    }
}

struct LoweredText {
    title: String,
    content: String,
}

impl LoweredText {
    /// Where `keyword` occurs, ASCII letters compared case-insensitively.
    fn find(&self, keyword: &str) -> Option<&'static str> {
        let keyword = keyword.to_ascii_lowercase();
        if self.title.contains(&keyword) {
            Some("title")
        } else if self.content.contains(&keyword) {
            Some("content")
        } else {
            None
        }
    }
}

/// The first condition (in the documented order) that fails, with a sentence saying why.
fn first_failure(
    c: &Conditions,
    s: &Sample<'_>,
    text: &LoweredText,
) -> Option<(&'static str, String)> {
    if !c.category_prefixes.is_empty() {
        let prefixes = list(&c.category_prefixes);
        match s.category_code {
            None => {
                return Some((
                    "category_prefixes",
                    format!(
                        "the appeal has no category, and this rule needs one starting with {prefixes}"
                    ),
                ));
            }
            Some(code)
                if !c
                    .category_prefixes
                    .iter()
                    .any(|p| code.starts_with(p.as_str())) =>
            {
                return Some((
                    "category_prefixes",
                    format!("category {code} does not start with any of {prefixes}"),
                ));
            }
            Some(_) => {}
        }
    }
    if !c.division_prefixes.is_empty()
        && !c
            .division_prefixes
            .iter()
            .any(|p| s.division_code.starts_with(p.as_str()))
    {
        return Some((
            "division_prefixes",
            format!(
                "division {} does not start with any of {}",
                s.division_code,
                list(&c.division_prefixes)
            ),
        ));
    }
    fn one_of<T: PartialEq + fmt::Display>(
        name: &'static str,
        what: &str,
        allowed: &[T],
        value: T,
    ) -> Option<(&'static str, String)> {
        (!allowed.is_empty() && !allowed.contains(&value)).then(|| {
            (
                name,
                format!("{what} {value} is not one of {}", list(allowed)),
            )
        })
    }
    if let Some(failure) = one_of(
        "appellant_kinds",
        "appellant kind",
        &c.appellant_kinds,
        s.appellant_kind,
    )
    .or_else(|| one_of("appeal_kinds", "appeal kind", &c.appeal_kinds, s.kind))
    .or_else(|| one_of("channels", "channel", &c.channels, s.channel))
    .or_else(|| one_of("urgencies", "urgency", &c.urgencies, s.urgency))
    {
        return Some(failure);
    }
    let date = s.local_date;
    if let Some(from) = c.valid_from
        && date < from
    {
        return Some((
            "validity",
            format!("the appeal's date {date} is before valid_from {from}"),
        ));
    }
    if let Some(until) = c.valid_until
        && date > until
    {
        return Some((
            "validity",
            format!("the appeal's date {date} is after valid_until {until}"),
        ));
    }
    match (c.season_start, c.season_end) {
        (Some(start), Some(end)) if !MonthDay::window_contains(start, end, date) => {
            return Some((
                "season",
                format!("the appeal's date {date} falls outside the season {start} to {end}"),
            ));
        }
        (Some(start), None) => {
            return Some((
                "season",
                format!(
                    "the rule gives season_start {start} but no season_end, so it never matches; give both or neither"
                ),
            ));
        }
        (None, Some(end)) => {
            return Some((
                "season",
                format!(
                    "the rule gives season_end {end} but no season_start, so it never matches; give both or neither"
                ),
            ));
        }
        _ => {}
    }
    if !c.keywords_any.is_empty() && !c.keywords_any.iter().any(|k| text.find(k).is_some()) {
        return Some((
            "keywords_any",
            format!(
                "none of the keywords {} occurs in the title or content",
                list(&c.keywords_any)
            ),
        ));
    }
    for keyword in &c.keywords_none {
        if let Some(place) = text.find(keyword) {
            return Some((
                "keywords_none",
                format!("the keyword {keyword} occurs in the {place}, which this rule excludes"),
            ));
        }
    }
    None
}

/// "co-departments A, B, deadline class urgent and urgency urgent"
fn contribution_summary(action: &RuleAction) -> Option<String> {
    let mut parts = Vec::new();
    if !action.co_departments.is_empty() {
        parts.push(format!("co-departments {}", list(&action.co_departments)));
    }
    if let Some(class) = action.deadline_class {
        parts.push(format!("deadline class {class}"));
    }
    if let Some(urgency) = action.urgency {
        parts.push(format!("urgency {urgency}"));
    }
    let last = parts.pop()?;
    Some(if parts.is_empty() {
        last
    } else {
        format!("{} and {last}", parts.join(", "))
    })
}

/// "a, b, c" — at most ten items, then "and N more".
fn list<T: fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 10;
    let mut out = items
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

fn office_kind_name(level: i16) -> &'static str {
    match level {
        2 => "district government",
        _ => "street office",
    }
}

// ---------------------------------------------------------------------------------------------
// Indexes
// ---------------------------------------------------------------------------------------------

/// For one prefix dimension: which rules allow a code.
#[derive(Debug, Clone)]
struct PrefixIndex {
    /// rules without this condition
    unconstrained: FixedBitSet,
    /// prefix → rules that list it
    by_prefix: HashMap<String, FixedBitSet>,
    /// the distinct prefix lengths in bytes, ascending: the only slices of a code worth looking up
    lengths: Vec<usize>,
}

impl PrefixIndex {
    fn build(rules: &[Rule], prefixes_of: impl Fn(&Conditions) -> &Vec<String>) -> PrefixIndex {
        let n = rules.len();
        let mut unconstrained = FixedBitSet::with_capacity(n);
        let mut by_prefix: HashMap<String, FixedBitSet> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let prefixes = prefixes_of(&rule.conditions);
            if prefixes.is_empty() {
                unconstrained.insert(i);
            }
            for prefix in prefixes {
                by_prefix
                    .entry(prefix.clone())
                    .or_insert_with(|| FixedBitSet::with_capacity(n))
                    .insert(i);
            }
        }
        let mut lengths: Vec<usize> = by_prefix.keys().map(String::len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        PrefixIndex {
            unconstrained,
            by_prefix,
            lengths,
        }
    }

    /// Writes into `out` the rules whose condition allows `code` (no code: only the rules
    /// without the condition).
    fn allowed(&self, code: Option<&str>, out: &mut [usize]) {
        out.copy_from_slice(self.unconstrained.as_slice());
        let Some(code) = code else { return };
        for &len in &self.lengths {
            if len > code.len() {
                break;
            }
            if let Some(set) = code
                .get(..len)
                .and_then(|prefix| self.by_prefix.get(prefix))
            {
                or_into(out, set.as_slice());
            }
        }
    }
}

/// For an enum dimension: per value (indexed by its declaration position), the rules allowing it.
fn enum_index<T: Copy + PartialEq>(
    rules: &[Rule],
    all: &[T],
    allowed_of: impl Fn(&Conditions) -> &Vec<T>,
) -> Vec<FixedBitSet> {
    all.iter()
        .map(|value| {
            let mut set = FixedBitSet::with_capacity(rules.len());
            for (i, rule) in rules.iter().enumerate() {
                let allowed = allowed_of(&rule.conditions);
                if allowed.is_empty() || allowed.contains(value) {
                    set.insert(i);
                }
            }
            set
        })
        .collect()
}

/// Every keyword of every rule in one automaton.
#[derive(Debug, Clone)]
struct KeywordIndex {
    /// distinct non-empty keywords, ASCII-lowercased; a pattern id is a position here
    patterns: Vec<String>,
    /// None when there are no keywords, or (in theory) when the automaton cannot be built
    automaton: Option<AhoCorasick>,
    /// per pattern: the rules listing it in keywords_any
    any_of: Vec<FixedBitSet>,
    /// per pattern: the rules listing it in keywords_none
    none_of: Vec<FixedBitSet>,
    /// rules whose keywords_any holds whatever the text: no such condition, or an empty keyword
    any_satisfied: FixedBitSet,
    /// rules with an empty keyword in keywords_none: it occurs in every text
    always_excluded: FixedBitSet,
    /// rules with any keyword condition
    constrained: FixedBitSet,
}

impl KeywordIndex {
    fn build(rules: &[Rule]) -> KeywordIndex {
        let n = rules.len();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut patterns = Vec::new();
        let mut any_of: Vec<FixedBitSet> = Vec::new();
        let mut none_of: Vec<FixedBitSet> = Vec::new();
        let mut any_satisfied = FixedBitSet::with_capacity(n);
        let mut always_excluded = FixedBitSet::with_capacity(n);
        let mut constrained = FixedBitSet::with_capacity(n);
        for (i, rule) in rules.iter().enumerate() {
            let c = &rule.conditions;
            if c.keywords_any.is_empty() {
                any_satisfied.insert(i);
            }
            if !c.keywords_any.is_empty() || !c.keywords_none.is_empty() {
                constrained.insert(i);
            }
            for (keywords, excluded) in [(&c.keywords_any, false), (&c.keywords_none, true)] {
                for keyword in keywords {
                    if keyword.is_empty() {
                        // "" occurs in every text, as str::contains says
                        if excluded {
                            always_excluded.insert(i);
                        } else {
                            any_satisfied.insert(i);
                        }
                        continue;
                    }
                    let lowered = keyword.to_ascii_lowercase();
                    let id = *ids.entry(lowered.clone()).or_insert_with(|| {
                        patterns.push(lowered);
                        any_of.push(FixedBitSet::with_capacity(n));
                        none_of.push(FixedBitSet::with_capacity(n));
                        patterns.len() - 1
                    });
                    let sets = if excluded { &mut none_of } else { &mut any_of };
                    if let Some(set) = sets.get_mut(id) {
                        set.insert(i);
                    }
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            // A DFA is the fastest overlapping searcher; past a few thousand pattern bytes its
            // tables grow large, so the crate then picks an NFA.
            let bytes: usize = patterns.iter().map(String::len).sum();
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .kind((bytes <= 20_000).then_some(AhoCorasickKind::DFA))
                .build(&patterns)
                .ok()
        };
        KeywordIndex {
            patterns,
            automaton,
            any_of,
            none_of,
            any_satisfied,
            always_excluded,
            constrained,
        }
    }

    fn pattern_words(&self) -> usize {
        self.patterns.len().div_ceil(WORD_BITS)
    }

    /// Sets in `seen` the bit of every pattern occurring in `text`.
    fn find(&self, text: &str, seen: &mut [usize]) {
        let mut mark = |p: usize| {
            if let Some(word) = seen.get_mut(p / WORD_BITS) {
                *word |= 1 << (p % WORD_BITS);
            }
        };
        if let Some(automaton) = &self.automaton
            && let Ok(matches) = automaton.try_find_overlapping_iter(text)
        {
            for m in matches {
                mark(m.pattern().as_usize());
            }
            return;
        }
        // Without an automaton (never in practice): the plain way.
        if self.patterns.is_empty() {
            return;
        }
        let lowered = text.to_ascii_lowercase();
        for (p, pattern) in self.patterns.iter().enumerate() {
            if lowered.contains(pattern.as_str()) {
                mark(p);
            }
        }
    }
}

/// Divisions by code, with their parent and the active office of each.
#[derive(Debug, Clone, Default)]
struct DivisionTree {
    index: HashMap<String, usize>,
    nodes: Vec<DivisionNode>,
}

#[derive(Debug, Clone)]
struct DivisionNode {
    code: String,
    parent: Option<usize>,
    level: i16,
    /// the active street office of a level-3 division (the smallest code if several)
    street_office: Option<String>,
    /// the active district government of a level-2 division
    district_government: Option<String>,
}

/// An office found for a division.
#[derive(Debug, Clone, Copy)]
struct Office<'a> {
    department: &'a str,
    /// the division it is the office of
    division: &'a str,
    level: i16,
}

impl DivisionTree {
    fn build(directory: &Directory) -> DivisionTree {
        let mut tree = DivisionTree::default();
        for entry in &directory.divisions {
            if tree.index.contains_key(&entry.code) {
                continue;
            }
            tree.index.insert(entry.code.clone(), tree.nodes.len());
            tree.nodes.push(DivisionNode {
                code: entry.code.clone(),
                parent: None,
                level: entry.level,
                street_office: None,
                district_government: None,
            });
        }
        for entry in &directory.divisions {
            let parent = entry
                .parent_code
                .as_ref()
                .and_then(|p| tree.index.get(p))
                .copied();
            if let Some(&i) = tree.index.get(&entry.code)
                && let Some(node) = tree.nodes.get_mut(i)
                && node.parent.is_none()
                && parent != Some(i)
            {
                node.parent = parent;
            }
        }
        for office in directory.offices.iter().filter(|o| o.active) {
            let Some(node) = tree
                .index
                .get(&office.division_code)
                .and_then(|&i| tree.nodes.get_mut(i))
            else {
                continue;
            };
            let slot = match office.kind {
                DepartmentKind::StreetOffice => &mut node.street_office,
                DepartmentKind::DistrictGovernment => &mut node.district_government,
                _ => continue,
            };
            if slot
                .as_ref()
                .is_none_or(|current| office.department_code < *current)
            {
                *slot = Some(office.department_code.clone());
            }
        }
        tree
    }

    fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// Walks up from `code` to the first division at or above `level`, then on upward until a
    /// division has an active office of its level's kind.
    fn resolve(&self, code: &str, level: u8) -> Option<Office<'_>> {
        let level = i16::from(level);
        let mut at = self.index.get(code).copied();
        // Bounded, in case the stored tree has a cycle.
        for _ in 0..=self.nodes.len() {
            let node = self.nodes.get(at?)?;
            if node.level <= level {
                let office = match node.level {
                    3 => node.street_office.as_deref(),
                    2 => node.district_government.as_deref(),
                    _ => None,
                };
                if let Some(department) = office {
                    return Some(Office {
                        department,
                        division: &node.code,
                        level: node.level,
                    });
                }
            }
            at = node.parent;
        }
        None
    }
}

// Word-slice bit operations (all slices have the same length).

fn and_into(acc: &mut [usize], other: &[usize]) {
    acc.iter_mut().zip(other).for_each(|(a, b)| *a &= *b);
}

fn and_not_into(acc: &mut [usize], other: &[usize]) {
    acc.iter_mut().zip(other).for_each(|(a, b)| *a &= !*b);
}

fn or_into(acc: &mut [usize], other: &[usize]) {
    acc.iter_mut().zip(other).for_each(|(a, b)| *a |= *b);
}

fn intersects(a: &[usize], b: &[usize]) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

fn for_each_one(words: &[usize], mut f: impl FnMut(usize)) {
    for (w, &word) in words.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            f(w * WORD_BITS + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Static checks for the admin API
// ---------------------------------------------------------------------------------------------

/// Refuses a rule that is malformed or can never match. The caller checks that the codes it
/// names exist; a catch-all (no conditions) passes here, and the caller may warn about it.
pub fn check_rule(
    conditions: &Conditions,
    action: &RuleAction,
    continue_matching: bool,
) -> Result<(), RuleProblem> {
    let problem = |field: &'static str, message: String| Err(RuleProblem { field, message });
    let c = conditions;

    for (field, prefixes) in [
        ("conditions.category_prefixes", &c.category_prefixes),
        ("conditions.division_prefixes", &c.division_prefixes),
    ] {
        for prefix in prefixes {
            if prefix.trim().is_empty() {
                return problem(
                    field,
                    "a prefix is empty; remove it or give a code".to_owned(),
                );
            }
            let well_formed = prefix.len() <= 32
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.');
            if !well_formed {
                return problem(
                    field,
                    format!(
                        "`{prefix}` is not a code prefix (1 to 32 of the characters 0-9, A-Z, a-z and .)"
                    ),
                );
            }
        }
    }

    for (field, keywords) in [
        ("conditions.keywords_any", &c.keywords_any),
        ("conditions.keywords_none", &c.keywords_none),
    ] {
        if keywords.iter().any(|k| k.trim().is_empty()) {
            return problem(
                field,
                "a keyword is empty or only spaces; remove it".to_owned(),
            );
        }
    }
    for wanted in &c.keywords_any {
        let wanted_lower = wanted.to_ascii_lowercase();
        for excluded in &c.keywords_none {
            let excluded_lower = excluded.to_ascii_lowercase();
            if wanted_lower == excluded_lower {
                return problem(
                    "conditions.keywords_none",
                    format!(
                        "the keyword {excluded} is both required and excluded, so it can never make the rule match"
                    ),
                );
            }
            if wanted_lower.contains(&excluded_lower) {
                return problem(
                    "conditions.keywords_none",
                    format!(
                        "the keyword {wanted} contains the excluded keyword {excluded}, so whenever it occurs the rule \
                         is excluded and it can never make the rule match"
                    ),
                );
            }
        }
    }

    if let (Some(from), Some(until)) = (c.valid_from, c.valid_until)
        && from > until
    {
        return problem(
            "conditions.valid_from",
            format!("valid_from {from} is after valid_until {until}, so the rule can never match"),
        );
    }
    match (c.season_start, c.season_end) {
        (Some(start), None) => {
            return problem(
                "conditions.season_end",
                format!("season_start {start} is given without season_end; give both or neither"),
            );
        }
        (None, Some(end)) => {
            return problem(
                "conditions.season_start",
                format!("season_end {end} is given without season_start; give both or neither"),
            );
        }
        (Some(start), Some(end)) => {
            if let (Some(from), Some(until)) = (c.valid_from, c.valid_until)
                && !season_meets(start, end, from, until)
            {
                return problem(
                    "conditions.season_start",
                    format!(
                        "the season {start} to {end} has no day between valid_from {from} and valid_until {until}, \
                         so the rule can never match"
                    ),
                );
            }
        }
        (None, None) => {}
    }

    match &action.lead {
        Some(_) if continue_matching => {
            return problem(
                "action.lead",
                "a rule that continues matching only adds co-departments, a deadline class or an urgency; remove \
                 the lead or stop continuing"
                    .to_owned(),
            );
        }
        Some(LeadTarget::DivisionOffice { level }) if !(2..=3).contains(level) => {
            return problem(
                "action.lead.level",
                format!(
                    "level {level} has no office; use 2 for the district/county government or 3 for the \
                     street/township office"
                ),
            );
        }
        Some(LeadTarget::Department { code }) if code.trim().is_empty() => {
            return problem(
                "action.lead.code",
                "the lead department code is empty".to_owned(),
            );
        }
        _ => {}
    }
    for code in &action.co_departments {
        if code.trim().is_empty() {
            return problem(
                "action.co_departments",
                "a co-department code is empty".to_owned(),
            );
        }
        if let Some(LeadTarget::Department { code: lead }) = &action.lead
            && lead == code
        {
            return problem(
                "action.co_departments",
                format!("{code} is the lead department; it cannot also be a co-department"),
            );
        }
    }
    Ok(())
}

/// Whether some day in `from..=until` falls in the season.
fn season_meets(start: MonthDay, end: MonthDay, from: NaiveDate, until: NaiveDate) -> bool {
    // Four years and a day hold every day of the year, 02-29 included.
    const ENOUGH: usize = 4 * 366 + 1;
    from.iter_days()
        .take_while(|day| *day <= until)
        .take(ENOUGH)
        .any(|day| MonthDay::window_contains(start, end, day))
}
