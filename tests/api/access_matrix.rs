//! The access matrix of #19, generated from the rules: every kind of person
//! × every thing one can do to a shared space's document, the expected outcome
//! taken from `domain::space::allows` (the one rule table), every cell tried
//! against a running server on a document of its own.

use crate::admin::admin;
use crate::conversations::{ask, cited_ids};
use crate::db_test;
use crate::helpers::{json, signed_up, TestApp};
use crate::rest::key;
use motto::api::share_links::CreateShareLink;
use motto::api::spaces::{
    AddGroupMember, CreateGroup, CreateSpace, ListSpaces, MoveDocument, RemoveSpaceMember,
    SetSpaceGroup, SetSpaceMember,
};
use motto::domain::space::{allows, SpaceAction, SpaceKind, SpaceRole};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Owner,
    Editor,
    Viewer,
    /// In a group that is an editor of the space.
    GroupMember,
    NonMember,
    /// Was a viewer, was taken out.
    Removed,
    /// An administrator who is not a member.
    Admin,
    Anonymous,
    /// Anonymous, with a share link to the document.
    Visitor,
}

impl Who {
    const ALL: [Who; 9] = [
        Who::Owner,
        Who::Editor,
        Who::Viewer,
        Who::GroupMember,
        Who::NonMember,
        Who::Removed,
        Who::Admin,
        Who::Anonymous,
        Who::Visitor,
    ];

