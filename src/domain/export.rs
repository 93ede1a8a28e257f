//! A row of a 12345 / 8890 hotline export (工单导出), read and checked for `minxin import`:
//! which column is which (Chinese headers as such exports have them, English aliases too), how
//! each value is read, how the reference data is matched by code or by name, and what the row
//! says the appeal's state is. Pure: the catalogue of reference data is handed in.
//! docs/IMPORT.md is the operator's description of the same rules.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::credit_code::CreditCode;
use super::enums::{AppealKind, Satisfaction, Status};
use super::intake::normalise_phone;

/// The columns `minxin import` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// 工单编号: the export's own number, kept to recognise the row again
    Number,
    Kind,
    Title,
    Content,
    Category,
    District,
    Street,
    Address,
    ReceivedAt,
    Department,
    Reply,
    RepliedAt,
    Solved,
    Satisfaction,
    ClosedAt,
    Name,
    Phone,
    EnterpriseName,
    CreditCode,
}

/// Every field with the headers that name it (compared without surrounding spaces, English
/// ones case-insensitively).
const HEADERS: &[(Field, &[&str])] = &[
    (
        Field::Number,
        &[
            "工单编号",
            "工单号",
            "编号",
            "受理编号",
            "number",
            "ticket_no",
            "external_no",
        ],
    ),
    (
        Field::Kind,
        &["诉求类型", "工单类型", "类型", "type", "kind"],
    ),
    (Field::Title, &["标题", "诉求标题", "工单标题", "title"]),
    (
        Field::Content,
        &["诉求内容", "内容", "来电内容", "工单内容", "content"],
    ),
    (
        Field::Category,
        &["诉求分类", "问题分类", "分类", "category"],
    ),
    (Field::District, &["区县", "所属区县", "区/县", "district"]),
    (
        Field::Street,
        &["街道", "街道乡镇", "街乡", "乡镇街道", "street"],
    ),
    (Field::Address, &["诉求地址", "地址", "事发地址", "address"]),
    (
        Field::ReceivedAt,
        &[
            "来电时间",
            "受理时间",
            "登记时间",
            "创建时间",
            "received_at",
            "time",
        ],
    ),
    (
        Field::Department,
        &["承办单位", "主办单位", "办理单位", "责任单位", "department"],
    ),
    (
        Field::Reply,
        &["办理结果", "回复内容", "答复内容", "处理结果", "reply"],
    ),
    (Field::RepliedAt, &["答复时间", "回复时间", "replied_at"]),
    (Field::Solved, &["是否解决", "解决情况", "solved"]),
    (
        Field::Satisfaction,
        &["满意度", "满意程度", "回访满意度", "satisfaction"],
    ),
    (Field::ClosedAt, &["办结时间", "结案时间", "closed_at"]),
    (Field::Name, &["来电人", "诉求人", "姓名", "联系人", "name"]),
    (
        Field::Phone,
        &["联系电话", "来电号码", "电话", "手机号码", "phone"],
    ),
    (
        Field::EnterpriseName,
        &["企业名称", "单位名称", "enterprise_name"],
    ),
    (
        Field::CreditCode,
        &["统一社会信用代码", "信用代码", "credit_code"],
    ),
];

/// Columns an errors file adds in front (`--errors`), ignored when that file is imported again.
pub const ERROR_LINE_HEADER: &str = "行号";
pub const ERROR_REASON_HEADER: &str = "错误原因";

/// The field a header names, if any.
pub fn field_for_header(header: &str) -> Option<Field> {
    let h = header.trim_start_matches('\u{feff}').trim();
    HEADERS.iter().find_map(|(field, names)| {
        names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(h))
            .then_some(*field)
    })
}

/// Where each known field is in a record.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    index: HashMap<Field, usize>,
    /// headers that name nothing known (reported once, otherwise ignored)
    pub unknown: Vec<String>,
}

