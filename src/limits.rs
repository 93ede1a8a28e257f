//! Rate limits per client address on the doors anyone can knock on: logins (`POST
//! /api/v1/auth/login`, `POST /staff/login`) and public intake (`POST /api/v1/appeals`, the
//! web form `POST /`, Open311 `POST /open311/v2/requests.*`). Over the limit: 429 with
//! `Retry-After`, and the request is not looked at.
//!
//! The limits are per instance (GCRA, the `governor` crate): behind a load balancer with N
//! instances an address gets up to N times the rate, which is what these limits are for — to
//! blunt guessing and flooding, not to meter. Repeated wrong passwords are also counted per
//! account, in the database, across instances (`db::users::check_login`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use crate::error::AppError;

/// `[limits]` in the configuration; 0 turns a limit off.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LimitSettings {
    /// login attempts per minute from one address
    pub login_per_minute: u32,
    /// appeals filed per minute from one address (API, web form and Open311 together)
    pub intake_per_minute: u32,
    /// take the client's address from `X-Forwarded-For` / `Forwarded` (only behind a load
    /// balancer that sets them; otherwise anyone could pick an address per request)
    pub trust_forwarded_for: bool,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            login_per_minute: 10,
            intake_per_minute: 30,
            trust_forwarded_for: false,
        }
    }
}

/// Which door a request knocks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Login,
    Intake,
}

/// The door of a request, if it is one of the limited ones.
pub fn door_of(method: &Method, path: &str) -> Option<Door> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/api/v1/auth/login" | "/staff/login" => Some(Door::Login),
        "/api/v1/appeals" | "/" | "/open311/v2/requests.json" | "/open311/v2/requests.xml" => {
            Some(Door::Intake)
        }
        _ => None,
    }
}

/// The limiters of this instance.
pub struct Limiter {
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    intake: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trust_forwarded_for: bool,
}

fn keyed(per_minute: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Limiter {
    pub fn new(settings: &LimitSettings) -> Arc<Limiter> {
        Arc::new(Limiter {
            login: keyed(settings.login_per_minute),
            intake: keyed(settings.intake_per_minute),
            trust_forwarded_for: settings.trust_forwarded_for,
        })
    }

    /// `Err(seconds to wait)` when `addr` is over the limit of `door`.
    pub fn check(&self, door: Door, addr: IpAddr) -> Result<(), u64> {
        let limiter = match door {
            Door::Login => &self.login,
            Door::Intake => &self.intake,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        // forget addresses that are back to a full allowance, now and then
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        limiter.check_key(&addr).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The client's address: the peer's, or the one the load balancer reports when trusted.
fn client_address(req: &ServiceRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = req.connection_info().realip_remote_addr().and_then(|a| {
            a.parse::<std::net::SocketAddr>()
                .map(|s| s.ip())
                .ok()
                .or_else(|| a.parse().ok())
        })
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

/// Middleware: refuses a limited door's request over the limit with 429 and Retry-After.
/// The /24 (IPv4) or /48 (IPv6) network of an address, as it is logged.
fn network_of(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => {
            let [x, y, z, _] = a.octets();
            format!("{x}.{y}.{z}.0/24")
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

pub async fn guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some(door) = door_of(req.method(), req.path())
        && let Some(limiter) = req.app_data::<web::Data<Arc<Limiter>>>()
        && let Some(addr) = client_address(&req, limiter.trust_forwarded_for)
        && let Err(wait) = limiter.check(door, addr)
    {
        // the network, not the address: enough to block a flood at the firewall, not enough
        // to name one resident's connection in the log
        tracing::warn!(network = %network_of(addr), ?door, wait, "rate limit: refused");
        let what = match door {
            Door::Login => "login attempts",
            Door::Intake => "filings",
        };
        let refusal = AppError::TooManyRequests {
            message: format!("too many {what} from your address; try again in {wait} second(s)"),
            retry_after_secs: wait,
        };
        // the pages' forms get the pages' error page, the API its JSON shape
        let mut response = if matches!(req.path(), "/" | "/staff/login") {
            crate::web::PageError::from(refusal).error_response()
        } else {
            refusal.error_response()
        };
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(wait.max(1)),
        );
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_names_the_network_not_the_address() {
        assert_eq!(
            network_of("203.0.113.77".parse().expect("v4")),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_of("2001:db8:abcd:12::7".parse().expect("v6")),
            "2001:db8:abcd::/48"
        );
    }

    #[test]
    fn only_the_public_doors_are_limited() {
        assert_eq!(
            door_of(&Method::POST, "/api/v1/auth/login"),
            Some(Door::Login)
        );
        assert_eq!(door_of(&Method::POST, "/staff/login"), Some(Door::Login));
        assert_eq!(
            door_of(&Method::POST, "/api/v1/appeals"),
            Some(Door::Intake)
        );
        assert_eq!(door_of(&Method::POST, "/"), Some(Door::Intake));
        assert_eq!(
            door_of(&Method::POST, "/open311/v2/requests.xml"),
            Some(Door::Intake)
        );
        assert_eq!(door_of(&Method::GET, "/api/v1/auth/login"), None);
        assert_eq!(door_of(&Method::POST, "/api/v1/appeals/x/sign"), None);
    }

    #[test]
    fn an_address_over_its_allowance_waits_and_others_do_not() {
        let limiter = Limiter::new(&LimitSettings {
            login_per_minute: 3,
            intake_per_minute: 0,
            trust_forwarded_for: false,
        });
        let a: IpAddr = "203.0.113.7".parse().expect("ip");
        let b: IpAddr = "203.0.113.8".parse().expect("ip");
        for _ in 0..3 {
            assert_eq!(limiter.check(Door::Login, a), Ok(()));
        }
        let wait = limiter.check(Door::Login, a).expect_err("over the limit");
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(limiter.check(Door::Login, b), Ok(()), "another address");
        for _ in 0..100 {
            assert_eq!(limiter.check(Door::Intake, a), Ok(()), "0 turns it off");
        }
    }
}
