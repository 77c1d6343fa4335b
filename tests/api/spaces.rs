//! Spaces (#19, first step): every account has a personal space that holds its
//! documents; a migration moved the documents written before spaces existed;
//! a person's role in a space is the highest they hold directly or through a
//! group.

use crate::conversations::{ask, cited_ids, conversation};
use crate::db_test;
use crate::helpers::{json, signed_up, Backend, TestApp, TestDb};
use chrono::{Duration, Utc};
use motto::domain::space::{SpaceKind, SpaceRole};
use motto::server::{config::Settings, db::spaces, db::Db};
use motto::{on_pool, on_tx};

/// The schema as it was before spaces: every migration numbered below 15.
async fn migrate_before_spaces(db: &Db, backend: Backend) {
    let source = match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    };
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let version: u32 = name.split('_').next().unwrap().parse().unwrap();
        if version < 15 {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
    on_pool!(db, pool => migrator.run(pool).await.unwrap());
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    on_pool!(db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

db_test!(
    existing_documents_move_into_their_owners_personal_space,
    |backend| {
        let test_db = TestDb::new(backend).await;
        let settings = Settings::for_tests(&test_db.url, test_db.dir.path());
        let db = Db::connect(&settings.database).await.unwrap();
        migrate_before_spaces(&db, backend).await;

        // Two people and three documents (one in the trash), written the old way.
        let then = Utc::now() - Duration::days(30);
        let mut ids = Vec::new();
        let mut tx = db.begin().await.unwrap();
        for name in ["alice", "bob"] {
            let id: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
                "INSERT INTO users (username, username_key, email, email_key, password_hash, \
                 role, created_at, updated_at, email_confirmed_at) \
                 VALUES ($1, $1, $2, $2, 'x', 'user', $3, $3, $3) RETURNING id",
            )
            .bind(name)
            .bind(format!("{name}@example.com"))
            .bind(then)
            .fetch_one(&mut *conn)
            .await
            .unwrap());
            ids.push(id);
        }
        let (alice, bob) = (ids[0], ids[1]);
        for (owner, title, trashed) in [
            (alice, "Plans", false),
            (alice, "Old plans", true),
            (bob, "Recipes", false),
        ] {
            on_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO documents (owner_id, title, body, version, created_at, updated_at, \
                 deleted_at) VALUES ($1, $2, 'text', 1, $3, $3, $4)",
            )
            .bind(owner)
            .bind(title)
            .bind(then)
            .bind(trashed.then_some(then))
            .execute(&mut *conn)
            .await.map(|_| ())
            .unwrap());
        }
        // A revision, and a document since purged: its id is never handed out again.
        on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO document_revisions (document_id, version, title, body, created_at) \
             SELECT id, 0, 'Plans', 'draft', created_at FROM documents WHERE title = 'Plans'",
        )
        .execute(&mut *conn)
        .await.map(|_| ())
        .unwrap());
        let purged: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
            "INSERT INTO documents (owner_id, title, body, version, created_at, updated_at) \
             VALUES ($1, 'Gone', 'text', 1, $2, $2) RETURNING id",
        )
        .bind(alice)
        .bind(then)
        .fetch_one(&mut *conn)
        .await
        .unwrap());
        on_tx!(&mut tx, conn => sqlx::query("DELETE FROM documents WHERE id = $1")
            .bind(purged)
            .execute(&mut *conn)
            .await.map(|_| ())
            .unwrap());
        tx.commit().await.unwrap();

        db.migrate().await.unwrap();

        // The documents table was rebuilt on SQLite (0018): revisions, the
        // full-text index, foreign keys and the id counter came through.
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM document_revisions").await,
            1
        );
        if backend == Backend::Sqlite {
            assert_eq!(
                scalar(
                    &db,
                    "SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH 'text'"
                )
                .await,
                3
            );
            assert_eq!(
                scalar(&db, "SELECT COUNT(*) FROM pragma_foreign_key_check").await,
                0
            );
            assert_eq!(
                scalar(&db, "SELECT foreign_keys FROM pragma_foreign_keys").await,
                1
            );
        }
        let next: i64 = on_pool!(&db, pool => sqlx::query_scalar(
            "INSERT INTO documents (owner_id, space_id, title, body, version, created_at, updated_at) \
             SELECT $1, id, 'New', 'text', 1, $2, $2 FROM spaces WHERE personal_user_id = $1 RETURNING id",
        )
        .bind(alice)
        .bind(then)
        .fetch_one(pool)
        .await
        .unwrap());
        assert!(next > purged, "id {next} handed out again after {purged}");
        on_pool!(&db, pool => sqlx::query("DELETE FROM documents WHERE id = $1")
            .bind(next)
            .execute(pool)
            .await.map(|_| ())
            .unwrap());

        // One personal space each, owned by its person alone.
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM spaces").await, 2);
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM space_members").await, 2);
        let alices = spaces::personal(&db, alice).await.unwrap().unwrap();
        let bobs = spaces::personal(&db, bob).await.unwrap().unwrap();
        assert_ne!(alices, bobs);
        assert_eq!(
            spaces::role_of(&db, alice, alices).await.unwrap(),
            Some((SpaceKind::Personal, Some(SpaceRole::Owner)))
        );
        assert_eq!(
            spaces::role_of(&db, alice, bobs).await.unwrap(),
            Some((SpaceKind::Personal, None))
        );
        // Every document, trashed or not, is in its owner's space; nothing lost.
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM documents").await, 3);
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM documents d JOIN spaces s ON s.id = d.space_id \
                 WHERE s.personal_user_id = d.owner_id"
            )
            .await,
            3
        );
        db.close().await;
        test_db.destroy(&db).await;
    }
);

