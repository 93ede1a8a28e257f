//! The OpenAPI description, served at `/api/openapi.json` and browsable at `/api/docs`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    actions, appeals, auth, calendar, extensions, follow_up, health, lists, reference, reports,
    routing, staffing, views,
};
use crate::domain::enums;
use crate::domain::intake::IntakeRequest;
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(title = "minxin (民心) city appeal platform API", description = "Residents file appeals; dispatchers route them; departments handle them; supervisors watch. Errors always have the shape {\"error\": {\"code\", \"message\", \"field\"?}}."),
    paths(
        auth::login,
        appeals::file_appeal,
        appeals::get_appeal,
        appeals::get_photo,
        actions::act,
        lists::events,
        lists::queue,
        lists::pool,
        crate::api::duplicates::list,
        crate::api::repeats::list,
        crate::api::repeats::by_department,
        reference::categories,
        reference::divisions,
        reference::departments,
        routing::list,
        routing::create,
        routing::history,
        routing::update,
        routing::switch,
        routing::reorder,
        routing::explain,
        routing::test_draft,
        staffing::auto_assign,
        staffing::absence,
        calendar::get_calendar,
        calendar::put_calendar,
        calendar::put_day,
        calendar::delete_day,
        calendar::changes,
        extensions::list,
        follow_up::form,
        follow_up::answer,
        follow_up::awaiting,
        reports::summary,
        reports::ranking,
        reports::hotspots,
        super::api_keys::list,
        super::api_keys::issue,
        super::api_keys::revoke,
        health::healthz,
        health::readyz,
    ),
    components(schemas(
        IntakeRequest, ErrorBody, ErrorDetail,
        views::Filed, views::StaffAppeal, views::PhotoView, views::ExtensionRequestView, views::AppellantAppeal, views::AppealSummary, views::EventView,
        actions::DispatchBody, actions::EmptyBody, actions::ReasonBody, actions::OptionalReasonBody, actions::RejectBody, actions::ReplyBody,
        actions::AssignBody, actions::ExtensionBody, actions::ExtensionDecisionBody, actions::FollowUpBody, actions::MergeBody, actions::SuperviseBody, actions::NoteBody,
        super::api_keys::NewKeyBody, crate::open311::keys::KeyView, crate::open311::keys::IssuedKey,
        calendar::CalendarView, calendar::DayView, calendar::CalendarSettingsBody, calendar::DayBody, calendar::ChangeView,
        extensions::ExtensionView,
        follow_up::FollowUpForm, follow_up::FollowUpDone,
        crate::api::duplicates::DuplicateView, crate::api::repeats::RepeatView, crate::api::repeats::DepartmentRepeats,
        enums::AppellantKind, enums::AppealKind, enums::Channel, enums::Status, enums::Role,
        enums::DeadlineClass, enums::Satisfaction, enums::Disposition, enums::Visibility,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "appeals", description = "intake, the appellant's view, staff actions, the audit trail"),
        (name = "work lists", description = "queue and pool"),
        (name = "routing", description = "rule tables (派单目录), explain, draft tests"),
        (name = "follow-up", description = "the appellant's signed follow-up link and the centre's return visits (回访)"),
        (name = "calendar", description = "the working calendar: hours, holidays, make-up days (调休)"),
        (name = "staffing", description = "auto-assignment and absence inside departments"),
        (name = "reference", description = "public reference data for the intake form"),
        (name = "auth", description = "staff login"),
        (name = "integrations", description = "API keys of integrations (Open311 clients; the GeoReport v2 endpoint is described at /open311/v2/openapi.json)"),
        (name = "operations", description = "health"),
        (name = "reports", description = "the metrics per group (summary), repeat appeals (possible false closures) per department"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
