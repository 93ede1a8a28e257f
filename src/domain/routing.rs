//! Routing (派单目录 as data): the pure rule matcher.
//!
//! Administrators keep an ordered table of [`Rule`]s (lower `priority` first, ties by `id`). For
//! one appeal ([`Sample`]) the first enabled rule whose conditions all hold decides the lead
//! department; a rule with `continue_matching` only contributes co-handlers, a deadline class and
//! an urgency and lets later rules decide. A rule whose lead is "the office of the appeal's
//! division" (直派街乡) and finds no office does not apply at all, not even its contributions:
//! matching goes on. Conditions look at the appeal as filed: an urgency set by an earlier rule
//! does not change what a later rule's `urgencies` condition sees.
//!
//! [`CompiledRules::decide`] is the fast path: the table is compiled once into bitsets indexed by
//! rule position (per prefix, per enum value, per keyword) and one Aho-Corasick automaton over
//! every keyword, so a decision runs the automaton over the title and the content, ANDs a dozen
//! bitsets, and checks dates only on the surviving rules, in order, until one decides.
//! [`CompiledRules::explain`] walks the rules one by one and says why each did or did not apply;
//! it is the slow, plainly written twin, and `decide(s) == explain(s).decision` always (the
//! tests check this on thousands of random tables). docs/PERFORMANCE.md has the measurements.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
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
    /// also the office of the appeal's division at this level (2 or 3, falling back upward as a
    /// division-office lead does) as a co-handler, when there is one; the street office
    /// co-handling unpaid-wage cases, say. Finding none does not stop the rule applying.
    #[serde(default)]
    pub co_division_office_level: Option<u8>,
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
/// Scratch words kept on the stack; bigger tables (about 4,000 rules and up) take one Vec.
const STACK_WORDS: usize = 128;

/// A rule table prepared for fast matching. Build it once per table version and share it
/// (it is immutable, `Send` and `Sync`).
#[derive(Clone)]
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

