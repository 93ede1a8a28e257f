//! Photos on the filing form (issue 7): a resident attaches a photo in a real Chromium, the
//! handling department's clerk sees it on the appeal page and fetches it with safe headers;
//! over HTTP, a file that is not an image whatever its name, one too large, one too many and a
//! request beyond the bound are refused with nothing written; a retry stores the photos once;
//! another department's clerk and an anonymous visitor cannot fetch a photo.

use fantoccini::Locator;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::web_e2e::{Browser, PASSWORD, page_as};

/// Any 32 hex digits: the form repeats the cookie (double submit).
const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// A valid `width` × `height` RGB PNG of one colour, built here (no image crate needed): the
/// signature, IHDR, one stored (uncompressed) zlib block in IDAT, IEND.
fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("len").to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        out.extend_from_slice(&typed);
        out.extend_from_slice(&crc32(&typed).to_be_bytes());
    }
    // each row: filter type 0 (none), then the pixels
    let row: Vec<u8> = std::iter::once(0)
        .chain((0..width).flat_map(|_| rgb))
        .collect();
    let raw = row.repeat(height as usize);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    let len = u16::try_from(raw.len()).expect("small image");
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A PNG padded (after IEND, where decoders stop reading) to `size` bytes.
fn png_of_size(size: usize) -> Vec<u8> {
    let mut bytes = png(2, 2, [200, 30, 30]);
    bytes.resize(size, 0);
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The filing form's fields, as the browser sends them (a heating complaint).
fn filing(form_key: &str) -> Form {
    [
        ("csrf", CSRF),
        ("form_key", form_key),
        ("appellant_kind", "citizen"),
        ("kind", "complaint"),
        ("category", "03.01.01"),
        ("district", "210302"),
        ("street", "210302001"),
        ("title", "小区暖气不热"),
        ("content", "室温只有14度，已持续一周。"),
        ("name", "张三"),
        ("phone", "13812341234"),
    ]
    .into_iter()
    .fold(Form::new(), |form, (k, v)| form.text(k, v.to_owned()))
}

fn photo(form: Form, bytes: Vec<u8>, file_name: &str, claimed_type: &str) -> Form {
    form.part(
        "photos",
        Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(claimed_type)
            .expect("mime"),
    )
}

/// Posts the filing form as multipart; (status, page).
async fn post_filing(app: &TestApp, form: Form) -> (StatusCode, String) {
    let r = app
        .client
        .post(app.url("/"))
        .header("Cookie", format!("minxin_csrf={CSRF}"))
        .multipart(form)
        .send()
        .await
        .expect("post");
    let status = r.status();
    (status, r.text().await.expect("page"))
}

fn tracking_no_in(page: &str) -> String {
    let start = page.find("id=\"tracking-no\">").expect("a receipt") + 17;
    page[start..start + 18].to_owned()
}

fn stored(app: &TestApp) -> (i64, i64) {
    (
        app.count("SELECT count(*) FROM appeals"),
        app.count("SELECT count(*) FROM attachments"),
    )
}

fn appeal_id(app: &TestApp, tracking_no: &str) -> Uuid {
    use diesel::prelude::*;
    use minxin::db::schema::appeals;
    appeals::table
        .filter(appeals::tracking_no.eq(tracking_no))
        .select(appeals::id)
        .first(&mut app.conn())
        .expect("the appeal")
}

async fn dispatch_to_heating(app: &TestApp, id: Uuid) {
    let dispatcher = app.login("dispatcher").await;
    let r = app
        .post(
            &format!("/api/v1/appeals/{id}/dispatch"),
            &json!({"lead_department_code": "heating"}),
            Some(&dispatcher),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[actix_web::test]
async fn a_resident_attaches_a_photo_and_the_handling_clerk_sees_it() {
    // Arrange: a small PNG on disk, as a phone's gallery would offer it
    let app = spawn_app().await;
    let bytes = png(2, 2, [30, 90, 200]);
    let file = std::env::temp_dir().join(format!("minxin-photo-{}.png", Uuid::new_v4()));
    std::fs::write(&file, &bytes).expect("write the photo");
    let phone = Browser::start(360, 740).await;

    // Act: file with the photo
    phone.goto(&app, "/").await;
    phone.select("kind", "complaint").await;
    phone.fill("category", "03.01.01").await;
    phone.select("district", "210302").await;
    phone.select("street", "210302001").await;
    phone.fill("title", "小区暖气不热").await;
    phone.fill("content", "室温只有14度，已持续一周。").await;
    phone.fill("name", "张三").await;
    phone.fill("phone", "13812341234").await;
    phone
        .client
        .find(Locator::Id("photos"))
        .await
        .expect("the file input")
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the photo");
    phone.click("submit").await;

    // Assert: the receipt counts it; the database holds it, typed by its content, with no name
    let tracking_no = phone.text("tracking-no").await;
    assert!(phone.text("receipt-photos").await.contains('1'));
    phone.close().await;
    let _ = std::fs::remove_file(&file);
    let id = appeal_id(&app, &tracking_no);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM attachments WHERE appeal_id = '{id}' AND content_type = 'image/png' \
             AND byte_size = {} AND sha256 = '{}' AND bytes = '\\x{}'::bytea",
            bytes.len(),
            sha256(&bytes),
            hex::encode(&bytes)
        )),
        1
    );
    // the audit chain vouches for the photo by its digest
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_events WHERE appeal_id = '{id}' AND action = 'intake' \
             AND details->'photos' = '[\"{}\"]'::jsonb",
            sha256(&bytes)
        )),
        1
    );

    // the clerk of the handling department sees it on the appeal page
    dispatch_to_heating(&app, id).await;
    let desk = Browser::start(1280, 900).await;
    desk.goto(&app, &format!("/staff/appeals/{id}")).await;
    desk.fill("username", "clerk.heating").await;
    desk.fill("password", PASSWORD).await;
    desk.click("login-submit").await;
    assert_eq!(desk.text("appeal-title").await, "小区暖气不热");
    let width = desk
        .client
        .execute(
            "const img = document.querySelector('#photos img'); \
             return img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth));",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(width, json!(2), "the photo loads on the page");
    let href = desk
        .client
        .find(Locator::Css("#photos a"))
        .await
        .expect("a link to the photo")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    desk.close().await;

    // fetched on its own: the same bytes, the stored type, and headers that keep it inert
    let clerk = app.login("clerk.heating").await;
    let r = page_as(&app, &href, &clerk).await;
    assert_eq!(r.status(), StatusCode::OK);
    let headers = r.headers().clone();
    let photo_id = href.rsplit('/').next().expect("photo id");
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"].to_str().expect("ascii"),
        format!("inline; filename=\"{photo_id}.png\"")
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .expect("ascii")
            .starts_with("private")
    );
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), bytes.as_slice());

    // the JSON API lists it for staff (no bytes) and serves it with a token; the appellant's
    // view counts it
    let view = app
        .get(&format!("/api/v1/appeals/{id}"), Some(&clerk))
        .await;
    assert_eq!(view.body["photos"][0]["id"], json!(photo_id));
    assert_eq!(view.body["photos"][0]["sha256"], json!(sha256(&bytes)));
    assert!(view.body["photos"][0].get("bytes").is_none());
    let url = view.body["photos"][0]["url"].as_str().expect("url");
    let r = app
        .client
        .get(app.url(url))
        .bearer_auth(&clerk)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
}

