use auth_xss::{Comment, render, router, safe_link, security_headers};
use backlings_support_http::http::get;

/// Payloads from the OWASP XSS Filter Evasion Cheat Sheet and PortSwigger's XSS cheat sheet:
/// each would run script if it reached the page as markup.
const PAYLOADS: [&str; 8] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "</p><body onload=alert(1)>",
];

fn comment(author: &str, text: &str, website: Option<&str>) -> Comment {
    Comment {
        author: author.into(),
        text: text.into(),
        website: website.map(Into::into),
    }
}

/// Every tag of `html` with its attribute names: `<a href="x" rel="y">` is `("a", ["href", "rel"])`.
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>').unwrap_or(after.len());
        let inside = &after[..end];
        let name: String = inside
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_lowercase();
        // Attribute names: words followed by `=`, outside quoted values.
        let mut attrs = Vec::new();
        let mut in_quote = None;
        let mut word = String::new();
        for c in inside.chars().skip(name.len()) {
            match (in_quote, c) {
                (Some(q), c) if c == q => in_quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => in_quote = Some(c),
                (None, '=') => {
                    attrs.push(word.trim().to_lowercase());
                    word.clear();
                }
                (None, c) if c.is_whitespace() || c == '/' => word.clear(),
                (None, c) => word.push(c),
            }
        }
        out.push((name, attrs));
        rest = &after[end..];
    }
    out
}

/// The page holds only the elements and attributes of the template: none came from user input.
fn assert_no_injected_markup(html: &str, what: &str) {
    const ELEMENTS: [&str; 9] = [
        "!doctype", "html", "head", "title", "body", "article", "strong", "a", "p",
    ];
    for (name, attrs) in tags(html) {
        assert!(
            ELEMENTS.contains(&name.as_str()),
            "{what}: the page has a `<{name}>` element — user input became markup:\n{html}"
        );
        for attr in attrs {
            assert!(
                attr == "href" || attr == "rel",
                "{what}: `<{name}>` has an attribute `{attr}` — user input added it:\n{html}"
            );
        }
    }
    assert_eq!(
        html.matches("<body").count(),
        1,
        "{what}: one body, the template's:\n{html}"
    );
}

#[test]
fn text_and_authors_are_escaped() {
    for payload in PAYLOADS {
        let html = render(&[comment(payload, payload, None)]);
        assert_no_injected_markup(&html, payload);
    }
    let html = render(&[comment(
        "Ada & Grace",
        "1 < 2 > 0 \"quoted\" 'single'",
        None,
    )]);
    assert!(html.contains("1 &lt; 2 &gt; 0"), "{html}");
    assert!(
        html.contains("Ada &amp; Grace"),
        "the text is shown as typed, escaped: {html}"
    );
}

#[test]
fn a_quote_cannot_leave_the_href_attribute() {
    let url = "https://example.com/\" onmouseover=\"alert(1)";
    let html = render(&[comment("Eve", "hi", Some(url))]);
    assert!(
        !html.contains("\" onmouseover=\""),
        "the quote in the URL closed the attribute and added an event handler:\n{html}"
    );
    assert!(
        html.contains("&quot;"),
        "the quote is escaped inside the attribute: {html}"
    );
}

#[test]
fn only_http_and_https_links_are_links() {
    for ok in [
        "https://ada.example.com",
        "http://ada.example.com/blog?x=1&y=2",
        "HTTPS://ADA.EXAMPLE.COM",
        "  https://ada.example.com  ",
    ] {
        assert!(safe_link(ok).is_some(), "{ok:?} is a web link");
    }
    assert_eq!(
        safe_link("  https://ada.example.com ").unwrap(),
        "https://ada.example.com"
    );
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "javascript\u{0}:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "ada.example.com",
        "",
    ] {
        assert_eq!(
            safe_link(bad),
            None,
            "{bad:?} is not an http(s) link (escaping cannot make `javascript:` harmless: \
             allowlist the scheme)"
        );
    }
}

#[test]
fn the_page_links_safe_websites_only() {
    let html = render(&[
        comment("Ada", "hi", Some("https://ada.example.com")),
        comment("Eve", "hi", Some("JaVaScRiPt:alert(1)")),
    ]);
    assert!(
        html.contains("href=\"https://ada.example.com\""),
        "Ada's website is a link: {html}"
    );
    assert!(
        html.contains("rel=\"nofollow ugc\""),
        "links in user content: {html}"
    );
    assert!(!html.to_lowercase().contains("javascript:"), "{html}");
    assert!(html.contains("Eve"), "Eve is still shown, without a link");
}

#[tokio::test]
async fn the_page_has_a_content_security_policy() {
    let res = get(&router(), "/comments").await;
    let csp = res
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no Content-Security-Policy: {:?}", security_headers()));
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "the policy needs `{directive}`: {csp}"
        );
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains('*'),
        "a policy that allows inline script or any source stops nothing: {csp}"
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_no_injected_markup(&res.text(), "the stored comments");
}
