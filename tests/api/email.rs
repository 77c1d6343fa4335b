//! Email addresses are confirmed by a mailed link (ASVS 6.3.8 for registration,
//! 6.4.x for where reset mail may go): registering or changing to an address that
//! another account owns answers exactly as a free one does; the owner is told by
//! mail instead. An unconfirmed address neither logs in nor gets reset mail.

use crate::db_test;
use crate::helpers::{confirm_email, confirmation_code, json, TestApp, GOOD_PASSWORD};

/// Wait for a mail to `to` whose subject contains `subject`; its body.
pub(crate) async fn wait_for_mail(app: &TestApp, to: &str, subject: &str) -> String {
    for _ in 0..200 {
        let found = app
            .state
            .mailer
            .outbox()
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.to == to && m.subject.contains(subject));
        if let Some(m) = found {
            return m.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no mail to {to} about {subject:?}");
}

fn mails_to(app: &TestApp, to: &str) -> usize {
    app.state
        .mailer
        .outbox()
        .unwrap_or_default()
        .iter()
        .filter(|m| m.to == to)
        .count()
}

async fn register(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    email: &str,
) -> reqwest::Response {
    app.call(
        c,
        "register",
        &[
            ("username", name),
            ("email", email),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ],
    )
    .await
}

/// What a page learns: status, the body with the new account's own name and id
/// taken out, and the names of the cookies set.
async fn answer(res: reqwest::Response, name: &str) -> (u16, String, Vec<String>) {
    let status = res.status().as_u16();
    let mut cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_string())
        .collect();
    cookies.sort();
    let body = res.text().await.unwrap().replace(name, "NAME");
    (status, body, cookies)
}

db_test!(
    asvs_6_3_8_registering_with_an_owned_address_answers_as_a_free_one_does,
    |backend| {
        let app = TestApp::spawn(backend).await;
        crate::helpers::signed_up(&app, "olga").await;
        let before = mails_to(&app, "olga@example.com");

        let free = register(&app, &app.new_client(), "mallory1", "free@example.com").await;
        let owned = register(&app, &app.new_client(), "mallory2", "OLGA@example.com").await;
        let free = answer(free, "mallory1").await;
        let owned = answer(owned, "mallory2").await;
        assert_eq!(free.0, 200);
        assert_eq!(free, owned, "the same status, body and cookies");

        // Both are signed in, both unconfirmed, both see the same banner state.
        // The free address gets a link; the owner of the other one gets a note.
        let link = wait_for_mail(&app, "free@example.com", "Confirm your email address").await;
        assert!(confirmation_code(&link).is_some(), "{link}");
        let note = wait_for_mail(&app, "OLGA@example.com", "already in use").await;
        assert!(note.contains("/forgot-password"), "{note}");
        assert!(
            confirmation_code(&note).is_none(),
            "no link for an owned address"
        );
        assert_eq!(mails_to(&app, "olga@example.com"), before);
        let actions = app.audit_actions().await;
        assert!(actions.contains(&"account.email.link".to_string()));
    }
);

