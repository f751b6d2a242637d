//! Field types of `keyturn.toml` that validate themselves while being parsed, so the TOML
//! parser attaches the offending value's line and column to every error.

use std::fmt;

use serde::{Deserialize, Deserializer, de::Error as _};

/// A vendor API base URL. `https://` anywhere; plain `http://` only on loopback, because a
/// token must never cross a network in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(url::Url);

impl BaseUrl {
    /// Parses and checks a base URL; the trailing slash is dropped.
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let url = parse_http_url(text)?;
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(format!(
                "`{text}` uses plain http:// on a non-loopback host; tokens must never cross a network in clear — use https://"
            ));
        }
        Ok(BaseUrl(url))
    }

    /// The URL as text, without a trailing slash: `format!("{base}/account")` is safe.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// True when the host is loopback (the simulator).
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }
}

/// Any http(s) URL (the health endpoint: no token is sent to it).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    pub fn parse(text: &str) -> Result<HttpUrl, String> {
        parse_http_url(text).map(HttpUrl)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

fn parse_http_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" | "http" if url.host().is_some() => Ok(url),
        "https" | "http" => Err(format!("`{text}` has no host")),
        other => Err(format!("`{text}`: scheme `{other}` is not http(s)")),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `owner/repo` on GitHub.
#[derive(Clone, PartialEq, Eq)]
pub struct RepoSlug {
    pub owner: String,
    pub name: String,
}

impl RepoSlug {
    pub fn parse(text: &str) -> Result<RepoSlug, String> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match text.split_once('/') {
            Some((owner, name)) if ok(owner) && ok(name) => Ok(RepoSlug {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(format!(
                "`{text}` is not `owner/repo` (e.g. raxx-app/TradeMasterAPI)"
            )),
        }
    }
}

/// The secret's name: valid as an Infisical key, a Heroku config var and a GitHub secret
/// (letters, digits, `_`; not starting with a digit or `GITHUB_`).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(text: &str) -> Result<SecretName, String> {
        let valid_chars =
            !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_chars {
            return Err(format!(
                "secret name `{text}` may hold only letters, digits and `_`"
            ));
        }
        if text.starts_with(|c: char| c.is_ascii_digit())
            || text.to_ascii_uppercase().starts_with("GITHUB_")
        {
            return Err(format!(
                "secret name `{text}` may not start with a digit or `GITHUB_` (GitHub's rule)"
            ));
        }
        Ok(SecretName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Heroku app names: at least one, no duplicates, Heroku's naming rule.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AppList(Vec<String>);

impl AppList {
    pub fn parse(names: Vec<String>) -> Result<AppList, String> {
        if names.is_empty() {
            return Err("`apps` is empty: list at least one Heroku app".to_owned());
        }
        for (i, name) in names.iter().enumerate() {
            let valid = name.len() >= 3
                && name.len() <= 30
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(format!(
                    "`{name}` is not a Heroku app name (3–30 chars: lowercase letters, digits, dashes; starts with a letter)"
                ));
            }
            if names[..i].contains(name) {
                return Err(format!("app `{name}` is listed twice"));
            }
        }
        Ok(AppList(names))
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// A vault folder path: absolute, no trailing slash except the root.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FolderPath(String);

impl FolderPath {
    pub fn parse(text: &str) -> Result<FolderPath, String> {
        if !text.starts_with('/') {
            return Err(format!(
                "secret_path `{text}` must start with `/` (e.g. /MooseQuest/heroku)"
            ));
        }
        let trimmed = if text.len() > 1 {
            text.trim_end_matches('/')
        } else {
            text
        };
        Ok(FolderPath(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_field {
    ($ty:ty) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                <$ty>::parse(&text).map_err(D::Error::custom)
            }
        }
    };
}

text_field!(BaseUrl);
text_field!(HttpUrl);
text_field!(RepoSlug);
text_field!(SecretName);
text_field!(FolderPath);

impl<'de> Deserialize<'de> for AppList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        AppList::parse(Vec::<String>::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

macro_rules! show_as_text {
    ($ty:ty, $get:expr) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($get(self))
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", $get(self))
            }
        }
    };
}

show_as_text!(BaseUrl, BaseUrl::as_str);
show_as_text!(HttpUrl, HttpUrl::as_str);
show_as_text!(SecretName, SecretName::as_str);

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl fmt::Debug for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl fmt::Display for FolderPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[allow(clippy::unwrap_used)] // constant, known-good URLs
pub(super) fn default_infisical_url() -> BaseUrl {
    BaseUrl::parse("https://app.infisical.com").unwrap()
}

#[allow(clippy::unwrap_used)]
pub(super) fn default_github_url() -> BaseUrl {
    BaseUrl::parse("https://api.github.com").unwrap()
}

#[allow(clippy::unwrap_used)]
pub(super) fn default_github_web_url() -> BaseUrl {
    BaseUrl::parse("https://github.com").unwrap()
}

#[allow(clippy::unwrap_used)]
pub(super) fn default_heroku_url() -> BaseUrl {
    BaseUrl::parse("https://api.heroku.com").unwrap()
}

pub(super) fn default_ref() -> String {
    "main".to_owned()
}

pub(super) fn default_scope() -> Vec<String> {
    vec!["global".to_owned()]
}

pub(super) fn default_description() -> String {
    "raxx-platform-token-{date}".to_owned()
}
