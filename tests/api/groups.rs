//! Teams (#19): groups made by administrators give their people a role in a
//! space; owners rename and delete their spaces; a viewer's document is read
//! only; a citation to a document the reader lost shows nothing of it; the
//! editor says who else has a document open.

use crate::admin::admin;
use crate::conversations::{ask, cited_ids, conversation};
use crate::db_test;
use crate::helpers::{json, signed_up, TestApp};
use motto::api::conversations::GetConversation;
use motto::api::documents::{DocumentPresence, GetDocument};
use motto::api::spaces::{
    AddGroupMember, AdminGroup, AdminGroups, AdminSpaces, CreateGroup, CreateSpace, DeleteGroup,
    DeleteSpace, GetSpace, GroupNames, MoveDocument, RemoveGroupMember, RemoveSpaceGroup,
    RemoveSpaceMember, SetSpaceGroup, SetSpaceMember, UpdateSpace,
};
use motto::on_pool;

async fn new_space(app: &TestApp, c: &reqwest::Client, name: &str) -> i64 {
    let res = app
        .invoke(
            c,
            CreateSpace {
                name: name.into(),
                description: String::new(),
            },
        )
        .await;
    assert_eq!(res.status(), 200);
    json(res).await.as_i64().unwrap()
}

/// A document Alice writes and moves into `space`.
async fn document_in(
    app: &TestApp,
    c: &reqwest::Client,
    space: i64,
    title: &str,
    body: &str,
) -> i64 {
    let doc = app.documents(c).create(title, body).await;
    let res = app.invoke(c, MoveDocument { id: doc, space }).await;
    assert_eq!(res.status(), 200);
    doc
}

async fn status<F>(app: &TestApp, c: &reqwest::Client, f: F) -> u16
where
    F: leptos::server_fn::ServerFn + serde::Serialize,
{
    app.invoke(c, f).await.status().as_u16()
}

async fn add_to_group(app: &TestApp, c: &reqwest::Client, group: i64, username: &str) -> u16 {
    status(
        app,
        c,
        AddGroupMember {
            group,
            username: username.into(),
        },
    )
    .await
}

async fn can_edit(app: &TestApp, c: &reqwest::Client, doc: i64) -> Option<bool> {
    let res = app.invoke(c, GetDocument { id: doc }).await;
    if res.status() != 200 {
        return None;
    }
    json(res).await["can_edit"].as_bool()
}

