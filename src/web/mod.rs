//! Server-rendered pages (issue 7): the resident's form and tracking page, staff login and the
//! clerk's workbench, and the public report. 简体中文 by default with an English switch on every
//! page; little JavaScript (one small file, no build step); every asset served from here.
//!
//! The pages call the same workflow as the JSON API (`crate::workflow`), so a form and an API
//! call change an appeal the same way. Templates are minijinja, escaped for HTML by default
//! (a title holding `<script>` is shown as text), embedded in the binary.

mod admin;
mod dashboard;
mod i18n;
mod public;
mod resident;
mod session;
mod staff;
mod upload;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use chrono::{DateTime, Utc};
use minijinja::{Environment, Value, context};

pub use i18n::Lang;
pub use session::{CSRF_COOKIE, SESSION_COOKIE};

use crate::error::AppError;

/// The template environment, built once.
pub struct Pages {
    env: Environment<'static>,
    /// cookies get `Secure` outside development and tests
    pub secure_cookies: bool,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../../templates/layout.html")),
    ("file.html", include_str!("../../templates/file.html")),
    ("receipt.html", include_str!("../../templates/receipt.html")),
    ("track.html", include_str!("../../templates/track.html")),
    (
        "appeal_public.html",
        include_str!("../../templates/appeal_public.html"),
    ),
    ("login.html", include_str!("../../templates/login.html")),
    ("queue.html", include_str!("../../templates/queue.html")),
    ("pool.html", include_str!("../../templates/pool.html")),
    (
        "admin_rules.html",
        include_str!("../../templates/admin_rules.html"),
    ),
    (
        "admin_rule.html",
        include_str!("../../templates/admin_rule.html"),
    ),
    (
        "admin_home.html",
        include_str!("../../templates/admin_home.html"),
    ),
    (
        "admin_departments.html",
        include_str!("../../templates/admin_departments.html"),
    ),
    (
        "admin_department.html",
        include_str!("../../templates/admin_department.html"),
    ),
    (
        "admin_categories.html",
        include_str!("../../templates/admin_categories.html"),
    ),
    (
        "admin_category.html",
        include_str!("../../templates/admin_category.html"),
    ),
    (
        "admin_divisions.html",
        include_str!("../../templates/admin_divisions.html"),
    ),
    (
        "admin_division.html",
        include_str!("../../templates/admin_division.html"),
    ),
    (
        "admin_users.html",
        include_str!("../../templates/admin_users.html"),
    ),
    (
        "admin_api_keys.html",
        include_str!("../../templates/admin_api_keys.html"),
    ),
    (
        "admin_user.html",
        include_str!("../../templates/admin_user.html"),
    ),
    (
        "admin_calendar.html",
        include_str!("../../templates/admin_calendar.html"),
    ),
    (
        "admin_department_fields.html",
        include_str!("../../templates/admin_department_fields.html"),
    ),
    (
        "admin_forms.html",
        include_str!("../../templates/admin_forms.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    (
        "appeal_staff.html",
        include_str!("../../templates/appeal_staff.html"),
    ),
    ("public.html", include_str!("../../templates/public.html")),
    ("error.html", include_str!("../../templates/error.html")),
];

impl Pages {
    pub fn new(secure_cookies: bool) -> Pages {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // the templates are part of the binary: one that does not parse is a build mistake,
            // caught by the tests that render every page
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "template does not parse");
            }
        }
        env.add_filter("local_time", local_time);
        env.add_filter("time_left", time_left);
        env.add_filter("percent", percent);
        Pages {
            env,
            secure_cookies,
        }
    }

    /// Renders `template` with the page's common context (language, messages, CSRF token,
    /// who is logged in) and `ctx`.
    pub fn render(
        &self,
        page: &PageContext,
        template: &str,
        ctx: Value,
    ) -> Result<HttpResponse, PageError> {
        self.render_status(page, StatusCode::OK, template, ctx)
    }

    pub fn render_status(
        &self,
        page: &PageContext,
        status: StatusCode,
        template: &str,
        ctx: Value,
    ) -> Result<HttpResponse, PageError> {
        let html = self
            .env
            .get_template(template)
            .and_then(|t| {
                t.render(context! {
                    lang => page.lang.tag(),
                    m => page.lang.messages(),
                    switch_href => page.switch_href(),
                    csrf => &page.csrf,
                    staff => page.staff.as_ref().map(|s| context! {
                        username => &s.username,
                        role => s.role.as_str(),
                        department => &s.department,
                    }),
                    ..ctx
                })
            })
            .map_err(|e| PageError::Unexpected(anyhow::anyhow!("rendering {template}: {e:#}")))?;
        let mut response = HttpResponse::build(status);
        response.content_type("text/html; charset=utf-8");
        page.set_cookies(&mut response, self.secure_cookies);
        Ok(response.body(html))
    }
}