impl Columns {
    /// Maps a header row. The number, the content, the received time and a district or street
    /// must be there; a field named twice is an error.
    pub fn from_headers<'h>(headers: impl IntoIterator<Item = &'h str>) -> Result<Columns, String> {
        let mut columns = Columns::default();
        for (i, h) in headers.into_iter().enumerate() {
            match field_for_header(h) {
                Some(field) => {
                    if columns.index.insert(field, i).is_some() {
                        return Err(format!(
                            "two columns mean the same thing (the second is `{}`)",
                            h.trim()
                        ));
                    }
                }
                None => {
                    let h = h.trim_start_matches('\u{feff}').trim();
                    if h != ERROR_LINE_HEADER && h != ERROR_REASON_HEADER && !h.is_empty() {
                        columns.unknown.push(h.to_owned());
                    }
                }
            }
        }
        let need = [
            (Field::Number, "工单编号 (number)"),
            (Field::Content, "诉求内容 (content)"),
            (Field::ReceivedAt, "来电时间 / 受理时间 (received_at)"),
        ];
        let missing: Vec<&str> = need
            .iter()
            .filter(|(f, _)| !columns.index.contains_key(f))
            .map(|(_, name)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the header row lacks the column(s) {}",
                missing.join(", ")
            ));
        }
        if !columns.index.contains_key(&Field::District)
            && !columns.index.contains_key(&Field::Street)
        {
            return Err("the header row lacks both 区县 (district) and 街道 (street)".into());
        }
        Ok(columns)
    }

    /// The trimmed value of `field` in `record`; empty and absent alike are `None`.
    pub fn get<'r>(&self, record: &'r [&'r str], field: Field) -> Option<&'r str> {
        let i = *self.index.get(&field)?;
        record.get(i).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn has(&self, field: Field) -> bool {
        self.index.contains_key(&field)
    }
}

/// 诉求类型: the Chinese names, or minxin's.
pub fn parse_kind(value: &str) -> Result<AppealKind, String> {
    Ok(match value {
        "投诉" => AppealKind::Complaint,
        "求助" => AppealKind::Help,
        "咨询" => AppealKind::Consultation,
        "举报" => AppealKind::Report,
        "建议" | "意见建议" => AppealKind::Suggestion,
        other => other.to_ascii_lowercase().parse().map_err(|_| {
            format!("诉求类型 `{other}` is not one of 投诉, 求助, 咨询, 举报, 建议")
        })?,
    })
}

/// 是否解决: 是/否 and the usual variants.
pub fn parse_solved(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "是" | "已解决" | "解决" | "yes" | "y" | "true" | "1" => Ok(true),
        "否" | "未解决" | "不解决" | "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(format!("是否解决 `{value}` is neither 是 nor 否")),
    }
}

/// 满意度 on the national five-level scale, in Chinese or as minxin's names.
pub fn parse_satisfaction(value: &str) -> Result<Satisfaction, String> {
    Ok(match value {
        "非常满意" => Satisfaction::VerySatisfied,
        "满意" => Satisfaction::Satisfied,
        "基本满意" => Satisfaction::BasicallySatisfied,
        "不满意" => Satisfaction::Dissatisfied,
        "非常不满意" => Satisfaction::VeryDissatisfied,
        other => other
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .parse()
            .map_err(|_| {
                format!(
                    "满意度 `{other}` is not one of 非常满意, 满意, 基本满意, 不满意, 非常不满意"
                )
            })?,
    })
}

const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H时%M分%S秒",
    "%Y年%m月%d日%H时%M分",
];
const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"];

/// A time as exports write it, in the local time zone `tz` unless it carries an offset
/// (RFC 3339). A date alone is its midnight.
pub fn parse_time(field: &str, value: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(crate::domain::audit::storage_precision(
            t.with_timezone(&Utc),
        ));
    }
    let local = DATE_TIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .or_else(|| {
            DATE_FORMATS
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(value, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            format!("{field} `{value}` is not a time like 2026-11-23 09:30:00 or 2026/11/23 09:30")
        })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| crate::domain::audit::storage_precision(t.with_timezone(&Utc)))
        .ok_or_else(|| format!("{field} `{value}` does not exist in {tz}"))
}