db_test!(
    a_new_account_gets_a_personal_space_and_its_documents_go_there,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let id = app.documents(&alice).create("Plans", "text").await;
        let db = &app.state.db;
        let user = scalar(db, "SELECT id FROM users WHERE username_key = 'alice'").await;
        let space = spaces::personal(db, user)
            .await
            .unwrap()
            .expect("a personal space");
        let in_space = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT space_id FROM documents WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(in_space, space);
        // Deleting the account takes its personal space with it.
        on_pool!(db, pool => sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user)
            .execute(pool)
            .await.map(|_| ())
            .unwrap());
        assert_eq!(app.count("spaces").await, 0);
        assert_eq!(app.count("documents").await, 0);
        app.stop().await;
    }
);

db_test!(
    the_role_in_a_space_is_the_highest_held_directly_or_through_a_group,
    |backend| {
        let app = TestApp::spawn(backend).await;
        for name in ["alice", "bob", "carol"] {
            signed_up(&app, name).await;
        }
        let db = &app.state.db;
        let (alice, bob, carol) = (
            user_id(db, "alice").await,
            user_id(db, "bob").await,
            user_id(db, "carol").await,
        );
        let now = Utc::now();
        let mut tx = db.begin().await.unwrap();
        let space: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
            "INSERT INTO spaces (kind, name, created_at, updated_at) \
             VALUES ('shared', 'Team', $1, $1) RETURNING id",
        )
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .unwrap());
        let group: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
            "INSERT INTO groups (name, name_key, created_at) VALUES ('Writers', 'writers', $1) \
             RETURNING id",
        )
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .unwrap());
        for (sql, a, b) in [
            // Alice owns the space; Bob is a viewer himself and an editor through
            // the group; Carol is in no way a member.
            (
                "INSERT INTO space_members (space_id, user_id, role, added_at) VALUES ($1, $2, 'owner', $3)",
                space,
                alice,
            ),
            (
                "INSERT INTO space_members (space_id, user_id, role, added_at) VALUES ($1, $2, 'viewer', $3)",
                space,
                bob,
            ),
            (
                "INSERT INTO space_members (space_id, group_id, role, added_at) VALUES ($1, $2, 'editor', $3)",
                space,
                group,
            ),
            (
                "INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3)",
                group,
                bob,
            ),
        ] {
            on_tx!(&mut tx, conn => sqlx::query(sql)
                .bind(a)
                .bind(b)
                .bind(now)
                .execute(&mut *conn)
                .await.map(|_| ())
                .unwrap());
        }
        tx.commit().await.unwrap();

        let role = |user| async move { spaces::role_of(db, user, space).await.unwrap() };
        assert_eq!(
            role(alice).await,
            Some((SpaceKind::Shared, Some(SpaceRole::Owner)))
        );
        assert_eq!(
            role(bob).await,
            Some((SpaceKind::Shared, Some(SpaceRole::Editor)))
        );
        assert_eq!(role(carol).await, Some((SpaceKind::Shared, None)));
        assert_eq!(
            spaces::role_of(db, alice, space + 1000).await.unwrap(),
            None
        );

        // Out of the group, Bob is a viewer again at once (nothing cached).
        on_pool!(db, pool => sqlx::query("DELETE FROM group_members WHERE user_id = $1")
            .bind(bob)
            .execute(pool)
            .await.map(|_| ())
            .unwrap());
        assert_eq!(
            role(bob).await,
            Some((SpaceKind::Shared, Some(SpaceRole::Viewer)))
        );

        // A membership names a person or a group, never both or neither.
        let both = on_pool!(db, pool => sqlx::query(
            "INSERT INTO space_members (space_id, user_id, group_id, role, added_at) \
             VALUES ($1, $2, $3, 'viewer', $4)"
        )
        .bind(space)
        .bind(carol)
        .bind(group)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()));
        assert!(both.is_err());
        app.stop().await;
    }
);

