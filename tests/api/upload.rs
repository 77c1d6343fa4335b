//! Uploads: Markdown, text and PDF files become documents; anything else is refused.

use crate::db_test;
use crate::helpers::{TestApp, GOOD_PASSWORD};

/// A small, valid PDF whose page says `text` (Helvetica, one content stream).
pub fn pdf_with_text(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

async fn signed_in(app: &TestApp) {
    assert_eq!(
        app.register("uma", "uma@example.com", GOOD_PASSWORD)
            .await
            .status(),
        200
    );
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    let form = reqwest::multipart::Form::new().part("file", part);
    client
        .post(format!("{}/documents/upload", app.url))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

async fn body_of(app: &TestApp, id: i64) -> String {
    let res = app
        .call(&app.client, "documents/get", &[("id", &id.to_string())])
        .await;
    let doc: serde_json::Value = res.json().await.unwrap();
    doc["body"].as_str().unwrap().to_string()
}

db_test!(markdown_text_and_pdf_files_become_documents, |backend| {
    let app = TestApp::spawn(backend).await;
    signed_in(&app).await;
    for (name, bytes, expect) in [
        (
            "notes.md",
            b"# Notes\n\nfrom a file".to_vec(),
            "from a file",
        ),
        ("plain.txt", b"just text".to_vec(), "just text"),
        (
            "report.pdf",
            pdf_with_text("Quarterly figures rose"),
            "Quarterly figures rose",
        ),
    ] {
        let res = upload(&app, &app.client, name, bytes).await;
        assert_eq!(res.status(), 201, "{name}: {:?}", res.text().await);
        let id = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let body = body_of(&app, id).await;
        assert!(body.contains(expect), "{name}: {body:?}");
    }
    // The file name is the title, and the PDF's text is searchable.
    let hits: serde_json::Value = app
        .call(&app.client, "documents/search", &[("query", "quarterly")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hits[0]["title"], "report");
    app.stop().await;
});

db_test!(disguised_and_unsupported_files_are_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    signed_in(&app).await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    for (name, bytes, expect) in [
        ("picture.md", png.clone(), "not UTF-8 text"),
        ("fake.pdf", b"not a pdf at all".to_vec(), "not a PDF"),
        ("tool.exe", b"MZ\x90\0".to_vec(), "Motto takes"),
        ("empty.txt", Vec::new(), "empty"),
        ("latin1.txt", vec![0x63, 0x61, 0x66, 0xe9], "UTF-8"),
    ] {
        let res = upload(&app, &app.client, name, bytes).await;
        assert_eq!(res.status(), 422, "{name}");
        let text = res.text().await.unwrap();
        assert!(text.contains(expect), "{name}: {text}");
    }
    assert_eq!(app.count("documents").await, 0);
    app.stop().await;
});

db_test!(uploads_over_the_limit_are_refused, |backend| {
    let app = TestApp::spawn_with_vars(backend, &[("UPLOAD_MAX_BYTES", "1048576")]).await;
    signed_in(&app).await;
    // 413, or the connection closed while the client was still sending.
    let part = reqwest::multipart::Part::bytes(vec![b'a'; 2 * 1024 * 1024]).file_name("big.txt");
    let res = app
        .client
        .post(format!("{}/documents/upload", app.url))
        .header("accept", "application/json")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await;
    match res {
        Ok(res) => assert_eq!(res.status(), 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    assert_eq!(app.count("documents").await, 0);
    app.stop().await;
    // Over the ordinary 2 MiB request limit is fine when the upload limit allows it.
    let app = TestApp::spawn(backend).await;
    signed_in(&app).await;
    let res = upload(&app, &app.client, "big.md", vec![b'a'; 3 * 1024 * 1024]).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    assert_eq!(app.count("documents").await, 1);
    app.stop().await;
});

db_test!(anonymous_uploads_are_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = upload(&app, &app.new_client(), "notes.md", b"# hi".to_vec()).await;
    assert_eq!(res.status(), 401);
    assert_eq!(app.count("documents").await, 0);
    app.stop().await;
});

db_test!(
    a_refused_upload_without_javascript_comes_back_with_a_code_not_text,
    |backend| {
        let app = TestApp::spawn(backend).await;
        signed_in(&app).await;
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"MZ\x90\x00".to_vec()).file_name("tool.exe"),
        );
        let res = app
            .client
            .post(format!("{}/documents/upload", app.url))
            .header("accept", "text/html")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(to, "/documents/upload?error=file_type");
        let page = app.get(&to).await.text().await.unwrap();
        assert!(
            page.contains("Motto takes Markdown (.md), text (.txt) and PDF (.pdf) files."),
            "{page}"
        );
        // A link with words of its own puts nothing on the page.
        let page = app
            .get("/documents/upload?error=Your+files+were+deleted.+Log+in+at+evil.example")
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("evil.example"), "{page}");
        app.stop().await;
    }
);
