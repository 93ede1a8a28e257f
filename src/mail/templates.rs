//! The notifications minxin sends, and their text.
//!
//! Each [`Notice`] variant carries only what its reader needs (DESIGN.md §1 "Privacy"): messages
//! to the appellant greet with a plain "您好" and never repeat their name or phone number;
//! messages to departments, the hotline centre and supervisors carry the tracking number, the
//! title, reference names, due instants and a staff link — no personal data at all. The
//! constructors that start from an appeal row ([`Notice::receipt`], [`Notice::dispatched`],
//! [`Notice::replied`]) are the places where that row's personal fields could leak; they copy
//! only the fields named here.
//!
//! Every message is Chinese first, English below.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::db::models::Appeal;

/// Which deadline a warning, reminder or escalation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    /// 派单: the hotline centre dispatches from the pool
    Dispatch,
    /// 签收: the department signs for the appeal
    Sign,
    /// 答复: the department replies
    Reply,
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Dispatch => "dispatch",
            Clock::Sign => "sign",
            Clock::Reply => "reply",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Clock::Dispatch => "派单",
            Clock::Sign => "签收",
            Clock::Reply => "答复",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Clock::Dispatch => "dispatch",
            Clock::Sign => "sign-for",
            Clock::Reply => "reply",
        }
    }
}

/// One notification, before it is rendered for its reader.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// To the appellant: the appeal was received (受理回执). Carries the tracking number, never
    /// the access code, which exists only on the page shown at filing.
    Receipt {
        tracking_no: String,
        title: String,
        filed_at: DateTime<Utc>,
        track_url: String,
    },
    /// To the lead department: an appeal was dispatched to it (派单).
    Dispatched {
        tracking_no: String,
        title: String,
        category_name: Option<String>,
        division_name: String,
        department_name: String,
        /// the deadline class's name, e.g. `week`
        deadline_class: String,
        sign_due_at: DateTime<Utc>,
        reply_due_at: DateTime<Utc>,
        staff_url: String,
    },
    /// To the department (the hotline centre for [`Clock::Dispatch`], `department_name` None):
    /// 80% of the allowed time has passed (预警).
    Warning {
        tracking_no: String,
        title: String,
        department_name: Option<String>,
        clock: Clock,
        due_at: DateTime<Utc>,
        staff_url: String,
    },
    /// To the department (or the hotline centre): the deadline passed (催办).
    Overdue {
        tracking_no: String,
        title: String,
        department_name: Option<String>,
        clock: Clock,
        due_at: DateTime<Utc>,
        staff_url: String,
    },
    /// To supervisors: still overdue well after the deadline (督办).
    Escalated {
        tracking_no: String,
        title: String,
        department_name: Option<String>,
        clock: Clock,
        due_at: DateTime<Utc>,
        staff_url: String,
    },
    /// To the appellant: the department answered; the answer is read on the tracking page.
    Replied {
        tracking_no: String,
        title: String,
        department_name: String,
        track_url: String,
        /// the signed follow-up link, once there is one; without it the message points to the
        /// tracking page for rating
        follow_up_url: Option<String>,
    },
    /// To the lead department: the appellant was not satisfied, or the matter is not solved, and
    /// the appeal comes back to be handled again (重办) by a new reply deadline.
    Rehandle {
        tracking_no: String,
        title: String,
        department_name: String,
        /// which follow-up round was answered this way
        round: i32,
        reply_due_at: DateTime<Utc>,
        staff_url: String,
    },
    /// To the appellant: a supervisor decided on the department's extension request (延期).
    /// `reply_due_at` is the reply deadline that now holds (the new one when approved).
    ExtensionDecided {
        tracking_no: String,
        title: String,
        approved: bool,
        reply_due_at: DateTime<Utc>,
        track_url: String,
    },
}

/// Subject and plain-text body, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// The links messages carry, all under `email.public_url`. The pages themselves belong to the
/// web front end; this is the one place their addresses are spelled.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(public_url: &str) -> Links {
        Links {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The appellant's tracking page (asks for the access code; the link does not carry it).
    pub fn track(&self, tracking_no: &str) -> String {
        format!("{}/track/{tracking_no}", self.base)
    }

    /// The staff page of one appeal (asks staff to log in).
    pub fn staff_appeal(&self, id: Uuid) -> String {
        format!("{}/staff/appeals/{id}", self.base)
    }
}

