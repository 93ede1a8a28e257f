//! The closed vocabularies of the domain. Each is stored as its snake_case name, which the
//! database CHECK constraints enumerate too.

use serde::{Deserialize, Serialize};

/// Declares a string-backed enum with `as_str`, `FromStr`, `Display`, serde and OpenAPI support.
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        // The schema lists the names as stored and sent (the derive would list the variants'
        // Rust names: `Citizen` for `citizen`).
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        what: stringify!($name),
                        value: s.to_owned(),
                        allowed: &[$($text),+],
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A stored value that is not one of the enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; expected one of: {}", allowed.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

string_enum! {
    /// 诉求人类型
    pub enum AppellantKind { Citizen = "citizen", Enterprise = "enterprise" }
}

string_enum! {
    /// 诉求类型: 咨询 求助 投诉 举报 建议
    pub enum AppealKind {
        Consultation = "consultation",
        Help = "help",
        Complaint = "complaint",
        Report = "report",
        Suggestion = "suggestion",
    }
}

string_enum! {
    /// 渠道
    pub enum Channel {
        Web = "web",
        Hotline = "hotline",
        App = "app",
        /// 8890 幸福驿站
        Station = "station",
        Open311 = "open311",
        Import = "import",
    }
}

string_enum! {
    /// The lifecycle's states (DESIGN.md §1).
    pub enum Status {
        /// in the pool, waiting for a dispatcher
        Submitted = "submitted",
        Dispatched = "dispatched",
        InProgress = "in_progress",
        Suspended = "suspended",
        Resolved = "resolved",
        Closed = "closed",
        Rejected = "rejected",
        Merged = "merged",
    }
}

string_enum! {
    /// Staff roles. Residents carry no token; they hold a tracking number and access code.
    pub enum Role {
        /// 承办人: works the department's queue
        Clerk = "clerk",
        /// 派单员: works the pool
        Dispatcher = "dispatcher",
        /// 督办 / 考评
        Supervisor = "supervisor",
        Admin = "admin",
    }
}

string_enum! {
    /// How pressing an appeal is: set by the hotline operator or by a routing rule.
    pub enum Urgency { Normal = "normal", Urgent = "urgent" }
}

string_enum! {
    /// The deadline classes of DESIGN.md §1 "Deadlines".
    pub enum DeadlineClass {
        Urgent = "urgent",
        Livelihood = "livelihood",
        SameDay = "same_day",
        Week = "week",
        Complex = "complex",
    }
}

string_enum! {
    /// The national five-level satisfaction scale.
    pub enum Satisfaction {
        /// 非常满意
        VerySatisfied = "very_satisfied",
        /// 满意
        Satisfied = "satisfied",
        /// 基本满意
        BasicallySatisfied = "basically_satisfied",
        /// 不满意
        Dissatisfied = "dissatisfied",
        /// 非常不满意
        VeryDissatisfied = "very_dissatisfied",
    }
}

impl Satisfaction {
    /// Whether the appellant accepts the result (the three satisfied levels).
    pub fn is_satisfied(self) -> bool {
        matches!(
            self,
            Satisfaction::VerySatisfied
                | Satisfaction::Satisfied
                | Satisfaction::BasicallySatisfied
        )
    }
}

string_enum! {
    /// Why an appeal was rejected (不予受理) rather than dispatched.
    pub enum Disposition {
        /// transferred to the police (110)
        Transferred110 = "transferred_110",
        /// transferred to fire and rescue (119)
        Transferred119 = "transferred_119",
        /// transferred to emergency medical service (120)
        Transferred120 = "transferred_120",
        /// transferred to traffic police (122)
        Transferred122 = "transferred_122",
        /// belongs to litigation, arbitration or another legal channel
        LegalChannel = "legal_channel",
        /// the same matter is already being handled
        DuplicateInProgress = "duplicate_in_progress",
        OutOfScope = "out_of_scope",
        Malicious = "malicious",
    }
}

string_enum! {
    /// Who can read a note.
    pub enum Visibility { Public = "public", Internal = "internal" }
}

string_enum! {
    pub enum DepartmentKind {
        HotlineCentre = "hotline_centre",
        CityBureau = "city_bureau",
        /// a district's own bureau, e.g. 铁东区城市管理局
        DistrictBureau = "district_bureau",
        DistrictGovernment = "district_government",
        StreetOffice = "street_office",
        Utility = "utility",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
            let json = serde_json::to_string(s).expect("serialize");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in Satisfaction::ALL {
            assert_eq!(s.as_str().parse::<Satisfaction>(), Ok(*s));
        }
    }

    #[test]
    fn the_schema_lists_the_names_that_are_sent() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Status::schema()).expect("schema");
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(names));
        let schema = serde_json::to_value(Satisfaction::schema()).expect("schema");
        assert_eq!(schema["enum"][0], "very_satisfied");
    }

    #[test]
    fn unknown_value_names_the_allowed_ones() {
        let err = "closedd".parse::<Status>().expect_err("must fail");
        assert!(err.to_string().contains("in_progress"), "{err}");
    }

    #[test]
    fn only_the_three_upper_levels_count_as_satisfied() {
        let satisfied: Vec<_> = Satisfaction::ALL
            .iter()
            .filter(|s| s.is_satisfied())
            .collect();
        assert_eq!(satisfied.len(), 3);
        assert!(!Satisfaction::Dissatisfied.is_satisfied());
    }
}
