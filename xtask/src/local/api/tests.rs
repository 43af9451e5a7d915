//! The local API's tests: routing, events, replies.

use super::*;

#[test]
fn the_event_carries_what_api_gateway_would() {
    let request = Request::builder()
        .method("POST")
        .uri("/products/a%20b/images?x=1&x=2&q=%C3%A9")
        .header("accept", "text/plain")
        .header("accept", "application/json")
        .header("cookie", "a=1; b=2")
        .header("content-type", "image/png")
        .body(())
        .unwrap_or_default();
    let (parts, ()) = request.into_parts();
    let matched = Matched {
        route_key: "POST /products/{id}/images".to_owned(),
        function: "F".to_owned(),
        path_parameters: BTreeMap::from([("id".to_owned(), "a b".to_owned())]),
    };
    let peer: SocketAddr = ([127, 0, 0, 1], 4000).into();
    let event = http_event(&parts, b"\x89PNG", &matched, peer, "req-1");
    let json = serde_json::to_value(&event).unwrap_or_default();
    assert_eq!(json["version"], "2.0");
    assert_eq!(json["headers"]["accept"], "text/plain,application/json");
    assert_eq!(json["headers"].get("cookie"), None);
    assert_eq!(json["cookies"], json!(["a=1", "b=2"]));
    assert_eq!(
        json["queryStringParameters"],
        json!({ "x": "1,2", "q": "é" })
    );
    assert_eq!(json["rawQueryString"], "x=1&x=2&q=%C3%A9");
    assert_eq!(json["pathParameters"], json!({ "id": "a b" }));
    assert_eq!(json["requestContext"]["http"]["method"], "POST");
    assert_eq!(json["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(json["requestContext"]["requestId"], "req-1");
    assert_eq!(json["isBase64Encoded"], true);
    assert_eq!(json["body"], BASE64.encode(b"\x89PNG"));
}

fn router() -> Router {
    let yaml = r#"
Resources:
  Products:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/products
      Events:
        List: { Type: HttpApi, Properties: { Path: /products, Method: GET } }
        One: { Type: HttpApi, Properties: { Path: "/products/{id}", Method: GET } }
  Special:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/special
      Events:
        Featured: { Type: HttpApi, Properties: { Path: /products/featured, Method: GET } }
        Files: { Type: HttpApi, Properties: { Path: "/files/{proxy+}", Method: ANY } }
  Fallback:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/fallback
      Events:
        Default: { Type: HttpApi }
"#;
    let template = Template::parse(yaml, &Default::default()).unwrap_or_else(|e| panic!("{e:#}"));
    Router::from_template(&template)
}

#[test]
fn literal_routes_win_over_variables() {
    let r = router();
    let featured = r.route("GET", "/products/featured");
    assert_eq!(featured.map(|m| m.function), Some("Special".to_owned()));
    let one = r.route("GET", "/products/01J%20X");
    assert_eq!(
        one.as_ref().map(|m| m.route_key.as_str()),
        Some("GET /products/{id}")
    );
    assert_eq!(
        one.map(|m| m.path_parameters["id"].clone()),
        Some("01J X".to_owned())
    );
}

#[test]
fn unmatched_requests_go_to_the_default_route() {
    let r = router();
    for (method, path) in [
        ("POST", "/products"),
        ("GET", "/nothing"),
        ("GET", "/products/a/b"),
    ] {
        let matched = r.route(method, path);
        assert_eq!(
            matched.map(|m| (m.route_key, m.function)),
            Some(("$default".to_owned(), "Fallback".to_owned())),
            "{method} {path}"
        );
    }
}

#[test]
fn greedy_paths_take_the_rest() {
    let matched = router().route("DELETE", "/files/a/b/c.txt");
    assert_eq!(
        matched.map(|m| (m.route_key, m.path_parameters["proxy"].clone())),
        Some(("ANY /files/{proxy+}".to_owned(), "a/b/c.txt".to_owned()))
    );
}

#[test]
fn a_structured_reply_keeps_status_headers_and_cookies() {
    let payload = json!({
        "statusCode": 201,
        "headers": {"content-type": "application/json", "etag": "\"v1\""},
        "cookies": ["a=1; Secure"],
        "body": "{\"ok\":true}",
        "isBase64Encoded": false
    });
    let response = from_lambda(payload.to_string().as_bytes(), "r1");
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "\"v1\"");
    assert_eq!(response.headers()["set-cookie"], "a=1; Secure");
}

#[test]
fn a_bare_reply_is_a_200_json_body() {
    let response = from_lambda(br#"{"hello":"world"}"#, "r1");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
}