db_test!(
    an_unconfirmed_address_neither_logs_in_nor_gets_reset_mail_until_its_link_is_opened,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let c = app.new_client();
        assert_eq!(
            register(&app, &c, "nina", "nina@example.com")
                .await
                .status(),
            200
        );
        let me = json(app.call(&c, "me", &[]).await).await;
        assert_eq!(me["email_confirmed"], false, "{me}");
        let status = json(app.call(&c, "account/email", &[]).await).await;
        assert_eq!(status["confirmed"], false);
        assert_eq!(status["pending"], "nina@example.com");

        // The username logs in; the address does not, and gets no reset mail.
        assert!(app
            .login_with(&app.new_client(), "nina", GOOD_PASSWORD)
            .await
            .status()
            .is_success());
        assert!(app
            .login_with(&app.new_client(), "nina@example.com", GOOD_PASSWORD)
            .await
            .status()
            .is_client_error());
        wait_for_mail(&app, "nina@example.com", "Confirm").await;
        let res = app
            .call(
                &app.new_client(),
                "password_reset/request",
                &[("email", "nina@example.com")],
            )
            .await;
        assert_eq!(res.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            mails_to(&app, "nina@example.com"),
            1,
            "only the confirmation"
        );

        // A wrong code is refused beside its field; the right one, once.
        let res = app
            .call(
                &app.new_client(),
                "account/email/confirm",
                &[("token", "0123")],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("token"));
        confirm_email(&app, "nina@example.com").await;
        let me = json(app.call(&c, "me", &[]).await).await;
        assert_eq!(me["email_confirmed"], true, "{me}");
        assert!(app
            .login_with(&app.new_client(), "nina@example.com", GOOD_PASSWORD)
            .await
            .status()
            .is_success());
        assert!(app
            .audit_actions()
            .await
            .contains(&"account.email.confirm".to_string()));
    }
);

db_test!(
    a_changed_address_is_used_once_confirmed_and_the_old_one_is_told,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = crate::helpers::signed_up(&app, "alice").await;
        let res = app
            .call(
                &alice,
                "account/identity",
                &[
                    ("username", "alice"),
                    ("email", "alice@new.example"),
                    ("password", GOOD_PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        // Until the link is opened the old address stays the account's.
        let status = json(app.call(&alice, "account/email", &[]).await).await;
        assert_eq!(status["email"], "alice@example.com");
        assert_eq!(status["confirmed"], true);
        assert_eq!(status["pending"], "alice@new.example");
        assert!(app
            .login_with(&app.new_client(), "alice@example.com", GOOD_PASSWORD)
            .await
            .status()
            .is_success());

        // Sending again is limited to once a minute.
        let res = app.call(&alice, "account/email/resend", &[]).await;
        assert_eq!(res.status(), 429);

        confirm_email(&app, "alice@new.example").await;
        let status = json(app.call(&alice, "account/email", &[]).await).await;
        assert_eq!(status["email"], "alice@new.example");
        assert!(status["pending"].is_null());
        let note = wait_for_mail(&app, "alice@example.com", "was changed").await;
        assert!(note.contains("alice@new.example"), "{note}");
        assert!(app
            .login_with(&app.new_client(), "alice@new.example", GOOD_PASSWORD)
            .await
            .status()
            .is_success());
    }
);

db_test!(the_first_to_confirm_an_address_owns_it, |backend| {
    let app = TestApp::spawn(backend).await;
    // Two accounts claim one free address; whoever opens the link first wins.
    let one = app.new_client();
    let two = app.new_client();
    assert_eq!(
        register(&app, &one, "pat1", "pat@example.com")
            .await
            .status(),
        200
    );
    let first =
        confirmation_code(&wait_for_mail(&app, "pat@example.com", "Confirm").await).unwrap();
    assert_eq!(
        register(&app, &two, "pat2", "pat@example.com")
            .await
            .status(),
        200
    );
    let mut second = first.clone();
    for _ in 0..200 {
        let codes: Vec<String> = app
            .state
            .mailer
            .outbox()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| confirmation_code(&m.body))
            .collect();
        if let Some(c) = codes.into_iter().find(|c| *c != first) {
            second = c;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_ne!(first, second);
    let ok = app
        .call(
            &app.new_client(),
            "account/email/confirm",
            &[("token", second.as_str())],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let late = app
        .call(
            &app.new_client(),
            "account/email/confirm",
            &[("token", first.as_str())],
        )
        .await;
    assert_eq!(late.status(), 422);
    assert!(late
        .text()
        .await
        .unwrap()
        .contains("confirmed for another account"));
    let me = json(app.call(&one, "me", &[]).await).await;
    assert_eq!(me["email_confirmed"], false);
});
