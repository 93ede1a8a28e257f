//! The report metrics of DESIGN.md §1 "Follow-up, satisfaction and the three rates", from the
//! counts of one group of appeals. Pure: the counts come from the database, the formulas live here
//! (docs/METRICS.md defines each one).

use serde::{Deserialize, Serialize};

/// Weights of the satisfaction rate and the composite score (configurable).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// how much a "basically satisfied" answer counts in the satisfaction rate (0.9)
    pub basically_satisfied: f64,
    /// composite = response × w_response + resolution × w_resolution + satisfaction × w_satisfaction
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            basically_satisfied: 0.9,
            response: 0.1,
            resolution: 0.5,
            satisfaction: 0.4,
        }
    }
}

impl Weights {
    pub fn check(&self) -> Result<(), String> {
        let all = [
            self.basically_satisfied,
            self.response,
            self.resolution,
            self.satisfaction,
        ];
        if all.iter().any(|w| !(0.0..=1.0).contains(w)) {
            return Err("reports weights must each be between 0 and 1".into());
        }
        if ((self.response + self.resolution + self.satisfaction) - 1.0).abs() > 1e-9 {
            return Err(
                "reports.response + resolution + satisfaction weights must add up to 1".into(),
            );
        }
        Ok(())
    }
}

/// What one group's appeals add up to (appeals received in the period, merged ones excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: i64,
    pub dispatched: i64,
    /// dispatched and answered: resolved or closed (办结)
    pub resolved: i64,
    /// signed, and of those signed by the sign-by instant
    pub signed: i64,
    pub signed_on_time: i64,
    /// answered, and of those answered by the reply-by instant in force
    pub replied: i64,
    pub replied_on_time: i64,
    /// still being handled with a deadline passed
    pub overdue_open: i64,
    /// returned by a department at least once
    pub returned: i64,
    /// sent back by a follow-up at least once (重办)
    pub rehandled: i64,
    /// appeals with any follow-up answer
    pub followed_up: i64,
    /// sum of working minutes from dispatch to reply, over `replied`
    pub handling_minutes: i64,
    /// closed because nobody answered the follow-up
    pub unrated: i64,
    /// flagged as a repeat of an earlier closure (possible false closure)
    pub repeats: i64,
    /// valid follow-ups (the counted round of each appeal) and their answers
    pub valid_follow_ups: i64,
    pub contacted: i64,
    pub solved: i64,
    pub very_satisfied: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
}

/// The metrics of one group; a rate whose denominator is zero is `None` (not 0, not 1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Metrics {
    pub received: i64,
    pub dispatched: i64,
    pub resolved: i64,
    /// resolved / dispatched
    pub closure_rate: Option<f64>,
    /// signed on time / signed
    pub on_time_sign_rate: Option<f64>,
    /// replied on time / replied
    pub on_time_reply_rate: Option<f64>,
    pub overdue_open: i64,
    /// returned at least once / dispatched
    pub return_rate: Option<f64>,
    /// re-handled at least once / followed up
    pub rehandle_rate: Option<f64>,
    /// working hours from dispatch to reply, on average
    pub avg_handling_working_hours: Option<f64>,
    pub unrated: i64,
    pub repeats: i64,
    pub valid_follow_ups: i64,
    /// contacted / valid follow-ups (响应率)
    pub response_rate: Option<f64>,
    /// solved / valid follow-ups (解决率)
    pub resolution_rate: Option<f64>,
    /// (very satisfied + satisfied + 0.9 × basically satisfied) / valid follow-ups (满意率)
    pub satisfaction_rate: Option<f64>,
    /// 0.1 × response + 0.5 × resolution + 0.4 × satisfaction (综合成绩)
    pub composite_score: Option<f64>,
}

fn ratio(num: f64, den: i64) -> Option<f64> {
    (den > 0).then(|| num / den as f64)
}

impl Counts {
    pub fn metrics(&self, w: &Weights) -> Metrics {
        let valid = self.valid_follow_ups;
        let response_rate = ratio(self.contacted as f64, valid);
        let resolution_rate = ratio(self.solved as f64, valid);
        let satisfaction_rate = ratio(
            self.very_satisfied as f64
                + self.satisfied as f64
                + w.basically_satisfied * self.basically_satisfied as f64,
            valid,
        );
        let composite_score = match (response_rate, resolution_rate, satisfaction_rate) {
            (Some(r), Some(s), Some(t)) => {
                Some(w.response * r + w.resolution * s + w.satisfaction * t)
            }
            _ => None,
        };
        Metrics {
            received: self.received,
            dispatched: self.dispatched,
            resolved: self.resolved,
            closure_rate: ratio(self.resolved as f64, self.dispatched),
            on_time_sign_rate: ratio(self.signed_on_time as f64, self.signed),
            on_time_reply_rate: ratio(self.replied_on_time as f64, self.replied),
            overdue_open: self.overdue_open,
            return_rate: ratio(self.returned as f64, self.dispatched),
            rehandle_rate: ratio(self.rehandled as f64, self.followed_up),
            avg_handling_working_hours: ratio(self.handling_minutes as f64 / 60.0, self.replied),
            unrated: self.unrated,
            repeats: self.repeats,
            valid_follow_ups: valid,
            response_rate,
            resolution_rate,
            satisfaction_rate,
            composite_score,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn the_three_rates_and_the_composite_follow_design() {
        let c = Counts {
            valid_follow_ups: 10,
            contacted: 9,
            solved: 7,
            very_satisfied: 3,
            satisfied: 3,
            basically_satisfied: 2,
            ..Counts::default()
        };
        let m = c.metrics(&Weights::default());
        assert!(close(m.response_rate, 0.9));
        assert!(close(m.resolution_rate, 0.7));
        // (3 + 3 + 0.9 × 2) / 10
        assert!(close(m.satisfaction_rate, 0.78));
        // 0.1 × 0.9 + 0.5 × 0.7 + 0.4 × 0.78
        assert!(close(m.composite_score, 0.09 + 0.35 + 0.312));
    }

    #[test]
    fn an_empty_denominator_gives_no_rate_rather_than_a_made_up_one() {
        let m = Counts {
            received: 3,
            ..Counts::default()
        }
        .metrics(&Weights::default());
        assert_eq!(m.closure_rate, None);
        assert_eq!(m.response_rate, None);
        assert_eq!(m.composite_score, None);
        assert_eq!(m.avg_handling_working_hours, None);
    }

    #[test]
    fn closure_timeliness_and_handling_time() {
        let c = Counts {
            dispatched: 4,
            resolved: 3,
            signed: 4,
            signed_on_time: 3,
            replied: 3,
            replied_on_time: 2,
            returned: 1,
            handling_minutes: 3 * 450,
            ..Counts::default()
        };
        let m = c.metrics(&Weights::default());
        assert!(close(m.closure_rate, 0.75));
        assert!(close(m.on_time_sign_rate, 0.75));
        assert!(close(m.on_time_reply_rate, 2.0 / 3.0));
        assert!(close(m.return_rate, 0.25));
        assert!(close(m.avg_handling_working_hours, 7.5));
    }

    #[test]
    fn weights_must_add_up() {
        assert!(Weights::default().check().is_ok());
        let w = Weights {
            response: 0.5,
            ..Weights::default()
        };
        assert!(w.check().is_err());
    }
}
