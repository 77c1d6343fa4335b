use crate::db_test;
use crate::helpers::TestApp;

db_test!(home_page_is_server_rendered, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Your documents and conversations, on your own server."));
    assert!(html.contains("<title>Motto</title>"), "{html}");
    assert!(html.contains("Theme: System"));
    assert!(html.contains("/pkg/motto.js"), "hydration script missing");
    app.stop().await;
});

db_test!(unknown_page_answers_404_with_a_helpful_page, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app.get("/definitely/not/here").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("Go to the home page"));
    app.stop().await;
});

db_test!(theme_cookie_is_rendered_on_the_server, |backend| {
    let app = TestApp::spawn(backend).await;
    let html = app
        .client
        .get(format!("{}/", app.url))
        .header("cookie", "motto_theme=dark")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"class="dark""#), "{html}");
    assert!(html.contains("Theme: Dark"));
    app.stop().await;
});
