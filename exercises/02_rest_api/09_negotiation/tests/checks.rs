use axum::http::{Method, StatusCode};
use backlings_support_http::http::{TestResponse, send};
use rest_negotiation::{Format, negotiate, router, sales, to_csv};

async fn get_accepting(accept: Option<&str>) -> TestResponse {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    send(&router(), Method::GET, "/sales", &headers, None).await
}

#[test]
fn exact_types_and_wildcards() {
    assert_eq!(
        negotiate(None),
        Some(Format::Json),
        "no Accept header: anything, so our default"
    );
    assert_eq!(negotiate(Some("application/json")), Some(Format::Json));
    assert_eq!(negotiate(Some("text/csv")), Some(Format::Csv));
    assert_eq!(negotiate(Some("*/*")), Some(Format::Json));
    assert_eq!(
        negotiate(Some("text/*")),
        Some(Format::Csv),
        "text/* covers text/csv only"
    );
    assert_eq!(negotiate(Some("application/xml")), None);
    assert_eq!(negotiate(Some("text/html, application/xml")), None);
    assert_eq!(
        negotiate(Some("TEXT/CSV")),
        Some(Format::Csv),
        "media types are case-insensitive"
    );
}

#[test]
fn weights_decide_not_the_order() {
    assert_eq!(
        negotiate(Some("text/csv;q=0.5, application/json;q=0.9")),
        Some(Format::Json),
        "the higher q wins, wherever it is in the list"
    );
    assert_eq!(
        negotiate(Some("application/json;q=0.1, text/csv")),
        Some(Format::Csv)
    );
    assert_eq!(
        negotiate(Some(
            "application/json; charset=utf-8; q=0.2, text/csv; q=0.3"
        )),
        Some(Format::Csv),
        "parameters other than q are allowed, with spaces"
    );
    assert_eq!(
        negotiate(Some("text/csv, application/json")),
        Some(Format::Json),
        "equal weights: the server's preference (JSON) decides"
    );
}

#[test]
fn q_zero_excludes_even_through_a_wildcard() {
    assert_eq!(
        negotiate(Some("application/json;q=0, */*")),
        Some(Format::Csv),
        "q=0 means \"not JSON\"; the more specific entry beats */*"
    );
    assert_eq!(
        negotiate(Some("*/*, application/json;q=0")),
        Some(Format::Csv),
        "specificity, not position, decides which entry applies"
    );
    assert_eq!(negotiate(Some("text/csv;q=0, application/json;q=0")), None);
    assert_eq!(negotiate(Some("*/*;q=0")), None);
}

#[test]
fn csv_is_quoted_where_it_must_be() {
    let csv = to_csv(&sales());
    assert_eq!(
        csv,
        "region,product,units\nEMEA,Widget,120\nAPAC,\"Widget, large\",75\nAMER,\"The \"\"Pro\"\" gadget\",30\n",
        "a header row; fields with a comma or a quote are quoted, quotes doubled (RFC 4180)"
    );
    assert_eq!(
        to_csv(&[]),
        "",
        "no rows, no header: nothing was serialized"
    );
}

#[tokio::test]
async fn the_endpoint_answers_in_the_negotiated_format() {
    let json = get_accepting(Some("application/json")).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.json()[0]["region"], "EMEA");

    let csv = get_accepting(Some("text/csv;q=1, application/json;q=0.5")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        csv.text().starts_with("region,product,units\n"),
        "{}",
        csv.text()
    );

    let none = get_accepting(None).await;
    assert_eq!(none.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn unacceptable_is_406_and_every_answer_varies_on_accept() {
    let res = get_accepting(Some("application/xml")).await;
    assert_eq!(res.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let detail = res.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        detail.contains("application/json") && detail.contains("text/csv"),
        "the 406 says what is available: {detail:?}"
    );
    for accept in [Some("application/xml"), Some("text/csv"), None] {
        let res = get_accepting(accept).await;
        assert_eq!(
            res.header("vary").map(str::to_ascii_lowercase).as_deref(),
            Some("accept"),
            "Accept: {accept:?}: without Vary a cache would serve CSV to a JSON client"
        );
    }
}
