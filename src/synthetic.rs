//! `minxin seed --appeals N`: N synthetic appeals over the past year, for demos and benchmarks,
//! generated in Rust and written with `COPY` by [`crate::bulk`].
//!
//! The shape of a year at a hotline: more appeals lately than a year ago, fewer at weekends and
//! at night, heating complaints filling the heating season (November to March), a skewed pick
//! of categories and streets, routed to the department that handles each kind of matter. Most
//! appeals are closed and rated with a spread of answers (solved ones mostly satisfied); some
//! closed unrated when the follow-up window ran out; some still open, a share of them overdue;
//! some returned once by a department before being re-dispatched; some re-handled after an
//! unsatisfied first answer, with two follow-up rounds. A few in a hundred are filed by
//! enterprises, with checksummed unified social credit codes.
//!
//! Every synthetic appeal has one audit event (`seed`, by `system`, details
//! `{"synthetic":true}`, at the appeal's filing time), so `minxin audit verify` holds. The
//! appeals carry no usable access code. Rows are generated in time order with time-ordered ids,
//! so the indexes grow at their right edge.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::bulk::{self, AppealRow, AuditSeed, BulkAppeal, FollowUpRow, LoadTotals};
use crate::domain::credit_code::CreditCode;
use crate::domain::ids::{china_offset, time_ordered_id};

/// Appeals per batch (one transaction each).
pub const BATCH: usize = 20_000;

/// A leaf of the category tree.
struct Leaf {
    code: String,
    name: String,
}

/// A street or township and the office that handles its local matters.
struct Street {
    code: String,
    name: String,
    district: String,
    office: String,
}

/// What the generator draws from: the reference data as loaded by `minxin seed`.
struct Reference {
    heating: Vec<Leaf>,
    other: Vec<Leaf>,
    streets: Vec<Street>,
    departments: HashSet<String>,
}

#[derive(QueryableByName)]
struct CodeName {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Code {
    #[diesel(sql_type = Text)]
    code: String,
}

fn load_reference(conn: &mut PgConnection) -> anyhow::Result<Reference> {
    let leaves: Vec<CodeName> = diesel::sql_query(
        "SELECT c.code::text AS code, c.name::text AS name FROM categories c
         WHERE c.active AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_code = c.code)
         ORDER BY c.code",
    )
    .load(conn)?;
    let (heating, other): (Vec<Leaf>, Vec<Leaf>) = leaves
        .into_iter()
        .map(|c| Leaf {
            code: c.code,
            name: c.name,
        })
        .partition(|l| l.code.starts_with("03.01."));
    #[derive(QueryableByName)]
    struct StreetRow {
        #[diesel(sql_type = Text)]
        code: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        district: String,
        #[diesel(sql_type = Text)]
        office: String,
    }
    let streets: Vec<StreetRow> = diesel::sql_query(
        "SELECT d.code::text AS code, d.name::text AS name, d.parent_code::text AS district,
                p.code::text AS office
         FROM divisions d JOIN departments p ON p.code = 'st-' || d.code
         WHERE d.level = 3 AND p.active AND d.parent_code IS NOT NULL ORDER BY d.code",
    )
    .load(conn)?;
    anyhow::ensure!(
        !streets.is_empty(),
        "no street offices to dispatch to: load the reference data first (`minxin seed`)"
    );
    anyhow::ensure!(
        !heating.is_empty() && !other.is_empty(),
        "no categories to file under: load the reference data first (`minxin seed`)"
    );
    let departments: Vec<Code> =
        diesel::sql_query("SELECT code::text AS code FROM departments WHERE active").load(conn)?;
    Ok(Reference {
        heating,
        other,
        streets: streets
            .into_iter()
            .map(|s| Street {
                code: s.code,
                name: s.name,
                district: s.district,
                office: s.office,
            })
            .collect(),
        departments: departments.into_iter().map(|d| d.code).collect(),
    })
}

