//! The rules of rate limits and login throttling (ASVS 2.4.1, 6.1.1, 6.3.1): the
//! endpoint classes, the sliding windows, the failure delays and the per-account
//! cap, and the address a client counts under. Pure logic over counts: where the
//! counts are kept is [`super::store::Limits`], the middleware that applies them
//! is [`super::limits`].

use crate::server::config::{LoginThrottleSettings, Rate};
use axum::http::Method;
use std::{
    collections::{HashMap, HashSet, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The address limits and throttling count a client under. One IPv6 customer
/// usually holds a whole /64 (2^64 addresses), so IPv6 clients count per /64;
/// IPv4-mapped IPv6 addresses count as the IPv4 address. The audit log keeps the
/// exact address.
pub fn limit_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Login,
    Register,
    PasswordReset,
    ServerFn,
    Api,
    /// Uploads and exports.
    Heavy,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Login => "login",
            Class::Register => "register",
            Class::PasswordReset => "password_reset",
            Class::ServerFn => "server_fn",
            Class::Api => "api",
            Class::Heavy => "heavy",
        }
    }

    /// Which class a request belongs to; `None` for pages and static assets.
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        // The REST token endpoints check passwords and refresh tokens: they are
        // logins, limited per client address before anything is authenticated.
        if *method == Method::POST
            && matches!(
                path,
                "/api/v1/auth/token" | "/api/v1/auth/refresh" | "/api/v1/auth/revoke"
            )
        {
            return Some(Class::Login);
        }
        // A shared document's public page: its password form is a login, its
        // views are limited like server calls (per client address: no account).
        if path.starts_with("/s/") {
            return match *method {
                Method::POST => Some(Class::Login),
                _ => Some(Class::ServerFn),
            };
        }
        if path.starts_with("/api/v1/") || path == "/api/v1" {
            return Some(Class::Api);
        }
        // Single sign-on: each callback makes Motto redeem a code at the
        // provider (a login); starting a flow is cheap (limited like server calls).
        if path.starts_with("/auth/oidc/") {
            return Some(if path == "/auth/oidc/callback" {
                Class::Login
            } else {
                Class::ServerFn
            });
        }
        // Uploads and exports: seconds of work and memory each.
        let heavy = match *method {
            Method::POST => path == "/documents/upload" || path == "/account/export",
            Method::GET => {
                path == "/admin/audit/export"
                    || (path.starts_with("/conversations/") && path.ends_with("/export"))
            }
            _ => false,
        };
        if heavy {
            return Some(Class::Heavy);
        }
        if *method != Method::POST || !path.starts_with("/api/") {
            return None;
        }
        Some(match path {
            "/api/login" => Class::Login,
            "/api/register" | "/api/setup" => Class::Register,
            // What sends mail, or tries a mailed code.
            p if p.starts_with("/api/password_reset") || p.starts_with("/api/account/email/") => {
                Class::PasswordReset
            }
            _ => Class::ServerFn,
        })
    }
}

struct Window {
    start: Instant,
    count: u32,
}

/// Fixed-window counters per (class, key).
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Class, String), Window>>,
}

impl RateLimiter {
    /// How many (class, key) counters are kept.
    pub fn len(&self) -> usize {
        self.windows.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Count one request; `Err(retry_after)` when over the limit.
    pub fn hit(&self, class: Class, key: &str, rate: Rate) -> Result<(), Duration> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 200_000 {
            windows.retain(|_, w| now.duration_since(w.start) < Duration::from_secs(86_400));
        }
        let w = windows.entry((class, key.to_string())).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(w.start) >= rate.period {
            w.start = now;
            w.count = 0;
        }
        if w.count >= rate.limit {
            return Err(rate.period.saturating_sub(now.duration_since(w.start)));
        }
        w.count += 1;
        Ok(())
    }
}

#[derive(Default)]
struct Failures {
    count: u32,
    last: Option<Instant>,
}

impl Failures {
    /// Forget failures older than an hour.
    fn decay(&mut self, now: Instant) {
        if self
            .last
            .is_some_and(|t| now.duration_since(t) > Duration::from_secs(3600))
        {
            *self = Failures::default();
        }
    }

    fn add(&mut self, now: Instant) {
        self.decay(now);
        self.count += 1;
        self.last = Some(now);
    }

    fn wait(&self, free: u32, max: Duration, now: Instant) -> Option<Duration> {
        failure_delay(self.count, now.duration_since(self.last?), free, max)
    }
}

/// How long failures are remembered, and the window of the per-account cap.
pub const FAILURE_MEMORY: Duration = Duration::from_secs(3600);

