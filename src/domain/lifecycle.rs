//! The appeal lifecycle of DESIGN.md §1 as a pure state machine: who may do what, from which
//! state, and where it leads. Handlers ask [`plan`] before they change anything.
//!
//! ```text
//! submitted ──dispatch──▶ dispatched ──sign──▶ in_progress ──reply──▶ resolved ──follow-up──▶ closed
//!     ▲                       │                  │      ▲                 │
//!     └────────return─────────┘        suspend ──┘      └── resume        └─ not accepted ─▶ in_progress
//! resolved ──window expires──▶ closed (unrated);  resolved / re-handled ──close (supervisor)──▶ closed
//! submitted ──reject──▶ rejected;  any open state ──merge──▶ merged
//! ```

use chrono::{DateTime, Utc};

use super::enums::{Role, Status};

/// What someone asks to do to an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 派单
    Dispatch,
    /// 签收 (the lead department; a co-handler signs its own part)
    Sign,
    /// 退单
    Return,
    /// 挂起
    Suspend,
    Resume,
    /// 答复 / 办结
    Reply,
    /// 回访 recorded by hotline-centre staff from a call (the appellant's own answer through the
    /// signed link takes the same path). `accepted` = solved and at least basically satisfied:
    /// closed; otherwise back to the department (重办).
    FollowUp {
        accepted: bool,
    },
    /// a supervisor closes an appeal instead of re-handling it, with a written reason
    Close,
    /// 不予受理, with a disposition
    Reject,
    /// 合并 into a primary appeal
    Merge,
    /// 督办 flag
    Supervise,
    /// 备注
    Note,
    /// 驳回退单: the dispatcher refuses a department's return and sends the appeal back to it
    RefuseReturn,
    /// a clerk (re)assigns the department's part to one of its clerks
    Assign,
    /// 延期申请: the lead department asks for a later reply deadline
    Extension,
    /// a supervisor approves or rejects the pending extension request
    DecideExtension,
}

impl Action {
    /// The name used in URLs and audit events.
    pub fn name(self) -> &'static str {
        match self {
            Action::Dispatch => "dispatch",
            Action::Sign => "sign",
            Action::Return => "return",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Reply => "reply",
            Action::FollowUp { .. } => "follow_up",
            Action::Reject => "reject",
            Action::Merge => "merge",
            Action::Supervise => "supervise",
            Action::Note => "note",
            Action::RefuseReturn => "refuse_return",
            Action::Assign => "assign",
            Action::Extension => "extension",
            Action::DecideExtension => "extension_decision",
            Action::Close => "close",
        }
    }
}

/// The person acting (from their token).
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: Role,
    pub department: Option<String>,
}

/// What the state machine needs to know about the appeal.
#[derive(Debug, Clone)]
pub struct Facts {
    pub status: Status,
    pub lead_department: Option<String>,
    /// live co-handling departments
    pub co_departments: Vec<String>,
    /// until when the lead department may return it after signing (1 working day of dispatch)
    pub return_by: Option<DateTime<Utc>>,
    /// whether the acting department's own assignment is already signed
    pub own_part_signed: bool,
    /// a department returned it and it has not been dispatched since
    pub was_returned: bool,
    /// sent back by a follow-up (重办) at least once
    pub rehandled: bool,
}

/// How the actor stands towards the appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// a clerk of the lead department (主办)
    Lead,
    /// a clerk of a co-handling department (协办)
    CoHandler,
    /// a clerk of a department the appeal is not assigned to
    Unrelated,
    /// hotline-centre staff: dispatcher, supervisor, admin
    Centre,
}

pub fn standing(actor: &Actor, facts: &Facts) -> Standing {
    if actor.role != Role::Clerk {
        return Standing::Centre;
    }
    let Some(dept) = actor.department.as_deref() else {
        return Standing::Unrelated;
    };
    if facts.lead_department.as_deref() == Some(dept) {
        Standing::Lead
    } else if facts.co_departments.iter().any(|d| d == dept) {
        Standing::CoHandler
    } else {
        Standing::Unrelated
    }
}

/// Whether the actor may read the appeal at all: clerks only their department's appeals.
pub fn can_view(actor: &Actor, facts: &Facts) -> bool {
    standing(actor, facts) != Standing::Unrelated
}