/// What every page knows about its request.
pub struct PageContext {
    pub lang: Lang,
    /// the language asked for in the query, to remember in a cookie
    lang_chosen: bool,
    pub csrf: String,
    csrf_is_new: bool,
    pub staff: Option<crate::auth::Claims>,
    path: String,
    query: String,
}

impl PageContext {
    pub fn of(req: &HttpRequest, staff: Option<crate::auth::Claims>) -> PageContext {
        let asked =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)));
        let lang = asked
            .or_else(|| req.cookie("lang").and_then(|c| Lang::parse(c.value())))
            .unwrap_or(Lang::Zh);
        let (csrf, csrf_is_new) = session::csrf_token(req);
        PageContext {
            lang,
            lang_chosen: asked.is_some(),
            csrf,
            csrf_is_new,
            staff,
            path: req.path().to_owned(),
            query: req.query_string().to_owned(),
        }
    }

    /// The link that shows this page in the other language.
    fn switch_href(&self) -> String {
        let kept: Vec<&str> = self
            .query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let mut href = format!("{}?", self.path);
        for p in kept {
            href.push_str(p);
            href.push('&');
        }
        href.push_str("lang=");
        href.push_str(self.lang.other().tag());
        href
    }

    fn set_cookies(&self, response: &mut actix_web::HttpResponseBuilder, secure: bool) {
        if self.lang_chosen {
            response.cookie(
                actix_web::cookie::Cookie::build("lang", self.lang.tag())
                    .path("/")
                    .same_site(actix_web::cookie::SameSite::Lax)
                    .max_age(actix_web::cookie::time::Duration::days(365))
                    .finish(),
            );
        }
        if self.csrf_is_new {
            response.cookie(session::csrf_cookie(&self.csrf, secure));
        }
    }
}