async fn user_id(db: &Db, name: &str) -> i64 {
    on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE username_key = $1"
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap())
}

/// A shared space with these direct members (made in SQL: the pages that make
/// spaces come next).
async fn shared_space(db: &Db, members: &[(i64, &str)]) -> i64 {
    let now = Utc::now();
    let mut tx = db.begin().await.unwrap();
    let space: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO spaces (kind, name, created_at, updated_at) \
         VALUES ('shared', 'Team', $1, $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .unwrap());
    for (user, role) in members {
        on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO space_members (space_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(space)
        .bind(user)
        .bind(role)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .unwrap());
    }
    tx.commit().await.unwrap();
    space
}

async fn move_to(db: &Db, document: i64, space: i64) {
    on_pool!(db, pool => sqlx::query("UPDATE documents SET space_id = $1 WHERE id = $2")
        .bind(space)
        .bind(document)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
}

db_test!(
    every_document_query_follows_the_space_rules_and_a_removed_member_loses_access_at_once,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let bob = signed_up(&app, "bob").await;
        let carol = signed_up(&app, "carol").await;
        let db = &app.state.db;
        let (alice_id, bob_id) = (user_id(db, "alice").await, user_id(db, "bob").await);
        let space = shared_space(db, &[(alice_id, "owner"), (bob_id, "viewer")]).await;
        let doc = app
            .documents(&alice)
            .create("Roadmap", "The zanzibar milestone ships in spring.")
            .await;
        move_to(db, doc, space).await;

        // Bob, a viewer: reads, lists, searches; changes nothing.
        assert_eq!(app.documents(&bob).get(doc).await.status(), 200);
        let listed = json(app.documents(&bob).list(false).await).await;
        assert_eq!(listed["total"], 1);
        let hits = json(app.documents(&bob).search("zanzibar").await).await;
        assert_eq!(hits.as_array().unwrap().len(), 1);
        assert_eq!(
            app.documents(&bob)
                .update(doc, 1, "Mine", "x")
                .await
                .status(),
            404
        );
        assert_eq!(app.documents(&bob).delete(doc).await.status(), 404);
        // Alice, the owner, still can.
        assert_eq!(app.documents(&alice).delete(doc).await.status(), 200);
        assert_eq!(app.documents(&bob).restore(doc).await.status(), 404);
        assert_eq!(app.documents(&bob).purge(doc).await.status(), 404);
        assert_eq!(app.documents(&alice).restore(doc).await.status(), 200);
        // The assistant answers Bob from it, with the citation.
        let bobs_chat = conversation(&app, &bob, "Plans", &[]).await;
        let (status, answer) = ask(&app, &bob, bobs_chat, "When does zanzibar ship?").await;
        assert_eq!(status, 201);
        assert_eq!(cited_ids(&answer["reply"]), vec![doc]);

        // Carol, no member: nothing at all, not even a count.
        assert_eq!(app.documents(&carol).get(doc).await.status(), 404);
        assert_eq!(
            json(app.documents(&carol).list(false).await).await["total"],
            0
        );
        let hits = json(app.documents(&carol).search("zanzibar").await).await;
        assert_eq!(hits.as_array().unwrap().len(), 0);
        let carols_chat = conversation(&app, &carol, "Plans", &[]).await;
        let (_, answer) = ask(&app, &carol, carols_chat, "When does zanzibar ship?").await;
        assert!(cited_ids(&answer["reply"]).is_empty());
        assert!(!answer.to_string().contains("spring"), "{answer}");

        // Bob removed: his very next request no longer reaches it.
        on_pool!(db, pool => sqlx::query("DELETE FROM space_members WHERE user_id = $1 AND space_id = $2")
            .bind(bob_id)
            .bind(space)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap());
        assert_eq!(app.documents(&bob).get(doc).await.status(), 404);
        assert_eq!(
            json(app.documents(&bob).list(false).await).await["total"],
            0
        );
        let hits = json(app.documents(&bob).search("zanzibar").await).await;
        assert_eq!(hits.as_array().unwrap().len(), 0);
        // His existing conversation no longer reaches it either.
        let (_, answer) = ask(&app, &bob, bobs_chat, "When does zanzibar ship?").await;
        assert!(cited_ids(&answer["reply"]).is_empty());
        assert!(!answer.to_string().contains("spring"), "{answer}");
        app.stop().await;
    }
);