impl Reference {
    /// The department that handles `category` in `street` (as the demo routing rules would
    /// send it), the street office when that department does not exist here.
    fn department_for<'r>(&'r self, category: &str, street: &'r Street) -> &'r str {
        const BY_PREFIX: &[(&str, &str)] = &[
            ("01.01", ""),
            ("01.02", "housing"),
            ("02.01", "urban-"),
            ("02.02", "urban-"),
            ("02.03", "urban"),
            ("03.01", "heating"),
            ("03.02", "water"),
            ("03.03", "gas"),
            ("03.04", "power"),
            ("04", "market"),
            ("05", "hrss"),
            ("06", "ecology"),
            ("07.01", "bus"),
            ("07", "transport"),
            ("08", "education"),
            ("09.02", "medical"),
            ("09", "health"),
            ("10", "police"),
            ("11.01", ""),
            ("11", "civil"),
        ];
        let wanted = BY_PREFIX
            .iter()
            .find(|(prefix, _)| category.starts_with(prefix))
            .map_or("", |(_, d)| *d);
        let found = match wanted {
            "" => None,
            // a district's own city-management bureau where it has one
            "urban-" => self
                .departments
                .get(&format!("urban-{}", street.district))
                .or_else(|| self.departments.get("urban")),
            code => self.departments.get(code),
        };
        found.map_or(street.office.as_str(), String::as_str)
    }
}