/// Why a page could not be shown. Rendered as a page (never a stack trace).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("the form's CSRF token does not match")]
    Csrf,
    /// staff page without a valid session: to the login page, then back
    #[error("login needed")]
    Login { next: String, expired: bool },
    /// a request the workflow refused (bad input, wrong state, a lapsed link, the database away):
    /// its status and its reason, said on the page
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        match e {
            AppError::NotFound(_) => PageError::NotFound,
            AppError::Forbidden(m) => PageError::Forbidden(m),
            AppError::Unauthorized(_) => PageError::Login {
                next: "/staff".into(),
                expired: true,
            },
            AppError::Unexpected(e) => PageError::Unexpected(e),
            other => PageError::Refused {
                status: other.status_code(),
                message: other.to_string(),
            },
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Login { .. } => StatusCode::SEE_OTHER,
            PageError::Refused { status, .. } => *status,
            PageError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::Login { next, expired } = self {
            let target = format!(
                "/staff/login?next={}{}",
                urlencode(next),
                if *expired { "&expired=1" } else { "" }
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        if let PageError::Unexpected(e) = self {
            tracing::error!(error = %format!("{e:#}"), "page failed");
        }
        // A plain page in both languages: the error may come from before the language was
        // known, and it must not depend on the template engine that may have failed.
        let detail = match self {
            PageError::Refused { message, .. } => {
                format!(
                    "<p id=\"error-detail\"><small>{}</small></p>",
                    escape_html(message)
                )
            }
            _ => String::new(),
        };
        let (zh, en) = match self {
            PageError::NotFound => ("找不到该页面。", "No such page."),
            PageError::Forbidden(_) => ("您没有权限查看此页面。", "You may not see this page."),
            PageError::Csrf => (
                "表单已过期，请返回刷新后重试。",
                "This form has expired: go back, reload and try again.",
            ),
            PageError::Refused { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS => (
                "操作过于频繁，请稍等片刻再试。",
                "Too many attempts from your address: please wait a moment and try again.",
            ),
            PageError::Refused { status, .. } if status.is_client_error() => (
                "请求未能完成，请返回检查后重试。",
                "This could not be done: go back, check and try again.",
            ),
            _ => (
                "服务器暂时无法处理您的请求，请稍后再试。",
                "The server could not handle this request; please try again later.",
            ),
        };
        let body = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>出错了 · Error</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
             <body><main class=\"narrow\"><h1>出错了 <small>Error {}</small></h1>\
             <p id=\"error-message\">{zh}</p><p lang=\"en\">{en}</p>{detail}\
             <p><a href=\"/\">返回首页 · Back to the start</a></p></main></body></html>",
            self.status_code().as_u16()
        );
        HttpResponse::build(self.status_code())
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ))
            .body(body)
    }
}

/// A form field's value, trimmed; `None` when absent or blank.
fn field<'f>(form: &'f std::collections::HashMap<String, String>, name: &str) -> Option<&'f str> {
    form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Escapes text for HTML outside the templates (the plain error page).
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Percent-encodes a path for a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Only paths of this site are followed after login (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/staff".to_owned(),
    }
}

