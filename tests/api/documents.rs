//! Documents: write, revise, restore, trash, search — private to their owner.

use crate::db_test;
use crate::helpers::{json, signed_up as user, TestApp};

db_test!(
    create_edit_revise_restore_trash_purge_round_trip,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let id = app
            .documents(&alice)
            .create("Plans", "# Plans\n\nFirst draft.")
            .await;

        let doc = json(app.documents(&alice).get(id).await).await;
        assert_eq!(doc["version"], 1);
        assert!(doc["html"].as_str().unwrap().contains("<h1>Plans</h1>"));

        let res = app
            .documents(&alice)
            .update(id, 1, "Plans", "# Plans\n\nSecond draft, longer.")
            .await;
        assert_eq!(json(res).await, 2);
        let res = app
            .documents(&alice)
            .update(id, 2, "Plans v3", "Third.")
            .await;
        assert_eq!(json(res).await, 3);

        let revs = json(app.documents(&alice).revisions(id).await).await;
        let revs = revs.as_array().unwrap();
        assert_eq!(
            revs.iter()
                .map(|r| r["version"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert!(revs[0]["size_change"].as_i64().unwrap() > 0);

        let old = json(app.documents(&alice).revision(id, 1).await).await;
        assert!(old["body"].as_str().unwrap().contains("First draft."));

        // Restoring is itself a new version.
        let res = app.documents(&alice).restore_revision(id, 1, 3).await;
        assert_eq!(json(res).await, 4);
        let doc = json(app.documents(&alice).get(id).await).await;
        assert!(doc["body"].as_str().unwrap().contains("First draft."));
        assert_eq!(doc["version"], 4);

        // Trash, list the trash, restore, trash again, purge.
        assert_eq!(app.documents(&alice).delete(id).await.status(), 200);
        assert_eq!(app.documents(&alice).get(id).await.status(), 404);
        let trash = json(app.documents(&alice).list(true).await).await;
        assert_eq!(trash["total"], 1);
        let live = json(app.documents(&alice).list(false).await).await;
        assert_eq!(live["total"], 0);
        assert_eq!(app.documents(&alice).restore(id).await.status(), 200);
        assert_eq!(app.documents(&alice).get(id).await.status(), 200);
        // Purge only works from the trash.
        assert_eq!(app.documents(&alice).purge(id).await.status(), 404);
        app.documents(&alice).delete(id).await;
        assert_eq!(app.documents(&alice).purge(id).await.status(), 200);
        assert_eq!(app.count("documents").await, 0);
        assert_eq!(app.count("document_revisions").await, 0);

        let actions = app.audit_actions().await;
        for a in [
            "document.create",
            "document.update",
            "document.delete",
            "document.restore",
            "document.purge",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} missing: {actions:?}");
        }
        assert!(motto::server::db::audit::verify(&app.state.db)
            .await
            .unwrap()
            .is_intact());
        app.stop().await;
    }
);

db_test!(
    a_save_over_a_newer_version_is_refused_and_nothing_is_lost,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let id = app.documents(&alice).create("Shared", "original").await;
        // Two editors open version 1; the first saves.
        assert_eq!(
            app.documents(&alice)
                .update(id, 1, "Shared", "first editor's text")
                .await
                .status(),
            200
        );
        // The second, still on version 1, is refused.
        let res = app
            .documents(&alice)
            .update(id, 1, "Shared", "second editor's text")
            .await;
        assert_eq!(res.status(), 409);
        let body = res.text().await.unwrap();
        assert!(body.contains("changed since you opened it"), "{body}");
        let doc = json(app.documents(&alice).get(id).await).await;
        assert_eq!(doc["body"], "first editor's text");
        assert_eq!(doc["version"], 2);
        // The overwritten text is a revision, not gone.
        let old = json(app.documents(&alice).revision(id, 1).await).await;
        assert_eq!(old["body"], "original");
        app.stop().await;
    }
);