mod managed {
    use super::*;
    use motto::api::spaces::{
        CreateSpace, GetSpace, ListSpaces, MoveDocument, RemoveSpaceMember, SetSpaceCreation,
        SetSpaceMember, SpaceDocuments, SpaceMembers, SpacePeople,
    };

    async fn create(app: &TestApp, c: &reqwest::Client, name: &str) -> reqwest::Response {
        app.invoke(
            c,
            CreateSpace {
                name: name.into(),
                description: "Our plans".into(),
            },
        )
        .await
    }

    async fn set(
        app: &TestApp,
        c: &reqwest::Client,
        space: i64,
        username: &str,
        role: &str,
    ) -> reqwest::Response {
        app.invoke(
            c,
            SetSpaceMember {
                space,
                username: username.into(),
                role: role.into(),
            },
        )
        .await
    }

    async fn remove(app: &TestApp, c: &reqwest::Client, space: i64, username: &str) -> u16 {
        app.invoke(
            c,
            RemoveSpaceMember {
                space,
                username: username.into(),
            },
        )
        .await
        .status()
        .as_u16()
    }

    async fn spaces_of(app: &TestApp, c: &reqwest::Client) -> serde_json::Value {
        json(app.invoke(c, ListSpaces {}).await).await
    }

    db_test!(
        an_owner_creates_a_space_shares_it_and_moves_a_document_in,
        |backend| {
            let app = TestApp::spawn(backend).await;
            let alice = signed_up(&app, "alice").await;
            let bob = signed_up(&app, "bob").await;
            let carol = signed_up(&app, "carol").await;

            // Bad names are refused next to the field; nothing is made.
            for bad in ["", "   ", "two\nlines", &"n".repeat(101)] {
                let res = create(&app, &alice, bad).await;
                assert_eq!(res.status(), 422, "{bad:?}");
            }
            let res = create(&app, &alice, "Team").await;
            assert_eq!(res.status(), 200);
            let space = json(res).await.as_i64().unwrap();

            // Alice sees her personal space and Team, as owner of both.
            let mine = spaces_of(&app, &alice).await;
            let names: Vec<_> = mine
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["name"].clone(), s["kind"].clone(), s["role"].clone()))
                .collect();
            assert_eq!(
                names,
                vec![
                    ("Personal".into(), "personal".into(), "owner".into()),
                    ("Team".into(), "shared".into(), "owner".into())
                ]
            );

            // Bob joins as a viewer; an unknown name or role is refused.
            assert_eq!(
                set(&app, &alice, space, "bob", "viewer").await.status(),
                200
            );
            assert_eq!(
                set(&app, &alice, space, "nobody", "viewer").await.status(),
                422
            );
            assert_eq!(
                set(&app, &alice, space, "carol", "admin").await.status(),
                422
            );
            let bobs = spaces_of(&app, &bob).await;
            assert_eq!(bobs[1]["name"], "Team");
            assert_eq!(bobs[1]["role"], "viewer");
            let members = json(app.invoke(&bob, SpaceMembers { space }).await).await;
            assert_eq!(members.as_array().unwrap().len(), 2);

            // A viewer may not manage (Forbidden: he knows it exists); a stranger
            // gets NotFound, as for a space that does not exist.
            assert_eq!(set(&app, &bob, space, "carol", "owner").await.status(), 403);
            assert_eq!(
                set(&app, &carol, space, "carol", "owner").await.status(),
                404
            );
            assert_eq!(
                app.invoke(&carol, SpaceMembers { space }).await.status(),
                404
            );