const BRAND: &str = "【民心热线】";
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

impl Notice {
    /// The receipt for a newly filed appeal.
    pub fn receipt(appeal: &Appeal, links: &Links) -> Notice {
        Notice::Receipt {
            tracking_no: appeal.tracking_no.clone(),
            title: appeal.title.clone(),
            filed_at: appeal.created_at,
            track_url: links.track(&appeal.tracking_no),
        }
    }

    /// The dispatch notice to the lead department; None while the appeal has no deadlines
    /// (it is not dispatched).
    pub fn dispatched(
        appeal: &Appeal,
        category_name: Option<String>,
        division_name: String,
        department_name: String,
        links: &Links,
    ) -> Option<Notice> {
        Some(Notice::Dispatched {
            tracking_no: appeal.tracking_no.clone(),
            title: appeal.title.clone(),
            category_name,
            division_name,
            department_name,
            deadline_class: appeal.deadline_class.clone()?,
            sign_due_at: appeal.sign_due_at?,
            reply_due_at: appeal.reply_due_at?,
            staff_url: links.staff_appeal(appeal.id),
        })
    }

    /// The "your appeal was answered" message to the appellant.
    pub fn replied(
        appeal: &Appeal,
        department_name: String,
        follow_up_url: Option<String>,
        links: &Links,
    ) -> Notice {
        Notice::Replied {
            tracking_no: appeal.tracking_no.clone(),
            title: appeal.title.clone(),
            department_name,
            track_url: links.track(&appeal.tracking_no),
            follow_up_url,
        }
    }