/// How much of the appellant a viewer may see (DESIGN.md §1 "Privacy and access").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactView {
    /// the handling department's detail view
    Full,
    /// `138****1234`
    Masked,
    /// a confidential appeal (保密) seen by a department
    Hidden,
}

pub fn contact_view(actor: &Actor, facts: &Facts, confidential: bool) -> ContactView {
    match standing(actor, facts) {
        Standing::Lead if !confidential => ContactView::Full,
        Standing::Lead | Standing::CoHandler if confidential => ContactView::Hidden,
        Standing::Unrelated => ContactView::Hidden,
        _ => ContactView::Masked,
    }
}

/// Why an action may not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// wrong role or department: 403
    Forbidden(String),
    /// wrong state: 409
    Conflict(String),
}

/// What an allowed action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub from: Status,
    pub to: Status,
    /// a co-handler signs its own part; the appeal's state does not move
    pub co_sign: bool,
}

/// Decides whether `actor` may do `action` to an appeal described by `facts` at `now`.
/// Role and department come first (403), then the state (409).
pub fn plan(
    action: Action,
    actor: &Actor,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    let from = facts.status;
    let standing = standing(actor, facts);
    authorize(action, actor.role, standing)?;

    let stay = |allowed: bool, why: &str| -> Result<Plan, Refusal> {
        if allowed {
            Ok(Plan {
                from,
                to: from,
                co_sign: false,
            })
        } else {
            Err(Refusal::Conflict(why.to_owned()))
        }
    };
    let moving = |allowed: &[Status], to: Status| -> Result<Plan, Refusal> {
        if allowed.contains(&from) {
            Ok(Plan {
                from,
                to,
                co_sign: false,
            })
        } else {
            Err(wrong_state(action, from, allowed))
        }
    };

    match action {
        Action::Dispatch => moving(&[Status::Submitted], Status::Dispatched),
        Action::Sign if standing == Standing::CoHandler => {
            if !matches!(
                from,
                Status::Dispatched | Status::InProgress | Status::Suspended
            ) {
                return Err(wrong_state(
                    action,
                    from,
                    &[Status::Dispatched, Status::InProgress, Status::Suspended],
                ));
            }
            if facts.own_part_signed {
                return Err(Refusal::Conflict(
                    "your department has already signed for its part of this appeal".into(),
                ));
            }
            Ok(Plan {
                from,
                to: from,
                co_sign: true,
            })
        }
        Action::Sign => moving(&[Status::Dispatched], Status::InProgress),
        Action::Return => {
            let plan = moving(&[Status::Dispatched, Status::InProgress], Status::Submitted)?;
            if from == Status::InProgress
                && let Some(by) = facts.return_by
                && now > by
            {
                return Err(Refusal::Conflict(format!(
                    "the return window closed at {}: a signed appeal can be returned only within 1 working day of dispatch; ask the hotline centre instead",
                    by.with_timezone(&super::ids::china_offset())
                        .format("%Y-%m-%d %H:%M")
                )));
            }
            Ok(plan)
        }
        Action::Suspend => moving(&[Status::InProgress], Status::Suspended),
        Action::Resume => moving(&[Status::Suspended], Status::InProgress),
        Action::Reply => moving(&[Status::InProgress], Status::Resolved),
        Action::FollowUp { accepted } => moving(
            &[Status::Resolved],
            if accepted {
                Status::Closed
            } else {
                Status::InProgress
            },
        ),
        Action::Close => {
            if matches!(from, Status::InProgress | Status::Suspended) && !facts.rehandled {
                return Err(Refusal::Conflict(
                    "only a resolved or re-handled appeal can be closed by a supervisor; this one is still in its first handling"
                        .into(),
                ));
            }
            moving(
                &[Status::Resolved, Status::InProgress, Status::Suspended],
                Status::Closed,
            )
        }
        Action::Reject => moving(&[Status::Submitted], Status::Rejected),
        Action::Merge => {
            if matches!(from, Status::Closed | Status::Rejected | Status::Merged) {
                Err(Refusal::Conflict(format!(
                    "a {from} appeal cannot be merged; only open appeals can"
                )))
            } else {
                Ok(Plan {
                    from,
                    to: Status::Merged,
                    co_sign: false,
                })
            }
        }
        Action::Supervise => stay(
            !matches!(from, Status::Rejected | Status::Merged),
            "a rejected or merged appeal cannot be supervised",
        ),
        Action::Note => stay(true, ""),
        Action::RefuseReturn => {
            if from == Status::Submitted && !facts.was_returned {
                return Err(Refusal::Conflict(
                    "this appeal was not returned by a department; dispatch it instead".into(),
                ));
            }
            moving(&[Status::Submitted], Status::Dispatched)
        }
        Action::Assign => stay(
            matches!(
                from,
                Status::Dispatched | Status::InProgress | Status::Suspended
            ),
            "only an appeal the department is still working on can be assigned to a clerk",
        ),
        Action::Extension | Action::DecideExtension => stay(
            matches!(
                from,
                Status::Dispatched | Status::InProgress | Status::Suspended
            ),
            "an extension concerns the reply deadline of an appeal the department is still handling",
        ),
    }
}