/// One node of the category tree, as the catalogue knows it.
#[derive(Debug, Clone)]
pub struct CategoryEntry {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// One division (district or street).
#[derive(Debug, Clone)]
pub struct DivisionEntry {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: i16,
}

/// The reference data a row is matched against: categories, divisions and departments by code
/// and by name.
#[derive(Debug, Default)]
pub struct Catalogue {
    categories: Vec<CategoryEntry>,
    category_by_code: HashMap<String, usize>,
    categories_by_name: HashMap<String, Vec<usize>>,
    divisions: Vec<DivisionEntry>,
    division_by_code: HashMap<String, usize>,
    divisions_by_name: HashMap<String, Vec<usize>>,
    departments: Vec<String>,
    department_by_key: HashMap<String, usize>,
}

/// Separators between the levels of a category path (城乡建设/供热/室温不达标).
const PATH_SEPARATORS: &[char] = &['/', '>', '›', '＞', '»', '\\', '|', '／', '-'];

impl Catalogue {
    pub fn new(
        categories: Vec<CategoryEntry>,
        divisions: Vec<DivisionEntry>,
        departments: Vec<(String, String)>,
    ) -> Catalogue {
        let mut c = Catalogue::default();
        for (i, cat) in categories.iter().enumerate() {
            c.category_by_code.insert(cat.code.clone(), i);
            c.categories_by_name
                .entry(cat.name.clone())
                .or_default()
                .push(i);
        }
        c.categories = categories;
        for (i, d) in divisions.iter().enumerate() {
            c.division_by_code.insert(d.code.clone(), i);
            c.divisions_by_name
                .entry(d.name.clone())
                .or_default()
                .push(i);
        }
        c.divisions = divisions;
        for (i, (code, name)) in departments.iter().enumerate() {
            c.department_by_key.insert(code.clone(), i);
            c.department_by_key.entry(name.clone()).or_insert(i);
        }
        c.departments = departments.into_iter().map(|(code, _)| code).collect();
        c
    }