    /// The outbox `kind` of this notice.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::Receipt { .. } => "receipt",
            Notice::Dispatched { .. } => "dispatched",
            Notice::Warning { .. } => "warning",
            Notice::Overdue { .. } => "overdue",
            Notice::Escalated { .. } => "escalated",
            Notice::Replied { .. } => "replied",
            Notice::ExtensionDecided { .. } => "extension_decided",
            Notice::Rehandle { .. } => "rehandle",
        }
    }

    /// The tracking number the notice is about.
    pub fn tracking_no(&self) -> &str {
        match self {
            Notice::Receipt { tracking_no, .. }
            | Notice::Dispatched { tracking_no, .. }
            | Notice::Warning { tracking_no, .. }
            | Notice::Overdue { tracking_no, .. }
            | Notice::Escalated { tracking_no, .. }
            | Notice::Replied { tracking_no, .. }
            | Notice::ExtensionDecided { tracking_no, .. }
            | Notice::Rehandle { tracking_no, .. } => tracking_no,
        }
    }

    /// Subject and body, instants shown in `tz` as `2026-11-23 17:00`.
    pub fn render(&self, tz: Tz) -> Rendered {
        let at = |t: &DateTime<Utc>| t.with_timezone(&tz).format(TIME_FORMAT).to_string();
        let mut t = Text::default();
        let subject = match self {
            Notice::Receipt {
                tracking_no,
                title,
                filed_at,
                track_url,
            } => {
                t.line("您好：");
                t.blank();
                t.line("您的诉求已受理。");
                t.field("诉求编号", tracking_no);
                t.field("标题", title);
                t.field("提交时间", &at(filed_at));
                t.blank();
                t.line("凭诉求编号和提交时页面上显示的查询码，可在以下页面查看办理进度和答复：");
                t.line(track_url);
                t.line("请妥善保管查询码。为保护您的信息，本邮件不包含查询码。");
                t.english();
                t.line("Hello,");
                t.blank();
                t.line("Your appeal has been received.");
                t.field("Tracking number", tracking_no);
                t.field("Title", title);
                t.field("Filed at", &at(filed_at));
                t.blank();
                t.line("With the tracking number and the access code shown when you filed, you can follow the appeal and read the answer at:");
                t.line(track_url);
                t.line("Please keep the access code safe. To protect you, this message does not contain it.");
                format!("{BRAND}诉求已受理 {tracking_no} / Appeal received")
            }
            Notice::Dispatched {
                tracking_no,
                title,
                category_name,
                division_name,
                department_name,
                deadline_class,
                sign_due_at,
                reply_due_at,
                staff_url,
            } => {
                let (class_zh, class_en) = deadline_class_names(deadline_class);
                t.line(&format!("{department_name}："));
                t.blank();
                t.line("有一件诉求派给贵单位办理，请按时签收并答复。");
                t.field("诉求编号", tracking_no);
                t.field("标题", title);
                t.field("问题分类", category_name.as_deref().unwrap_or("（未分类）"));
                t.field("区域", division_name);
                t.field("办理时限", class_zh);
                t.field("签收期限", &at(sign_due_at));
                t.field("答复期限", &at(reply_due_at));
                t.line("办理：");
                t.line(staff_url);
                t.english();
                t.line(&format!("To {department_name}:"));
                t.blank();
                t.line(
                    "An appeal has been dispatched to you. Please sign for it and reply in time.",
                );
                t.field("Tracking number", tracking_no);
                t.field("Title", title);
                t.field(
                    "Category",
                    category_name.as_deref().unwrap_or("(uncategorised)"),
                );
                t.field("Division", division_name);
                t.field("Deadline class", class_en);
                t.field("Sign for it by", &at(sign_due_at));
                t.field("Reply by", &at(reply_due_at));
                t.line("Handle it at:");
                t.line(staff_url);
                format!("{BRAND}新派单 {tracking_no} / New appeal dispatched")
            }
            Notice::Warning {
                tracking_no,
                title,
                department_name,
                clock,
                due_at,
                staff_url,
            } => {
                let due = at(due_at);
                t.addressee(department_name.as_deref());
                t.line(&format!(
                    "诉求 {tracking_no} 的{}期限即将到期，请在 {due} 前办理。",
                    clock.zh()
                ));
                t.field("标题", title);
                t.field(&format!("{}期限", clock.zh()), &due);
                t.line(staff_url);
                t.english();
                t.addressee_en(department_name.as_deref());
                t.line(&format!(
                    "The {} deadline of appeal {tracking_no} is near: please act before {due}.",
                    clock.en()
                ));
                t.field("Title", title);
                t.field("Due", &due);
                t.line(staff_url);
                format!("{BRAND}即将超时预警 {tracking_no} / Deadline approaching")
            }
            Notice::Overdue {
                tracking_no,
                title,
                department_name,
                clock,
                due_at,
                staff_url,
            } => {
                let due = at(due_at);
                t.addressee(department_name.as_deref());
                t.line(&format!(
                    "催办：诉求 {tracking_no} 已超过{}期限（{due}），请立即办理。逾期未办将升级督办。",
                    clock.zh()
                ));
                t.field("标题", title);
                t.line(staff_url);
                t.english();
                t.addressee_en(department_name.as_deref());
                t.line(&format!(
                    "Reminder: appeal {tracking_no} passed its {} deadline ({due}). Please act now; \
                     if it stays overdue it is escalated to supervisors.",
                    clock.en()
                ));
                t.field("Title", title);
                t.line(staff_url);
                format!("{BRAND}催办：已超时 {tracking_no} / Overdue")
            }
            Notice::Escalated {
                tracking_no,
                title,
                department_name,
                clock,
                due_at,
                staff_url,
            } => {
                let due = at(due_at);
                let handler = department_name.as_deref().unwrap_or("热线中心（派单）");
                let handler_en = department_name
                    .as_deref()
                    .unwrap_or("the hotline centre (dispatch)");
                t.line("督办人员：");
                t.blank();
                t.line(&format!(
                    "诉求 {tracking_no} 的{}期限（{due}）已过且仍未办理，已升级督办。",
                    clock.zh()
                ));
                t.field("标题", title);
                t.field("责任单位", handler);
                t.line(staff_url);
                t.english();
                t.line("To the supervisors:");
                t.blank();
                t.line(&format!(
                    "Appeal {tracking_no} is still overdue on its {} deadline ({due}) and has been escalated.",
                    clock.en()
                ));
                t.field("Title", title);
                t.field("Responsible", handler_en);
                t.line(staff_url);
                format!("{BRAND}督办 {tracking_no} / Escalated")
            }
            Notice::Replied {
                tracking_no,
                title,
                department_name,
                track_url,
                follow_up_url,
            } => {
                t.line("您好：");
                t.blank();
                t.line(&format!("您的诉求已由{department_name}答复。"));
                t.field("诉求编号", tracking_no);
                t.field("标题", title);
                t.line("答复内容请凭查询码在以下页面查看：");
                t.line(track_url);
                match follow_up_url {
                    Some(url) => {
                        t.line("请告诉我们办理结果如何（是否联系、是否解决、是否满意）：");
                        t.line(url);
                    }
                    None => t.line("您可以在查询页面对办理结果进行评价。"),
                }
                t.english();
                t.line("Hello,");
                t.blank();
                t.line(&format!("{department_name} has answered your appeal."));
                t.field("Tracking number", tracking_no);
                t.field("Title", title);
                t.line("Read the answer with your access code at:");
                t.line(track_url);
                match follow_up_url {
                    Some(url) => {
                        t.line("Please tell us how it went (contacted? solved? satisfied?):");
                        t.line(url);
                    }
                    None => t.line("You can rate the result on the tracking page."),
                }
                format!("{BRAND}诉求已答复 {tracking_no} / Your appeal was answered")
            }
            Notice::Rehandle {
                tracking_no,
                title,
                department_name,
                round,
                reply_due_at,
                staff_url,
            } => {
                let due = at(reply_due_at);
                t.line(&format!("{department_name}："));
                t.blank();
                t.line(&format!(
                    "诉求人对第 {round} 次答复的回访结果为未解决或不满意，诉求退回贵单位重新办理（重办），请在 {due} 前重新答复。"
                ));
                t.field("诉求编号", tracking_no);
                t.field("标题", title);
                t.field("答复期限", &due);
                t.line("办理：");
                t.line(staff_url);
                t.english();
                t.line(&format!("To {department_name}:"));
                t.blank();
                t.line(&format!(
                    "The follow-up of answer {round} found the matter unsolved or the appellant dissatisfied: the appeal comes back to you to be handled again. Please reply by {due}."
                ));
                t.field("Tracking number", tracking_no);
                t.field("Title", title);
                t.field("Reply by", &due);
                t.line("Handle it at:");
                t.line(staff_url);
                format!("{BRAND}重办 {tracking_no} / Appeal sent back to be handled again")
            }
            Notice::ExtensionDecided {
                tracking_no,
                title,
                approved,
                reply_due_at,
                track_url,
            } => {
                let due = at(reply_due_at);
                t.line("您好：");
                t.blank();
                if *approved {
                    t.line(&format!(
                        "承办单位为办理您的诉求申请了延期，已获批准。新的答复期限为 {due}。"
                    ));
                } else {
                    t.line(&format!(
                        "承办单位为办理您的诉求申请了延期，未获批准。答复期限仍为 {due}。"
                    ));
                }
                t.field("诉求编号", tracking_no);
                t.field("标题", title);
                t.line(track_url);
                t.english();
                t.line("Hello,");
                t.blank();
                if *approved {
                    t.line(&format!(
                        "The department handling your appeal asked for more time, and it was granted: the reply is now due by {due}."
                    ));
                } else {
                    t.line(&format!(
                        "The department handling your appeal asked for more time, and it was refused: the reply is still due by {due}."
                    ));
                }
                t.field("Tracking number", tracking_no);
                t.field("Title", title);
                t.line(track_url);
                if *approved {
                    format!("{BRAND}答复期限已延长 {tracking_no} / Reply deadline extended")
                } else {
                    format!("{BRAND}延期申请未获批准 {tracking_no} / Extension refused")
                }
            }
        };
        t.footer(tz);
        Rendered { subject, body: t.0 }
    }
}