db_test!(
    a_group_gives_its_people_a_role_and_taking_them_out_takes_it_away_at_once,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let (root, _) = admin(&app, "root").await;
        let alice = signed_up(&app, "alice").await;
        let bob = signed_up(&app, "bob").await;
        let carol = signed_up(&app, "carol").await;

        // Only administrators make groups (anyone else: not found).
        let make = |name: &str| CreateGroup { name: name.into() };
        assert_eq!(status(&app, &alice, make("Writers")).await, 404);
        let res = app.invoke(&root, make("Writers")).await;
        assert_eq!(res.status(), 200);
        let group = json(res).await.as_i64().unwrap();
        // A name taken in another letter case, or a bad one, is refused.
        for bad in ["writers", "", "two\nlines"] {
            assert_eq!(status(&app, &root, make(bad)).await, 422, "{bad:?}");
        }
        assert_eq!(add_to_group(&app, &root, group, "bob").await, 200);
        assert_eq!(add_to_group(&app, &root, group, "bob").await, 422);
        assert_eq!(add_to_group(&app, &root, group, "nobody").await, 422);
        assert_eq!(add_to_group(&app, &alice, group, "carol").await, 404);

        let space = new_space(&app, &alice, "Team").await;
        let doc = document_in(&app, &alice, space, "Roadmap", "Ships in spring.").await;
        assert_eq!(can_edit(&app, &bob, doc).await, None);

        // Alice, the owner, makes the group an editor (any letter case).
        let set_group = |group: &str, role: &str| SetSpaceGroup {
            space,
            group: group.into(),
            role: role.into(),
        };
        assert_eq!(
            status(&app, &alice, set_group("no such", "editor")).await,
            422
        );
        assert_eq!(
            status(&app, &alice, set_group("WRITERS", "editor")).await,
            200
        );
        assert_eq!(can_edit(&app, &bob, doc).await, Some(true));
        assert_eq!(
            app.documents(&bob)
                .update(doc, 1, "Roadmap", "Ships in summer.")
                .await
                .status(),
            200
        );
        // Someone outside the space, or an editor who is not an owner, cannot
        // change who is in it.
        assert_eq!(
            status(&app, &carol, set_group("Writers", "owner")).await,
            404
        );
        assert_eq!(status(&app, &bob, set_group("Writers", "owner")).await, 403);

        // Bob is also a direct viewer: the higher of his roles counts.
        let direct = SetSpaceMember {
            space,
            username: "bob".into(),
            role: "viewer".into(),
        };
        assert_eq!(status(&app, &alice, direct).await, 200);
        assert_eq!(can_edit(&app, &bob, doc).await, Some(true));

        // Out of the group: his next request is a viewer's.
        let out = |username: &str| RemoveGroupMember {
            group,
            username: username.into(),
        };
        assert_eq!(status(&app, &root, out("bob")).await, 200);
        assert_eq!(status(&app, &root, out("bob")).await, 422);
        assert_eq!(can_edit(&app, &bob, doc).await, Some(false));
        assert_eq!(
            app.documents(&bob)
                .update(doc, 2, "Mine", "x")
                .await
                .status(),
            404
        );

        // A membership the identity provider made is not editable here.
        let db = &app.state.db;
        on_pool!(db, pool => sqlx::query(
            "INSERT INTO group_members (group_id, user_id, source, added_at) \
             SELECT $1, id, 'external', created_at FROM users WHERE username_key = 'carol'"
        )
        .bind(group)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
        assert_eq!(can_edit(&app, &carol, doc).await, Some(true));
        let res = app.invoke(&root, out("carol")).await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("identity provider"));
        let detail = json(app.invoke(&root, AdminGroup { id: group }).await).await;
        assert_eq!(detail["members"][0]["username"], "carol");
        assert_eq!(detail["members"][0]["source"], "external");
        assert_eq!(detail["spaces"][0][0], "Team");
        assert_eq!(detail["spaces"][0][1], "editor");
        let list = json(app.invoke(&root, AdminGroups {}).await).await;
        assert_eq!(list[0]["members"], 1);
        assert_eq!(list[0]["spaces"], 1);

        // The admin console sees the space, its owners and size, but the
        // administrator is no member and reads nothing in it.
        let spaces = json(app.invoke(&root, AdminSpaces {}).await).await;
        assert_eq!(spaces[0]["name"], "Team");
        assert_eq!(spaces[0]["owners"], serde_json::json!(["alice"]));
        assert_eq!(spaces[0]["documents"], 1);
        assert_eq!(spaces[0]["members"], 3);
        assert_eq!(status(&app, &alice, AdminSpaces {}).await, 404);
        assert_eq!(can_edit(&app, &root, doc).await, None);

        // Taking the group out of the space, or deleting it, ends what it gave.
        let remove = RemoveSpaceGroup {
            space,
            group: "writers".into(),
        };
        assert_eq!(status(&app, &alice, remove).await, 200);
        assert_eq!(can_edit(&app, &carol, doc).await, None);
        assert_eq!(
            status(&app, &alice, set_group("Writers", "viewer")).await,
            200
        );
        assert_eq!(can_edit(&app, &carol, doc).await, Some(false));
        assert_eq!(status(&app, &alice, DeleteGroup { id: group }).await, 404);
        assert_eq!(status(&app, &root, DeleteGroup { id: group }).await, 200);
        assert_eq!(can_edit(&app, &carol, doc).await, None);

        let actions = app.audit_actions().await;
        for expected in [
            "group.create",
            "group.member.add",
            "group.member.remove",
            "group.delete",
            "space.member.add",
            "space.member.remove",
        ] {
            assert!(
                actions.iter().any(|a| a == expected),
                "{expected}: {actions:?}"
            );
        }
        app.stop().await;
    }
);