    /// A category by code, by path (the last levels suffice: 供热/室温不达标) or by a name
    /// that only one category has.
    pub fn category(&self, value: &str) -> Result<&str, String> {
        if let Some(&i) = self.category_by_code.get(value) {
            return Ok(&self.categories[i].code);
        }
        let path: Vec<&str> = value
            .split(PATH_SEPARATORS)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let Some(last) = path.last() else {
            return Err(format!("诉求分类 `{value}` is empty"));
        };
        let found: Vec<usize> = self
            .categories_by_name
            .get(*last)
            .map(|candidates| {
                candidates
                    .iter()
                    .copied()
                    .filter(|&i| self.ancestors_match(i, &path[..path.len() - 1]))
                    .collect()
            })
            .unwrap_or_default();
        match found.as_slice() {
            [i] => Ok(&self.categories[*i].code),
            [] => Err(format!(
                "诉求分类 `{value}` matches no category code, name or path"
            )),
            many => Err(format!(
                "诉求分类 `{value}` is ambiguous: it could be {}; give the code or the path",
                many.iter()
                    .map(|&i| self.categories[i].code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Whether the category's parents, nearest first, carry the names `path` ends with.
    fn ancestors_match(&self, mut i: usize, path: &[&str]) -> bool {
        for name in path.iter().rev() {
            let parent = self.categories[i]
                .parent_code
                .as_ref()
                .and_then(|p| self.category_by_code.get(p));
            match parent {
                Some(&p) if self.categories[p].name == *name => i = p,
                _ => return false,
            }
        }
        true
    }

    /// The appeal's division from its district and street, each by code or name: the street
    /// when given (it must lie in the district when both are), else the district.
    pub fn division(&self, district: Option<&str>, street: Option<&str>) -> Result<&str, String> {
        let district = match district {
            Some(value) => Some(
                self.find_division(value, 2, None)
                    .map_err(|e| format!("区县 {e}"))?,
            ),
            None => None,
        };
        match (district, street) {
            (_, Some(value)) => {
                let parent = district.map(|d| self.divisions[d].code.as_str());
                let s = self
                    .find_division(value, 3, parent)
                    .map_err(|e| format!("街道 {e}"))?;
                Ok(&self.divisions[s].code)
            }
            (Some(d), None) => Ok(&self.divisions[d].code),
            (None, None) => Err("区县 and 街道 are both empty: the division is unknown".into()),
        }
    }

    fn find_division(
        &self,
        value: &str,
        level: i16,
        parent: Option<&str>,
    ) -> Result<usize, String> {
        let inside = |i: &usize| {
            let d = &self.divisions[*i];
            d.level == level && parent.is_none_or(|p| d.parent_code.as_deref() == Some(p))
        };
        if let Some(i) = self
            .division_by_code
            .get(value)
            .filter(|i| self.divisions[**i].level == level)
        {
            return if inside(i) {
                Ok(*i)
            } else {
                Err(format!("`{value}` does not lie in the given district"))
            };
        }
        let found: Vec<usize> = self
            .divisions_by_name
            .get(value)
            .map(|c| c.iter().copied().filter(inside).collect())
            .unwrap_or_default();
        match found.as_slice() {
            [i] => Ok(*i),
            [] => Err(format!(
                "`{value}` matches no division code or name{}",
                if parent.is_some() {
                    " in the given district"
                } else {
                    ""
                }
            )),
            _ => Err(format!(
                "`{value}` is ambiguous: name the district too, or give the code"
            )),
        }
    }

    /// A department by code or by its full name.
    pub fn department(&self, value: &str) -> Result<&str, String> {
        self.department_by_key
            .get(value)
            .map(|&i| self.departments[i].as_str())
            .ok_or_else(|| format!("承办单位 `{value}` matches no department code or name"))
    }
}

/// What an imported row becomes, every value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRecord<'c> {
    pub number: String,
    pub kind: AppealKind,
    pub title: String,
    pub content: String,
    pub category_code: Option<&'c str>,
    pub division_code: &'c str,
    pub address: Option<String>,
    pub received_at: DateTime<Utc>,
    pub department: Option<&'c str>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    /// the follow-up answer: (solved, satisfaction)
    pub answer: Option<(bool, Satisfaction)>,
    pub closed_at: Option<DateTime<Utc>>,
    pub name: String,
    pub phone: String,
    pub enterprise: Option<(String, CreditCode)>,
    pub status: Status,
}

/// The name stored when the export has none.
pub const NO_NAME: &str = "匿名";
/// The phone stored when the export has none or masks it (138****1234): five zeros, which meets
/// the phone CHECK and is no one's number.
pub const NO_PHONE: &str = "00000";

const MAX_NUMBER: usize = 64;
const MAX_TITLE: usize = 100;
const MAX_CONTENT: usize = 5000;

fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let n = value.chars().count();
    if n > max {
        return Err(format!(
            "{field} has {n} characters; at most {max} are allowed"
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!("{field} contains control characters"));
    }
    Ok(value.to_owned())
}

/// Checks one record (`values` in header order) and says what the appeal is. `now` bounds the
/// times (an export does not come from the future).
pub fn read_record<'c>(
    columns: &Columns,
    values: &[&str],
    catalogue: &'c Catalogue,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<ExportRecord<'c>, String> {
    let get = |f: Field| columns.get(values, f);
    let number = text(
        "工单编号",
        get(Field::Number).ok_or("工单编号 is empty")?,
        MAX_NUMBER,
    )?;
    let kind = parse_kind(get(Field::Kind).ok_or("诉求类型 is empty")?)?;
    let content = text(
        "诉求内容",
        get(Field::Content).ok_or("诉求内容 is empty")?,
        MAX_CONTENT,
    )?;
    // a missing title is the start of the content; an over-long one is shortened
    let title = match get(Field::Title) {
        Some(t) => shorten(t, MAX_TITLE),
        None => shorten(content.lines().next().unwrap_or(&content), 30),
    };
    let title = text("标题", &title, MAX_TITLE)?;
    let category_code = get(Field::Category)
        .map(|c| catalogue.category(c))
        .transpose()?;
    let division_code = catalogue.division(get(Field::District), get(Field::Street))?;
    let address = get(Field::Address)
        .map(|a| text("诉求地址", a, 200))
        .transpose()?;
    let time = |f: Field, name: &str| -> Result<Option<DateTime<Utc>>, String> {
        let Some(v) = get(f) else { return Ok(None) };
        let t = parse_time(name, v, tz)?;
        if t > now + chrono::Duration::days(1) {
            return Err(format!("{name} `{v}` lies in the future"));
        }
        Ok(Some(t))
    };
    let received_at = time(Field::ReceivedAt, "来电时间")?.ok_or("来电时间 / 受理时间 is empty")?;
    let replied_at = time(Field::RepliedAt, "答复时间")?;
    let closed_at = time(Field::ClosedAt, "办结时间")?;
    let department = get(Field::Department)
        .map(|d| catalogue.department(d))
        .transpose()?;
    let reply = get(Field::Reply)
        .map(|r| text("办理结果", r, MAX_CONTENT))
        .transpose()?;
    let answer = match (get(Field::Solved), get(Field::Satisfaction)) {
        (None, None) => None,
        (Some(s), Some(sat)) => Some((parse_solved(s)?, parse_satisfaction(sat)?)),
        (Some(_), None) => {
            return Err("是否解决 is given without 满意度; a follow-up answer needs both".into());
        }
        (None, Some(_)) => {
            return Err("满意度 is given without 是否解决; a follow-up answer needs both".into());
        }
    };
    let name = match get(Field::Name) {
        Some(n) => text("来电人", n, 64)?,
        None => NO_NAME.to_owned(),
    };
    let phone = match get(Field::Phone) {
        Some(p) if p.contains('*') => NO_PHONE.to_owned(),
        Some(p) => normalise_phone(p).map_err(|_| {
            format!("联系电话 `{p}` is not a mobile number such as 13812341234 or a landline such as 0412-5551234")
        })?,
        None => NO_PHONE.to_owned(),
    };
    let enterprise =
        match (get(Field::EnterpriseName), get(Field::CreditCode)) {
            (None, None) => None,
            (Some(n), Some(c)) => Some((
                text("企业名称", n, 100)?,
                c.parse::<CreditCode>()
                    .map_err(|e| format!("统一社会信用代码 `{c}`: {e}"))?,
            )),
            _ => return Err(
                "企业名称 and 统一社会信用代码 come together (an enterprise appellant needs both)"
                    .into(),
            ),
        };

    // what the row says the appeal's state is
    for (t, name) in [(closed_at, "办结时间"), (replied_at, "答复时间")] {
        if t.is_some_and(|t| t < received_at) {
            return Err(format!("{name} is before 来电时间"));
        }
    }
    let replied_at = replied_at.or(closed_at);
    if let (Some(r), Some(c)) = (replied_at, closed_at)
        && r > c
    {
        return Err("答复时间 is after 办结时间".into());
    }
    let status = match (department, closed_at) {
        (None, _) if reply.is_some() || closed_at.is_some() || answer.is_some() => {
            return Err(
                "a reply, closure or follow-up answer needs the handling department (承办单位)"
                    .into(),
            );
        }
        (None, _) => Status::Submitted,
        (Some(_), Some(_)) => Status::Closed,
        (Some(_), None) if answer.is_some() => {
            return Err("a follow-up answer (满意度) needs the closing time (办结时间)".into());
        }
        (Some(_), None) if reply.is_some() => {
            if replied_at.is_none() {
                return Err(
                    "a reply (办理结果) without 答复时间 or 办结时间: when it was given is unknown"
                        .into(),
                );
            }
            Status::Resolved
        }
        (Some(_), None) => Status::Dispatched,
    };
    Ok(ExportRecord {
        number,
        kind,
        title,
        content,
        category_code,
        division_code,
        address,
        received_at,
        department,
        reply,
        replied_at: if matches!(status, Status::Closed | Status::Resolved) {
            replied_at
        } else {
            None
        },
        answer,
        closed_at,
        name,
        phone,
        enterprise,
        status,
    })
}

/// At most `max` characters, the last of them `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let cat = |code: &str, name: &str, parent: Option<&str>| CategoryEntry {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(Into::into),
        };
        let div = |code: &str, name: &str, parent: Option<&str>, level| DivisionEntry {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(Into::into),
            level,
        };
        Catalogue::new(
            vec![
                cat("03", "公用事业", None),
                cat("03.01", "供热", Some("03")),
                cat("03.01.01", "室温不达标", Some("03.01")),
                cat("03.02", "供水", Some("03")),
                cat("03.02.04", "管道漏水", Some("03.02")),
                cat("03.01.02", "管道漏水", Some("03.01")),
            ],
            vec![
                div("210300", "鞍山市", None, 1),
                div("210302", "铁东区", Some("210300"), 2),
                div("210303", "铁西区", Some("210300"), 2),
                div("210302001", "解放街道", Some("210302"), 3),
                div("210303001", "八家子街道", Some("210303"), 3),
            ],
            vec![
                ("heating".into(), "鞍山市热力集团".into()),
                ("st-210302001".into(), "解放街道办事处".into()),
            ],
        )
    }

    const HEAD: &[&str] = &[
        "工单编号",
        "诉求类型",
        "标题",
        "诉求内容",
        "诉求分类",
        "区县",
        "街道",
        "来电时间",
        "承办单位",
        "办理结果",
        "是否解决",
        "满意度",
        "办结时间",
        "来电人",
        "联系电话",
    ];

    fn read<'c>(cat: &'c Catalogue, row: &[&str]) -> Result<ExportRecord<'c>, String> {
        let columns = Columns::from_headers(HEAD.iter().copied()).expect("headers");
        let now = Utc::now();
        read_record(&columns, row, cat, chrono_tz::Asia::Shanghai, now)
    }