/// 中文 and English names of a deadline class; an unknown name is shown as it is.
fn deadline_class_names(class: &str) -> (&str, &str) {
    match class {
        "urgent" => ("紧急", "urgent"),
        "livelihood" => ("民生急事", "livelihood emergency"),
        "same_day" => ("当天办", "same day"),
        "week" => ("当周办", "within the week"),
        "complex" => ("专项办", "complex matter"),
        other => (other, other),
    }
}

/// A plain-text body being written, line by line.
#[derive(Default)]
struct Text(String);

impl Text {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    fn field(&mut self, name: &str, value: &str) {
        // Chinese labels end in a full-width colon, English ones in ": ".
        let sep = if name.is_ascii() { ": " } else { "：" };
        let _ = writeln!(self.0, "{name}{sep}{value}");
    }

    fn addressee(&mut self, department_name: Option<&str>) {
        self.line(&format!("{}：", department_name.unwrap_or("热线中心")));
        self.blank();
    }

    fn addressee_en(&mut self, department_name: Option<&str>) {
        self.line(&format!(
            "To {}:",
            department_name.unwrap_or("the hotline centre")
        ));
        self.blank();
    }

    /// Between the Chinese text and its English version.
    fn english(&mut self) {
        self.blank();
        self.line("----");
        self.blank();
    }