/// How many appeals each local day of the year gets: more lately, fewer at weekends, more in
/// the heating season. Exactly `total` in all; today's share ends at `now`.
fn per_day(total: usize, first: NaiveDate, days: usize, today_fraction: f64) -> Vec<usize> {
    let weights: Vec<f64> = (0..days)
        .map(|i| {
            let d = first + Duration::days(i as i64);
            let growth = 0.7 + 0.6 * i as f64 / days as f64;
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            let season = if is_heating_season(d.month()) {
                1.3
            } else {
                1.0
            };
            let part = if i + 1 == days { today_fraction } else { 1.0 };
            growth * season * if weekend { 0.7 } else { 1.0 } * part
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(days);
    let (mut cumulative, mut given) = (0.0, 0usize);
    for w in weights {
        cumulative += w;
        let upto = ((cumulative / sum) * total as f64).round() as usize;
        let upto = upto.min(total);
        out.push(upto - given);
        given = upto;
    }
    if let Some(last) = out.last_mut() {
        *last += total - given;
    }
    out
}

fn is_heating_season(month: u32) -> bool {
    matches!(month, 11 | 12 | 1 | 2 | 3)
}

/// Calls per hour of the day, local time: a morning and an afternoon peak, little at night.
const HOURLY: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2.0, 4.5, 6.5, 6.8, 5.8, 3.8, 4.2, 5.9, 6.2, 5.6, 4.0, 2.8,
    2.4, 2.0, 1.5, 0.9, 0.4,
];

fn pick_weighted(rng: &mut SmallRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A skewed pick from `0..n`: low indexes are the common ones.
fn skewed(rng: &mut SmallRng, n: usize, power: f64) -> usize {
    ((rng.random::<f64>().powf(power) * n as f64) as usize).min(n - 1)
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    crate::domain::audit::storage_precision(t)
}

fn hours(h: f64) -> Duration {
    Duration::microseconds((h * 3_600_000_000.0) as i64)
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "于", "董", "宋", "唐", "韩", "冯", "曹", "邓",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "玉兰", "海燕", "志强", "淑珍", "春梅",
];
const ESTATES: &[&str] = &[
    "和平", "幸福", "铁东", "光明", "新华", "胜利", "阳光", "丽景", "翠湖", "万达", "鞍钢", "湖南",
    "东山", "站前", "园林", "春华",
];
const ENTERPRISES: &[&str] = &[
    "鞍山市华通商贸有限公司",
    "鞍山鑫源机械制造有限公司",
    "鞍山市宏达物流有限公司",
    "辽宁千山建材有限公司",
    "鞍山市惠民餐饮管理有限公司",
    "鞍山恒信物业服务有限公司",
    "海城市西柳服装城经营管理有限公司",
    "鞍山市立山区晨光文具店",
];
const KINDS: &[(&str, f64)] = &[
    ("complaint", 36.0),
    ("help", 24.0),
    ("consultation", 25.0),
    ("report", 7.0),
    ("suggestion", 8.0),
];
const CHANNELS: &[(&str, f64)] = &[
    ("hotline", 62.0),
    ("web", 14.0),
    ("app", 14.0),
    ("station", 7.0),
    ("open311", 3.0),
];
const SATISFIED_WHEN_SOLVED: &[(&str, f64)] = &[
    ("very_satisfied", 46.0),
    ("satisfied", 38.0),
    ("basically_satisfied", 13.0),
    ("dissatisfied", 2.5),
    ("very_dissatisfied", 0.5),
];
const SATISFIED_WHEN_NOT: &[(&str, f64)] = &[
    ("very_satisfied", 3.0),
    ("satisfied", 9.0),
    ("basically_satisfied", 28.0),
    ("dissatisfied", 42.0),
    ("very_dissatisfied", 18.0),
];

fn pick<'a>(rng: &mut SmallRng, table: &'a [(&'a str, f64)]) -> &'a str {
    let weights: Vec<f64> = table.iter().map(|(_, w)| *w).collect();
    table[pick_weighted(rng, &weights)].0
}

/// A random, checksummed unified social credit code of an Anshan company (9 1 + 210300 + …).
fn credit_code(rng: &mut SmallRng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut first17 = String::from("91210300");
    for _ in 0..9 {
        first17.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    CreditCode::complete(&first17)
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|| "91210300MA0Y00000X".to_owned())
}

/// Makes one appeal filed at `created_at`, as it stands at `now`.
struct Maker<'r> {
    reference: &'r Reference,
    now: DateTime<Utc>,
    details: Arc<serde_json::Value>,
}

impl<'r> Maker<'r> {
    fn make(
        &self,
        rng: &mut SmallRng,
        created_at: DateTime<Utc>,
        tracking_no: String,
    ) -> BulkAppeal<'r> {
        let r = self.reference;
        let now = self.now;
        let local = created_at.with_timezone(&china_offset());
        let in_season = is_heating_season(local.month());
        let leaf = if in_season && rng.random::<f64>() < 0.4 {
            &r.heating[skewed(rng, r.heating.len(), 1.8)]
        } else {
            &r.other[skewed(rng, r.other.len(), 2.2)]
        };
        let street = &r.streets[skewed(rng, r.streets.len(), 1.5)];
        let department = r.department_for(&leaf.code, street);
        let outage = ["03.01.04", "03.02.01", "03.03.02", "03.04.01", "03.01.01"]
            .contains(&leaf.code.as_str());
        let urgent = leaf.code == "03.03.01";
        let deadline_class = if urgent {
            "urgent"
        } else if outage {
            "livelihood"
        } else if rng.random::<f64>() < 0.03 {
            "complex"
        } else {
            "week"
        };
        let (sign_allowed, reply_allowed) = match deadline_class {
            "urgent" => (0.5, 2.0),
            "livelihood" => (1.0, 24.0),
            "complex" => (24.0, 21.0 * 24.0),
            _ => (24.0, 7.0 * 24.0),
        };
        let enterprise = rng.random::<f64>() < 0.06;
        let kind = pick(rng, KINDS);
        let channel = pick(rng, CHANNELS);
        let estate = ESTATES[rng.random_range(0..ESTATES.len())];
        let building = rng.random_range(1..40);
        let address = format!("{}{estate}小区{building}号楼", street.name);
        let title = match kind {
            "consultation" => format!("咨询{}相关问题", leaf.name),
            "suggestion" => format!("关于{}的建议", leaf.name),
            "report" => format!("举报{estate}小区附近{}", leaf.name),
            _ => format!("{estate}小区{}", leaf.name),
        };
        let content = format!(
            "来电人反映{}{}号楼一带{}问题，{}，请相关部门尽快核实处理。（合成诉求）",
            street.name,
            building,
            leaf.name,
            match rng.random_range(0..4) {
                0 => "已持续多日",
                1 => "多次反映未解决",
                2 => "影响正常生活",
                _ => "希望给予答复",
            }
        );
        let (name, phone, enterprise_name, credit) = if enterprise {
            (
                format!("{}经理", SURNAMES[rng.random_range(0..SURNAMES.len())]),
                format!("0412{:07}", rng.random_range(2_000_000..9_000_000u32)),
                Some(ENTERPRISES[rng.random_range(0..ENTERPRISES.len())].to_owned()),
                Some(credit_code(rng)),
            )
        } else {
            (
                format!(
                    "{}{}",
                    SURNAMES[rng.random_range(0..SURNAMES.len())],
                    GIVEN[rng.random_range(0..GIVEN.len())]
                ),
                format!(
                    "1{}{:09}",
                    [3, 5, 8, 8, 3, 7, 9][rng.random_range(0..7)],
                    rng.random_range(0..1_000_000_000u32)
                ),
                None,
                None,
            )
        };

        let mut a = AppealRow {
            id: time_ordered_id(created_at, rng),
            tracking_no,
            appellant_kind: if enterprise { "enterprise" } else { "citizen" },
            kind,
            channel,
            title,
            content,
            category_code: Some(&leaf.code),
            division_code: &street.code,
            address: (rng.random::<f64>() < 0.7).then_some(address),
            name,
            phone,
            enterprise_name,
            credit_code: credit,
            confidential: rng.random::<f64>() < 0.01,
            status: "submitted",
            lead_department_code: None,
            deadline_class: None,
            dispatched_at: None,
            sign_due_at: None,
            reply_due_at: None,
            signed_at: None,
            replied_at: None,
            closed_at: None,
            return_count: 0,
            rehandle_count: 0,
            returned_by: None,
            created_at,
            updated_at: created_at,
            urgency: if urgent { "urgent" } else { "normal" },
            pool_reason: None,
            pool_detail: None,
            pooled_at: None,
            sign_stage: 0,
            reply_stage: 0,
            signed_on_time: None,
            replied_on_time: None,
            handling_working_minutes: None,
            follow_up_round: 0,
            follow_up_due_at: None,
            closed_unrated: false,
            external_no: None,
        };
        let mut follow_ups = Vec::new();
        let audit = || AuditSeed {
            action: "seed",
            at: created_at,
            details: Arc::clone(&self.details),
        };

        // dispatch: most within an hour or two; a few returned once by the wrong department
        let mut dispatched_at =
            micros(created_at + hours(0.05 + rng.random::<f64>().powf(2.0) * 3.0));
        if rng.random::<f64>() < 0.04 {
            let wrong = if department == street.office {
                "urban"
            } else {
                street.office.as_str()
            };
            if r.departments.contains(wrong) {
                a.return_count = 1;
                a.returned_by = r.departments.get(wrong).map(String::as_str);
                dispatched_at = micros(dispatched_at + hours(4.0 + rng.random::<f64>() * 20.0));
            }
        }
        if dispatched_at > now {
            a.status = "submitted";
            a.pool_reason = Some(if a.return_count > 0 {
                "returned"
            } else {
                "no_rule"
            });
            a.pooled_at = Some(created_at);
            return finish(a, follow_ups, audit());
        }
        let sign_due = micros(dispatched_at + hours(sign_allowed));
        let reply_due = micros(dispatched_at + hours(reply_allowed));
        a.lead_department_code = Some(department);
        a.deadline_class = Some(deadline_class);
        a.dispatched_at = Some(dispatched_at);
        a.sign_due_at = Some(sign_due);
        a.reply_due_at = Some(reply_due);
        a.updated_at = dispatched_at;
        // signing: mostly well within the allowance
        let signed_at =
            micros(dispatched_at + hours(sign_allowed * rng.random::<f64>().powf(2.5) * 1.15));
        if signed_at > now {
            a.status = "dispatched";
            if sign_due < now {
                a.sign_stage = 2;
            }
            return finish(a, follow_ups, audit());
        }
        a.signed_at = Some(signed_at);
        a.signed_on_time = Some(signed_at <= sign_due);
        a.updated_at = signed_at;
        // the reply: 2 in 100 are stuck past their deadline, the rest within a spread of the
        // allowance (about one in eight late)
        let stuck = rng.random::<f64>() < 0.02;
        let mut replied_at =
            micros(signed_at + hours(reply_allowed * rng.random::<f64>().powf(1.6) * 1.14));
        if stuck || replied_at > now {
            a.status = "in_progress";
            if reply_due < now {
                a.reply_stage = 2;
            }
            return finish(a, follow_ups, audit());
        }
        // the first round's answer; a re-handle after an unsatisfied one
        let window = Duration::days(7);
        let mut round = 1;
        loop {
            a.replied_at = Some(replied_at);
            a.follow_up_round = round;
            a.updated_at = replied_at;
            let answered = rng.random::<f64>() < 0.88;
            let answer_at = micros(replied_at + hours(6.0 + rng.random::<f64>().powf(1.5) * 140.0));
            let window_ends = micros(replied_at + window);
            let closes_at = if answered { answer_at } else { window_ends };
            if closes_at > now {
                a.status = "resolved";
                a.follow_up_due_at = Some(window_ends);
                break;
            }
            if !answered {
                a.status = "closed";
                a.closed_at = Some(window_ends);
                a.closed_unrated = true;
                a.updated_at = window_ends;
                break;
            }
            let contacted = rng.random::<f64>() < 0.95;
            let rehandle = round == 1 && rng.random::<f64>() < 0.07;
            let solved = !rehandle && rng.random::<f64>() < 0.85;
            let satisfaction = if rehandle {
                if rng.random::<f64>() < 0.7 {
                    "dissatisfied"
                } else {
                    "very_dissatisfied"
                }
            } else if solved {
                pick(rng, SATISFIED_WHEN_SOLVED)
            } else {
                pick(rng, SATISFIED_WHEN_NOT)
            };
            follow_ups.push(FollowUpRow {
                round,
                source: "appellant",
                recorded_by: None,
                contacted,
                solved,
                satisfaction,
                comment: None,
                created_at: answer_at,
            });
            a.updated_at = answer_at;
            if rehandle {
                // 重办: back to the department, which replies again
                a.rehandle_count = 1;
                round = 2;
                replied_at = micros(answer_at + hours(12.0 + rng.random::<f64>() * 96.0));
                if replied_at > now {
                    a.status = "in_progress";
                    a.replied_at = None;
                    break;
                }
                continue;
            }
            a.status = "closed";
            a.closed_at = Some(answer_at);
            break;
        }
        if let Some(replied) = a.replied_at {
            a.replied_on_time = Some(replied <= reply_due);
            // about a third of the wall-clock time falls in working hours
            a.handling_working_minutes =
                Some(((replied - dispatched_at).num_minutes() as f64 * 0.31) as i32);
        }
        finish(a, follow_ups, audit())
    }
}

fn finish<'r>(
    appeal: AppealRow<'r>,
    follow_ups: Vec<FollowUpRow<'r>>,
    audit: AuditSeed,
) -> BulkAppeal<'r> {
    BulkAppeal {
        appeal,
        audit,
        reply: None,
        follow_ups,
    }
}