fn parse_instant(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// `{{ t | local_time(lang) }}`: an instant in Beijing time, in words of the language
/// ("11月27日 17:00" / "27 Nov 17:00").
fn local_time(value: Value, lang: Option<String>) -> String {
    let Some(t) = parse_instant(&value) else {
        return String::new();
    };
    let local = t.with_timezone(&chrono_tz::Asia::Shanghai);
    if lang.as_deref() == Some("en") {
        local.format("%-d %b %Y %H:%M").to_string()
    } else {
        local.format("%Y年%-m月%-d日 %H:%M").to_string()
    }
}

/// `{{ t | time_left(lang) }}`: how long until the instant, or how long past it.
fn time_left(value: Value, lang: Option<String>) -> String {
    let Some(t) = parse_instant(&value) else {
        return String::new();
    };
    let en = lang.as_deref() == Some("en");
    let minutes = (t - Utc::now()).num_minutes();
    let span = minutes.unsigned_abs();
    let (d, h, m) = (span / 1440, span % 1440 / 60, span % 60);
    let words = match (en, d, h) {
        (false, 0, 0) => format!("{m}分钟"),
        (false, 0, _) => format!("{h}小时{m}分"),
        (false, _, _) => format!("{d}天{h}小时"),
        (true, 0, 0) => format!("{m} min"),
        (true, 0, _) => format!("{h} h {m} min"),
        (true, _, _) => format!("{d} d {h} h"),
    };
    match (en, minutes >= 0) {
        (false, true) => format!("剩余 {words}"),
        (false, false) => format!("已超期 {words}"),
        (true, true) => format!("{words} left"),
        (true, false) => format!("overdue by {words}"),
    }
}

/// `{{ rate | percent }}`: a fraction as a percentage with one decimal, or "—".
fn percent(value: Value) -> String {
    match f64::try_from(value) {
        Ok(f) if f.is_finite() => format!("{:.1}%", f * 100.0),
        _ => "—".to_owned(),
    }
}

#[get("/static/app.css")]
async fn app_css() -> HttpResponse {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

#[get("/static/app.js")]
async fn app_js() -> HttpResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// Security headers for every page: no inline script (CSP), no framing, no sniffing.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(app_css)
        .service(app_js)
        .service(resident::home)
        .service(resident::file)
        .service(resident::track_form)
        .service(resident::track_lookup)
        .service(resident::track_number)
        .service(resident::follow_up_page)
        .service(resident::follow_up_answer)
        .service(staff::login_form)
        .service(staff::login)
        .service(staff::logout)
        .service(staff::home)
        .service(staff::queue)
        .service(staff::pool)
        .configure(admin::configure)
        .service(dashboard::dashboard)
        .service(dashboard::summary_csv)
        .service(dashboard::ranking_csv)
        .service(dashboard::decide_extension)
        .service(staff::appeal_page)
        .service(staff::photo)
        .service(staff::act)
        .service(public::report);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/staff/appeals/1")), "/staff/appeals/1");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", ""] {
            assert_eq!(safe_next(Some(bad)), "/staff", "{bad}");
        }
        assert_eq!(safe_next(None), "/staff");
    }

    #[test]
    fn times_read_in_beijing_time_in_either_language() {
        let t = Value::from("2026-11-27T09:00:00Z");
        assert_eq!(
            local_time(t.clone(), Some("zh-CN".into())),
            "2026年11月27日 17:00"
        );
        assert_eq!(local_time(t, Some("en".into())), "27 Nov 2026 17:00");
        assert_eq!(local_time(Value::from(()), None), "");
        let past = Value::from((Utc::now() - chrono::Duration::minutes(150)).to_rfc3339());
        assert!(
            time_left(past.clone(), None).starts_with("已超期 2小时"),
            "{}",
            time_left(past, None)
        );
        let ahead = Value::from((Utc::now() + chrono::Duration::days(3)).to_rfc3339());
        assert!(time_left(ahead, Some("en".into())).ends_with("left"));
    }

    #[test]
    fn every_template_parses_and_rates_show_as_percentages() {
        let pages = Pages::new(false);
        for (name, _) in TEMPLATES {
            assert!(pages.env.get_template(name).is_ok(), "{name}");
        }
        // and every template file is registered
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).expect("templates folder") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                TEMPLATES.iter().any(|(t, _)| *t == name),
                "templates/{name} is not in TEMPLATES"
            );
        }
        assert_eq!(percent(Value::from(0.8567)), "85.7%");
        assert_eq!(percent(Value::from(())), "—");
    }

    #[test]
    fn refusals_become_pages_with_their_status_and_an_escaped_reason() {
        let refused = PageError::from(AppError::Conflict("state <b>changed</b>".into()));
        let response = refused.error_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .expect("ready")
            .expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("请求未能完成") && html.contains("state &lt;b&gt;changed&lt;/b&gt;"));
        for (error, status) in [
            (
                AppError::invalid("title", "x"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (AppError::Gone("x".into()), StatusCode::GONE),
            (
                AppError::Unavailable("x".into()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (AppError::NotFound("x".into()), StatusCode::NOT_FOUND),
            (AppError::Forbidden("x".into()), StatusCode::FORBIDDEN),
            (
                AppError::Unexpected(anyhow::anyhow!("secret")),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ] {
            assert_eq!(PageError::from(error).status_code(), status);
        }
        // an unexpected error's cause stays in the log, never on the page
        let response =
            PageError::from(AppError::Unexpected(anyhow::anyhow!("secret"))).error_response();
        let body =
            futures_util::FutureExt::now_or_never(actix_web::body::to_bytes(response.into_body()))
                .expect("ready")
                .expect("body");
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }

    #[test]
    fn the_language_switch_keeps_the_query() {
        let page = PageContext {
            lang: Lang::Zh,
            lang_chosen: false,
            csrf: String::new(),
            csrf_is_new: false,
            staff: None,
            path: "/public".into(),
            query: "month=2026-11&lang=zh-CN".into(),
        };
        assert_eq!(page.switch_href(), "/public?month=2026-11&lang=en");
    }
}