    const CLOSED: &[&str] = &[
        "GD001",
        "投诉",
        "暖气不热",
        "家里温度只有十五度",
        "供热/室温不达标",
        "铁东区",
        "解放街道",
        "2026-01-05 09:30:00",
        "鞍山市热力集团",
        "已派人调试",
        "是",
        "满意",
        "2026-01-06 16:00",
        "张三",
        "138 1234 5678",
    ];

    #[test]
    fn headers_are_found_in_chinese_and_english() {
        assert_eq!(field_for_header("\u{feff}工单编号 "), Some(Field::Number));
        assert_eq!(field_for_header("受理时间"), Some(Field::ReceivedAt));
        assert_eq!(field_for_header("主办单位"), Some(Field::Department));
        assert_eq!(field_for_header("回复内容"), Some(Field::Reply));
        assert_eq!(field_for_header("Satisfaction"), Some(Field::Satisfaction));
        assert_eq!(field_for_header("备注"), None);
        let c = Columns::from_headers(["number", "content", "time", "street", "备注", "行号"])
            .expect("ok");
        assert_eq!(c.unknown, vec!["备注".to_owned()]);
        let e = Columns::from_headers(["标题", "诉求内容"]).expect_err("lacks columns");
        assert!(e.contains("工单编号") && e.contains("来电时间"), "{e}");
        assert!(
            Columns::from_headers(["工单编号", "编号", "诉求内容", "来电时间", "区县"]).is_err()
        );
    }