db_test!(
    owners_rename_a_space_and_delete_it_only_when_empty,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let bob = signed_up(&app, "bob").await;
        let space = new_space(&app, &alice, "Team").await;
        let add_bob = SetSpaceMember {
            space,
            username: "bob".into(),
            role: "editor".into(),
        };
        assert_eq!(status(&app, &alice, add_bob).await, 200);

        let rename = |name: &str| UpdateSpace {
            space,
            name: name.into(),
            description: "What we plan".into(),
        };
        assert_eq!(status(&app, &bob, rename("Bob's")).await, 403);
        assert_eq!(status(&app, &alice, rename("  ")).await, 422);
        assert_eq!(status(&app, &alice, rename("Plans")).await, 200);
        let got = json(app.invoke(&bob, GetSpace { space }).await).await;
        assert_eq!(got["name"], "Plans");
        assert_eq!(got["description"], "What we plan");

        // Not while it holds a document, even one in the trash.
        let doc = document_in(&app, &alice, space, "Notes", "Kept.").await;
        assert_eq!(status(&app, &bob, DeleteSpace { space }).await, 403);
        let res = app.invoke(&alice, DeleteSpace { space }).await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("1 document"));
        assert_eq!(app.documents(&alice).delete(doc).await.status(), 200);
        assert_eq!(status(&app, &alice, DeleteSpace { space }).await, 422);
        assert_eq!(app.documents(&alice).purge(doc).await.status(), 200);
        assert_eq!(status(&app, &alice, DeleteSpace { space }).await, 200);
        assert_eq!(status(&app, &bob, GetSpace { space }).await, 404);
        assert_eq!(status(&app, &alice, GetSpace { space }).await, 404);

        let actions = app.audit_actions().await;
        assert!(actions.iter().any(|a| a == "space.update"));
        assert!(actions.iter().any(|a| a == "space.delete"));
        app.stop().await;
    }
);

db_test!(
    a_citation_to_a_document_the_reader_lost_shows_no_access_and_nothing_of_it,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let bob = signed_up(&app, "bob").await;
        let space = new_space(&app, &alice, "Team").await;
        let add_bob = SetSpaceMember {
            space,
            username: "bob".into(),
            role: "viewer".into(),
        };
        assert_eq!(status(&app, &alice, add_bob).await, 200);
        let doc = document_in(
            &app,
            &alice,
            space,
            "Zanzibar roadmap",
            "The zanzibar milestone ships in spring.",
        )
        .await;
        let chat = conversation(&app, &bob, "Plans", &[doc]).await;
        let (status_code, answer) = ask(&app, &bob, chat, "When does zanzibar ship?").await;
        assert_eq!(status_code, 201);
        assert_eq!(cited_ids(&answer["reply"]), vec![doc]);
        let view = json(app.invoke(&bob, GetConversation { id: chat }).await).await;
        let cited = &view["messages"][1]["citations"][0];
        assert_eq!(cited["title"], "Zanzibar roadmap");
        assert_eq!(cited["state"], "current");
        assert_eq!(view["scope"][0]["title"], "Zanzibar roadmap");

        let out = RemoveSpaceMember {
            space,
            username: "bob".into(),
        };
        assert_eq!(status(&app, &alice, out).await, 200);
        let view = json(app.invoke(&bob, GetConversation { id: chat }).await).await;
        let cited = &view["messages"][1]["citations"][0];
        assert_eq!(cited["state"], "no_access");
        assert_eq!(cited["title"], "");
        assert_eq!(cited["passage"], "");
        assert_eq!(view["scope"][0]["title"], "");
        assert_eq!(view["scope"][0]["access"], false);
        for m in view["messages"].as_array().unwrap() {
            assert!(
                !m["citations"].to_string().contains("Zanzibar"),
                "{}",
                m["citations"]
            );
        }
        // Asked again, the conversation reaches nothing.
        let (_, answer) = ask(&app, &bob, chat, "When does zanzibar ship?").await;
        assert!(cited_ids(&answer["reply"]).is_empty());
        app.stop().await;
    }
);

db_test!(the_editor_says_who_else_has_the_document_open, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = signed_up(&app, "alice").await;
    let bob = signed_up(&app, "bob").await;
    let carol = signed_up(&app, "carol").await;
    let space = new_space(&app, &alice, "Team").await;
    let add_bob = SetSpaceMember {
        space,
        username: "bob".into(),
        role: "editor".into(),
    };
    assert_eq!(status(&app, &alice, add_bob).await, 200);
    let doc = document_in(&app, &alice, space, "Notes", "Draft.").await;
    let here = |c: &reqwest::Client| {
        let app = &app;
        let c = c.clone();
        async move { json(app.invoke(&c, DocumentPresence { id: doc }).await).await }
    };
    assert_eq!(here(&alice).await, serde_json::json!([]));
    assert_eq!(here(&bob).await, serde_json::json!(["alice"]));
    assert_eq!(here(&alice).await, serde_json::json!(["bob"]));
    // Someone who may not read it learns nothing, not even that it exists; a
    // viewer, who cannot edit, neither says nor learns who is editing.
    assert_eq!(
        status(&app, &carol, DocumentPresence { id: doc }).await,
        404
    );
    let add_carol = SetSpaceMember {
        space,
        username: "carol".into(),
        role: "viewer".into(),
    };
    assert_eq!(status(&app, &alice, add_carol).await, 200);
    assert_eq!(
        status(&app, &carol, DocumentPresence { id: doc }).await,
        403
    );
    // Group names are for those who can add a group somewhere: owners.
    assert_eq!(status(&app, &carol, GroupNames {}).await, 403);
    assert_eq!(status(&app, &alice, GroupNames {}).await, 200);
    app.stop().await;
});