db_test!(
    search_ranks_titles_first_and_stays_within_the_owner,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let bob = user(&app, "bob").await;
        let body_match = app
            .documents(&alice)
            .create("Notes", "The migration of geese happens in autumn.")
            .await;
        let title_match = app
            .documents(&alice)
            .create("Migration checklist", "Steps to move the database.")
            .await;
        app.documents(&alice)
            .create("Unrelated", "Nothing to see here.")
            .await;
        let bobs = app
            .documents(&bob)
            .create("Migration secrets", "Bob's private migration notes.")
            .await;
        let trashed = app
            .documents(&alice)
            .create("Old migration", "migration migration")
            .await;
        app.documents(&alice).delete(trashed).await;

        let hits = json(app.documents(&alice).search("migration").await).await;
        let ids: Vec<i64> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![title_match, body_match], "{hits}");
        assert!(!ids.contains(&bobs));
        let snippet = hits[1]["snippet"].as_str().unwrap();
        assert!(
            snippet.contains('\u{E000}') && snippet.contains('\u{E001}'),
            "{snippet}"
        );

        // Edits are searchable at once; hostile query syntax is just text.
        app.documents(&alice)
            .update(body_match, 1, "Notes", "Now about kites.")
            .await;
        let hits = json(app.documents(&alice).search("kites").await).await;
        assert_eq!(hits.as_array().unwrap().len(), 1);
        for q in [
            "\"",
            "migration\" OR \"",
            "title:*",
            "'; DROP TABLE documents; --",
            "",
        ] {
            let res = app.documents(&alice).search(q).await;
            assert_eq!(res.status(), 200, "{q}");
        }
        app.stop().await;
    }
);

db_test!(asvs_8_2_2_another_users_document_answers_404, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let mallory = user(&app, "mallory").await;
    let anonymous = app.new_client();
    let id = app.documents(&alice).create("Private", "secret").await;
    let sid = id.to_string();
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("documents/get", vec![("id", &sid)]),
        (
            "documents/update",
            vec![
                ("id", &sid),
                ("version", "1"),
                ("title", "x"),
                ("body", "y"),
            ],
        ),
        ("documents/delete", vec![("id", &sid)]),
        ("documents/restore", vec![("id", &sid)]),
        ("documents/purge", vec![("id", &sid)]),
        ("documents/revisions", vec![("id", &sid)]),
        ("documents/revision", vec![("id", &sid), ("version", "1")]),
        (
            "documents/restore_revision",
            vec![("id", &sid), ("version", "1"), ("base_version", "1")],
        ),
    ];
    for (endpoint, form) in &calls {
        let res = app.call(&mallory, endpoint, form).await;
        assert_eq!(res.status(), 404, "other user: {endpoint}");
        let res = app.call(&anonymous, endpoint, form).await;
        assert_eq!(res.status(), 401, "anonymous: {endpoint}");
    }
    let list = json(app.documents(&mallory).list(false).await).await;
    assert_eq!(list["total"], 0);
    // Still intact for the owner.
    let doc = json(app.documents(&alice).get(id).await).await;
    assert_eq!(doc["body"], "secret");
    assert_eq!(doc["version"], 1);
    app.stop().await;
});

db_test!(titles_are_validated, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    for title in ["", "   ", &"t".repeat(201), "two\nlines"] {
        let res = app.documents(&alice).try_create(title, "x").await;
        assert_eq!(res.status(), 422, "{title:?}");
    }
    assert_eq!(app.count("documents").await, 0);
    app.stop().await;
});

db_test!(asvs_1_3_1_stored_xss_payloads_render_inert, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let payloads = crate::xss::payloads();
    assert!(payloads.len() >= 50);
    let body = payloads.join("\n\n");
    let id = app
        .documents(&alice)
        .create("<script>alert('title')</script>", &body)
        .await;
    let doc = json(app.documents(&alice).get(id).await).await;
    let html = doc["html"].as_str().unwrap().to_lowercase();
    // A URL attribute that starts with a script scheme (a backtick-quoted value is a
    // harmless relative URL, so the scheme must open the value).
    for bad in [
        "=\"javascript:",
        "='javascript:",
        "=javascript:",
        "=\"data:text/html",
        "=\"vbscript:",
    ] {
        assert!(!html.contains(bad), "{bad} survived in {html}");
    }
    for bad in [
        "<script",
        "onerror=",
        "onload=",
        "onclick=",
        "onmouseover=",
        "<iframe",
        "<object",
        "<embed",
        "data:text/html",
        "<style",
        "srcdoc",
        "formaction",
        "<svg",
        "<math",
        "<base",
        "<meta",
        "<form",
    ] {
        assert!(!html.contains(bad), "{bad} survived in {html}");
    }
    // The title is text, returned as given, never parsed as HTML.
    assert_eq!(doc["title"], "<script>alert('title')</script>");
    app.stop().await;
});

db_test!(
    asvs_8_2_2_document_pages_answer_404_to_other_users,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let mallory = user(&app, "mallory").await;
        let id = app
            .documents(&alice)
            .create("Private page", "secret words")
            .await;
        for path in [format!("/documents/{id}"), format!("/documents/{id}/edit")] {
            let own = alice
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(own.status(), 200, "{path}");
            let other = mallory
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(other.status(), 404, "{path}");
            assert!(!other.text().await.unwrap().contains("secret words"));
            let anonymous = app
                .new_client()
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(anonymous.status(), 303, "{path}");
        }
        app.stop().await;
    }
);