    #[test]
    fn values_read_as_exports_write_them() {
        assert_eq!(parse_kind("投诉"), Ok(AppealKind::Complaint));
        assert_eq!(parse_kind("Help"), Ok(AppealKind::Help));
        assert!(parse_kind("表扬").is_err());
        assert_eq!(parse_solved("是"), Ok(true));
        assert_eq!(parse_solved("未解决"), Ok(false));
        assert!(parse_solved("也许").is_err());
        assert_eq!(
            parse_satisfaction("基本满意"),
            Ok(Satisfaction::BasicallySatisfied)
        );
        assert_eq!(
            parse_satisfaction("非常不满意"),
            Ok(Satisfaction::VeryDissatisfied)
        );
        assert_eq!(
            parse_satisfaction("very satisfied"),
            Ok(Satisfaction::VerySatisfied)
        );
        assert!(parse_satisfaction("还行").is_err());
        let tz = chrono_tz::Asia::Shanghai;
        let want = Utc.with_ymd_and_hms(2026, 1, 5, 1, 30, 0).unwrap();
        for v in [
            "2026-01-05 09:30:00",
            "2026/1/5 9:30",
            "2026年01月05日 09:30",
            "2026-01-05T01:30:00Z",
        ] {
            assert_eq!(parse_time("t", v, tz), Ok(want), "{v}");
        }
        assert_eq!(
            parse_time("t", "2026-01-05", tz),
            Ok(Utc.with_ymd_and_hms(2026, 1, 4, 16, 0, 0).unwrap())
        );
        assert!(parse_time("t", "yesterday", tz).is_err());
    }