impl fmt::Debug for CompiledRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledRules")
            .field("rules", &self.rules.len())
            .field("keywords", &self.keywords.patterns.len())
            .field("scanner", &self.keywords.scanner)
            .field("divisions", &self.tree.nodes.len())
            .finish_non_exhaustive()
    }
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
                    contribute(&mut decision, rule, self.co_office(rule, s.division_code));
                    continue;
                }
                match self.lead_of(rule, s.division_code) {
                    Lead::NoOffice => continue,
                    lead => {
                        contribute(&mut decision, rule, self.co_office(rule, s.division_code));
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
            let co_office = self.co_office(rule, s.division_code);
            if rule.continue_matching {
                contribute(&mut decision, rule, co_office);
                let detail = match contribution_summary(&rule.action, co_office) {
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
            contribute(&mut decision, rule, co_office);
            decision.lead_department = lead.department().map(str::to_owned);
            decision.deciding_rule = Some(RuleRef::of(rule));
            let extra = contribution_summary(&rule.action, co_office)
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

    /// The co-handling division office a rule asks for, if one is found.
    fn co_office(&self, rule: &Rule, division_code: &str) -> Option<&str> {
        let level = rule.action.co_division_office_level?;
        self.tree
            .resolve(division_code, level)
            .map(|office| office.department)
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

/// Applies a matching rule's co-handlers (its fixed ones, then the division office found for
/// it), deadline class and urgency.
fn contribute(decision: &mut Decision, rule: &Rule, co_office: Option<&str>) {
    for code in rule
        .action
        .co_departments
        .iter()
        .map(String::as_str)
        .chain(co_office)
    {
        if !decision.co_departments.iter().any(|c| c == code) {
            decision.co_departments.push(code.to_owned());
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
fn contribution_summary(action: &RuleAction, co_office: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if !action.co_departments.is_empty() {
        parts.push(format!("co-departments {}", list(&action.co_departments)));
    }
    if let Some(level) = action.co_division_office_level {
        parts.push(match co_office {
            Some(office) => format!("the division office {office} as a co-handler"),
            None => format!("no division office as a co-handler (none serves the appeal's division at level {level} or above)"),
        });
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
    scanner: Scanner,
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
        let scanner = Scanner::build(&patterns);
        KeywordIndex {
            patterns,
            scanner,
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
        match &self.scanner {
            Scanner::Idle => {}
            Scanner::Dfa(walk) => scan(walk, text.as_bytes(), seen),
            Scanner::Nfa(walk) => scan(walk, text.as_bytes(), seen),
            Scanner::Plain => {
                let lowered = text.to_ascii_lowercase();
                for (p, pattern) in self.patterns.iter().enumerate() {
                    if lowered.contains(pattern.as_str()) {
                        mark(seen, p);
                    }
                }
            }
        }
    }
}

/// Up to this many keyword bytes (some 5,000 Chinese keywords of three characters) the automaton
/// is a DFA, whose tables take about 280 bytes per keyword byte (0.9 MB for 270 keywords, 12 MB
/// for 5,000); beyond, a contiguous NFA, a twentieth of the size and half the speed.
const DFA_MAX_PATTERN_BYTES: usize = 48 * 1024;
/// Texts this long are walked as four interleaved streams.
const INTERLEAVE_MIN_BYTES: usize = 256;

/// The keyword automaton.
#[derive(Clone)]
enum Scanner {
    /// no keywords at all
    Idle,
    Dfa(Walk<DFA>),
    Nfa(Walk<NFA>),
    /// neither automaton could be built (never seen in practice): `str::contains`
    Plain,
}

/// An aho-corasick automaton built with standard match semantics, in which every state lists all
/// the patterns ending there: walking it byte by byte is an overlapping search. We walk it by
/// hand (see [`scan`]) rather than through the crate's iterator, to run four walks at once.
#[derive(Clone)]
struct Walk<A> {
    automaton: A,
    start: StateID,
    /// the longest keyword's length in bytes, less one
    overlap: usize,
}

impl Scanner {
    fn build(patterns: &[String]) -> Scanner {
        if patterns.is_empty() {
            return Scanner::Idle;
        }
        let bytes: usize = patterns.iter().map(String::len).sum();
        (bytes <= DFA_MAX_PATTERN_BYTES)
            .then(|| Scanner::dfa(patterns))
            .flatten()
            .or_else(|| Scanner::nfa(patterns))
            .unwrap_or(Scanner::Plain)
    }

    fn dfa(patterns: &[String]) -> Option<Scanner> {
        let automaton = DFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(patterns)
            .ok()?;
        Walk::new(automaton, patterns).map(Scanner::Dfa)
    }

    fn nfa(patterns: &[String]) -> Option<Scanner> {
        let automaton = NFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(patterns)
            .ok()?;
        Walk::new(automaton, patterns).map(Scanner::Nfa)
    }
}

impl<A: Automaton> Walk<A> {
    fn new(automaton: A, patterns: &[String]) -> Option<Walk<A>> {
        let start = automaton.start_state(Anchored::No).ok()?;
        let longest = patterns.iter().map(String::len).max()?;
        Some(Walk {
            automaton,
            start,
            overlap: longest.saturating_sub(1),
        })
    }
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scanner::Idle => "Idle",
            Scanner::Dfa(_) => "Dfa",
            Scanner::Nfa(_) => "Nfa",
            Scanner::Plain => "Plain",
        })
    }
}

fn mark(seen: &mut [usize], pattern: usize) {
    if let Some(word) = seen.get_mut(pattern / WORD_BITS) {
        *word |= 1 << (pattern % WORD_BITS);
    }
}

/// Marks in `seen` every pattern that ends anywhere in `text`.
///
/// Each step of a walk waits for the previous step's table load, so one walk runs at about
/// 2 ns a byte whatever the table's size. A long text is therefore cut into four spans walked in
/// lockstep, which lets the loads overlap (2.5 times faster on 1.7 kB of Chinese). Each span
/// starts `overlap` bytes before its share, so a keyword ending in the share lies wholly inside
/// the span; starting in the middle of a character cannot produce a false match, as every
/// keyword begins on a character boundary.
fn scan<A: Automaton>(walk: &Walk<A>, text: &[u8], seen: &mut [usize]) {
    let (automaton, start, overlap) = (&walk.automaton, walk.start, walk.overlap);
    let mut tails: [(&[u8], StateID); 4] =
        [(text, start), (&[], start), (&[], start), (&[], start)];
    if text.len() >= INTERLEAVE_MIN_BYTES {
        let share = text.len().div_ceil(4);
        let span = |k: usize| {
            let end = ((k + 1) * share).min(text.len());
            let begin = (k * share).saturating_sub(overlap).min(end);
            text.get(begin..end).unwrap_or_default()
        };
        let (a, b, c, d) = (span(0), span(1), span(2), span(3));
        let common = a.len().min(b.len()).min(c.len()).min(d.len());
        let (mut sa, mut sb, mut sc, mut sd) = (start, start, start, start);
        for (((&x, &y), &z), &w) in a.iter().zip(b).zip(c).zip(d) {
            sa = automaton.next_state(Anchored::No, sa, x);
            sb = automaton.next_state(Anchored::No, sb, y);
            sc = automaton.next_state(Anchored::No, sc, z);
            sd = automaton.next_state(Anchored::No, sd, w);
            if automaton.is_special(sa) {
                matched(automaton, sa, seen);
            }
            if automaton.is_special(sb) {
                matched(automaton, sb, seen);
            }
            if automaton.is_special(sc) {
                matched(automaton, sc, seen);
            }
            if automaton.is_special(sd) {
                matched(automaton, sd, seen);
            }
        }
        tails = [
            (a.get(common..).unwrap_or_default(), sa),
            (b.get(common..).unwrap_or_default(), sb),
            (c.get(common..).unwrap_or_default(), sc),
            (d.get(common..).unwrap_or_default(), sd),
        ];
    }
    for (tail, mut sid) in tails {
        for &byte in tail {
            sid = automaton.next_state(Anchored::No, sid, byte);
            if automaton.is_special(sid) {
                matched(automaton, sid, seen);
            }
        }
    }
}

/// The rare path of [`scan`], kept out of line so that the hot loop keeps its four states in
/// registers (inlined, it made the loop spill them and run 40% slower).
#[inline(never)]
fn matched<A: Automaton>(automaton: &A, sid: StateID, seen: &mut [usize]) {
    if automaton.is_match(sid) {
        for i in 0..automaton.match_len(sid) {
            mark(seen, automaton.match_pattern(sid, i).as_usize());
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
    if let Some(level) = action.co_division_office_level {
        if !(2..=3).contains(&level) {
            return problem(
                "action.co_division_office_level",
                format!(
                    "level {level} has no office; use 2 for the district/county government or 3 for the \
                     street/township office"
                ),
            );
        }
        if action.lead == Some(LeadTarget::DivisionOffice { level }) {
            return problem(
                "action.co_division_office_level",
                format!(
                    "the level-{level} division office already leads; it cannot also co-handle"
                ),
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn md(s: &str) -> MonthDay {
        s.parse().expect("valid month-day")
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn to(code: &str) -> RuleAction {
        RuleAction {
            lead: Some(LeadTarget::Department {
                code: code.to_owned(),
            }),
            ..RuleAction::default()
        }
    }

    fn to_office(level: u8) -> RuleAction {
        RuleAction {
            lead: Some(LeadTarget::DivisionOffice { level }),
            ..RuleAction::default()
        }
    }

    fn rule(id: i64, priority: i32, conditions: Conditions, action: RuleAction) -> Rule {
        Rule {
            id,
            version: 1,
            name: format!("rule {id}"),
            priority,
            enabled: true,
            continue_matching: false,
            conditions,
            action,
        }
    }

    fn any() -> Conditions {
        Conditions::default()
    }

    /// 鞍山: 铁东区 with an office, two streets (one office inactive), a community and a grid;
    /// 铁西区 with no office at all.
    fn directory() -> Directory {
        let division = |code: &str, parent: Option<&str>, level| DivisionEntry {
            code: code.to_owned(),
            parent_code: parent.map(str::to_owned),
            level,
        };
        let office = |dept: &str, division: &str, kind, active| OfficeEntry {
            department_code: dept.to_owned(),
            division_code: division.to_owned(),
            kind,
            active,
        };
        Directory {
            divisions: vec![
                division("210300", None, 1),
                division("210302", Some("210300"), 2),
                division("210302001", Some("210302"), 3),
                division("210302001001", Some("210302001"), 4),
                division("210302001001001", Some("210302001001"), 5),
                division("210302002", Some("210302"), 3),
                division("210303", Some("210300"), 2),
                division("210303001", Some("210303"), 3),
            ],
            offices: vec![
                office("TD-GOV", "210302", DepartmentKind::DistrictGovernment, true),
                office("TD-ST1", "210302001", DepartmentKind::StreetOffice, true),
                office("TD-ST2", "210302002", DepartmentKind::StreetOffice, false),
                office(
                    "TX-ST1-OLD",
                    "210303001",
                    DepartmentKind::StreetOffice,
                    false,
                ),
            ],
        }
    }

    /// A heating complaint from a street-level division in December.
    fn sample() -> Sample<'static> {
        Sample {
            category_code: Some("03.01.01"),
            division_code: "210302001",
            appellant_kind: AppellantKind::Citizen,
            kind: AppealKind::Complaint,
            channel: Channel::Hotline,
            urgency: Urgency::Normal,
            title: "暖气不热",
            content: "家里室温只有十五度，PM2.5 也超标。",
            local_date: date(2026, 12, 1),
        }
    }

    struct Case {
        name: &'static str,
        rules: Vec<Rule>,
        sample: Sample<'static>,
        lead: Option<&'static str>,
        deciding: Option<i64>,
    }

    fn case(
        name: &'static str,
        rules: Vec<Rule>,
        sample: Sample<'static>,
        lead: Option<&'static str>,
        deciding: Option<i64>,
    ) -> Case {
        Case {
            name,
            rules,
            sample,
            lead,
            deciding,
        }
    }

    /// One rule that leads to HIT when `conditions` hold, then a catch-all keeping the pool.
    fn only_if(conditions: Conditions) -> Vec<Rule> {
        vec![rule(1, 10, conditions, to("HIT"))]
    }

    #[test]
    #[rustfmt::skip]
    fn decides_as_the_table_says() {
        let s = sample();
        let season = |start, end| Conditions { season_start: Some(md(start)), season_end: Some(md(end)), ..any() };
        let cases = vec![
            case("category prefix holds", only_if(Conditions { category_prefixes: strings(&["05", "03.01"]), ..any() }), s, Some("HIT"), Some(1)),
            case("category prefix fails", only_if(Conditions { category_prefixes: strings(&["03.02"]), ..any() }), s, None, None),
            case("no category fails a category condition", only_if(Conditions { category_prefixes: strings(&["03"]), ..any() }), Sample { category_code: None, ..s }, None, None),
            case("no category passes a rule without one", only_if(any()), Sample { category_code: None, ..s }, Some("HIT"), Some(1)),
            case("division prefix holds", only_if(Conditions { division_prefixes: strings(&["210302"]), ..any() }), s, Some("HIT"), Some(1)),
            case("division prefix fails", only_if(Conditions { division_prefixes: strings(&["210303"]), ..any() }), s, None, None),
            case("unknown division still matches by prefix", only_if(Conditions { division_prefixes: strings(&["2103"]), ..any() }), Sample { division_code: "210399777", ..s }, Some("HIT"), Some(1)),
            case("appellant kind holds", only_if(Conditions { appellant_kinds: vec![AppellantKind::Citizen], ..any() }), s, Some("HIT"), Some(1)),
            case("appellant kind fails", only_if(Conditions { appellant_kinds: vec![AppellantKind::Enterprise], ..any() }), s, None, None),
            case("appeal kind holds", only_if(Conditions { appeal_kinds: vec![AppealKind::Report, AppealKind::Complaint], ..any() }), s, Some("HIT"), Some(1)),
            case("appeal kind fails", only_if(Conditions { appeal_kinds: vec![AppealKind::Consultation], ..any() }), s, None, None),
            case("channel holds", only_if(Conditions { channels: vec![Channel::Hotline], ..any() }), s, Some("HIT"), Some(1)),
            case("channel fails", only_if(Conditions { channels: vec![Channel::Web, Channel::App], ..any() }), s, None, None),
            case("urgency holds", only_if(Conditions { urgencies: vec![Urgency::Urgent], ..any() }), Sample { urgency: Urgency::Urgent, ..s }, Some("HIT"), Some(1)),
            case("urgency fails", only_if(Conditions { urgencies: vec![Urgency::Urgent], ..any() }), s, None, None),
            case("keyword in the content", only_if(Conditions { keywords_any: strings(&["噪音", "室温"]), ..any() }), s, Some("HIT"), Some(1)),
            case("keyword in the title", only_if(Conditions { keywords_any: strings(&["暖气"]), ..any() }), s, Some("HIT"), Some(1)),
            case("ASCII keywords ignore case", only_if(Conditions { keywords_any: strings(&["pm2.5"]), ..any() }), s, Some("HIT"), Some(1)),
            case("no keyword occurs", only_if(Conditions { keywords_any: strings(&["噪音", "扰民"]), ..any() }), s, None, None),
            case("a keyword across title and content does not count", only_if(Conditions { keywords_any: strings(&["不热家里"]), ..any() }), s, None, None),
            case("excluded keyword absent", only_if(Conditions { keywords_none: strings(&["测试"]), ..any() }), s, Some("HIT"), Some(1)),
            case("excluded keyword present", only_if(Conditions { keywords_any: strings(&["暖气"]), keywords_none: strings(&["十五度"]), ..any() }), s, None, None),
            case("inside validity", only_if(Conditions { valid_from: Some(date(2026, 11, 1)), valid_until: Some(date(2026, 12, 1)), ..any() }), s, Some("HIT"), Some(1)),
            case("validity starts on the day", only_if(Conditions { valid_from: Some(date(2026, 12, 1)), ..any() }), s, Some("HIT"), Some(1)),
            case("before validity", only_if(Conditions { valid_from: Some(date(2026, 12, 2)), ..any() }), s, None, None),
            case("after validity", only_if(Conditions { valid_until: Some(date(2026, 11, 30)), ..any() }), s, None, None),
            case("wrapping season, December", only_if(season("11-01", "03-31")), s, Some("HIT"), Some(1)),
            case("wrapping season, February", only_if(season("11-01", "03-31")), Sample { local_date: date(2027, 2, 15), ..s }, Some("HIT"), Some(1)),
            case("wrapping season, last day", only_if(season("11-01", "03-31")), Sample { local_date: date(2027, 3, 31), ..s }, Some("HIT"), Some(1)),
            case("wrapping season, first day after", only_if(season("11-01", "03-31")), Sample { local_date: date(2027, 4, 1), ..s }, None, None),
            case("wrapping season, summer", only_if(season("11-01", "03-31")), Sample { local_date: date(2026, 7, 1), ..s }, None, None),
            case("plain season, outside", only_if(season("06-01", "08-31")), s, None, None),
            case("half a season never matches", only_if(Conditions { season_start: Some(md("11-01")), ..any() }), s, None, None),
            case("lower priority number wins", vec![rule(1, 20, any(), to("LATE")), rule(2, 10, any(), to("EARLY"))], s, Some("EARLY"), Some(2)),
            case("equal priority: lower id wins", vec![rule(5, 10, any(), to("FIVE")), rule(3, 10, any(), to("THREE"))], s, Some("THREE"), Some(3)),
            case("disabled rule skipped", vec![Rule { enabled: false, ..rule(1, 1, any(), to("OFF")) }, rule(2, 2, any(), to("ON"))], s, Some("ON"), Some(2)),
            case("street appeal to its street office", vec![rule(1, 1, any(), to_office(3))], s, Some("TD-ST1"), Some(1)),
            case("community appeal to its street's office", vec![rule(1, 1, any(), to_office(3))], Sample { division_code: "210302001001", ..s }, Some("TD-ST1"), Some(1)),
            case("grid appeal to its street's office", vec![rule(1, 1, any(), to_office(3))], Sample { division_code: "210302001001001", ..s }, Some("TD-ST1"), Some(1)),
            case("district-only appeal falls back to the district government", vec![rule(1, 1, any(), to_office(3))], Sample { division_code: "210302", ..s }, Some("TD-GOV"), Some(1)),
            case("inactive street office falls back to the district government", vec![rule(1, 1, any(), to_office(3))], Sample { division_code: "210302002", ..s }, Some("TD-GOV"), Some(1)),
            case("level-2 rule from a street appeal", vec![rule(1, 1, any(), to_office(2))], s, Some("TD-GOV"), Some(1)),
            case("no office anywhere: the next rule decides", vec![rule(1, 1, any(), to_office(3)), rule(2, 2, any(), to("CITY"))], Sample { division_code: "210303001", ..s }, Some("CITY"), Some(2)),
            case("unknown division: the next rule decides", vec![rule(1, 1, any(), to_office(3)), rule(2, 2, any(), to("CITY"))], Sample { division_code: "999999999", ..s }, Some("CITY"), Some(2)),
            case("a rule without a lead keeps the appeal in the pool", vec![rule(1, 1, any(), RuleAction::default()), rule(2, 2, any(), to("NEVER"))], s, None, Some(1)),
            case("no rule: the pool", vec![], s, None, None),
        ];
        let directory = directory();
        for c in cases {
            let compiled = CompiledRules::compile(c.rules, &directory);

            let decision = compiled.decide(&c.sample);

            assert_eq!(decision.lead_department.as_deref(), c.lead, "{}", c.name);
            assert_eq!(decision.deciding_rule.as_ref().map(|r| r.id), c.deciding, "{}", c.name);
            assert_eq!(compiled.explain(&c.sample).decision, decision, "{}: explain disagrees", c.name);
        }
    }

    #[test]
    fn a_continue_rule_adds_a_co_handler_and_forces_the_urgent_class() {
        let gas = Conditions {
            keywords_any: strings(&["燃气泄漏", "煤气味"]),
            ..any()
        };
        let rules = vec![
            Rule {
                continue_matching: true,
                ..rule(
                    1,
                    1,
                    gas.clone(),
                    RuleAction {
                        co_departments: strings(&["FIRE", "GAS-CO"]),
                        deadline_class: Some(DeadlineClass::Urgent),
                        urgency: Some(Urgency::Urgent),
                        ..RuleAction::default()
                    },
                )
            },
            rule(
                2,
                2,
                gas,
                RuleAction {
                    co_departments: strings(&["FIRE", "POLICE"]),
                    deadline_class: Some(DeadlineClass::Livelihood),
                    ..to("GAS-CO")
                },
            ),
            rule(3, 3, any(), to("NEVER")),
        ];
        let compiled = CompiledRules::compile(rules, &directory());
        let s = Sample {
            title: "楼道里有很重的煤气味",
            content: "怀疑燃气泄漏，请尽快处理",
            ..sample()
        };

        let decision = compiled.decide(&s);

        assert_eq!(decision.lead_department.as_deref(), Some("GAS-CO"));
        assert_eq!(
            decision.co_departments,
            strings(&["FIRE", "POLICE"]),
            "deduplicated, in order, without the lead"
        );
        assert_eq!(
            decision.deadline_class,
            Some(DeadlineClass::Urgent),
            "the first rule's class wins"
        );
        assert_eq!(decision.urgency, Some(Urgency::Urgent));
        let ids: Vec<i64> = decision.contributing_rules.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(decision.deciding_rule.map(|r| r.id), Some(2));
    }

    #[test]
    #[rustfmt::skip]
    fn a_division_office_can_co_handle() {
        let co = |level: u8, lead: RuleAction| RuleAction { co_division_office_level: Some(level), ..lead };
        let s = sample();
        // name, rules, appeal, lead, co-handlers
        type CoCase = (&'static str, Vec<Rule>, Sample<'static>, Option<&'static str>, Vec<&'static str>);
        let cases: Vec<CoCase> = vec![
            ("fixed lead, street office co-handles", vec![rule(1, 1, any(), co(3, to("HRSS")))], s, Some("HRSS"), vec!["TD-ST1"]),
            ("street office leads, district government co-handles", vec![rule(1, 1, any(), co(2, to_office(3)))], s, Some("TD-ST1"), vec!["TD-GOV"]),
            ("co-handling falls back like a lead", vec![rule(1, 1, any(), co(3, to("HRSS")))], Sample { division_code: "210302002", ..s }, Some("HRSS"), vec!["TD-GOV"]),
            ("no office to co-handle: the rule still decides", vec![rule(1, 1, any(), co(3, to("HRSS")))], Sample { division_code: "999999999", ..s }, Some("HRSS"), vec![]),
            (
                "a continue rule's office that then leads is not also a co-handler",
                vec![Rule { continue_matching: true, ..rule(1, 1, any(), co(3, RuleAction::default())) }, rule(2, 2, any(), to_office(3))],
                s, Some("TD-ST1"), vec![],
            ),
        ];
        for (name, rules, sample, lead, co_departments) in cases {
            let compiled = CompiledRules::compile(rules, &directory());

            let explanation = compiled.explain(&sample);

            assert_eq!(explanation.decision.lead_department.as_deref(), lead, "{name}");
            assert_eq!(explanation.decision.co_departments, strings(&co_departments), "{name}");
            assert_eq!(compiled.decide(&sample), explanation.decision, "{name}");
        }
    }

    #[test]
    fn a_rule_finding_no_office_contributes_nothing() {
        let rules = vec![
            rule(
                1,
                1,
                any(),
                RuleAction {
                    co_departments: strings(&["SHOULD-NOT"]),
                    deadline_class: Some(DeadlineClass::Complex),
                    ..to_office(3)
                },
            ),
            rule(2, 2, any(), to("CITY")),
        ];
        let compiled = CompiledRules::compile(rules, &directory());
        let s = Sample {
            division_code: "210303001",
            ..sample()
        };

        let explanation = compiled.explain(&s);

        let decision = &explanation.decision;
        assert_eq!(decision.lead_department.as_deref(), Some("CITY"));
        assert!(decision.co_departments.is_empty());
        assert_eq!(decision.deadline_class, None);
        assert_eq!(decision.contributing_rules.len(), 1);
        let outcomes: Vec<TraceOutcome> = explanation.trace.iter().map(|t| t.outcome).collect();
        assert_eq!(
            outcomes,
            vec![TraceOutcome::NoOffice, TraceOutcome::Decided]
        );
        assert!(
            explanation.trace[0].detail.contains("210303001"),
            "{}",
            explanation.trace[0].detail
        );
    }

    #[test]
    fn no_rule_deciding_keeps_the_contributions() {
        let rules = vec![Rule {
            continue_matching: true,
            ..rule(
                1,
                1,
                any(),
                RuleAction {
                    urgency: Some(Urgency::Urgent),
                    ..RuleAction::default()
                },
            )
        }];
        let compiled = CompiledRules::compile(rules, &directory());

        let decision = compiled.decide(&sample());

        assert_eq!(decision.lead_department, None);
        assert_eq!(decision.deciding_rule, None);
        assert_eq!(decision.urgency, Some(Urgency::Urgent));
        assert_eq!(decision.contributing_rules.len(), 1);
    }

    #[test]
    fn keywords_are_found_wherever_they_sit_in_a_long_text() {
        let keywords = strings(&["燃气泄漏", "泄漏", "gas leak", "漏"]);
        let rules: Vec<Rule> = keywords
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let conditions = Conditions {
                    keywords_any: vec![k.clone()],
                    ..any()
                };
                rule(i as i64 + 1, i as i32, conditions, to(k))
            })
            .collect();
        let mut compiled = CompiledRules::compile(rules, &directory());
        for scanner in ["dfa", "nfa"] {
            let patterns = compiled.keywords.patterns.clone();
            compiled.keywords.scanner = match scanner {
                "dfa" => Scanner::dfa(&patterns),
                _ => Scanner::nfa(&patterns),
            }
            .expect("builds");
            for (keyword, filler) in [("燃气泄漏", "的"), ("GAS LEAK", "x"), ("泄漏", "好")]
            {
                // every position across the four spans' seams, in texts of several lengths
                for length in [85, 86, 87, 90, 200, 260, 270, 301] {
                    for at in 0..=length {
                        let content: String = std::iter::repeat_n(filler, at)
                            .chain(std::iter::once(keyword))
                            .chain(std::iter::repeat_n(filler, length - at))
                            .collect();
                        let s = Sample {
                            title: "",
                            content: &content,
                            ..sample()
                        };
                        let decision = compiled.decide(&s);
                        let expected = keywords
                            .iter()
                            .find(|k| content.to_ascii_lowercase().contains(k.as_str()))
                            .map(String::as_str);
                        assert_eq!(
                            decision.lead_department.as_deref(),
                            expected,
                            "{scanner}: {keyword} at {at} of {length}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn resolve_office_walks_up_and_falls_back() {
        let compiled = CompiledRules::compile(vec![], &directory());
        let cases = [
            ("210302001", 3, Some("TD-ST1")),
            ("210302001001001", 3, Some("TD-ST1")),
            ("210302001001", 2, Some("TD-GOV")),
            ("210302002", 3, Some("TD-GOV")),
            ("210302", 3, Some("TD-GOV")),
            ("210303001", 3, None),
            ("210300", 3, None),
            ("nowhere", 3, None),
        ];
        for (division, level, expected) in cases {
            assert_eq!(
                compiled.resolve_office(division, level).as_deref(),
                expected,
                "{division} at {level}"
            );
        }
    }

    #[test]
    #[rustfmt::skip]
    fn explain_names_the_first_failed_condition() {
        let rules = vec![
            Rule { enabled: false, ..rule(1, 1, any(), to("A")) },
            // category and keyword both fail: category comes first
            rule(2, 2, Conditions { category_prefixes: strings(&["05", "06"]), keywords_any: strings(&["噪音"]), ..any() }, to("B")),
            rule(3, 3, Conditions { division_prefixes: strings(&["210303"]), ..any() }, to("C")),
            rule(4, 4, Conditions { channels: vec![Channel::Web], urgencies: vec![Urgency::Urgent], ..any() }, to("D")),
            rule(5, 5, Conditions { valid_until: Some(date(2026, 11, 30)), ..any() }, to("E")),
            rule(6, 6, Conditions { season_start: Some(md("06-01")), season_end: Some(md("08-31")), ..any() }, to("F")),
            rule(7, 7, Conditions { keywords_any: strings(&["噪音", "扰民"]), ..any() }, to("G")),
            rule(8, 8, Conditions { keywords_none: strings(&["测试", "室温"]), ..any() }, to("H")),
            rule(9, 9, Conditions { appellant_kinds: vec![AppellantKind::Enterprise], ..any() }, to("I")),
            rule(10, 10, Conditions { appeal_kinds: vec![AppealKind::Suggestion], ..any() }, to("J")),
            rule(11, 11, any(), to("K")),
            rule(12, 12, any(), to("NEVER SEEN")),
        ];
        let expected: [(TraceOutcome, Option<&str>, &str); 11] = [
            (TraceOutcome::Disabled, Some("enabled"), "disabled"),
            (TraceOutcome::Failed, Some("category_prefixes"), "category 03.01.01 does not start with any of 05, 06"),
            (TraceOutcome::Failed, Some("division_prefixes"), "division 210302001 does not start with any of 210303"),
            (TraceOutcome::Failed, Some("channels"), "channel hotline is not one of web"),
            (TraceOutcome::Failed, Some("validity"), "after valid_until 2026-11-30"),
            (TraceOutcome::Failed, Some("season"), "outside the season 06-01 to 08-31"),
            (TraceOutcome::Failed, Some("keywords_any"), "none of the keywords 噪音, 扰民 occurs in the title or content"),
            (TraceOutcome::Failed, Some("keywords_none"), "the keyword 室温 occurs in the content, which this rule excludes"),
            (TraceOutcome::Failed, Some("appellant_kinds"), "appellant kind citizen is not one of enterprise"),
            (TraceOutcome::Failed, Some("appeal_kinds"), "appeal kind complaint is not one of suggestion"),
            (TraceOutcome::Decided, None, "department K leads"),
        ];
        let compiled = CompiledRules::compile(rules, &directory());

        let explanation = compiled.explain(&sample());

        assert_eq!(explanation.trace.len(), expected.len(), "stops at the deciding rule");
        for (trace, (outcome, failed, detail)) in explanation.trace.iter().zip(expected) {
            assert_eq!(trace.outcome, outcome, "rule {}", trace.rule.id);
            assert_eq!(trace.failed_condition.as_deref(), failed, "rule {}", trace.rule.id);
            assert!(trace.detail.contains(detail), "rule {}: {}", trace.rule.id, trace.detail);
        }
        assert_eq!(explanation.decision.lead_department.as_deref(), Some("K"));
    }

    #[test]
    fn explain_lists_every_rule_when_none_decides() {
        let rules = vec![
            rule(
                1,
                1,
                Conditions {
                    channels: vec![Channel::Web],
                    ..any()
                },
                to("A"),
            ),
            Rule {
                continue_matching: true,
                ..rule(
                    2,
                    2,
                    any(),
                    RuleAction {
                        co_departments: strings(&["X"]),
                        ..RuleAction::default()
                    },
                )
            },
            rule(
                3,
                3,
                Conditions {
                    urgencies: vec![Urgency::Urgent],
                    ..any()
                },
                to("C"),
            ),
        ];
        let compiled = CompiledRules::compile(rules, &directory());

        let explanation = compiled.explain(&sample());

        assert_eq!(explanation.trace.len(), 3);
        assert_eq!(explanation.trace[1].outcome, TraceOutcome::Contributed);
        assert!(
            explanation.trace[1].detail.contains("co-departments X"),
            "{}",
            explanation.trace[1].detail
        );
        assert_eq!(explanation.decision.co_departments, strings(&["X"]));
        assert_eq!(explanation.decision.lead_department, None);
    }

    #[test]
    fn explain_says_when_the_lead_falls_back() {
        let compiled = CompiledRules::compile(vec![rule(1, 1, any(), to_office(3))], &directory());
        let s = Sample {
            division_code: "210302",
            ..sample()
        };
        let explanation = compiled.explain(&s);
        let detail = &explanation.trace[0].detail;
        assert!(
            detail.contains("falls back to TD-GOV, the district government of 210302"),
            "{detail}"
        );
    }

    #[test]
    #[rustfmt::skip]
    fn check_rule_refuses_what_cannot_work() {
        let lead = || to("LEAD");
        let heating_in_summer = Conditions {
            valid_from: Some(date(2026, 5, 1)), valid_until: Some(date(2026, 6, 30)),
            season_start: Some(md("11-01")), season_end: Some(md("03-31")), ..any()
        };
        let cases: Vec<(&str, Conditions, RuleAction, bool, &str)> = vec![
            ("continue rule with a lead", any(), lead(), true, "action.lead"),
            ("office level 1", any(), to_office(1), false, "action.lead.level"),
            ("office level 4", any(), to_office(4), false, "action.lead.level"),
            ("empty lead code", any(), to(" "), false, "action.lead.code"),
            ("only a season start", Conditions { season_start: Some(md("11-01")), ..any() }, lead(), false, "conditions.season_end"),
            ("only a season end", Conditions { season_end: Some(md("03-31")), ..any() }, lead(), false, "conditions.season_start"),
            ("validity backwards", Conditions { valid_from: Some(date(2026, 12, 1)), valid_until: Some(date(2026, 11, 1)), ..any() }, lead(), false, "conditions.valid_from"),
            ("season outside the validity", heating_in_summer, lead(), false, "conditions.season_start"),
            ("empty keyword", Conditions { keywords_any: strings(&["噪音", ""]), ..any() }, lead(), false, "conditions.keywords_any"),
            ("blank excluded keyword", Conditions { keywords_none: strings(&["  "]), ..any() }, lead(), false, "conditions.keywords_none"),
            ("keyword both wanted and excluded", Conditions { keywords_any: strings(&["Noise"]), keywords_none: strings(&["noise"]), ..any() }, lead(), false, "conditions.keywords_none"),
            ("wanted keyword contains an excluded one", Conditions { keywords_any: strings(&["燃气泄漏"]), keywords_none: strings(&["燃气"]), ..any() }, lead(), false, "conditions.keywords_none"),
            ("empty category prefix", Conditions { category_prefixes: strings(&[""]), ..any() }, lead(), false, "conditions.category_prefixes"),
            ("category prefix with a space", Conditions { category_prefixes: strings(&["03 01"]), ..any() }, lead(), false, "conditions.category_prefixes"),
            ("division prefix with a percent", Conditions { division_prefixes: strings(&["2103%"]), ..any() }, lead(), false, "conditions.division_prefixes"),
            ("division prefix too long", Conditions { division_prefixes: vec!["1".repeat(33)], ..any() }, lead(), false, "conditions.division_prefixes"),
            ("division prefix in Chinese", Conditions { division_prefixes: strings(&["铁东"]), ..any() }, lead(), false, "conditions.division_prefixes"),
            ("co-department equal to the lead", any(), RuleAction { co_departments: strings(&["A", "LEAD"]), ..lead() }, false, "action.co_departments"),
            ("empty co-department", any(), RuleAction { co_departments: strings(&[""]), ..lead() }, false, "action.co_departments"),
            ("co-handling office level 1", any(), RuleAction { co_division_office_level: Some(1), ..lead() }, false, "action.co_division_office_level"),
            ("co-handling office that leads", any(), RuleAction { co_division_office_level: Some(3), ..to_office(3) }, false, "action.co_division_office_level"),
        ];
        for (name, conditions, action, continue_matching, field) in cases {
            let problem = check_rule(&conditions, &action, continue_matching).expect_err(name);
            assert_eq!(problem.field, field, "{name}: {problem}");
            assert!(!problem.message.is_empty(), "{name}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn check_rule_accepts_sensible_rules() {
        let heating = Conditions {
            category_prefixes: strings(&["03.01"]), division_prefixes: strings(&["210302", "210303"]),
            keywords_any: strings(&["暖气", "室温"]), keywords_none: strings(&["测试"]),
            valid_from: Some(date(2026, 10, 1)), valid_until: Some(date(2027, 4, 30)),
            season_start: Some(md("11-01")), season_end: Some(md("03-31")), ..any()
        };
        let contribute = RuleAction { co_departments: strings(&["FIRE"]), deadline_class: Some(DeadlineClass::Urgent), ..RuleAction::default() };
        let cases: Vec<(&str, Conditions, RuleAction, bool)> = vec![
            ("catch-all to the pool", any(), RuleAction::default(), false),
            ("catch-all to the street", any(), to_office(3), false),
            ("heating", heating, RuleAction { co_departments: strings(&["HEAT-CO"]), ..to("CITY-HOUSING") }, false),
            ("continue rule", any(), contribute, true),
            ("wages: labour bureau leads, street co-handles", any(), RuleAction { co_division_office_level: Some(3), ..to("HRSS") }, false),
            ("street leads, district co-handles", any(), RuleAction { co_division_office_level: Some(2), ..to_office(3) }, false),
            ("one-day validity", Conditions { valid_from: Some(date(2026, 12, 1)), valid_until: Some(date(2026, 12, 1)), ..any() }, to_office(2), false),
        ];
        for (name, conditions, action, continue_matching) in cases {
            assert_eq!(check_rule(&conditions, &action, continue_matching), Ok(()), "{name}");
        }
    }

    #[test]
    fn month_day_parses_strictly() {
        for (text, expected) in [
            ("11-01", Some((11, 1))),
            ("02-29", Some((2, 29))),
            ("12-31", Some((12, 31))),
            ("01-01", Some((1, 1))),
        ] {
            let parsed: MonthDay = text.parse().expect(text);
            assert_eq!(Some((parsed.month(), parsed.day())), expected);
            assert_eq!(parsed.to_string(), text);
        }
        for bad in [
            "02-30",
            "04-31",
            "13-01",
            "00-10",
            "11-00",
            "1-01",
            "11-1",
            "11/01",
            "",
            "11-01 ",
            "+1-01",
            "１１-01",
        ] {
            assert!(bad.parse::<MonthDay>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn month_day_is_a_string_in_json() {
        let day: MonthDay = serde_json::from_str("\"11-01\"").expect("parses");
        assert_eq!(
            serde_json::to_string(&day).expect("serializes"),
            "\"11-01\""
        );
        let err = serde_json::from_str::<MonthDay>("\"02-30\"").expect_err("02-30 refused");
        assert!(err.to_string().contains("MM-DD"), "{err}");
        assert!(serde_json::from_str::<MonthDay>("1101").is_err());
    }

    #[test]
    fn rules_keep_their_json_shape() {
        let json = serde_json::json!({
            "id": 7, "version": 3, "name": "供热直派街道", "priority": 100, "enabled": true,
            "continue_matching": false,
            "conditions": {"category_prefixes": ["03.01"], "season_start": "11-01", "season_end": "03-31",
                           "channels": ["hotline", "open311"], "valid_from": "2026-10-15"},
            "action": {"lead": {"type": "division_office", "level": 3}, "deadline_class": "livelihood"}
        });
        let rule: Rule = serde_json::from_value(json.clone()).expect("parses");
        assert_eq!(
            rule.action.lead,
            Some(LeadTarget::DivisionOffice { level: 3 })
        );
        assert_eq!(rule.conditions.season_end, Some(md("03-31")));
        assert_eq!(rule.conditions.valid_from, Some(date(2026, 10, 15)));
        let back = serde_json::to_value(&rule).expect("serializes");
        assert_eq!(
            serde_json::from_value::<Rule>(back).expect("round trip"),
            rule
        );

        let seeded: RuleAction = serde_json::from_value(serde_json::json!(
            {"lead": {"type": "department", "code": "hrss"}, "co_division_office_level": 3}
        ))
        .expect("the seed's wage rule parses");
        assert_eq!(seeded.co_division_office_level, Some(3));
        let fixed: LeadTarget =
            serde_json::from_value(serde_json::json!({"type": "department", "code": "HEAT"}))
                .expect("parses");
        assert_eq!(
            fixed,
            LeadTarget::Department {
                code: "HEAT".into()
            }
        );
        for bad in [
            serde_json::json!({"categories": ["03"]}),
            serde_json::json!({"season_start": "02-30"}),
        ] {
            assert!(
                serde_json::from_value::<Conditions>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        for bad in [
            serde_json::json!({"lead": {"type": "department", "code": "X", "level": 3}}),
            serde_json::json!({"lead": {"type": "street", "level": 3}}),
            serde_json::json!({"lead": {"type": "division_office", "level": 300}}),
            serde_json::json!({"co_department": ["X"]}),
        ] {
            assert!(
                serde_json::from_value::<RuleAction>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::to_value(TraceOutcome::NoOffice).expect("serializes"),
            "no_office"
        );
    }

    #[test]
    fn enum_positions_index_the_bitsets() {
        for (i, v) in AppellantKind::ALL.iter().enumerate() {
            assert_eq!(*v as usize, i);
        }
        for (i, v) in AppealKind::ALL.iter().enumerate() {
            assert_eq!(*v as usize, i);
        }
        for (i, v) in Channel::ALL.iter().enumerate() {
            assert_eq!(*v as usize, i);
        }
        for (i, v) in Urgency::ALL.iter().enumerate() {
            assert_eq!(*v as usize, i);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Property test: random tables and appeals; the compiled matcher, explain and a plain
    // reference implementation must agree.
    // -----------------------------------------------------------------------------------------

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }

        /// Up to `max` picks (possibly repeated), or none.
        fn some_of<T: Clone>(&mut self, items: &[T], percent: u64, max: usize) -> Vec<T> {
            if !self.chance(percent) {
                return Vec::new();
            }
            let n = 1 + self.below(max);
            (0..n).map(|_| self.pick(items).clone()).collect()
        }
    }

    const CATEGORIES: &[&str] = &[
        "01.01.01", "01.01.02", "01.02.01", "03.01.01", "03.01.02", "03.02.01", "10.01.01", "1",
    ];
    const CATEGORY_PREFIXES: &[&str] = &[
        "01", "01.01", "01.01.01", "03", "03.01", "03.02.01", "1", "10", "0", "",
    ];
    const DIVISIONS: &[&str] = &[
        "210300",
        "210302",
        "210302001",
        "210302001001",
        "210302001002",
        "210302002",
        "210302002001",
        "210303",
        "210303001",
        "210303001001",
        "210399001",
        "",
    ];
    const DIVISION_PREFIXES: &[&str] = &[
        "2103",
        "210302",
        "210302001",
        "210302002",
        "210303",
        "210303001001",
        "2",
    ];
    const WORDS: &[&str] = &[
        "暖气",
        "暖气不热",
        "室温",
        "噪音",
        "扰民",
        "燃气",
        "燃气泄漏",
        "测试",
        "PM2.5",
        "pm",
        "Wifi",
        "水",
        "停水",
        "a",
        "b",
        "ab",
        "",
    ];
    const TEXT: &[&str] = &[
        "暖气不热",
        "室温低",
        "夜间噪音扰民",
        "燃气泄漏",
        "闻到燃气",
        "测试",
        "pm2.5超标",
        "WIFI",
        "停水三天",
        "AB",
        "b",
        "谢谢",
        "。",
    ];
    const DEPARTMENTS: &[&str] = &["HEAT", "WATER", "GAS", "POLICE", "FIRE", "TD-GOV", "TD-ST1"];

    fn random_directory(rng: &mut XorShift) -> Directory {
        let mut divisions = Vec::new();
        for &code in DIVISIONS
            .iter()
            .filter(|c| !c.is_empty() && **c != "210399001")
        {
            let level = match code.len() {
                6 if code.ends_with("00") => 1,
                6 => 2,
                9 => 3,
                _ => 4,
            };
            let parent = match level {
                1 => None,
                2 => Some("210300".to_owned()),
                _ => Some(code[..code.len() - 3].to_owned()),
            };
            divisions.push(DivisionEntry {
                code: code.to_owned(),
                parent_code: parent,
                level,
            });
        }
        let mut offices = Vec::new();
        for d in &divisions {
            let kind = match d.level {
                2 => DepartmentKind::DistrictGovernment,
                3 => DepartmentKind::StreetOffice,
                _ => continue,
            };
            for n in 0..rng.below(3) {
                offices.push(OfficeEntry {
                    department_code: format!("{}-{n}", d.code),
                    division_code: d.code.clone(),
                    kind: if rng.chance(90) {
                        kind
                    } else {
                        DepartmentKind::Utility
                    },
                    active: rng.chance(70),
                });
            }
        }
        Directory { divisions, offices }
    }

    fn random_rule(rng: &mut XorShift, id: i64) -> Rule {
        let s = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
        let day = |rng: &mut XorShift| date(2026, 1, 1) + chrono::Days::new(rng.below(730) as u64);
        let month_day = |rng: &mut XorShift| {
            MonthDay::new(1 + rng.below(12) as u32, 1 + rng.below(28) as u32).expect("valid")
        };
        let (season_start, season_end) = match rng.below(10) {
            0 | 1 => (Some(month_day(rng)), Some(month_day(rng))),
            2 => (Some(month_day(rng)), None),
            _ => (None, None),
        };
        let conditions = Conditions {
            category_prefixes: s(rng.some_of(CATEGORY_PREFIXES, 40, 3)),
            division_prefixes: s(rng.some_of(DIVISION_PREFIXES, 30, 2)),
            appellant_kinds: rng.some_of(AppellantKind::ALL, 20, 2),
            appeal_kinds: rng.some_of(AppealKind::ALL, 20, 3),
            channels: rng.some_of(Channel::ALL, 20, 3),
            urgencies: rng.some_of(Urgency::ALL, 15, 1),
            keywords_any: s(rng.some_of(WORDS, 35, 3)),
            keywords_none: s(rng.some_of(WORDS, 20, 2)),
            valid_from: rng.chance(15).then(|| day(rng)),
            valid_until: rng.chance(15).then(|| day(rng)),
            season_start,
            season_end,
        };
        let lead = match rng.below(10) {
            0..=3 => Some(LeadTarget::Department {
                code: (*rng.pick(DEPARTMENTS)).to_owned(),
            }),
            4..=7 => Some(LeadTarget::DivisionOffice {
                level: *rng.pick(&[1u8, 2, 3, 3, 3, 4]),
            }),
            _ => None,
        };
        Rule {
            id,
            version: 1 + rng.below(3) as i32,
            name: format!("r{id}"),
            priority: rng.below(20) as i32,
            enabled: rng.chance(90),
            continue_matching: rng.chance(20),
            conditions,
            action: RuleAction {
                lead,
                co_departments: s(rng.some_of(DEPARTMENTS, 30, 3)),
                co_division_office_level: rng.chance(20).then(|| *rng.pick(&[1u8, 2, 3, 3, 4])),
                deadline_class: rng.chance(30).then(|| *rng.pick(DeadlineClass::ALL)),
                urgency: rng.chance(20).then(|| *rng.pick(Urgency::ALL)),
            },
        }
    }

    /// Mostly short; one in five long enough to be scanned as four streams.
    fn random_text(rng: &mut XorShift) -> String {
        let pieces = if rng.chance(20) {
            40 + rng.below(80)
        } else {
            rng.below(6)
        };
        (0..pieces).map(|_| *rng.pick(TEXT)).collect()
    }

    /// The plain reading of the semantics, one rule at a time, sharing nothing with the module.
    fn reference_decide(rules: &[Rule], directory: &Directory, s: &Sample<'_>) -> Decision {
        let mut sorted: Vec<&Rule> = rules.iter().collect();
        sorted.sort_by_key(|r| (r.priority, r.id));
        let occurs = |k: &str| {
            let k = k.to_ascii_lowercase();
            s.title.to_ascii_lowercase().contains(&k) || s.content.to_ascii_lowercase().contains(&k)
        };
        let mut d = Decision::default();
        for r in sorted {
            let c = &r.conditions;
            let today = (s.local_date.month(), s.local_date.day());
            let in_season = match (c.season_start, c.season_end) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    let (a, b) = ((a.month(), a.day()), (b.month(), b.day()));
                    if a <= b {
                        a <= today && today <= b
                    } else {
                        today >= a || today <= b
                    }
                }
                _ => false,
            };
            let matches = r.enabled
                && (c.category_prefixes.is_empty()
                    || s.category_code.is_some_and(|code| {
                        c.category_prefixes
                            .iter()
                            .any(|p| code.starts_with(p.as_str()))
                    }))
                && (c.division_prefixes.is_empty()
                    || c.division_prefixes
                        .iter()
                        .any(|p| s.division_code.starts_with(p.as_str())))
                && (c.appellant_kinds.is_empty() || c.appellant_kinds.contains(&s.appellant_kind))
                && (c.appeal_kinds.is_empty() || c.appeal_kinds.contains(&s.kind))
                && (c.channels.is_empty() || c.channels.contains(&s.channel))
                && (c.urgencies.is_empty() || c.urgencies.contains(&s.urgency))
                && c.valid_from.is_none_or(|f| s.local_date >= f)
                && c.valid_until.is_none_or(|u| s.local_date <= u)
                && in_season
                && (c.keywords_any.is_empty() || c.keywords_any.iter().any(|k| occurs(k)))
                && !c.keywords_none.iter().any(|k| occurs(k));
            if !matches {
                continue;
            }
            let lead = if r.continue_matching {
                None
            } else {
                match &r.action.lead {
                    None => None,
                    Some(LeadTarget::Department { code }) => Some(code.clone()),
                    Some(LeadTarget::DivisionOffice { level }) => {
                        match reference_office(directory, s.division_code, *level) {
                            Some(office) => Some(office),
                            None => continue, // no office: the rule does not apply
                        }
                    }
                }
            };
            let co_office = r
                .action
                .co_division_office_level
                .and_then(|level| reference_office(directory, s.division_code, level));
            for code in r.action.co_departments.iter().chain(&co_office) {
                if !d.co_departments.contains(code) {
                    d.co_departments.push(code.clone());
                }
            }
            d.deadline_class = d.deadline_class.or(r.action.deadline_class);
            d.urgency = d.urgency.or(r.action.urgency);
            d.contributing_rules.push(RuleRef {
                id: r.id,
                version: r.version,
                name: r.name.clone(),
            });
            if !r.continue_matching {
                d.lead_department = lead;
                d.deciding_rule = Some(RuleRef {
                    id: r.id,
                    version: r.version,
                    name: r.name.clone(),
                });
                break;
            }
        }
        if let Some(lead) = d.lead_department.clone() {
            d.co_departments.retain(|c| *c != lead);
        }
        d
    }

    fn reference_office(directory: &Directory, code: &str, level: u8) -> Option<String> {
        let find = |code: &str| directory.divisions.iter().find(|d| d.code == code);
        let mut division = find(code)?;
        for _ in 0..100 {
            if division.level <= i16::from(level) {
                let kind = match division.level {
                    3 => Some(DepartmentKind::StreetOffice),
                    2 => Some(DepartmentKind::DistrictGovernment),
                    _ => None,
                };
                let office = directory
                    .offices
                    .iter()
                    .filter(|o| {
                        o.active && Some(o.kind) == kind && o.division_code == division.code
                    })
                    .map(|o| o.department_code.clone())
                    .min();
                if office.is_some() {
                    return office;
                }
            }
            division = find(division.parent_code.as_deref()?)?;
        }
        None
    }

    #[test]
    fn compiled_explained_and_plain_matching_agree_on_random_tables() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut decided = 0;
        let mut pooled = 0;
        for table in 0..3000 {
            let directory = random_directory(&mut rng);
            let size = if table % 50 == 0 {
                150 + rng.below(100)
            } else {
                rng.below(14)
            };
            let rules: Vec<Rule> = (0..size)
                .map(|i| random_rule(&mut rng, (i as i64 * 7919) % 1000))
                .collect();
            let mut compiled = CompiledRules::compile(rules.clone(), &directory);
            // Every way of finding keywords must give the same answers.
            let patterns = compiled.keywords.patterns.clone();
            compiled.keywords.scanner = match table % 3 {
                0 => Scanner::build(&patterns),
                1 => Scanner::nfa(&patterns).unwrap_or(Scanner::Idle),
                _ if patterns.is_empty() => Scanner::Idle,
                _ => Scanner::Plain,
            };
            for _ in 0..6 {
                let title = random_text(&mut rng);
                let content = random_text(&mut rng);
                let category = rng.chance(85).then(|| *rng.pick(CATEGORIES));
                let division_code = *rng.pick(DIVISIONS);
                let s = Sample {
                    category_code: category,
                    division_code,
                    appellant_kind: *rng.pick(AppellantKind::ALL),
                    kind: *rng.pick(AppealKind::ALL),
                    channel: *rng.pick(Channel::ALL),
                    urgency: *rng.pick(Urgency::ALL),
                    title: &title,
                    content: &content,
                    local_date: date(2026, 1, 1) + chrono::Days::new(rng.below(730) as u64),
                };
                let decision = compiled.decide(&s);
                let explanation = compiled.explain(&s);
                assert_eq!(
                    decision, explanation.decision,
                    "table {table}: decide vs explain for {s:?}"
                );
                assert_eq!(
                    decision,
                    reference_decide(&rules, &directory, &s),
                    "table {table}: decide vs reference for {s:?}"
                );

                let decided_at = explanation
                    .trace
                    .iter()
                    .position(|t| t.outcome == TraceOutcome::Decided);
                assert_eq!(
                    explanation.trace.len(),
                    decided_at.map_or(compiled.len(), |i| i + 1),
                    "table {table}"
                );
                assert_eq!(
                    decided_at.is_some(),
                    decision.deciding_rule.is_some(),
                    "table {table}"
                );
                if decision.lead_department.is_some() {
                    decided += 1;
                } else {
                    pooled += 1;
                }
            }
            for &division in DIVISIONS {
                for level in 1..=4 {
                    assert_eq!(
                        compiled.resolve_office(division, level),
                        reference_office(&directory, division, level),
                        "table {table}: {division} at level {level}"
                    );
                }
            }
        }
        // Both outcomes must be well represented, or the test proves little.
        assert!(
            decided > 3000 && pooled > 3000,
            "decided {decided}, pooled {pooled}"
        );
    }
}
