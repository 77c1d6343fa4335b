//! `motto seed`: realistic data at a chosen scale, for trying Motto out, for load
//! tests and for benchmarks. Users (one administrator among them), documents with
//! earlier revisions, conversations with messages that cite those documents, and
//! audit events with a valid hash chain (so `motto verify-audit` still passes).
//!
//! Rows go in as multi-row INSERTs, a few hundred per statement and one
//! transaction per batch, so a million audit events take seconds, not hours. The
//! full-text indexes are kept by the same triggers as in normal use. Seeding adds
//! to what is there; seeded accounts are named `seed-…` and share one password.

use super::{
    audit_chain::ChainTip,
    auth::password::Hasher,
    db::{audit::AuditRow, Db, Pool, Tx},
};
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

/// How much to make.
#[derive(Clone, Debug)]
pub struct Plan {
    pub users: usize,
    pub documents_per_user: usize,
    /// Earlier versions of each document (its current version is `revisions + 1`).
    pub revisions: usize,
    pub conversations_per_user: usize,
    pub messages_per_conversation: usize,
    pub audit_events: usize,
    /// Shared spaces and groups (none by default).
    pub teams: Teams,
}

/// Shared spaces, groups and their documents: a team workspace at scale.
#[derive(Clone, Debug, Default)]
pub struct Teams {
    /// Shared spaces, each with an owner among the accounts made in this run
    /// and one group as viewer.
    pub spaces: usize,
    /// Groups of three accounts each.
    pub groups: usize,
    /// Documents spread evenly over the shared spaces (written by their owners).
    pub documents: usize,
    /// How many of the shared spaces `seed-user-1` belongs to: half directly as
    /// an editor, half through a group of its own as a viewer.
    pub member_of: usize,
}

/// What was made, and how long it took.
#[derive(Debug, Default)]
pub struct Report {
    pub users: usize,
    pub documents: usize,
    pub revisions: usize,
    pub conversations: usize,
    pub messages: usize,
    pub audit_events: usize,
    pub spaces: usize,
    pub groups: usize,
    pub seconds: f64,
}

/// A small deterministic generator (the same plan gives the same text). Also
/// used by the benchmarks in `bench/`.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Zipf-like: a few words are common, most are rare, as in real text.
    pub fn word<'a>(&mut self, words: &'a [String]) -> &'a str {
        let r = (self.next_u64() % 1_000_000) as f64 / 1_000_000.0;
        let i = ((words.len() as f64).powf(r) as usize).saturating_sub(1);
        &words[i.min(words.len() - 1)]
    }
}

/// About 3,500 made-up words, for text that searches like text.
pub fn vocabulary() -> Vec<String> {
    let onsets = [
        "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "st", "tr", "gr",
    ];
    let vowels = ["a", "e", "i", "o", "u", "ai", "ou"];
    let codas = ["", "n", "r", "s", "t", "l", "nd", "st"];
    let mut words = Vec::new();
    for o in onsets {
        for v in vowels {
            for c in codas {
                for v2 in ["", "a", "o", "er"] {
                    words.push(format!("{o}{v}{c}{v2}"));
                }
            }
        }
    }
    words
}

fn sentence(rng: &mut Rng, words: &[String], n: usize) -> String {
    let mut s: Vec<&str> = (0..n).map(|_| rng.word(words)).collect();
    let first = s.first().map(|w| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    });
    let capitalised = first.unwrap_or_default();
    if let Some(f) = s.first_mut() {
        *f = &capitalised;
    }
    format!("{}.", s.join(" "))
}

