//! The image pipeline: a presigned upload, straight to S3 as a browser sends it, becomes a
//! checked image with a thumbnail, or is rejected and deleted.

use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};

use crate::catalog::product_body;
use crate::helpers::{
    Client, Reply, admin_token, api, assert_problem, create, env, get_as, id, invoke_api, post_as,
    unique,
};

/// A real JPEG of `width` x `height`.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// Asks for an upload and PUTs `bytes` to it as a browser would; returns the image id.
pub async fn upload(admin: &str, product_id: &str, content_type: &str, bytes: Vec<u8>) -> String {
    let reply = post_as(
        admin,
        &format!("/products/{product_id}/images"),
        json!({"content_type": content_type, "content_length": bytes.len()}),
    )
    .await;
    reply.assert_status(201);
    let body = reply.json();
    assert_eq!(body["upload"]["method"], "PUT");
    assert_eq!(body["expires_in"], 900);
    let url = body["upload"]["url"].as_str().unwrap().to_owned();
    // What S3 enforces: the type and the exact length are part of the signature.
    let signed = url.split("X-Amz-SignedHeaders=").nth(1).unwrap_or_default();
    let signed = signed.split('&').next().unwrap_or_default();
    assert!(
        signed.contains("content-length") && signed.contains("content-type"),
        "{signed}"
    );
    let headers: Vec<(String, String)> = body["upload"]["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (base, path) = split_url(&url);
    let put = Client::new(base.to_owned())
        .send(Method::PUT, path, &header_refs, bytes)
        .await;
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    body["image_id"].as_str().unwrap().to_owned()
}

/// Waits until the image leaves `pending`; returns it.
pub async fn settled_image(admin: &str, product_id: &str, image_id: &str) -> Value {
    let image = async || {
        let product = get_as(admin, &format!("/products/{product_id}"))
            .await
            .json();
        let images = product["product"]["images"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let image = images.into_iter().find(|i| i["id"] == image_id);
        image.expect("the image is on the product at once")
    };
    crate::helpers::poll(Duration::from_secs(30), image, |i| i["status"] != "pending").await
}

/// `http://host:port` and `/path?query` of a URL.
pub fn split_url(url: &str) -> (&str, &str) {
    let host_start = url.find("://").unwrap() + 3;
    let path_start = host_start + url[host_start..].find('/').unwrap();
    url.split_at(path_start)
}

pub async fn download(url: &str) -> Reply {
    let (base, path) = split_url(url);
    Client::new(base.to_owned()).get(path).await
}

#[tokio::test]
async fn a_real_jpeg_becomes_ready_with_a_thumbnail_and_a_second_delivery_changes_nothing() {
    let admin = admin_token().await;
    let product = create(
        &admin,
        product_body(&unique("img-"), "Photographed thing", "images-test"),
    )
    .await;
    let product_id = id(&product);
    let image_id = upload(&admin, &product_id, "image/jpeg", jpeg(1280, 960)).await;

    let image = settled_image(&admin, &product_id, &image_id).await;
    assert_eq!(image["status"], "ready", "{image}");
    assert_eq!(
        (image["width"].clone(), image["height"].clone()),
        (json!(1280), json!(960))
    );
    let thumbnail = download(image["thumbnail_url"].as_str().unwrap()).await;
    assert_eq!(thumbnail.status, 200);
    let decoded = image::load_from_memory(&thumbnail.body).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (320, 240));
    let original = download(image["url"].as_str().unwrap()).await;
    assert_eq!(original.status, 200);
    assert_eq!(
        image::load_from_memory(&original.body).unwrap().width(),
        1280
    );

    // The same S3 event, delivered twice more: still one image, unchanged.
    let before = api().get(&format!("/products/{product_id}")).await.json();
    let event = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-21T10:15:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "test"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "1", "x-amz-id-2": "2"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "test",
            "bucket": {"name": env("STOREFRONT_UPLOADS_BUCKET"), "ownerIdentity": {"principalId": "test"}, "arn": "arn:aws:s3:::x"},
            "object": {"key": format!("incoming%2F{product_id}%2F{image_id}"), "size": 1, "sequencer": "01"}}
    }]});
    for _ in 0..2 {
        let invoked = invoke_api()
            .send(
                Method::POST,
                "/2015-03-31/functions/ImageFunction/invocations",
                &[],
                event.to_string(),
            )
            .await;
        assert_eq!(invoked.status, 200);
        assert_eq!(
            invoked.header("x-amz-function-error"),
            None,
            "{}",
            String::from_utf8_lossy(&invoked.body)
        );
    }
    let after = api().get(&format!("/products/{product_id}")).await.json();
    assert_eq!(after, before);
    assert_eq!(after["product"]["images"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_text_file_declared_as_png_is_rejected_and_its_upload_deleted() {
    let admin = admin_token().await;
    let product = create(
        &admin,
        product_body(&unique("txt-"), "Not a picture", "images-test"),
    )
    .await;
    let product_id = id(&product);
    let text = b"this is plain text, whatever its name says (photo.png)".to_vec();
    let image_id = upload(&admin, &product_id, "image/png", text).await;
    let image = settled_image(&admin, &product_id, &image_id).await;
    assert_eq!(image["status"], "rejected", "{image}");
    assert_eq!(image["url"], Value::Null);
    assert_eq!(image["thumbnail_url"], Value::Null);

    let s3 = crate::helpers::moto_s3().await;
    let head = s3
        .head_object()
        .bucket(env("STOREFRONT_UPLOADS_BUCKET"))
        .key(format!("incoming/{product_id}/{image_id}"))
        .send()
        .await;
    assert!(head.is_err(), "the rejected upload is still there");
}

#[tokio::test]
async fn upload_requests_outside_the_limits_are_refused() {
    let admin = admin_token().await;
    let product = create(
        &admin,
        product_body(&unique("lim-"), "Limits", "images-test"),
    )
    .await;
    let path = format!("/products/{}/images", id(&product));
    for (content_type, length) in [
        ("image/gif", 100),
        ("image/jpeg", 0),
        ("image/png", 5 * 1024 * 1024 + 1),
        ("text/plain", 10),
    ] {
        let reply = post_as(
            &admin,
            &path,
            json!({"content_type": content_type, "content_length": length}),
        )
        .await;
        assert_problem(&reply, 400, "validation_failed");
    }
    let unknown = post_as(
        &admin,
        "/products/01NOSUCHPRODUCT0000000000/images",
        json!({"content_type": "image/png", "content_length": 10}),
    )
    .await;
    assert_problem(&unknown, 404, "not_found");
}

#[tokio::test]
async fn only_checked_image_bytes_are_ever_served_from_the_images_bucket() {
    let admin = admin_token().await;
    let product = create(
        &admin,
        product_body(&unique("swap-"), "Swapped", "images-test"),
    )
    .await;
    let product_id = id(&product);
    let picture = jpeg(1600, 1200);
    let length = picture.len();
    let image_id = upload(&admin, &product_id, "image/jpeg", picture).await;
    // The presigned PUT stays valid: keep putting other bytes of the same length under the
    // key while the function works, and again after it finished.
    let uploads = crate::helpers::env("STOREFRONT_UPLOADS_BUCKET");
    let s3 = crate::helpers::moto_s3().await;
    let key = format!("incoming/{product_id}/{image_id}");
    let garbage = vec![b'#'; length];
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        let _ = s3
            .put_object()
            .bucket(&uploads)
            .key(&key)
            .body(garbage.clone().into())
            .send()
            .await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let image = settled_image(&admin, &product_id, &image_id).await;
    if image["status"] == "ready" {
        for url in [&image["url"], &image["thumbnail_url"]] {
            let served = download(url.as_str().unwrap()).await;
            assert_eq!(served.status, 200);
            assert!(
                !served.body.starts_with(b"###"),
                "unchecked bytes are published"
            );
            image::load_from_memory(&served.body).expect("what is served is an image");
        }
        let original = download(image["url"].as_str().unwrap()).await;
        let decoded = image::load_from_memory(&original.body).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (1600, 1200));
    } else {
        assert_eq!(image["status"], "rejected", "{image}");
        assert_eq!(image["url"], serde_json::Value::Null);
    }
}