            // Alice moves her document in; Bob reads it but cannot move it out.
            let doc = app
                .documents(&alice)
                .create("Roadmap", "Spring release.")
                .await;
            let alices_space = spaces_of(&app, &alice).await[0]["id"].as_i64().unwrap();
            let mv = |c: &reqwest::Client, to: i64| {
                let c = c.clone();
                let app = &app;
                async move {
                    app.invoke(&c, MoveDocument { id: doc, space: to })
                        .await
                        .status()
                        .as_u16()
                }
            };
            assert_eq!(mv(&alice, space).await, 200);
            assert_eq!(app.documents(&bob).get(doc).await.status(), 200);
            // The space's page: its documents and Bob's role, for members only.
            let listed = json(app.invoke(&bob, SpaceDocuments { space }).await).await;
            assert_eq!(listed[0]["id"], doc);
            let seen = json(app.invoke(&bob, GetSpace { space }).await).await;
            assert_eq!(
                (seen["name"].as_str(), seen["role"].as_str()),
                (Some("Team"), Some("viewer"))
            );
            assert_eq!(
                app.invoke(&carol, SpaceDocuments { space }).await.status(),
                404
            );
            assert_eq!(app.invoke(&carol, GetSpace { space }).await.status(), 404);
            let bobs_personal = spaces_of(&app, &bob).await[0]["id"].as_i64().unwrap();
            assert_eq!(mv(&bob, bobs_personal).await, 404);
            // Revisions travel with it.
            assert_eq!(
                app.documents(&alice)
                    .update(doc, 1, "Roadmap", "Summer release.")
                    .await
                    .status(),
                200
            );
            let revs = json(app.documents(&bob).revisions(doc).await).await;
            assert_eq!(revs.as_array().unwrap().len(), 1);
            // Into a space where Alice is only a viewer: refused.
            let bobs_team = json(create(&app, &bob, "Bob's team").await)
                .await
                .as_i64()
                .unwrap();
            assert_eq!(
                set(&app, &bob, bobs_team, "alice", "viewer").await.status(),
                200
            );
            assert_eq!(mv(&alice, bobs_team).await, 403);
            assert_eq!(mv(&alice, alices_space).await, 200);

            // The last owner cannot leave or step down; with a second owner she can.
            assert_eq!(remove(&app, &alice, space, "alice").await, 422);
            assert_eq!(
                set(&app, &alice, space, "alice", "editor").await.status(),
                422
            );
            assert_eq!(
                set(&app, &alice, space, "carol", "editor").await.status(),
                200
            );
            assert_eq!(
                set(&app, &alice, space, "carol", "owner").await.status(),
                200
            );
            assert_eq!(remove(&app, &alice, space, "alice").await, 200);
            // Carol, now the owner, removes Bob: his next request no longer sees it.
            assert_eq!(remove(&app, &carol, space, "bob").await, 200);
            assert_eq!(spaces_of(&app, &bob).await.as_array().unwrap().len(), 2);
            assert_eq!(app.invoke(&bob, SpaceMembers { space }).await.status(), 404);
            // Nobody leaves a personal space.
            assert_eq!(remove(&app, &alice, alices_space, "alice").await, 403);