/// A Markdown document of about `size` bytes: a heading, paragraphs, a list.
fn markdown(rng: &mut Rng, words: &[String], size: usize) -> String {
    let mut body = format!("# {}\n\n", sentence(rng, words, 4).trim_end_matches('.'));
    while body.len() < size {
        match rng.below(8) {
            0 => {
                for _ in 0..3 {
                    body.push_str("- ");
                    body.push_str(&sentence(rng, words, 5));
                    body.push('\n');
                }
                body.push('\n');
            }
            1 => {
                body.push_str("## ");
                body.push_str(sentence(rng, words, 3).trim_end_matches('.'));
                body.push_str("\n\n");
            }
            _ => {
                for _ in 0..3 {
                    let n = 8 + rng.below(10);
                    body.push_str(&sentence(rng, words, n));
                    body.push(' ');
                }
                body.push_str("\n\n");
            }
        }
    }
    body
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` parameters, some columns literal.
fn values(rows: usize, cols: &[Option<&str>]) -> String {
    let mut out = String::new();
    let mut n = 0;
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            match c {
                Some(literal) => out.push_str(literal),
                None => {
                    n += 1;
                    out.push_str(&format!("${n}"));
                }
            }
        }
        out.push(')');
    }
    out
}

async fn commit(tx: Tx) -> anyhow::Result<()> {
    tx.commit().await?;
    Ok(())
}

/// Bind each value in order (one text for `query` and `query_scalar`, whose
/// types differ).
macro_rules! bind_all {
    ($q:ident, $binds:expr) => {
        for b in $binds {
            $q = match b {
                Bind::I(v) => $q.bind(*v),
                Bind::OI(v) => $q.bind(*v),
                Bind::S(v) => $q.bind(v.as_str()),
                Bind::OS(v) => $q.bind(v.as_deref()),
                Bind::T(v) => $q.bind(*v),
            };
        }
    };
}

/// The ids of the rows just inserted by a multi-row `INSERT … RETURNING id`.
async fn insert_returning(tx: &mut Tx, sql: &str, binds: &[Bind]) -> anyhow::Result<Vec<i64>> {
    let ids = crate::on_tx!(tx, conn => {
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        bind_all!(q, binds);
        q.fetch_all(&mut *conn).await?
    });
    Ok(ids)
}

async fn insert(tx: &mut Tx, sql: &str, binds: &[Bind]) -> anyhow::Result<()> {
    crate::on_tx!(tx, conn => {
        let mut q = sqlx::query(sql);
        bind_all!(q, binds);
        q.execute(&mut *conn).await?;
    });
    Ok(())
}

enum Bind {
    I(i64),
    OI(Option<i64>),
    S(String),
    OS(Option<String>),
    T(DateTime<Utc>),
}

/// Rows per INSERT (SQLite allows 32,766 parameters per statement).
const BATCH: usize = 200;

/// Seed `db` according to `plan`; every seeded account gets `password`.
pub async fn seed(db: &Db, plan: &Plan, password: &SecretString) -> anyhow::Result<Report> {
    let started = std::time::Instant::now();
    let words = vocabulary();
    let mut rng = Rng(0x5eed);
    let now = Utc::now();
    let mut report = Report::default();
    let hash = Hasher::new().hash(password).await?;

    // Users: `seed-admin` and `seed-user-1` … (numbered after any earlier seed).
    let existing: i64 = crate::on_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username_key LIKE 'seed-%'")
            .fetch_one(pool)
            .await?
    });
    let mut names: Vec<(String, &str)> = Vec::new();
    if existing == 0 {
        names.push(("seed-admin".into(), "admin"));
    }
    let first = existing.max(1) as usize;
    for i in 0..plan.users {
        names.push((format!("seed-user-{}", first + i), "user"));
    }
    let mut users: Vec<i64> = Vec::new();
    for chunk in names.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO users (username, username_key, email, email_key, password_hash, role, created_at, updated_at, email_confirmed_at) VALUES {} RETURNING id",
            values(chunk.len(), &[None, None, None, None, None, None, None, None, None])
        );
        let mut binds = Vec::new();
        for (name, role) in chunk {
            let email = format!("{name}@example.test");
            let created = now - Duration::days(400);
            binds.extend([
                Bind::S(name.clone()),
                Bind::S(name.clone()),
                Bind::S(email.clone()),
                Bind::S(email),
                Bind::S(hash.clone()),
                Bind::S(role.to_string()),
                Bind::T(created),
                Bind::T(created),
                Bind::T(created),
            ]);
        }
        let mut tx = db.begin().await?;
        users.extend(insert_returning(&mut tx, &sql, &binds).await?);
        commit(tx).await?;
    }
    report.users = users.len();
    let mut tx = db.begin().await?;
    crate::server::db::spaces::create_missing_personal(&mut tx).await?;
    commit(tx).await?;

    // Documents, each with `revisions` earlier versions.
    let mut docs_of: Vec<(i64, Vec<(i64, String)>)> = Vec::new();
    for &owner in &users {
        let space = crate::server::db::spaces::personal(db, owner)
            .await?
            .ok_or_else(|| anyhow::anyhow!("account {owner} has no personal space"))?;
        let made = Made {
            owner,
            space,
            count: plan.documents_per_user,
            revisions: plan.revisions,
        };
        let mine = documents(db, &made, &words, &mut rng, &mut report).await?;
        docs_of.push((owner, mine));
    }
    if plan.teams.spaces > 0 {
        seed_teams(db, &plan.teams, &users, &words, &mut rng, &mut report).await?;
    }

    // Conversations: a question, then an answer quoting one of the owner's
    // documents, turn after turn.
    for (owner, docs) in &docs_of {
        for _ in 0..plan.conversations_per_user {
            let title = sentence(&mut rng, &words, 3)
                .trim_end_matches('.')
                .to_string();
            let started_at = now - Duration::minutes(rng.below(90 * 24 * 60) as i64);
            let mut tx = db.begin().await?;
            let ids = insert_returning(
                &mut tx,
                &format!(
                    "INSERT INTO conversations (owner_id, title, created_at, updated_at) VALUES {} RETURNING id",
                    values(1, &[None, None, None, None])
                ),
                &[
                    Bind::I(*owner),
                    Bind::S(title),
                    Bind::T(started_at),
                    Bind::T(started_at + Duration::minutes(plan.messages_per_conversation as i64)),
                ],
            )
            .await?;
            let conversation = ids[0];
            let mut rows = Vec::new();
            for m in 0..plan.messages_per_conversation {
                let at = started_at + Duration::minutes(m as i64);
                rows.push(if m % 2 == 0 {
                    let n_words = 6 + rng.below(6);
                    let q = sentence(&mut rng, &words, n_words);
                    (
                        "user",
                        format!("{}?", q.trim_end_matches('.')),
                        "[]".to_string(),
                        at,
                    )
                } else if docs.is_empty() {
                    (
                        "assistant",
                        "None of your documents mention that.".to_string(),
                        "[]".to_string(),
                        at,
                    )
                } else {
                    let (doc, doc_title) = &docs[rng.below(docs.len())];
                    let quote = sentence(&mut rng, &words, 12);
                    let citations = serde_json::json!([{
                        "n": 1, "document_id": doc, "title": doc_title,
                        "version": plan.revisions + 1, "excerpt": quote,
                    }]);
                    (
                        "assistant",
                        format!("From your documents: “{quote}” [1]"),
                        citations.to_string(),
                        at,
                    )
                });
            }
            for chunk in rows.chunks(BATCH) {
                let sql = format!(
                    "INSERT INTO messages (conversation_id, role, content, status, citations, assistant, created_at) VALUES {}",
                    values(chunk.len(), &[None, None, None, Some("'complete'"), None, Some("'retrieval'"), None])
                );
                let mut binds = Vec::new();
                for (role, content, citations, at) in chunk {
                    binds.extend([
                        Bind::I(conversation),
                        Bind::S(role.to_string()),
                        Bind::S(content.clone()),
                        Bind::S(citations.clone()),
                        Bind::T(*at),
                    ]);
                }
                insert(&mut tx, &sql, &binds).await?;
            }
            let n = rows.len();
            commit(tx).await?;
            report.conversations += 1;
            report.messages += n;
        }
    }

    report.audit_events = seed_audit(db, &users, plan.audit_events, &mut rng).await?;
    // The documents went in by bulk INSERT: count their room against each account.
    super::db::quotas::recount_storage(db).await?;
    // The documents went in by bulk INSERT: count their room against each account.
    super::db::quotas::recount_storage(db).await?;
    // Fresh statistics for the planner after a bulk load (what autovacuum or the
    // server's hourly `PRAGMA optimize` would soon do), so the first queries get
    // good plans. (A bare `PRAGMA optimize` here looked only at the tables this
    // connection had planned queries on: none, so a second seed left statistics
    // from the first, and SQLite scanned 100,000 documents for a page of 50.)
    match db.pool() {
        Pool::Postgres(pool) => {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Pool::Sqlite(pool) => {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What [`documents`] makes: `count` documents by `owner` in `space`, each
/// with `revisions` earlier versions.
struct Made {
    owner: i64,
    space: i64,
    count: usize,
    revisions: usize,
}

async fn documents(
    db: &Db,
    made: &Made,
    words: &[String],
    rng: &mut Rng,
    report: &mut Report,
) -> anyhow::Result<Vec<(i64, String)>> {
    let now = Utc::now();
    let doc_sql = |n| {
        format!(
            "INSERT INTO documents (owner_id, space_id, title, body, version, created_at, updated_at) VALUES {} RETURNING id",
            values(n, &[None, None, None, None, None, None, None])
        )
    };
    let Made {
        owner,
        space,
        count,
        revisions,
    } = *made;
    let mut mine = Vec::new();
    let mut left = count;
    while left > 0 {
        let n = left.min(BATCH);
        left -= n;
        let mut binds = Vec::new();
        let mut titles = Vec::new();
        for _ in 0..n {
            let n_words = 2 + rng.below(4);
            let title = sentence(rng, words, n_words);
            let title = title.trim_end_matches('.').to_string();
            let size = 800 + rng.below(3000);
            let body = markdown(rng, words, size);
            let created = now - Duration::minutes(rng.below(365 * 24 * 60) as i64);
            let updated = created + Duration::minutes(rng.below(30 * 24 * 60) as i64);
            binds.extend([
                Bind::I(owner),
                Bind::I(space),
                Bind::S(title.clone()),
                Bind::S(body),
                Bind::I(revisions as i64 + 1),
                Bind::T(created),
                Bind::T(updated.min(now)),
            ]);
            titles.push(title);
        }
        let mut tx = db.begin().await?;
        let ids = insert_returning(&mut tx, &doc_sql(n), &binds).await?;
        if revisions > 0 {
            let rows: Vec<(i64, i64)> = ids
                .iter()
                .flat_map(|&id| (1..=revisions as i64).map(move |v| (id, v)))
                .collect();
            for chunk in rows.chunks(BATCH) {
                let sql = format!(
                    "INSERT INTO document_revisions (document_id, version, title, body, created_at) VALUES {}",
                    values(chunk.len(), &[None, None, None, None, None])
                );
                let mut binds = Vec::new();
                for &(id, v) in chunk {
                    let size = 500 + rng.below(2000);
                    binds.extend([
                        Bind::I(id),
                        Bind::I(v),
                        Bind::S(sentence(rng, words, 3).trim_end_matches('.').into()),
                        Bind::S(markdown(rng, words, size)),
                        Bind::T(now - Duration::days(30) + Duration::minutes(v)),
                    ]);
                }
                insert(&mut tx, &sql, &binds).await?;
                report.revisions += chunk.len();
            }
        }
        commit(tx).await?;
        report.documents += ids.len();
        mine.extend(ids.into_iter().zip(titles));
    }
    Ok(mine)
}

/// Groups, shared spaces with owners and members, and documents spread over
/// them; `seed-user-1` (the benchmarks' measured account) is put in
/// `member_of` of the spaces.
async fn seed_teams(
    db: &Db,
    teams: &Teams,
    users: &[i64],
    words: &[String],
    rng: &mut Rng,
    report: &mut Report,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let measured: Option<i64> = crate::on_pool!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'seed-user-1'")
            .fetch_optional(pool)
            .await?
    });
    let others: Vec<i64> = users
        .iter()
        .copied()
        .filter(|u| Some(*u) != measured)
        .collect();
    anyhow::ensure!(
        !others.is_empty(),
        "teams need accounts besides seed-user-1"
    );
    let tag = rng.next_u64() % 1_000_000;
    // Groups of three (plus one holding only the measured account).
    let mut names: Vec<String> = (0..teams.groups)
        .map(|k| format!("seed-group-{tag}-{k}"))
        .collect();
    names.push(format!("seed-group-{tag}-measured"));
    let mut groups = Vec::new();
    for chunk in names.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO groups (name, name_key, source, created_at) VALUES {} RETURNING id",
            values(chunk.len(), &[None, None, Some("'local'"), None])
        );
        let binds: Vec<Bind> = chunk
            .iter()
            .flat_map(|n| [Bind::S(n.clone()), Bind::S(n.clone()), Bind::T(now)])
            .collect();
        let mut tx = db.begin().await?;
        groups.extend(insert_returning(&mut tx, &sql, &binds).await?);
        commit(tx).await?;
    }
    let measured_group = groups.pop();
    let mut in_groups: Vec<(i64, i64)> = Vec::new();
    for &g in &groups {
        for _ in 0..3 {
            in_groups.push((g, others[rng.below(others.len())]));
        }
    }
    in_groups.sort_unstable();
    in_groups.dedup();
    if let (Some(g), Some(m)) = (measured_group, measured) {
        in_groups.push((g, m));
    }
    for chunk in in_groups.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO group_members (group_id, user_id, source, added_at) VALUES {}",
            values(chunk.len(), &[None, None, Some("'local'"), None])
        );
        let binds: Vec<Bind> = chunk
            .iter()
            .flat_map(|&(g, u)| [Bind::I(g), Bind::I(u), Bind::T(now)])
            .collect();
        let mut tx = db.begin().await?;
        insert(&mut tx, &sql, &binds).await?;
        commit(tx).await?;
    }
    report.groups = groups.len() + usize::from(measured_group.is_some());

    // Spaces, each with an owner and a group as viewer.
    let mut spaces = Vec::new();
    for chunk in (0..teams.spaces).collect::<Vec<_>>().chunks(BATCH) {
        let sql = format!(
            "INSERT INTO spaces (kind, name, description, created_at, updated_at) VALUES {} RETURNING id",
            values(chunk.len(), &[Some("'shared'"), None, Some("''"), None, None])
        );
        let binds: Vec<Bind> = chunk
            .iter()
            .flat_map(|k| {
                [
                    Bind::S(format!("Seed space {tag}-{k}")),
                    Bind::T(now),
                    Bind::T(now),
                ]
            })
            .collect();
        let mut tx = db.begin().await?;
        spaces.extend(insert_returning(&mut tx, &sql, &binds).await?);
        commit(tx).await?;
    }
    report.spaces = spaces.len();
    let owners: Vec<i64> = spaces
        .iter()
        .map(|_| others[rng.below(others.len())])
        .collect();
    let half = teams.member_of / 2;
    let mut members: Vec<(i64, Option<i64>, Option<i64>, &str)> = Vec::new();
    for (k, (&space, &owner)) in spaces.iter().zip(&owners).enumerate() {
        members.push((space, Some(owner), None, "owner"));
        if !groups.is_empty() {
            members.push((space, None, Some(groups[rng.below(groups.len())]), "viewer"));
        }
        match (measured, measured_group) {
            (Some(m), _) if k < half => members.push((space, Some(m), None, "editor")),
            (_, Some(g)) if k >= half && k < teams.member_of => {
                members.push((space, None, Some(g), "viewer"))
            }
            _ => {}
        }
    }
    for chunk in members.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO space_members (space_id, user_id, group_id, role, added_at) VALUES {}",
            values(chunk.len(), &[None, None, None, None, None])
        );
        let binds: Vec<Bind> = chunk
            .iter()
            .flat_map(|&(s, u, g, role)| {
                [
                    Bind::I(s),
                    Bind::OI(u),
                    Bind::OI(g),
                    Bind::S(role.into()),
                    Bind::T(now),
                ]
            })
            .collect();
        let mut tx = db.begin().await?;
        insert(&mut tx, &sql, &binds).await?;
        commit(tx).await?;
    }

    // Documents, spread evenly.
    let n = spaces.len();
    for (k, (&space, &owner)) in spaces.iter().zip(&owners).enumerate() {
        let count = teams.documents / n + usize::from(k < teams.documents % n);
        let made = Made {
            owner,
            space,
            count,
            revisions: 0,
        };
        documents(db, &made, words, rng, report).await?;
    }
    Ok(())
}

/// What people do, weighted roughly as a busy workspace would log it.
const ACTIONS: [(&str, &str, Option<&str>); 10] = [
    ("auth.login.success", "success", Some("user")),
    ("auth.login.success", "success", Some("user")),
    ("auth.login.failure", "failure", Some("user")),
    ("auth.logout", "success", Some("user")),
    ("document.create", "success", Some("document")),
    ("document.update", "success", Some("document")),
    ("document.update", "success", Some("document")),
    ("conversation.create", "success", Some("conversation")),
    ("security.access_denied", "denied", None),
    ("api_key.create", "success", Some("api_key")),
];

/// `n` audit events over the last year, chained onto the current head: each batch
/// reads the head, links its rows and moves the head, in one transaction (the
/// head's row lock orders it with events the running server writes).
async fn seed_audit(db: &Db, users: &[i64], n: usize, rng: &mut Rng) -> anyhow::Result<usize> {
    let begin = Utc::now() - Duration::days(365);
    let step_us = (365 * 86_400_000_000_i64) / n.max(1) as i64;
    let mut done = 0;
    while done < n {
        // Many rows per transaction (fewer commits), a few hundred per statement.
        let size = (n - done).min(BATCH * 20);
        let mut tx = db.begin().await?;
        let key = tx.audit_keys().mac.clone();
        let (reserve, link) = crate::server::db::audit::head_sql(tx.backend());
        let (seq, last_hash, last_mac, keyed_from): (i64, String, Option<String>, i64) = crate::on_tx!(&mut tx, conn => {
            sqlx::query_as(reserve)
            .bind(size as i64)
            .fetch_one(&mut *conn)
            .await?
        });
        let mut tip = ChainTip {
            seq,
            last_hash,
            last_mac,
            keyed_from,
        };
        let mut binds = Vec::with_capacity(size * 14);
        for i in 0..size {
            let k = done + i;
            let (action, outcome, target_type) = ACTIONS[rng.below(ACTIONS.len())];
            let actor = users.get(rng.below(users.len())).copied();
            let at = begin + Duration::microseconds(step_us * k as i64);
            let mut row = AuditRow {
                id: 0,
                occurred_at: DateTime::<Utc>::from_timestamp_micros(at.timestamp_micros())
                    .unwrap_or(at),
                actor_user_id: actor,
                actor_api_key_id: None,
                action: action.to_string(),
                target_type: target_type.map(str::to_string),
                target_id: target_type.map(|_| (1 + rng.below(10_000)).to_string()),
                outcome: outcome.to_string(),
                source_ip: Some(format!(
                    "10.{}.{}.{}",
                    rng.below(4),
                    rng.below(256),
                    1 + rng.below(254)
                )),
                user_agent: Some(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
                ),
                request_id: Some(format!("seed-{:08x}", rng.next_u64())),
                details: "{}".into(),
                prev_hash: String::new(),
                hash: String::new(),
                mac: None,
            };
            tip.append(&mut row, &key);
            binds.extend([
                Bind::I(row.id),
                Bind::T(row.occurred_at),
                Bind::OI(row.actor_user_id),
                Bind::S(row.action),
                Bind::OS(row.target_type),
                Bind::OS(row.target_id),
                Bind::S(row.outcome),
                Bind::OS(row.source_ip),
                Bind::OS(row.user_agent),
                Bind::OS(row.request_id),
                Bind::S(row.details),
                Bind::S(row.prev_hash),
                Bind::S(row.hash),
                Bind::OS(row.mac),
            ]);
        }
        for chunk in binds.chunks(BATCH * 2 * 14) {
            let sql = format!(
                "INSERT INTO audit_events (id, occurred_at, actor_user_id, action, target_type, target_id, \
                 outcome, source_ip, user_agent, request_id, details, prev_hash, hash, mac) VALUES {}",
                values(chunk.len() / 14, &[None; 14])
            );
            insert(&mut tx, &sql, chunk).await?;
        }
        crate::on_tx!(&mut tx, conn => {
            sqlx::query(link)
                .bind(tip.seq)
                .bind(&tip.last_hash)
                .bind(&tip.last_mac)
                .execute(&mut *conn)
                .await?;
        });
        commit(tx).await?;
        done += size;
    }
    Ok(n)
}
