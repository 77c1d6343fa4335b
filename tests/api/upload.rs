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
    let app = TestApp::on(backend)
        .vars(&[("UPLOAD_MAX_BYTES", "1048576")])
        .spawn()
        .await;
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

// --- Hostile PDFs --------------------------------------------------------------

/// A PDF made of these objects (numbered from 1; object 1 is the catalog).
fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(obj);
        pdf.extend_from_slice(b"\nendobj\n");
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

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

fn page_drawing(content: &[u8], resources: &str) -> Vec<Vec<u8>> {
    vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources {resources} >>").into_bytes(),
        stream("", content),
    ]
}

/// A Form XObject that draws itself: pdf-extract recurses until the stack ends.
fn cyclic_xobject() -> Vec<u8> {
    let mut objects = page_drawing(b"/X1 Do", "<< /XObject << /X1 5 0 R >> >>");
    objects.push(stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X1 5 0 R >> >>",
        b"/X1 Do",
    ));
    pdf_of(&objects)
}

/// Arrays nested 200,000 deep.
fn deep_nesting() -> Vec<u8> {
    let depth = 200_000;
    let mut nested = "[".repeat(depth).into_bytes();
    nested.extend_from_slice("]".repeat(depth).as_bytes());
    let mut objects = page_drawing(b"BT ET", "<< >>");
    objects.push(nested);
    pdf_of(&objects)
}

/// A zlib stream of about 6 MB that inflates to more than 1 GB of zeros: one
/// fixed-Huffman deflate block of a literal 0, then (length 258, distance 1)
/// over and over (13 bits for 258 bytes).
fn flate_bomb() -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        // Deflate packs bits from the least significant end.
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        // Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            let reversed = (0..len).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
            self.put(reversed, len);
        }
    }
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // last block
    b.put(1, 2); // fixed Huffman
    b.code(0b0011_0000, 8); // literal 0
    let repeats = (1u64 << 30) / 258 + 1;
    for _ in 0..repeats {
        b.code(0b1100_0101, 8); // length code 285: 258 bytes
        b.code(0, 5); // distance code 0: distance 1
    }
    b.code(0, 7); // end of block (code 256)
    b.put(0, 7);
    b.out.extend_from_slice(&[0, 0, 0, 1]); // an Adler-32 that is not even right
    let mut objects = page_drawing(b"BT ET", "<< >>");
    objects[3] = stream("/Filter /FlateDecode", &b.out);
    pdf_of(&objects)
}

/// A real `motto serve`: the server process's memory can be read from outside.
async fn serve_with_user(dir: &std::path::Path) -> (std::process::Child, u16, reqwest::Client) {
    let port = crate::helpers::free_port();
    let url = format!("sqlite://{}/motto.db", dir.display());
    let child = crate::helpers::serve_process(dir, &url, port, &[]).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/register"))
        .form(&[
            ("username", "vera"),
            ("email", "vera@example.com"),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    (child, port, client)
}

fn rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap()
        / 1024
}

#[tokio::test]
async fn hostile_pdfs_are_refused_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port, client) = serve_with_user(dir.path()).await;
    let good = pdf_with_text("Plain words");
    let truncated = good[..good.len() / 2].to_vec();
    let corpus = [
        ("cyclic-xobject.pdf", cyclic_xobject()),
        ("deep-nesting.pdf", deep_nesting()),
        ("flate-bomb.pdf", flate_bomb()),
        ("truncated.pdf", truncated),
    ];
    let before = rss_mb(server.id());
    for (name, bytes) in corpus {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        let res = client
            .post(format!("http://127.0.0.1:{port}/documents/upload"))
            .header("accept", "application/json")
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{name}: {body}");
        assert!(
            body.contains("This PDF could not be read.") || body.contains("no text to extract"),
            "{name}: {body}"
        );
        // Still serving, and nothing was stored.
        let health = reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "after {name}");
    }
    let after = rss_mb(server.id());
    assert!(server.try_wait().unwrap().is_none(), "the server died");
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        after < before + 100,
        "server memory went from {before} to {after} MB"
    );
    let db = format!("sqlite://{}/motto.db", dir.path().display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

db_test!(
    asvs_2_4_1_uploads_and_exports_are_rate_limited_per_person,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[("RATE_LIMIT_HEAVY", "2/hour")])
            .spawn()
            .await;
        signed_in(&app).await;
        for i in 0..2 {
            let res = upload(&app, &app.client, &format!("n{i}.md"), b"# note".to_vec()).await;
            assert_eq!(res.status(), 201);
        }
        let res = upload(&app, &app.client, "n3.md", b"# note".to_vec()).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        // The export counts against the same budget.
        let res = app
            .client
            .post(format!("{}/account/export", app.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429);
        app.stop().await;
    }
);