/// Time still to wait after `count` failures, the last `since_last` ago: nothing
/// for the first `free` failures, then 1 s, 2 s, 4 s, ... up to `max`.
pub fn failure_delay(
    count: u32,
    since_last: Duration,
    free: u32,
    max: Duration,
) -> Option<Duration> {
    if count < free || since_last > FAILURE_MEMORY {
        return None;
    }
    let exp = (count - free).min(20);
    let delay = Duration::from_secs(1u64 << exp).min(max);
    delay.checked_sub(since_last).filter(|d| !d.is_zero())
}

/// Time until the per-account cap lets a stranger try again: `failures` in the last
/// hour, the oldest `oldest_ago` ago. Sources that logged in before are never capped.
pub fn account_cap_wait(
    failures: u32,
    oldest_ago: Duration,
    cap: u32,
    known_source: bool,
) -> Option<Duration> {
    (failures >= cap && !known_source).then(|| FAILURE_MEMORY.saturating_sub(oldest_ago))
}

#[derive(Default)]
struct ThrottleState {
    /// Failures for one account from one source: the main brake.
    pair: HashMap<(String, IpAddr), Failures>,
    /// Failures from one source across accounts: slows credential stuffing.
    source: HashMap<IpAddr, Failures>,
    /// Failure times per account in the last hour: the hard cap.
    account: HashMap<String, VecDeque<Instant>>,
    /// Sources that logged in to the account before: they keep access under attack.
    known: HashMap<String, HashSet<IpAddr>>,
}

/// Login throttling. An attacker's source is slowed with growing delays; an account
/// gets at most `account_failures_per_hour` failed verifications per hour, after which
/// only sources that logged in to it successfully before may try, so a stranger
/// cannot lock the owner out.
pub struct LoginThrottle {
    settings: LoginThrottleSettings,
    state: Mutex<ThrottleState>,
}

impl LoginThrottle {
    pub fn new(settings: LoginThrottleSettings) -> LoginThrottle {
        LoginThrottle {
            settings,
            state: Mutex::new(ThrottleState::default()),
        }
    }

