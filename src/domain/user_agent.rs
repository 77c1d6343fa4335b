//! A readable "browser on system" label for a session, from its User-Agent header
//! ("Firefox 128 on Linux").
//!
//! Written here rather than with a user-agent parsing crate on purpose: the label
//! only names the families people recognise, this module is compiled into the
//! browser bundle too (the type lives in `domain`), and the general parsers carry
//! uap-core's full set of regular expressions (hundreds of patterns compiled at
//! start) to tell apart thousands of clients a session list never needs. The
//! families shown are covered by the tests below; anything else is "Unknown
//! browser", never a wrong name.

/// A readable "browser on system" for a User-Agent header. Deliberately small: the
/// families people recognise, with the browser's major version.
pub fn describe(ua: Option<&str>) -> String {
    let Some(ua) = ua.filter(|u| !u.trim().is_empty()) else {
        return "Unknown device".into();
    };
    let version = |marker: &str| {
        ua.split(marker)
            .nth(1)
            .and_then(|rest| rest.split(['.', ' ', ';', ')']).next())
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
            .map(|v| format!(" {v}"))
            .unwrap_or_default()
    };
    let browser = if ua.contains("Edg/") {
        format!("Edge{}", version("Edg/"))
    } else if ua.contains("OPR/") {
        format!("Opera{}", version("OPR/"))
    } else if ua.contains("Firefox/") {
        format!("Firefox{}", version("Firefox/"))
    } else if ua.contains("HeadlessChrome/") {
        format!("Headless Chrome{}", version("HeadlessChrome/"))
    } else if ua.contains("Chrome/") {
        format!("Chrome{}", version("Chrome/"))
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        format!("Safari{}", version("Version/"))
    } else if let Some(tool) = ["curl/", "Wget/", "python-requests/", "reqwest"]
        .iter()
        .find(|t| ua.starts_with(**t))
    {
        tool.trim_end_matches('/').to_string()
    } else {
        "Unknown browser".into()
    };
    let os = if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        ""
    };
    if os.is_empty() {
        browser
    } else {
        format!("{browser} on {os}")
    }
}

#[cfg(test)]
mod tests {
    use super::describe as d;

    #[test]
    fn common_browsers_and_systems_are_named() {
        assert_eq!(
            d(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            )),
            "Firefox 128 on Linux"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70")),
            "Edge 131 on Windows"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15")),
            "Safari 17 on macOS"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")),
            "Safari 17 on iOS"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")),
            "Chrome 131 on Android"
        );
        assert_eq!(d(Some("curl/8.5.0")), "curl");
        assert_eq!(d(Some("something odd")), "Unknown browser");
        assert_eq!(d(None), "Unknown device");
        assert_eq!(d(Some("  ")), "Unknown device");
    }
}