fn authorize(action: Action, role: Role, standing: Standing) -> Result<(), Refusal> {
    let lead_clerk = "only a clerk of the appeal's lead department may do this";
    let allowed = match action {
        Action::Dispatch | Action::Reject | Action::Merge | Action::RefuseReturn => {
            role_is(role, &[Role::Dispatcher], "only a dispatcher may do this")?;
            return Ok(());
        }
        Action::Sign | Action::Assign => {
            role == Role::Clerk && matches!(standing, Standing::Lead | Standing::CoHandler)
        }
        Action::Return | Action::Suspend | Action::Resume | Action::Reply | Action::Extension => {
            role == Role::Clerk && standing == Standing::Lead
        }
        Action::DecideExtension => {
            role_is(
                role,
                &[Role::Supervisor],
                "only a supervisor may approve or reject an extension",
            )?;
            return Ok(());
        }
        Action::FollowUp { .. } => {
            role_is(
                role,
                &[Role::Dispatcher, Role::Supervisor, Role::Admin],
                "a follow-up is recorded by hotline-centre staff (dispatcher, supervisor or admin)",
            )?;
            return Ok(());
        }
        Action::Supervise => {
            role_is(
                role,
                &[Role::Supervisor],
                "only a supervisor may supervise an appeal",
            )?;
            return Ok(());
        }
        Action::Close => {
            role_is(
                role,
                &[Role::Supervisor],
                "only a supervisor may close an appeal without the appellant's satisfaction",
            )?;
            return Ok(());
        }
        Action::Note => standing != Standing::Unrelated,
    };
    if allowed {
        Ok(())
    } else if role != Role::Clerk {
        Err(Refusal::Forbidden(format!(
            "{lead_clerk}; you are a {role}"
        )))
    } else if matches!(action, Action::Sign | Action::Note | Action::Assign) {
        Err(Refusal::Forbidden(
            "this appeal is not assigned to your department".into(),
        ))
    } else {
        Err(Refusal::Forbidden(lead_clerk.into()))
    }
}

fn role_is(role: Role, allowed: &[Role], why: &str) -> Result<(), Refusal> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!("{why}; you are a {role}")))
    }
}