            let actions = app.audit_actions().await;
            for action in [
                "space.create",
                "space.member.add",
                "space.member.role",
                "space.member.remove",
                "document.move",
                "authz.denied",
            ] {
                assert!(
                    actions.iter().any(|a| a == action),
                    "{action} in {actions:?}"
                );
            }
            app.stop().await;
        }
    );

    db_test!(
        administrators_can_keep_space_creation_to_themselves,
        |backend| {
            let app = TestApp::spawn(backend).await;
            let bob = signed_up(&app, "bob").await;
            // Not an administrator: the setting is not his to change.
            let res = app
                .invoke(
                    &bob,
                    SetSpaceCreation {
                        allowed: "admins".into(),
                    },
                )
                .await;
            assert_eq!(res.status(), 404);
            assert_eq!(create(&app, &bob, "Mine").await.status(), 200);

            let (admin, _) = crate::admin::admin(&app, "root").await;
            let res = app
                .invoke(
                    &admin,
                    SetSpaceCreation {
                        allowed: "admins".into(),
                    },
                )
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(create(&app, &bob, "Another").await.status(), 403);
            assert_eq!(create(&app, &admin, "Company").await.status(), 200);
            assert!(app
                .audit_actions()
                .await
                .iter()
                .any(|a| a == "settings.space_creation"));
            app.stop().await;
        }
    );

    db_test!(
        members_may_leave_a_shared_space_but_not_as_its_last_owner,
        |backend| {
            use motto::api::spaces::LeaveSpace;
            let app = TestApp::spawn(backend).await;
            let alice = signed_up(&app, "alice").await;
            let bob = signed_up(&app, "bob").await;
            let res = create(&app, &alice, "Team").await;
            let space = json(res).await.as_i64().unwrap();
            assert_eq!(
                set(&app, &alice, space, "bob", "editor").await.status(),
                200
            );
            assert_eq!(app.invoke(&bob, LeaveSpace { space }).await.status(), 200);
            let bobs = spaces_of(&app, &bob).await;
            assert_eq!(bobs.as_array().unwrap().len(), 1, "only his personal space");
            // Gone means gone: leaving again is NotFound, as for any stranger.
            assert_eq!(app.invoke(&bob, LeaveSpace { space }).await.status(), 404);
            assert_eq!(app.invoke(&alice, LeaveSpace { space }).await.status(), 422);
            let personal = spaces_of(&app, &alice).await[0]["id"].as_i64().unwrap();
            assert_eq!(
                app.invoke(&alice, LeaveSpace { space: personal })
                    .await
                    .status(),
                403
            );
            app.stop().await;
        }
    );

    db_test!(
        deleting_an_account_never_takes_a_shared_space_or_its_documents_with_it,
        |backend| {
            use crate::helpers::GOOD_PASSWORD;
            use motto::api::account::DeleteAccount;
            let app = TestApp::spawn(backend).await;
            let alice = signed_up(&app, "alice").await;
            let bob = signed_up(&app, "bob").await;
            let delete = |c: &reqwest::Client| {
                let c = c.clone();
                let app = &app;
                async move {
                    app.invoke(
                        &c,
                        DeleteAccount {
                            password: GOOD_PASSWORD.into(),
                            confirm_username: "alice".into(),
                        },
                    )
                    .await
                }
            };
            let res = create(&app, &alice, "Team").await;
            let team = json(res).await.as_i64().unwrap();
            // The only owner of a shared space cannot go: the space would have none.
            let res = delete(&alice).await;
            assert_eq!(res.status(), 422);
            assert!(json(res).await.to_string().contains("only owner"));

            assert_eq!(set(&app, &alice, team, "bob", "owner").await.status(), 200);
            // What she wrote for the team stays with the team; her personal
            // space and what is in it go with her.
            let docs = app.documents(&alice);
            let doc = docs.create("Roadmap", "For everyone.").await;
            assert_eq!(
                docs.update(doc, 1, "Roadmap", "For everyone, v2.")
                    .await
                    .status(),
                200
            );
            let diary = docs.create("Diary", "Mine alone.").await;
            let res = app
                .invoke(
                    &alice,
                    MoveDocument {
                        id: doc,
                        space: team,
                    },
                )
                .await;
            assert_eq!(res.status(), 200);
            let seen = json(app.documents(&bob).get(doc).await).await;
            assert_eq!(seen["created_by"]["person"], "alice", "{seen}");
            assert_eq!(delete(&alice).await.status(), 200);

            let seen = json(app.documents(&bob).get(doc).await).await;
            assert_eq!(seen["body"], "For everyone, v2.");
            assert_eq!(seen["created_by"], "deleted_account", "{seen}");
            assert_eq!(
                json(app.documents(&bob).revisions(doc).await)
                    .await
                    .as_array()
                    .unwrap()
                    .len(),
                1
            );
            let left = on_pool!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM documents WHERE id = $1"
            )
            .bind(diary)
            .fetch_one(pool)
            .await
            .unwrap());
            assert_eq!(
                left, 0,
                "the personal space's documents go with the account"
            );
            // The page says so, and the team can still trash and purge it.
            let page = bob
                .get(format!("{}/documents/{doc}", app.url))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(page.contains("created by a deleted account"), "{page}");
            assert_eq!(app.documents(&bob).delete(doc).await.status(), 200);
            assert_eq!(app.documents(&bob).purge(doc).await.status(), 200);

            // The team space stays, with Bob as its owner.
            let bobs = spaces_of(&app, &bob).await;
            assert_eq!(bobs[1]["name"], "Team");
            assert_eq!(bobs[1]["role"], "owner");
            app.stop().await;
        }
    );

    db_test!(
        owners_find_people_to_add_by_the_start_of_their_username,
        |backend| {
            let app = TestApp::spawn(backend).await;
            let alice = signed_up(&app, "alice").await;
            let bob = signed_up(&app, "bob").await;
            signed_up(&app, "Bobby").await;
            signed_up(&app, "bo_x").await;
            signed_up(&app, "carol").await;
            let (root, _) = crate::admin::admin(&app, "root").await;
            let team = json(create(&app, &alice, "Team").await)
                .await
                .as_i64()
                .unwrap();
            assert_eq!(set(&app, &alice, team, "bob", "viewer").await.status(), 200);
            let people = |c: &reqwest::Client, typed: &str| {
                let (app, c, typed) = (&app, c.clone(), typed.to_string());
                async move { app.invoke(&c, SpacePeople { space: team, typed }).await }
            };
            let names = |res: reqwest::Response| async move {
                assert_eq!(res.status(), 200);
                json(res).await
            };
            assert_eq!(
                names(people(&alice, "bo").await).await,
                serde_json::json!(["bo_x", "bob", "Bobby"])
            );
            assert_eq!(
                names(people(&alice, " BOB").await).await,
                serde_json::json!(["bob", "Bobby"])
            );
            // `_` and `%` are letters here, not wildcards; one letter finds nobody.
            assert_eq!(
                names(people(&alice, "b_").await).await,
                serde_json::json!([])
            );
            assert_eq!(
                names(people(&alice, "%").await).await,
                serde_json::json!([])
            );
            assert_eq!(
                names(people(&alice, "b").await).await,
                serde_json::json!([])
            );
            // A disabled account is not offered.
            let bobby = on_pool!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
                "SELECT id FROM users WHERE username_key = 'bobby'"
            )
            .fetch_one(pool)
            .await
            .unwrap());
            let res = app
                .call(
                    &root,
                    "admin/user/act",
                    &[("id", bobby.to_string().as_str()), ("action", "disable")],
                )
                .await;
            assert_eq!(res.status(), 200);
            assert_eq!(
                names(people(&alice, "bob").await).await,
                serde_json::json!(["bob"])
            );
            // Only the space's owners may look: a viewer is refused, a stranger
            // learns nothing about the space.
            assert_eq!(people(&bob, "ca").await.status(), 403);
            let carol = app.new_client();
            app.login_with(&carol, "carol", crate::helpers::GOOD_PASSWORD)
                .await;
            assert_eq!(people(&carol, "ca").await.status(), 404);
            app.stop().await;
        }
    );

    db_test!(
        the_trash_page_shows_one_spaces_trash_or_all_of_it,
        |backend| {
            let app = TestApp::spawn(backend).await;
            let alice = signed_up(&app, "alice").await;
            let team = json(create(&app, &alice, "Team").await)
                .await
                .as_i64()
                .unwrap();
            let docs = app.documents(&alice);
            let mine = docs.create("Pancake notes", "private").await;
            let ours = docs.create("Waffle plan", "shared").await;
            let res = app
                .invoke(
                    &alice,
                    MoveDocument {
                        id: ours,
                        space: team,
                    },
                )
                .await;
            assert_eq!(res.status(), 200);
            for id in [mine, ours] {
                assert_eq!(docs.delete(id).await.status(), 200);
            }
            let page = |path: String| {
                let alice = alice.clone();
                let url = format!("{}{path}", app.url);
                async move {
                    let res = alice.get(url).send().await.unwrap();
                    assert_eq!(res.status(), 200);
                    res.text().await.unwrap()
                }
            };
            let all = page("/documents/trash".into()).await;
            assert!(all.contains("Pancake notes") && all.contains("Waffle plan"));
            let one = page(format!("/documents/trash?space={team}")).await;
            assert!(
                one.contains("Waffle plan") && !one.contains("Pancake notes"),
                "{one}"
            );
            assert!(one.contains("Page 1 of 1"), "{one}");
            app.stop().await;
        }
    );
}