    #[test]
    fn reference_data_is_matched_by_code_name_or_path() {
        let c = catalogue();
        assert_eq!(c.category("03.01.01"), Ok("03.01.01"));
        assert_eq!(c.category("室温不达标"), Ok("03.01.01"));
        assert_eq!(c.category("公用事业 › 供热 › 室温不达标"), Ok("03.01.01"));
        assert_eq!(c.category("供水/管道漏水"), Ok("03.02.04"));
        assert!(
            c.category("管道漏水")
                .expect_err("two")
                .contains("ambiguous")
        );
        assert!(c.category("供水/室温不达标").is_err());
        assert_eq!(
            c.division(Some("铁东区"), Some("解放街道")),
            Ok("210302001")
        );
        assert_eq!(c.division(None, Some("210302001")), Ok("210302001"));
        assert_eq!(c.division(Some("210303"), None), Ok("210303"));
        assert!(c.division(Some("铁西区"), Some("解放街道")).is_err());
        assert!(
            c.division(Some("210302001"), None).is_err(),
            "a street is no district"
        );
        assert!(c.division(None, None).is_err());
        assert_eq!(c.department("heating"), Ok("heating"));
        assert_eq!(c.department("鞍山市热力集团"), Ok("heating"));
        assert!(c.department("热力公司").is_err());
    }

    #[test]
    fn a_closed_rated_row_becomes_a_closed_appeal_with_its_answer() {
        let c = catalogue();
        let r = read(&c, CLOSED).expect("valid");
        assert_eq!(r.status, Status::Closed);
        assert_eq!(r.department, Some("heating"));
        assert_eq!(r.division_code, "210302001");
        assert_eq!(r.category_code, Some("03.01.01"));
        assert_eq!(r.answer, Some((true, Satisfaction::Satisfied)));
        assert_eq!(r.phone, "13812345678");
        assert_eq!(
            r.received_at,
            Utc.with_ymd_and_hms(2026, 1, 5, 1, 30, 0).unwrap()
        );
        assert_eq!(r.replied_at, r.closed_at);
    }

    #[test]
    fn the_state_follows_from_what_the_row_says() {
        let c = catalogue();
        let with = |changes: &[(usize, &'static str)]| {
            let mut row: Vec<&str> = CLOSED.to_vec();
            for (i, v) in changes {
                row[*i] = v;
            }
            read(&c, &row)
        };
        // not rated: closed unrated (the answer columns empty)
        assert_eq!(
            with(&[(10, ""), (11, "")]).map(|r| r.status),
            Ok(Status::Closed)
        );
        // still with the department
        assert_eq!(
            with(&[(9, ""), (10, ""), (11, ""), (12, "")]).map(|r| r.status),
            Ok(Status::Dispatched)
        );
        // nobody handles it yet: in the pool
        assert_eq!(
            with(&[(8, ""), (9, ""), (10, ""), (11, ""), (12, "")]).map(|r| r.status),
            Ok(Status::Submitted)
        );
        // placeholders for a missing caller
        let r = with(&[(13, ""), (14, "138****5678")]).expect("valid");
        assert_eq!((r.name.as_str(), r.phone.as_str()), (NO_NAME, NO_PHONE));
        // a missing title is the start of the content
        assert_eq!(with(&[(2, "")]).expect("valid").title, "家里温度只有十五度");
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let c = catalogue();
        let cases: &[(&[(usize, &str)], &str)] = &[
            (&[(0, "")], "工单编号"),
            (&[(1, "表扬")], "诉求类型"),
            (&[(3, "")], "诉求内容"),
            (&[(4, "不存在的分类")], "诉求分类"),
            (&[(5, "铁西区")], "街道"),
            (&[(7, "明天")], "来电时间"),
            (&[(7, "2099-01-01 00:00")], "future"),
            (&[(8, "热力公司")], "承办单位"),
            (&[(11, "还行")], "满意度"),
            (&[(10, "")], "是否解决"),
            (&[(12, "2026-01-01 00:00")], "before"),
            (&[(12, "")], "办结时间"),
            (&[(8, "")], "承办单位"),
            (&[(14, "12345")], "联系电话"),
        ];
        for (changes, expected) in cases {
            let mut row: Vec<&str> = CLOSED.to_vec();
            for (i, v) in changes.iter() {
                row[*i] = v;
            }
            let e = read(&c, &row).expect_err(expected);
            assert!(e.contains(expected), "{changes:?}: {e}");
        }
    }
}