/// Tracking numbers (AS + local date + 8 random digits) unused in this run and in the
/// database: drawn per day, checked against the database per batch. The days of the last few
/// batches are remembered (batches are in time order, and the writer may not have committed
/// them yet when the next one is checked).
#[derive(Default)]
struct TrackingNumbers {
    used: BTreeMap<NaiveDate, HashSet<u32>>,
}

impl TrackingNumbers {
    fn draw(&mut self, rng: &mut SmallRng, local: NaiveDate) -> String {
        while let Some((&oldest, _)) = self.used.first_key_value() {
            if oldest + Duration::days(3) < local {
                self.used.pop_first();
            } else {
                break;
            }
        }
        let used = self.used.entry(local).or_default();
        loop {
            let serial: u32 = rng.random_range(0..100_000_000);
            if used.insert(serial) {
                return format!("AS{}{serial:08}", local.format("%Y%m%d"));
            }
        }
    }
}

/// Which of `numbers` the database already has.
fn taken(conn: &mut PgConnection, numbers: &[String]) -> QueryResult<HashSet<String>> {
    let found: Vec<Code> = diesel::sql_query(
        "SELECT tracking_no::text AS code FROM appeals WHERE tracking_no = ANY($1)",
    )
    .bind::<Array<Text>, _>(numbers)
    .load(conn)?;
    Ok(found.into_iter().map(|c| c.code).collect())
}