    /// Their role in the space, as the rules see it.
    fn role(self) -> Option<SpaceRole> {
        match self {
            Who::Owner => Some(SpaceRole::Owner),
            Who::Editor | Who::GroupMember => Some(SpaceRole::Editor),
            Who::Viewer => Some(SpaceRole::Viewer),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    List,
    Read,
    Search,
    Edit,
    Move,
    Trash,
    Restore,
    Purge,
    Revisions,
    Ask,
    Rest,
}

impl Act {
    const ALL: [Act; 11] = [
        Act::List,
        Act::Read,
        Act::Search,
        Act::Edit,
        Act::Move,
        Act::Trash,
        Act::Restore,
        Act::Purge,
        Act::Revisions,
        Act::Ask,
        Act::Rest,
    ];

    fn needs(self) -> SpaceAction {
        match self {
            Act::List | Act::Read | Act::Search | Act::Revisions | Act::Ask | Act::Rest => {
                SpaceAction::Read
            }
            Act::Edit | Act::Move | Act::Trash | Act::Restore => SpaceAction::Write,
            Act::Purge => SpaceAction::Purge,
        }
    }
}

/// What the rules say: a share link reads one document and does nothing else.
fn expected(who: Who, act: Act) -> bool {
    match who {
        Who::Visitor => act == Act::Read,
        _ => allows(SpaceKind::Shared, who.role(), act.needs()),
    }
}

struct Person {
    client: reqwest::Client,
    /// Their personal space (where they would move a document to).
    personal: Option<i64>,
    /// An API key with `documents:read`.
    key: Option<String>,
}

async fn person(app: &TestApp, client: reqwest::Client) -> Person {
    let spaces = json(app.invoke(&client, ListSpaces {}).await).await;
    let (secret, _) = key(app, &client, "matrix", &["documents:read"]).await;
    Person {
        personal: spaces[0]["id"].as_i64(),
        key: Some(secret),
        client,
    }
}

/// Try `act` on `doc` as `p`; whether it was allowed (and did what it says).
async fn attempt(
    app: &TestApp,
    owner: &reqwest::Client,
    p: &Person,
    who: Who,
    act: Act,
    doc: i64,
    word: &str,
) -> bool {
    let docs = app.documents(&p.client);
    match act {
        Act::List => {
            let res = docs.list(false).await;
            res.status() == 200
                && json(res).await["items"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|i| i["id"] == doc))
        }
        Act::Read if who == Who::Visitor => {
            let res = app
                .invoke(
                    owner,
                    CreateShareLink {
                        id: doc,
                        password: String::new(),
                        expires_in_days: 1,
                    },
                )
                .await;
            let url = json(res).await["url"].as_str().unwrap().to_string();
            let path = &url[url.find("/s/").unwrap()..];
            let res = p
                .client
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            res.status() == 200 && res.text().await.unwrap().contains(word)
        }
        Act::Read => docs.get(doc).await.status() == 200,
        Act::Search => {
            let res = docs.search(word).await;
            res.status() == 200
                && json(res)
                    .await
                    .as_array()
                    .is_some_and(|hits| hits.iter().any(|h| h["id"] == doc))
        }
        Act::Edit => docs.update(doc, 1, "Changed", "Changed.").await.status() == 200,
        Act::Move => {
            let to = p.personal.unwrap_or(0);
            let res = app
                .invoke(&p.client, MoveDocument { id: doc, space: to })
                .await;
            res.status() == 200
        }
        Act::Trash => docs.delete(doc).await.status() == 200,
        Act::Restore => {
            assert_eq!(app.documents(owner).delete(doc).await.status(), 200);
            docs.restore(doc).await.status() == 200
        }
        Act::Purge => {
            assert_eq!(app.documents(owner).delete(doc).await.status(), 200);
            docs.purge(doc).await.status() == 200
        }
        Act::Revisions => {
            let res = app.documents(owner).update(doc, 1, "Second", word).await;
            assert_eq!(res.status(), 200);
            let res = docs.revisions(doc).await;
            res.status() == 200 && json(res).await.as_array().is_some_and(|r| !r.is_empty())
        }
        Act::Ask => {
            let res = app
                .call(&p.client, "conversations/create", &[("title", "Q")])
                .await;
            if res.status() != 200 {
                return false;
            }
            let chat = json(res).await.as_i64().unwrap();
            let (status, answer) = ask(app, &p.client, chat, &format!("What about {word}?")).await;
            status == 201 && cited_ids(&answer["reply"]).contains(&doc)
        }
        Act::Rest => {
            let mut req = reqwest::Client::new().get(format!("{}/api/v1/documents/{doc}", app.url));
            if let Some(k) = &p.key {
                req = req.bearer_auth(k);
            }
            let res = req.send().await.unwrap();
            res.status() == 200 && res.text().await.unwrap().contains(word)
        }
    }
}

db_test!(every_person_and_action_follows_the_rule_table, |backend| {
    let app = TestApp::on(backend)
        // Many people and requests from one address in a few seconds: the
        // rate limits are another test's subject.
        .settings(|s| {
            s.rate_limits.server_fn = None;
            s.rate_limits.api = None;
            s.rate_limits.register = None;
            s.rate_limits.password_reset = None;
        })
        .spawn()
        .await;
    let (root, _) = admin(&app, "root").await;
    let owner = signed_up(&app, "alice").await;
    let space = json(
        app.invoke(
            &owner,
            CreateSpace {
                name: "Team".into(),
                description: String::new(),
            },
        )
        .await,
    )
    .await
    .as_i64()
    .unwrap();
    let add = |name: &str, role: &str| SetSpaceMember {
        space,
        username: name.into(),
        role: role.into(),
    };
    let mut people = Vec::new();
    for who in Who::ALL {
        let p = match who {
            Who::Owner => person(&app, owner.clone()).await,
            Who::Anonymous | Who::Visitor => Person {
                client: app.new_client(),
                personal: None,
                key: None,
            },
            Who::Admin => person(&app, root.clone()).await,
            _ => {
                let name = format!("{who:?}").to_lowercase();
                let c = signed_up(&app, &name).await;
                match who {
                    Who::Editor => {
                        assert_eq!(app.invoke(&owner, add(&name, "editor")).await.status(), 200)
                    }
                    Who::Viewer | Who::Removed => {
                        assert_eq!(app.invoke(&owner, add(&name, "viewer")).await.status(), 200)
                    }
                    Who::GroupMember => {
                        let group = json(
                            app.invoke(
                                &root,
                                CreateGroup {
                                    name: "Crew".into(),
                                },
                            )
                            .await,
                        )
                        .await
                        .as_i64()
                        .unwrap();
                        let join = AddGroupMember {
                            group,
                            username: name.clone(),
                        };
                        assert_eq!(app.invoke(&root, join).await.status(), 200);
                        let set = SetSpaceGroup {
                            space,
                            group: "Crew".into(),
                            role: "editor".into(),
                        };
                        assert_eq!(app.invoke(&owner, set).await.status(), 200);
                    }
                    _ => {}
                }
                let p = person(&app, c).await;
                if who == Who::Removed {
                    let out = RemoveSpaceMember {
                        space,
                        username: name,
                    };
                    assert_eq!(app.invoke(&owner, out).await.status(), 200);
                }
                p
            }
        };
        people.push((who, p));
    }

    let mut wrong = Vec::new();
    let mut table = String::new();
    for (i, (who, p)) in people.iter().enumerate() {
        table.push_str(&format!("{:<12}", format!("{who:?}")));
        for (j, act) in Act::ALL.into_iter().enumerate() {
            // A document of its own for each cell, in the shared space.
            let word = format!("zq{i}x{j}w");
            let doc = app
                .documents(&owner)
                .create(
                    &format!("Cell {i}.{j}"),
                    &format!("The word {word} is here."),
                )
                .await;
            let moved = app.invoke(&owner, MoveDocument { id: doc, space }).await;
            assert_eq!(moved.status(), 200);
            let got = attempt(&app, &owner, p, *who, act, doc, &word).await;
            let want = expected(*who, act);
            table.push_str(if got { " Y" } else { " ." });
            if got != want {
                wrong.push(format!("{who:?} × {act:?}: expected {want}, got {got}"));
            }
        }
        table.push('\n');
    }
    assert!(
        wrong.is_empty(),
        "cells that break the rules:\n{}\n\nthe matrix (Y = allowed), actions {:?}:\n{table}",
        wrong.join("\n"),
        Act::ALL
    );
    app.stop().await;
});