db_test!(
    lists_and_search_work_in_one_space_or_across_all,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let carol = signed_up(&app, "carol").await;
        let space = new_space(&app, &alice, "Team").await;
        app.documents(&alice)
            .create("Apple notes", "Mine alone.")
            .await;
        document_in(&app, &alice, space, "Apple plan", "For the team.").await;
        let personal = json(app.invoke(&alice, motto::api::spaces::ListSpaces {}).await).await[0]
            ["id"]
            .as_i64()
            .unwrap();

        let total = |v: serde_json::Value| v["total"].as_i64().unwrap();
        let docs = app.documents(&alice);
        assert_eq!(total(json(docs.list(false).await).await), 2);
        let team = json(docs.list_in(space).await).await;
        assert_eq!(total(team.clone()), 1);
        assert_eq!(team["items"][0]["title"], "Apple plan");
        assert_eq!(total(json(docs.list_in(personal).await).await), 1);
        let hits = json(docs.search_in("apple", space).await).await;
        assert_eq!(hits.as_array().unwrap().len(), 1);
        assert_eq!(hits[0]["title"], "Apple plan");
        assert_eq!(
            json(docs.search("apple").await)
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // Someone else's space, named outright, still gives nothing.
        let theirs = app.documents(&carol);
        assert_eq!(total(json(theirs.list_in(space).await).await), 0);
        assert_eq!(
            json(theirs.search_in("apple", space).await).await,
            serde_json::json!([])
        );
        app.stop().await;
    }
);