/// Parallel writers. Each takes a contiguous stretch of the year, so they append to different
/// ends of the time-ordered indexes rather than fighting over the same pages.
pub const LANES: usize = 2;

/// Generates `total` appeals over the year before now in the database at `url`;
/// `progress(done, total)` as batches commit. The reference data (`minxin seed`) must be
/// loaded.
pub fn generate(
    url: &str,
    total: usize,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<LoadTotals> {
    let mut conn = crate::db::connect(url)?;
    let reference = load_reference(&mut conn)?;
    // the report figures of the new appeals are added at the end (bulk.rs)
    bulk::pause_folding(&mut conn)?;
    let now = micros(Utc::now());
    let local_tz: Tz = chrono_tz::Asia::Shanghai;
    let today = now.with_timezone(&local_tz).date_naive();
    let first = today - Duration::days(365);
    let days = 366;
    let local_now = now.with_timezone(&local_tz);
    let today_fraction = (local_now.num_seconds_from_midnight() as f64 / 86_400.0).max(0.01);
    let counts = per_day(total, first, days, today_fraction);
    // lanes of about equal size, in whole days
    let mut bounds = vec![0usize];
    let mut running = 0;
    for (i, c) in counts.iter().enumerate() {
        running += c;
        if bounds.len() < LANES && running * LANES >= total * bounds.len() && i + 1 < days {
            bounds.push(i + 1);
        }
    }
    bounds.push(days);
    let maker = Maker {
        reference: &reference,
        now,
        details: Arc::new(serde_json::json!({"synthetic": true})),
    };
    let mut connections = Vec::new();
    for _ in 1..bounds.len() {
        connections.push((crate::db::connect(url)?, crate::db::connect(url)?));
    }

    let (done_tx, done_rx) = std::sync::mpsc::channel::<usize>();
    let outcome = std::thread::scope(|scope| {
        let mut lanes = Vec::new();
        for (lane, (write_conn, check_conn)) in connections.iter_mut().enumerate() {
            let (from, to) = (bounds[lane], bounds[lane + 1]);
            let (tx, rx) = sync_channel::<bulk::Encoded>(2);
            let maker = &maker;
            let counts = &counts;
            let producer = scope.spawn(move || -> anyhow::Result<()> {
                let mut rng = SmallRng::from_rng(&mut rand::rng());
                let mut numbers = TrackingNumbers::default();
                let mut batch: Vec<BulkAppeal<'_>> = Vec::with_capacity(BATCH);
                let mut times: Vec<DateTime<Utc>> = Vec::new();
                for (i, &count) in counts.iter().enumerate().take(to).skip(from) {
                    let day = first + Duration::days(i as i64);
                    times.clear();
                    for _ in 0..count {
                        times.push(time_in_day(&mut rng, local_tz, day, now));
                    }
                    times.sort_unstable();
                    for &t in &times {
                        let local = t.with_timezone(&china_offset()).date_naive();
                        let no = numbers.draw(&mut rng, local);
                        batch.push(maker.make(&mut rng, t, no));
                        if batch.len() == BATCH
                            && !ship(check_conn, &mut rng, &mut numbers, &mut batch, &tx)?
                        {
                            return Ok(()); // the writer stopped; it says why
                        }
                    }
                }
                if !batch.is_empty() {
                    ship(check_conn, &mut rng, &mut numbers, &mut batch, &tx)?;
                }
                Ok(())
            });
            let done_tx = done_tx.clone();
            let writer = scope.spawn(move || -> anyhow::Result<_> {
                let mut loader = bulk::Loader::open(write_conn)?;
                for encoded in rx {
                    loader
                        .write(&encoded)
                        .context("writing a batch of synthetic appeals")?;
                    let _ = done_tx.send(encoded.appeal_rows);
                }
                let (totals, cells, _) = loader.close();
                Ok((totals, cells))
            });
            lanes.push((producer, writer));
        }
        drop(done_tx);
        let mut done = 0;
        for n in done_rx {
            done += n;
            progress(done, total);
        }
        let mut totals = LoadTotals::default();
        let mut cells: Option<bulk::Cells> = None;
        let mut failure: Option<anyhow::Error> = None;
        for (producer, writer) in lanes {
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a writer thread panicked")));
            let produced = producer
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a generator thread panicked")));
            match written.and_then(|w| produced.map(|()| w)) {
                Ok((t, c)) => {
                    totals += t;
                    match cells.as_mut() {
                        Some(cells) => cells.merge(c),
                        None => cells = Some(c),
                    }
                }
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        match failure {
            Some(e) => Err(e.context(
                "synthetic appeals were not all written; the batches before the failure are in: \
                 run `minxin reports rebuild` to make the reports exact",
            )),
            None => Ok((totals, cells)),
        }
    });
    let (totals, cells) = outcome?;
    let spares = connections.iter_mut().map(|(c, _)| c).collect();
    let totals = match cells {
        Some(cells) => bulk::complete(&mut conn, spares, totals, &cells)?,
        None => totals,
    };
    bulk::resume_folding(&mut conn);
    Ok(totals)
}

/// Replaces tracking numbers the database already has, encodes the batch and hands it over;
/// false when the writer has stopped.
fn ship(
    check_conn: &mut PgConnection,
    rng: &mut SmallRng,
    numbers: &mut TrackingNumbers,
    batch: &mut Vec<BulkAppeal<'_>>,
    tx: &std::sync::mpsc::SyncSender<bulk::Encoded>,
) -> anyhow::Result<bool> {
    loop {
        let wanted: Vec<String> = batch.iter().map(|b| b.appeal.tracking_no.clone()).collect();
        let clash = taken(check_conn, &wanted).context("checking tracking numbers")?;
        if clash.is_empty() {
            break;
        }
        for b in batch
            .iter_mut()
            .filter(|b| clash.contains(&b.appeal.tracking_no))
        {
            let local = b
                .appeal
                .created_at
                .with_timezone(&china_offset())
                .date_naive();
            b.appeal.tracking_no = numbers.draw(rng, local);
        }
    }
    let encoded = bulk::encode(batch);
    batch.clear();
    Ok(tx.send(encoded).is_ok())
}

/// A random instant of local day `day` (following [`HOURLY`]), before `now`.
fn time_in_day(rng: &mut SmallRng, tz: Tz, day: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let start = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc));
    for _ in 0..16 {
        let hour = pick_weighted(rng, &HOURLY) as i64;
        let t = start
            + Duration::hours(hour)
            + Duration::microseconds(rng.random_range(0..3_600_000_000));
        if t < now {
            return micros(t);
        }
    }
    // early in today: anywhere between midnight and now
    let span = (now - start).num_microseconds().unwrap_or(1).max(1);
    micros(start + Duration::microseconds(rng.random_range(0..span)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_appeal_gets_a_day_and_recent_days_get_more() {
        let first = NaiveDate::from_ymd_opt(2025, 11, 23).expect("date");
        let counts = per_day(100_000, first, 366, 0.5);
        assert_eq!(counts.iter().sum::<usize>(), 100_000);
        let early: usize = counts[14..44].iter().sum();
        let late: usize = counts[310..340].iter().sum();
        assert!(late > early, "{early} {late}");
        assert_eq!(per_day(1, first, 366, 0.5).iter().sum::<usize>(), 1);
    }

    #[test]
    fn synthetic_credit_codes_pass_the_checksum() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..100 {
            let code = credit_code(&mut rng);
            assert!(code.parse::<CreditCode>().is_ok(), "{code}");
        }
    }
}