    /// Whether a verification may run now; `Err(retry_after)` if not.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let s = &self.settings;
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ip = ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if let Some(wait) = st
            .pair
            .get(&(account.to_string(), ip))
            .and_then(|f| f.wait(s.free_attempts, s.max_delay, now))
        {
            return Err(wait);
        }
        if let Some(wait) = st
            .source
            .get(&ip)
            .and_then(|f| f.wait(s.source_free_attempts, s.max_delay, now))
        {
            return Err(wait);
        }
        let known = st.known.get(account).is_some_and(|k| k.contains(&ip));
        if let Some(times) = st.account.get_mut(account) {
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(3600))
            {
                times.pop_front();
            }
            if let Some(oldest) = times.front() {
                if let Some(wait) = account_cap_wait(
                    times.len() as u32,
                    now.duration_since(*oldest),
                    s.account_failures_per_hour,
                    known,
                ) {
                    return Err(wait);
                }
            }
        }
        Ok(())
    }

    pub fn failure(&self, account: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let ip = ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.pair.len() > 100_000 {
            st.pair.retain(|_, f| {
                f.last
                    .is_some_and(|t| now.duration_since(t) < Duration::from_secs(3600))
            });
            st.source.retain(|_, f| {
                f.last
                    .is_some_and(|t| now.duration_since(t) < Duration::from_secs(3600))
            });
            st.account.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(3600))
            });
        }
        st.pair
            .entry((account.to_string(), ip))
            .or_default()
            .add(now);
        st.source.entry(ip).or_default().add(now);
        st.account
            .entry(account.to_string())
            .or_default()
            .push_back(now);
    }

    pub fn success(&self, account: &str, ip: Option<IpAddr>) {
        let ip = ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.pair.remove(&(account.to_string(), ip));
        let known = st.known.entry(account.to_string()).or_default();
        if known.len() < 64 {
            known.insert(ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LoginThrottleSettings {
        LoginThrottleSettings {
            free_attempts: 3,
            source_free_attempts: 10,
            max_delay: Duration::from_secs(900),
            account_failures_per_hour: 6,
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn asvs_6_3_1_delays_start_after_the_free_attempts_and_grow() {
        let t = LoginThrottle::new(settings());
        for _ in 0..3 {
            assert!(t.check("alice", ip("1.1.1.1")).is_ok());
            t.failure("alice", ip("1.1.1.1"));
        }
        let first = t.check("alice", ip("1.1.1.1")).unwrap_err();
        assert!(first <= Duration::from_secs(1));
        t.failure("alice", ip("1.1.1.1"));
        let second = t.check("alice", ip("1.1.1.1")).unwrap_err();
        assert!(second > first, "{second:?} <= {first:?}");
        // The delay caps at the maximum.
        let mut f = Failures::default();
        let now = Instant::now();
        for _ in 0..40 {
            f.add(now);
        }
        assert_eq!(
            f.wait(3, Duration::from_secs(900), now),
            Some(Duration::from_secs(900))
        );
    }

    #[test]
    fn asvs_6_1_1_another_source_is_not_slowed_by_an_attacker() {
        let t = LoginThrottle::new(settings());
        for _ in 0..5 {
            t.failure("alice", ip("6.6.6.6"));
        }
        assert!(t.check("alice", ip("6.6.6.6")).is_err());
        assert!(t.check("alice", ip("2.2.2.2")).is_ok());
    }

    #[test]
    fn asvs_6_3_1_account_cap_stops_strangers_but_not_known_sources() {
        let t = LoginThrottle::new(settings());
        t.success("alice", ip("2.2.2.2"));
        for i in 0..6 {
            t.failure("alice", ip(&format!("9.9.9.{i}")));
        }
        assert!(t.check("alice", ip("8.8.8.8")).is_err(), "cap not applied");
        assert!(t.check("alice", ip("2.2.2.2")).is_ok(), "owner locked out");
        assert!(t.check("bob", ip("8.8.8.8")).is_ok());
    }

    #[test]
    fn success_clears_the_pair_delay() {
        let t = LoginThrottle::new(settings());
        for _ in 0..3 {
            t.failure("alice", ip("1.1.1.1"));
        }
        assert!(t.check("alice", ip("1.1.1.1")).is_err());
        t.success("alice", ip("1.1.1.1"));
        assert!(t.check("alice", ip("1.1.1.1")).is_ok());
    }

    #[test]
    fn asvs_2_4_1_rate_limiter_counts_per_key_and_window() {
        let r = RateLimiter::default();
        let rate = Rate::new(2, 60);
        assert!(r.hit(Class::Login, "ip:1", rate).is_ok());
        assert!(r.hit(Class::Login, "ip:1", rate).is_ok());
        let wait = r.hit(Class::Login, "ip:1", rate).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(58));
        assert!(r.hit(Class::Login, "ip:2", rate).is_ok());
        assert!(r.hit(Class::Register, "ip:1", rate).is_ok());
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        use super::super::limit_address;
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limit_address(a), limit_address(b));
        assert_eq!(
            limit_address(a),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_ne!(limit_address(a), limit_address(other));
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            limit_address(mapped),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(limit_address(v4), v4);
    }

    #[test]
    fn endpoint_classes() {
        assert_eq!(Class::of(&Method::POST, "/api/login"), Some(Class::Login));
        assert_eq!(
            Class::of(&Method::GET, "/auth/oidc/callback"),
            Some(Class::Login)
        );
        assert_eq!(
            Class::of(&Method::GET, "/auth/oidc/start"),
            Some(Class::ServerFn)
        );
        assert_eq!(
            Class::of(&Method::POST, "/api/register"),
            Some(Class::Register)
        );
        assert_eq!(Class::of(&Method::POST, "/api/me"), Some(Class::ServerFn));
        assert_eq!(
            Class::of(&Method::GET, "/api/v1/documents"),
            Some(Class::Api)
        );
        assert_eq!(Class::of(&Method::GET, "/pkg/motto.js"), None);
        assert_eq!(
            Class::of(&Method::POST, "/documents/upload"),
            Some(Class::Heavy)
        );
        assert_eq!(
            Class::of(&Method::POST, "/account/export"),
            Some(Class::Heavy)
        );
        assert_eq!(
            Class::of(&Method::GET, "/admin/audit/export"),
            Some(Class::Heavy)
        );
        assert_eq!(
            Class::of(&Method::GET, "/conversations/7/export"),
            Some(Class::Heavy)
        );
        assert_eq!(Class::of(&Method::GET, "/documents/upload"), None);
        assert_eq!(Class::of(&Method::GET, "/s/abc"), Some(Class::ServerFn));
        assert_eq!(Class::of(&Method::POST, "/s/abc"), Some(Class::Login));
        for path in [
            "/api/v1/auth/token",
            "/api/v1/auth/refresh",
            "/api/v1/auth/revoke",
        ] {
            assert_eq!(Class::of(&Method::POST, path), Some(Class::Login), "{path}");
        }
        assert_eq!(Class::of(&Method::GET, "/"), None);
    }
}