db_test!(
    a_conversation_shared_with_a_space_is_read_only_to_its_members_and_shows_only_what_they_may_read,
    |backend| {
        use motto::api::conversations::{RenameConversation, ShareConversation, UnshareConversation};
        use motto::api::spaces::SpaceConversations;
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let bob = signed_up(&app, "bob").await;
        let carol = signed_up(&app, "carol").await;
        let space = new_space(&app, &alice, "Team").await;
        let add_bob = SetSpaceMember {
            space,
            username: "bob".into(),
            role: "viewer".into(),
        };
        assert_eq!(status(&app, &alice, add_bob).await, 200);
        let team_doc = document_in(&app, &alice, space, "Quokka roadmap", "Quokka ships in May.").await;
        let own_doc = app
            .documents(&alice)
            .create("Private zanzibar", "Zanzibar is my secret.")
            .await;
        let chat = conversation(&app, &alice, "Plans", &[]).await;
        let (_, a) = ask(&app, &alice, chat, "When does quokka ship?").await;
        assert_eq!(cited_ids(&a["reply"]), vec![team_doc]);
        let (_, a) = ask(&app, &alice, chat, "What about zanzibar?").await;
        assert_eq!(cited_ids(&a["reply"]), vec![own_doc]);

        // Nobody else sees it until it is shared.
        assert_eq!(status(&app, &bob, GetConversation { id: chat }).await, 404);
        let share = |id, space| ShareConversation { id, space };
        // Only its owner shares it, and only with a shared space they can read.
        assert_eq!(status(&app, &bob, share(chat, space)).await, 404);
        let personal = json(app.invoke(&alice, motto::api::spaces::ListSpaces {}).await).await[0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(status(&app, &alice, share(chat, personal)).await, 422);
        let carols = json(app.invoke(&carol, motto::api::spaces::ListSpaces {}).await).await[0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(status(&app, &alice, share(chat, carols)).await, 404);
        assert_eq!(status(&app, &alice, share(chat, space)).await, 200);

        // Bob reads it; each source as his own access allows.
        let view = json(app.invoke(&bob, GetConversation { id: chat }).await).await;
        assert_eq!(view["shared_by"], "alice");
        assert_eq!(view["shared_with"], serde_json::json!([]));
        let team = &view["messages"][1]["citations"][0];
        assert_eq!((team["state"].as_str(), team["title"].as_str()), (Some("current"), Some("Quokka roadmap")));
        let private = &view["messages"][3]["citations"][0];
        assert_eq!(private["state"], "no_access");
        assert_eq!(private["title"], "");
        let listed = json(app.invoke(&bob, SpaceConversations { space }).await).await;
        assert_eq!(listed[0]["title"], "Plans");
        assert_eq!(listed[0]["by"], "alice");
        // ...and writes nothing in it.
        let (status_code, _) = ask(&app, &bob, chat, "Mine now?").await;
        assert_eq!(status_code, 404);
        let rename = RenameConversation {
            id: chat,
            title: "Bob's".into(),
        };
        assert_eq!(status(&app, &bob, rename).await, 404);
        // Carol, no member, sees nothing of it.
        assert_eq!(status(&app, &carol, GetConversation { id: chat }).await, 404);
        assert_eq!(status(&app, &carol, SpaceConversations { space }).await, 404);
        let mine = json(app.invoke(&alice, GetConversation { id: chat }).await).await;
        assert_eq!(mine["shared_with"][0]["name"], "Team");
        assert_eq!(mine["shared_by"], serde_json::Value::Null);

        // Unshared, or Bob out of the space: gone for him at once.
        let unshare = UnshareConversation { id: chat, space };
        assert_eq!(status(&app, &alice, unshare).await, 200);
        assert_eq!(status(&app, &bob, GetConversation { id: chat }).await, 404);
        assert_eq!(status(&app, &alice, share(chat, space)).await, 200);
        assert_eq!(status(&app, &bob, GetConversation { id: chat }).await, 200);
        let out = RemoveSpaceMember {
            space,
            username: "bob".into(),
        };
        assert_eq!(status(&app, &alice, out).await, 200);
        assert_eq!(status(&app, &bob, GetConversation { id: chat }).await, 404);
        let actions = app.audit_actions().await;
        assert!(actions.iter().any(|a| a == "conversation.share"));
        assert!(actions.iter().any(|a| a == "conversation.unshare"));
        app.stop().await;
    }
);

async fn storage_of(app: &TestApp, name: &str) -> i64 {
    on_pool!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT storage_bytes FROM users WHERE username_key = $1"
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap())
}

db_test!(
    purging_gives_the_room_back_to_the_author_and_expired_trash_goes_whoever_trashed_it,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let bob = signed_up(&app, "bob").await;
        let space = new_space(&app, &alice, "Team").await;
        let add_bob = SetSpaceMember {
            space,
            username: "bob".into(),
            role: "editor".into(),
        };
        assert_eq!(status(&app, &alice, add_bob).await, 200);
        let body = "Bob wrote this. ".repeat(100);
        let first = document_in(&app, &bob, space, "First", &body).await;
        let second = document_in(&app, &bob, space, "Second", &body).await;
        let (alice_before, bob_before) = (
            storage_of(&app, "alice").await,
            storage_of(&app, "bob").await,
        );
        assert!(bob_before >= 2 * body.len() as i64);

        // Alice, an editor there too, purges one of Bob's: the room is Bob's again.
        assert_eq!(app.documents(&alice).delete(first).await.status(), 200);
        assert_eq!(app.documents(&alice).purge(first).await.status(), 200);
        assert_eq!(storage_of(&app, "alice").await, alice_before);
        assert_eq!(
            storage_of(&app, "bob").await,
            bob_before - body.len() as i64
        );

        // Bob trashes the other and leaves; its trash time runs out: it still goes.
        assert_eq!(app.documents(&bob).delete(second).await.status(), 200);
        let out = RemoveSpaceMember {
            space,
            username: "bob".into(),
        };
        assert_eq!(status(&app, &alice, out).await, 200);
        on_pool!(&app.state.db, pool => sqlx::query("UPDATE documents SET deleted_at = $1 WHERE id = $2")
            .bind(chrono::Utc::now() - chrono::Duration::days(31))
            .bind(second)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap());
        let purged = motto::server::services::documents::purge_expired(&app.state, 30)
            .await
            .unwrap();
        assert_eq!(purged, 1);
        let left: i64 = on_pool!(&app.state.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM documents WHERE id = $1"
        )
        .bind(second)
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(left, 0);
        assert_eq!(
            storage_of(&app, "bob").await,
            bob_before - 2 * body.len() as i64
        );
        app.stop().await;
    }
);