    fn footer(&mut self, tz: Tz) {
        self.blank();
        self.line("--");
        self.line(&format!(
            "本邮件由民心热线系统自动发送，请勿直接回复。时间均为 {} 时间。",
            tz.name()
        ));
        self.line(&format!(
            "Sent automatically by the Minxin hotline system; please do not reply. Times are {} time.",
            tz.name()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TRACKING_NO: &str = "AS2026112312345678";
    /// 2026-11-23 09:00 UTC is 17:00 in Shanghai.
    fn due() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
            .single()
            .expect("valid instant")
    }

    /// One of each kind, for one appeal; the appellant is 李秀英, phone 13912345678, who must
    /// appear in none of them.
    fn one_of_each() -> Vec<Notice> {
        let tracking_no = TRACKING_NO.to_owned();
        let title = "楼道灯不亮".to_owned();
        let staff_url = "https://minxin.example/staff/appeals/1".to_owned();
        let track_url = format!("https://minxin.example/track/{TRACKING_NO}");
        let mut all = vec![
            Notice::Receipt {
                tracking_no: tracking_no.clone(),
                title: title.clone(),
                filed_at: due(),
                track_url: track_url.clone(),
            },
            Notice::Dispatched {
                tracking_no: tracking_no.clone(),
                title: title.clone(),
                category_name: Some("城乡建设 › 路灯".into()),
                division_name: "铁东区 › 解放街道".into(),
                department_name: "解放街道办事处".into(),
                deadline_class: "week".into(),
                sign_due_at: due(),
                reply_due_at: due() + chrono::Duration::days(5),
                staff_url: staff_url.clone(),
            },
        ];
        for clock in [Clock::Dispatch, Clock::Sign, Clock::Reply] {
            let department_name = (clock != Clock::Dispatch).then(|| "解放街道办事处".to_owned());
            let (tracking_no, title, staff_url) =
                (tracking_no.clone(), title.clone(), staff_url.clone());
            all.push(Notice::Warning {
                tracking_no: tracking_no.clone(),
                title: title.clone(),
                department_name: department_name.clone(),
                clock,
                due_at: due(),
                staff_url: staff_url.clone(),
            });
            all.push(Notice::Overdue {
                tracking_no: tracking_no.clone(),
                title: title.clone(),
                department_name: department_name.clone(),
                clock,
                due_at: due(),
                staff_url: staff_url.clone(),
            });
            all.push(Notice::Escalated {
                tracking_no,
                title,
                department_name,
                clock,
                due_at: due(),
                staff_url,
            });
        }
        for follow_up_url in [None, Some("https://minxin.example/follow-up/x".to_owned())] {
            all.push(Notice::Replied {
                tracking_no: tracking_no.clone(),
                title: title.clone(),
                department_name: "解放街道办事处".into(),
                track_url: track_url.clone(),
                follow_up_url,
            });
        }
        all.push(Notice::Rehandle {
            tracking_no: tracking_no.clone(),
            title: title.clone(),
            department_name: "解放街道办事处".into(),
            round: 1,
            reply_due_at: due(),
            staff_url: staff_url.clone(),
        });
        for approved in [true, false] {
            all.push(Notice::ExtensionDecided {
                tracking_no: tracking_no.clone(),
                title: title.clone(),
                approved,
                reply_due_at: due(),
                track_url: track_url.clone(),
            });
        }
        all
    }

    #[test]
    fn every_kind_renders_with_tracking_number_and_local_time() {
        let all = one_of_each();
        let kinds: std::collections::BTreeSet<_> = all.iter().map(Notice::kind).collect();
        assert_eq!(kinds.len(), 8, "one of each kind: {kinds:?}");
        for notice in &all {
            let r = notice.render(chrono_tz::Asia::Shanghai);
            assert!(r.subject.starts_with("【民心热线】"), "{}", r.subject);
            assert!(r.subject.contains(TRACKING_NO), "{}", r.subject);
            assert!(r.subject.contains(" / "), "bilingual: {}", r.subject);
            assert!(r.body.contains(TRACKING_NO), "{}", r.body);
            // every notice but "replied" (which has no instant to tell) shows one
            if notice.kind() != "replied" {
                assert!(
                    r.body.contains("2026-11-23 17:00"),
                    "local time in {}:\n{}",
                    notice.kind(),
                    r.body
                );
            }
            assert!(!r.body.contains("09:00"), "no UTC time:\n{}", r.body);
            // Chinese first, English below
            let zh = r.body.find("诉求").expect("Chinese text");
            let en = r.body.find("----").expect("separator");
            assert!(zh < en, "Chinese first:\n{}", r.body);
            assert!(notice.tracking_no() == TRACKING_NO);
        }
    }

    #[test]
    fn times_follow_the_zone_given() {
        let notice = &one_of_each()[0];
        let r = notice.render(chrono_tz::UTC);
        assert!(r.body.contains("2026-11-23 09:00"), "{}", r.body);
        assert!(r.body.contains("UTC"), "{}", r.body);
    }

    #[test]
    fn no_message_carries_a_phone_number_or_a_name() {
        for notice in one_of_each() {
            let r = notice.render(chrono_tz::Asia::Shanghai);
            let text = format!("{}\n{}", r.subject, r.body).replace(TRACKING_NO, "");
            let longest_digit_run = text
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(
                longest_digit_run < 7,
                "{}: a long number in\n{text}",
                notice.kind()
            );
            for personal in ["李秀英", "13912345678", "先生", "女士"] {
                assert!(!text.contains(personal), "{}: {personal}", notice.kind());
            }
        }
    }

    #[test]
    fn appellant_messages_greet_without_a_name_and_never_show_the_access_code() {
        for notice in one_of_each() {
            let r = notice.render(chrono_tz::Asia::Shanghai);
            match notice {
                Notice::Receipt { .. }
                | Notice::Replied { .. }
                | Notice::ExtensionDecided { .. } => {
                    assert!(r.body.starts_with("您好：\n"), "{}", r.body);
                }
                _ => assert!(!r.body.starts_with("您好"), "{}", r.body),
            }
        }
        let receipt = one_of_each()[0].render(chrono_tz::Asia::Shanghai);
        assert!(receipt.body.contains("查询码"), "tells them to keep it");
        assert!(receipt.body.contains("不包含查询码"), "{}", receipt.body);
    }

    #[test]
    fn variants_say_what_differs() {
        let tz = chrono_tz::Asia::Shanghai;
        let all = one_of_each();
        let replied: Vec<_> = all
            .iter()
            .filter(|n| n.kind() == "replied")
            .map(|n| n.render(tz).body)
            .collect();
        assert!(replied[0].contains("在查询页面对办理结果进行评价"));
        assert!(replied[1].contains("https://minxin.example/follow-up/x"));
        assert!(!replied[1].contains("在查询页面对办理结果进行评价"));

        let decided: Vec<_> = all
            .iter()
            .filter(|n| n.kind() == "extension_decided")
            .map(|n| n.render(tz))
            .collect();
        assert!(decided[0].body.contains("已获批准"));
        assert!(decided[1].body.contains("未获批准"));
        assert_ne!(decided[0].subject, decided[1].subject);

        let pool_warning = all
            .iter()
            .find(|n| {
                matches!(
                    n,
                    Notice::Warning {
                        clock: Clock::Dispatch,
                        ..
                    }
                )
            })
            .expect("dispatch warning")
            .render(tz);
        assert!(
            pool_warning.body.starts_with("热线中心："),
            "{}",
            pool_warning.body
        );
        assert!(pool_warning.body.contains("派单期限"));

        let dispatched = all[1].render(tz);
        assert!(dispatched.body.contains("当周办"));
        assert!(dispatched.body.contains("2026-11-28 17:00"), "reply due");
    }

    #[test]
    fn clock_names() {
        assert_eq!(Clock::Dispatch.as_str(), "dispatch");
        assert_eq!(Clock::Sign.as_str(), "sign");
        assert_eq!(Clock::Reply.as_str(), "reply");
    }

    #[test]
    fn links_are_under_the_public_url() {
        let links = Links::new("https://8890.example.cn/");
        assert_eq!(
            links.track(TRACKING_NO),
            format!("https://8890.example.cn/track/{TRACKING_NO}")
        );
        let id = Uuid::nil();
        assert_eq!(
            links.staff_appeal(id),
            format!("https://8890.example.cn/staff/appeals/{id}")
        );
    }
}