fn wrong_state(action: Action, from: Status, allowed: &[Status]) -> Refusal {
    let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    Refusal::Conflict(format!(
        "cannot {} an appeal that is {}; allowed only when it is {}",
        action.name().replace('_', "-"),
        from,
        allowed.join(" or ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    use chrono::Duration;

    fn facts(status: Status) -> Facts {
        Facts {
            status,
            lead_department: Some("heating".into()),
            co_departments: vec!["water".into()],
            return_by: Some(Utc::now() + Duration::hours(8)),
            own_part_signed: false,
            was_returned: false,
            rehandled: true,
        }
    }

    fn clerk(dept: &str) -> Actor {
        Actor {
            role: Role::Clerk,
            department: Some(dept.into()),
        }
    }

    fn staff(role: Role) -> Actor {
        Actor {
            role,
            department: Some("hotline".into()),
        }
    }

    /// Every (action, actor) pair that is allowed somewhere, against every state: the allowed
    /// ones lead where the diagram says, the rest are conflicts.
    #[test]
    fn transitions_follow_the_diagram() {
        let lead = clerk("heating");
        let dispatcher = staff(Role::Dispatcher);
        let supervisor = staff(Role::Supervisor);
        type Case<'a> = (Action, &'a Actor, Vec<(Status, Status)>);
        let table: Vec<Case> = vec![
            (Action::Dispatch, &dispatcher, vec![(Submitted, Dispatched)]),
            (Action::Sign, &lead, vec![(Dispatched, InProgress)]),
            (
                Action::Return,
                &lead,
                vec![(Dispatched, Submitted), (InProgress, Submitted)],
            ),
            (Action::Suspend, &lead, vec![(InProgress, Suspended)]),
            (Action::Resume, &lead, vec![(Suspended, InProgress)]),
            (Action::Reply, &lead, vec![(InProgress, Resolved)]),
            (
                Action::FollowUp { accepted: true },
                &dispatcher,
                vec![(Resolved, Closed)],
            ),
            (
                Action::FollowUp { accepted: false },
                &supervisor,
                vec![(Resolved, InProgress)],
            ),
            (
                Action::Close,
                &supervisor,
                vec![
                    (Resolved, Closed),
                    (InProgress, Closed),
                    (Suspended, Closed),
                ],
            ),
            (Action::Reject, &dispatcher, vec![(Submitted, Rejected)]),
            (
                Action::Assign,
                &lead,
                vec![
                    (Dispatched, Dispatched),
                    (InProgress, InProgress),
                    (Suspended, Suspended),
                ],
            ),
            (
                Action::Extension,
                &lead,
                vec![
                    (Dispatched, Dispatched),
                    (InProgress, InProgress),
                    (Suspended, Suspended),
                ],
            ),
            (
                Action::DecideExtension,
                &supervisor,
                vec![
                    (Dispatched, Dispatched),
                    (InProgress, InProgress),
                    (Suspended, Suspended),
                ],
            ),
            (
                Action::Merge,
                &dispatcher,
                vec![
                    (Submitted, Merged),
                    (Dispatched, Merged),
                    (InProgress, Merged),
                    (Suspended, Merged),
                    (Resolved, Merged),
                ],
            ),
        ];
        for (action, actor, allowed) in table {
            for from in Status::ALL {
                let result = plan(action, actor, &facts(*from), Utc::now());
                match allowed.iter().find(|(f, _)| f == from) {
                    Some((_, to)) => {
                        assert_eq!(result.map(|p| p.to), Ok(*to), "{action:?} from {from}")
                    }
                    None => assert!(
                        matches!(result, Err(Refusal::Conflict(_))),
                        "{action:?} from {from} must be a conflict, got {result:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn wrong_roles_are_forbidden_whatever_the_state() {
        let cases: Vec<(Action, Actor)> = vec![
            (Action::Dispatch, clerk("heating")),
            (Action::Dispatch, staff(Role::Supervisor)),
            (Action::Sign, staff(Role::Dispatcher)),
            (Action::Sign, clerk("gas")),
            (Action::Reply, clerk("water")), // a co-handler cannot answer for the lead
            (Action::Reply, staff(Role::Admin)),
            (Action::Return, clerk("gas")),
            (Action::Suspend, clerk("water")),
            (Action::Resume, staff(Role::Supervisor)),
            (Action::FollowUp { accepted: true }, clerk("heating")),
            (Action::Close, staff(Role::Dispatcher)),
            (Action::Close, clerk("heating")),
            (Action::Reject, staff(Role::Admin)),
            (Action::Merge, clerk("heating")),
            (Action::Supervise, staff(Role::Dispatcher)),
            (Action::Supervise, clerk("heating")),
            (Action::Note, clerk("gas")),
            (Action::Extension, clerk("water")), // a co-handler asks the lead, not the centre
            (Action::Extension, staff(Role::Dispatcher)),
            (Action::DecideExtension, clerk("heating")),
            (Action::DecideExtension, staff(Role::Dispatcher)),
        ];
        for (action, actor) in cases {
            for from in Status::ALL {
                let result = plan(action, &actor, &facts(*from), Utc::now());
                assert!(
                    matches!(result, Err(Refusal::Forbidden(_))),
                    "{action:?} by {actor:?} from {from}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn a_co_handler_signs_its_part_once_without_moving_the_appeal() {
        let mut f = facts(Dispatched);
        let p = plan(Action::Sign, &clerk("water"), &f, Utc::now()).expect("allowed");
        assert_eq!(
            p,
            Plan {
                from: Dispatched,
                to: Dispatched,
                co_sign: true
            }
        );
        f.own_part_signed = true;
        let again = plan(Action::Sign, &clerk("water"), &f, Utc::now());
        assert!(matches!(again, Err(Refusal::Conflict(_))));
    }

    #[test]
    fn a_signed_appeal_can_be_returned_only_within_the_window() {
        let mut f = facts(InProgress);
        f.return_by = Some(Utc::now() - Duration::hours(1));
        let late = plan(Action::Return, &clerk("heating"), &f, Utc::now());
        assert!(matches!(late, Err(Refusal::Conflict(m)) if m.contains("window")));
        f.return_by = Some(Utc::now() + Duration::hours(2));
        assert!(plan(Action::Return, &clerk("heating"), &f, Utc::now()).is_ok());
    }

    #[test]
    fn a_supervisor_closes_only_resolved_or_re_handled_appeals() {
        let supervisor = staff(Role::Supervisor);
        let mut f = facts(InProgress);
        f.rehandled = false;
        let first = plan(Action::Close, &supervisor, &f, Utc::now());
        assert!(matches!(first, Err(Refusal::Conflict(m)) if m.contains("first handling")));
        f.rehandled = true;
        assert_eq!(
            plan(Action::Close, &supervisor, &f, Utc::now()).map(|p| p.to),
            Ok(Closed)
        );
        let mut resolved = facts(Resolved);
        resolved.rehandled = false;
        assert!(plan(Action::Close, &supervisor, &resolved, Utc::now()).is_ok());
    }

    #[test]
    fn only_a_returned_appeal_can_have_its_return_refused() {
        let dispatcher = staff(Role::Dispatcher);
        let mut f = facts(Submitted);
        let p = plan(Action::RefuseReturn, &dispatcher, &f, Utc::now());
        assert!(matches!(p, Err(Refusal::Conflict(m)) if m.contains("not returned")));
        f.was_returned = true;
        let p = plan(Action::RefuseReturn, &dispatcher, &f, Utc::now());
        assert_eq!(p.map(|p| p.to), Ok(Dispatched));
        let p = plan(Action::RefuseReturn, &clerk("heating"), &f, Utc::now());
        assert!(matches!(p, Err(Refusal::Forbidden(_))));
    }

    #[test]
    fn notes_and_supervision_keep_the_state() {
        for from in [Submitted, InProgress, Closed] {
            let p = plan(
                Action::Note,
                &staff(Role::Dispatcher),
                &facts(from),
                Utc::now(),
            );
            assert_eq!(p.map(|p| p.to), Ok(from));
        }
        let p = plan(
            Action::Note,
            &clerk("water"),
            &facts(InProgress),
            Utc::now(),
        );
        assert!(p.is_ok(), "a co-handler may add notes");
        let p = plan(
            Action::Supervise,
            &staff(Role::Supervisor),
            &facts(Rejected),
            Utc::now(),
        );
        assert!(matches!(p, Err(Refusal::Conflict(_))));
    }

    #[test]
    fn masking_follows_the_viewer() {
        let f = facts(InProgress);
        assert_eq!(
            contact_view(&clerk("heating"), &f, false),
            ContactView::Full
        );
        assert_eq!(
            contact_view(&clerk("heating"), &f, true),
            ContactView::Hidden
        );
        assert_eq!(
            contact_view(&clerk("water"), &f, false),
            ContactView::Masked
        );
        assert_eq!(contact_view(&clerk("water"), &f, true), ContactView::Hidden);
        assert_eq!(
            contact_view(&staff(Role::Dispatcher), &f, false),
            ContactView::Masked
        );
        assert_eq!(
            contact_view(&staff(Role::Supervisor), &f, true),
            ContactView::Masked
        );
        assert!(!can_view(&clerk("gas"), &f));
        assert!(can_view(&clerk("water"), &f));
    }
}