#[actix_web::test]
async fn a_photo_is_seen_only_by_staff_who_may_see_the_appeal() {
    // Arrange: an appeal with a photo, dispatched to the heating company
    let app = spawn_app().await;
    let (status, page) = post_filing(
        &app,
        photo(filing("f-1"), png(2, 2, [1, 2, 3]), "a.png", "image/png"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let id = appeal_id(&app, &tracking_no_in(&page));
    dispatch_to_heating(&app, id).await;
    let photo_id: Uuid = {
        use diesel::prelude::*;
        use minxin::db::schema::attachments;
        attachments::table
            .filter(attachments::appeal_id.eq(id))
            .select(attachments::id)
            .first(&mut app.conn())
            .expect("a photo")
    };
    let path = format!("/staff/appeals/{id}/photos/{photo_id}");

    // Act and Assert: the handling clerk and the dispatcher may; another department may not
    for (who, expected) in [
        ("clerk.heating", StatusCode::OK),
        ("dispatcher", StatusCode::OK),
        ("clerk.urban", StatusCode::FORBIDDEN),
    ] {
        let token = app.login(who).await;
        let r = page_as(&app, &path, &token).await;
        assert_eq!(r.status(), expected, "{who}");
        let r = app
            .get(
                &format!("/api/v1/appeals/{id}/photos/{photo_id}"),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, expected, "{who} through the API");
    }
    let urban = app.login("clerk.urban").await;
    let r = page_as(&app, &path, &urban).await;
    assert!(
        !r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("image/")
    );

    // unknown appeal, unknown photo, a photo asked for under another appeal: 404
    let heating = app.login("clerk.heating").await;
    let other = app.file_one().await;
    for wrong in [
        format!("/staff/appeals/{}/photos/{photo_id}", Uuid::new_v4()),
        format!("/staff/appeals/{id}/photos/{}", Uuid::new_v4()),
        format!("/staff/appeals/{id}/photos/not-a-uuid"),
    ] {
        let r = page_as(&app, &wrong, &heating).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{wrong}");
    }
    let dispatcher = app.login("dispatcher").await;
    let r = page_as(
        &app,
        &format!("/staff/appeals/{other}/photos/{photo_id}"),
        &dispatcher,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // anonymous: to the login page and back; through the API, 401
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url(&path))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/staff/login?next=/staff/appeals/{id}/photos/{photo_id}").as_str()
    );
    let r = app
        .get(&format!("/api/v1/appeals/{id}/photos/{photo_id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn refused_photos_are_named_beside_the_field_and_nothing_is_written() {
    // Arrange: photos of at most 4 KiB, so that "too large" is cheap to send
    let app = spawn_app_with(|s| s.photos.max_bytes = 4096).await;
    let ok = || png(2, 2, [9, 9, 9]);
    let cases: Vec<(&str, Form, &str)> = vec![
        (
            "text named .jpg and claimed to be a JPEG",
            photo(
                filing("k-text"),
                b"just some text, not a photo".to_vec(),
                "photo.jpg",
                "image/jpeg",
            ),
            "按文件内容判断",
        ),
        (
            "an SVG (it can carry script)",
            photo(
                filing("k-svg"),
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"
                    .to_vec(),
                "photo.png",
                "image/png",
            ),
            "按文件内容判断",
        ),
        (
            "a good photo and then a bad one",
            photo(
                photo(filing("k-mixed"), ok(), "a.png", "image/png"),
                b"%PDF-1.7".to_vec(),
                "b.png",
                "image/png",
            ),
            "按文件内容判断",
        ),
        (
            "a photo over the size limit",
            photo(filing("k-big"), png_of_size(4097), "big.png", "image/png"),
            "照片太大",
        ),
        (
            "four photos when three are allowed",
            (0..4).fold(filing("k-four"), |f, i| {
                photo(f, ok(), &format!("{i}.png"), "image/png")
            }),
            "最多只能附 3 张照片",
        ),
    ];
    for (case, form, said) in cases {
        // Act
        let (status, page) = post_filing(&app, form).await;

        // Assert: the form again, the problem beside the photo field, the rest kept, the
        // photos asked for again, and nothing stored
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}: {page}");
        assert!(page.contains("id=\"photos-error\""), "{case}: {page}");
        assert!(page.contains(said), "{case}: {said}");
        assert!(page.contains("id=\"photos-again\""), "{case}");
        assert!(
            page.contains("value=\"小区暖气不热\"") && page.contains("室温只有14度"),
            "{case}: the input is kept"
        );
        assert_eq!(stored(&app), (0, 0), "{case}");
    }

    // a refusal of another field keeps none of the good photos either, and says to choose
    // them again
    let form = photo(filing("k-title"), ok(), "a.png", "image/png").text("title", "");
    let (status, page) = post_filing(&app, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"title-error\"") && page.contains("id=\"photos-again\""));
    // so does one refused inside the intake's transaction (an unknown division)
    let form = photo(filing("k-division"), ok(), "a.png", "image/png")
        .text("street", "")
        .text("district", "999999");
    let (status, _) = post_filing(&app, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&app), (0, 0));

    // a request larger than 3 photos and the form's text may be: 413 before it is read
    let big = (0..3).fold(filing("k-huge"), |f, i| {
        photo(f, png_of_size(40_000), &format!("{i}.png"), "image/png")
    });
    let (status, page) = post_filing(&app, big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert!(page.contains("出错了"), "a page, not JSON: {page}");
    assert_eq!(stored(&app), (0, 0));

    // the same bound holds for a request that does not say its length (chunked)
    let mut body = Vec::new();
    for (name, value) in [("csrf", CSRF), ("form_key", "k-chunked"), ("title", "x")] {
        body.extend_from_slice(
            format!("--XYZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for i in 0..3 {
        body.extend_from_slice(
            format!(
                "--XYZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{i}.png\"\r\n\
                 Content-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&png_of_size(40_000));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--XYZ--\r\n");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let r = app
        .client
        .post(app.url("/"))
        .header("Cookie", format!("minxin_csrf={CSRF}"))
        .header("Content-Type", "multipart/form-data; boundary=XYZ")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(stored(&app), (0, 0));

    // and with the problems gone, the same form files with its photos
    let (status, page) = post_filing(
        &app,
        photo(
            photo(filing("k-good"), ok(), "a.png", "image/png"),
            png(3, 1, [0, 0, 0]),
            "b.jpg",
            "application/octet-stream",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(stored(&app), (1, 2));
    assert_eq!(
        app.count("SELECT count(*) FROM attachments WHERE content_type = 'image/png'"),
        2,
        "the type comes from the bytes, not the name or the claimed type"
    );
}

#[actix_web::test]
async fn a_retry_with_the_same_form_key_stores_the_appeal_and_its_photos_once() {
    let app = spawn_app().await;
    let photos = || {
        photo(
            photo(
                filing("same-key"),
                png(2, 2, [5, 5, 5]),
                "a.png",
                "image/png",
            ),
            png(1, 1, [7, 7, 7]),
            "b.png",
            "image/png",
        )
    };

    // Act: the same form sent twice (a double click, a reload of the POST)
    let (first_status, first) = post_filing(&app, photos()).await;
    let (second_status, second) = post_filing(&app, photos()).await;

    // Assert: one appeal, two photos, the same receipt
    assert_eq!(first_status, StatusCode::OK, "{first}");
    assert_eq!(second_status, StatusCode::OK, "{second}");
    assert_eq!(tracking_no_in(&first), tracking_no_in(&second));
    assert_eq!(stored(&app), (1, 2));
    assert_eq!(
        app.count("SELECT count(DISTINCT position) FROM attachments"),
        2
    );

    // the same key with other photos is another request: refused, nothing added
    let (status, _) = post_filing(
        &app,
        photo(
            filing("same-key"),
            png(4, 4, [1, 1, 1]),
            "c.png",
            "image/png",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&app), (1, 2));
}

#[actix_web::test]
async fn the_form_without_photos_files_as_before_in_either_encoding() {
    let app = spawn_app().await;

    // multipart with the file input left empty (browsers send an empty part)
    let form = filing("no-photos").part(
        "photos",
        Part::bytes(Vec::new())
            .file_name("")
            .mime_str("application/octet-stream")
            .expect("mime"),
    );
    let (status, page) = post_filing(&app, form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(!page.contains("id=\"receipt-photos\""));
    assert_eq!(stored(&app), (1, 0));

    // URL-encoded, as the form was before it could carry photos
    let r = app
        .client
        .post(app.url("/"))
        .header("Cookie", format!("minxin_csrf={CSRF}"))
        .form(&[
            ("csrf", CSRF),
            ("form_key", "urlencoded"),
            ("appellant_kind", "citizen"),
            ("kind", "complaint"),
            ("district", "210302"),
            ("title", "路灯不亮"),
            ("content", "小区门口路灯坏了。"),
            ("name", "李四"),
            ("phone", "13912341234"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    let tracking_no = tracking_no_in(&page);
    assert_eq!(stored(&app), (2, 0));

    // the appellant's view says how many photos came with it
    let view: Value = app
        .get(
            &format!(
                "/api/v1/appeals/{tracking_no}?access_code={}",
                access_code_in(&page)
            ),
            None,
        )
        .await
        .body;
    assert_eq!(view["photo_count"], json!(0));
}

fn access_code_in(page: &str) -> String {
    let start = page.find("id=\"access-code\">").expect("a receipt") + 17;
    page[start..start + 8].to_owned()
}

#[actix_web::test]
async fn the_tracking_page_says_how_many_photos_were_attached() {
    let app = spawn_app().await;
    let (status, page) = post_filing(
        &app,
        photo(
            photo(filing("track"), png(2, 2, [5, 5, 5]), "a.png", "image/png"),
            png(1, 1, [7, 7, 7]),
            "b.png",
            "image/png",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let r = app
        .client
        .post(app.url("/track"))
        .header("Cookie", format!("minxin_csrf={CSRF}"))
        .form(&[
            ("csrf", CSRF),
            ("tracking_no", tracking_no_in(&page).as_str()),
            ("access_code", access_code_in(&page).as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let tracked = r.text().await.expect("page");
    assert!(tracked.contains("id=\"photo-count\">2 张"), "{tracked}");
}
