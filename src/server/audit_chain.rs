//! The audit chain's arithmetic, with no database and no server in it: how an
//! event is hashed and MACed, how a signed checkpoint is made and checked, and the
//! one walk over a run of events that `motto verify-audit` (rows from the
//! database, with the audit key) and `motto verify-export` (rows from an export,
//! with only the public key) both use. A leaf module: it uses no other part of
//! the server but `crypto`.
//!
//! Each event carries two links to the one before it:
//! - `hash` = SHA-256(previous hash ‖ canonical content): anyone can recompute
//!   it, so an export plus signed checkpoints proves to an outsider that nothing
//!   was edited, removed or reordered up to the last checkpoint;
//! - `mac` = HMAC-SHA-256 under the audit key over (previous MAC ‖ canonical
//!   content): someone who can write to the database but does not hold the key
//!   cannot rewrite an event and recompute the links after it, even past the
//!   last checkpoint.
//!
//! Events written before the keyed chain existed (ids below `keyed_from`) have
//! no MAC; the first checkpoint seals them, and the first keyed event's MAC
//! starts from the last unkeyed hash, so the two runs are joined.

use crate::server::crypto::{hmac_sha256, KeyBytes};
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const MAC_DOMAIN: &[u8] = b"motto-audit-mac-v1\n";
const CHECKPOINT_DOMAIN: &[u8] = b"motto-audit-checkpoint-v1\n";

/// A stored event, as read back from the database or from an export.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    #[serde(with = "micros")]
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_api_key_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The JSON text exactly as stored (the hash covers these bytes).
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    /// `None` for events written before the chain was keyed.
    pub mac: Option<String>,
}

/// Timestamps in exports: RFC 3339 with microseconds, which is what the chain
/// hashes, so a round trip through an export changes nothing.
mod micros {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// The content that is hashed and MACed: every field but the links, in a fixed
/// order, as compact JSON.
#[derive(Serialize)]
struct Canonical<'a> {
    id: i64,
    occurred_at_us: i64,
    actor_user_id: Option<i64>,
    actor_api_key_id: Option<i64>,
    action: &'a str,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    outcome: &'a str,
    source_ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    request_id: Option<&'a str>,
    details: &'a str,
}

fn canonical(row: &AuditRow) -> String {
    let c = Canonical {
        id: row.id,
        occurred_at_us: row.occurred_at.timestamp_micros(),
        actor_user_id: row.actor_user_id,
        actor_api_key_id: row.actor_api_key_id,
        action: &row.action,
        target_type: row.target_type.as_deref(),
        target_id: row.target_id.as_deref(),
        outcome: &row.outcome,
        source_ip: row.source_ip.as_deref(),
        user_agent: row.user_agent.as_deref(),
        request_id: row.request_id.as_deref(),
        details: &row.details,
    };
    serde_json::to_string(&c).expect("canonical audit content serialises")
}

fn hash_of(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

fn mac_of(key: &KeyBytes, prev_mac: &str, canonical: &str) -> String {
    let mut data = Vec::with_capacity(MAC_DOMAIN.len() + prev_mac.len() + 1 + canonical.len());
    data.extend_from_slice(MAC_DOMAIN);
    data.extend_from_slice(prev_mac.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(canonical.as_bytes());
    hex::encode(hmac_sha256(key.expose(), &data))
}

/// The public link: SHA-256(previous hash ‖ canonical content).
pub fn chain_hash(prev_hash: &str, row: &AuditRow) -> String {
    hash_of(prev_hash, &canonical(row))
}

/// The end of the chain as `audit_chain_head` keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainTip {
    /// The last event's id (0 when there is none).
    pub seq: i64,
    pub last_hash: String,
    /// The last event's MAC (`None` until the first keyed event).
    pub last_mac: Option<String>,
    /// The first id whose event carries a MAC.
    pub keyed_from: i64,
}

impl ChainTip {
    /// Link `row` onto the tip: give it the next id, its `prev_hash`, `hash` and
    /// (from `keyed_from` on) `mac`, and move the tip to it.
    pub fn append(&mut self, row: &mut AuditRow, key: &KeyBytes) {
        row.id = self.seq + 1;
        let content = canonical(row);
        row.prev_hash = self.last_hash.clone();
        row.hash = hash_of(&self.last_hash, &content);
        row.mac = (row.id >= self.keyed_from).then(|| {
            let prev = self.last_mac.as_deref().unwrap_or(&self.last_hash);
            mac_of(key, prev, &content)
        });
        self.seq = row.id;
        self.last_hash = row.hash.clone();
        if row.mac.is_some() {
            self.last_mac = row.mac.clone();
        }
    }
}

/// What a checkpoint seals: the run of events since the previous one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// 1, 2, 3, ...: a gap means a checkpoint is missing.
    pub seq: i64,
    pub first_id: i64,
    pub last_id: i64,
    pub count: i64,
    /// The last event's public hash and MAC.
    pub last_hash: String,
    pub last_mac: Option<String>,
    /// Where the keyed chain starts (events before it were written unkeyed).
    pub keyed_from: i64,
    pub created_at: String,
    /// [`SignedCheckpoint::digest`] of the checkpoint before (zeros for the first).
    pub prev_digest: String,
    /// Which signing key made it (see [`key_id`]).
    pub key_id: String,
}

/// A checkpoint with its Ed25519 signature: one JSON line in a checkpoint file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    #[serde(flatten)]
    pub body: Checkpoint,
    /// Hex Ed25519 signature over the domain tag and the body's canonical JSON.
    pub signature: String,
}

impl Checkpoint {
    fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a checkpoint serialises")
    }

    fn signed_message(&self) -> Vec<u8> {
        let mut m = CHECKPOINT_DOMAIN.to_vec();
        m.extend_from_slice(&self.canonical());
        m
    }
}

impl SignedCheckpoint {
    /// SHA-256 of the body and signature: what the next checkpoint links to.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.body.canonical());
        hasher.update(b"\n");
        hasher.update(self.signature.as_bytes());
        hex::encode(hasher.finalize())
    }

    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("a checkpoint serialises");
        line.push('\n');
        line
    }

    pub fn parse(line: &str) -> Result<SignedCheckpoint, String> {
        serde_json::from_str(line.trim()).map_err(|e| format!("not a checkpoint ({e})"))
    }

    fn signature_holds(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else {
            return false;
        };
        let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
            return false;
        };
        key.verify_strict(&self.body.signed_message(), &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

/// The first 16 hex characters of SHA-256 of the public key.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))[..16].to_string()
}

/// The public key as auditors are given it: 64 hex characters.
pub fn encode_public_key(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or("a public key is 64 hexadecimal characters (as `motto audit-key` prints it)")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "that is not an Ed25519 public key".to_string())
}

/// Signs checkpoints with the Ed25519 key from the configuration.
#[derive(Clone)]
pub struct CheckpointSigner {
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointSigner({})", key_id(&self.public_key()))
    }
}

impl CheckpointSigner {
    pub fn from_seed(seed: &KeyBytes) -> Self {
        CheckpointSigner {
            key: SigningKey::from_bytes(seed.expose()),
        }
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The checkpoint that follows `prev` and ends at `tip`; `None` when no event
    /// was written since `prev`.
    pub fn next(
        &self,
        prev: Option<&SignedCheckpoint>,
        tip: &ChainTip,
        now: DateTime<Utc>,
    ) -> Option<SignedCheckpoint> {
        let first_id = prev.map_or(1, |p| p.body.last_id + 1);
        if tip.seq < first_id {
            return None;
        }
        let body = Checkpoint {
            seq: prev.map_or(1, |p| p.body.seq + 1),
            first_id,
            last_id: tip.seq,
            count: tip.seq - first_id + 1,
            last_hash: tip.last_hash.clone(),
            last_mac: tip.last_mac.clone(),
            keyed_from: tip.keyed_from,
            created_at: now.to_rfc3339_opts(SecondsFormat::Micros, true),
            prev_digest: prev.map_or_else(|| GENESIS_HASH.to_string(), |p| p.digest()),
            key_id: key_id(&self.public_key()),
        };
        let signature = hex::encode(self.key.sign(&body.signed_message()).to_bytes());
        Some(SignedCheckpoint { body, signature })
    }
}

/// Where a verification first failed, in words an auditor can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The first event that cannot be trusted.
    pub id: i64,
    pub reason: String,
}

fn broken(id: i64, reason: impl Into<String>) -> BrokenLink {
    BrokenLink {
        id,
        reason: reason.into(),
    }
}

/// Check a run of checkpoints on its own: each signature under `key`, the
/// numbering, the links between them and the ranges they cover. Returns the
/// checkpoints in order, or the first that fails, named.
pub fn check_checkpoints(
    mut list: Vec<SignedCheckpoint>,
    key: &VerifyingKey,
) -> Result<Vec<SignedCheckpoint>, BrokenLink> {
    list.sort_by_key(|c| c.body.seq);
    let mut prev: Option<&SignedCheckpoint> = None;
    for c in &list {
        let b = &c.body;
        let expected_seq = prev.map_or(1, |p| p.body.seq + 1);
        let expected_first = prev.map_or(1, |p| p.body.last_id + 1);
        if !c.signature_holds(key) {
            return Err(broken(
                b.first_id,
                format!(
                    "checkpoint {} does not carry a valid signature by key {}: it was forged or altered",
                    b.seq,
                    key_id(key)
                ),
            ));
        }
        if b.seq != expected_seq {
            return Err(broken(
                expected_first,
                format!(
                    "checkpoint {expected_seq} is missing (the next one found is {})",
                    b.seq
                ),
            ));
        }
        let expected_digest = prev.map_or_else(|| GENESIS_HASH.to_string(), |p| p.digest());
        if b.prev_digest != expected_digest || b.first_id != expected_first {
            return Err(broken(
                expected_first,
                format!(
                    "checkpoint {} does not follow checkpoint {}: a checkpoint was replaced",
                    b.seq,
                    expected_seq - 1
                ),
            ));
        }
        if b.last_id < b.first_id || b.count != b.last_id - b.first_id + 1 {
            return Err(broken(
                b.first_id,
                format!("checkpoint {} covers an impossible range", b.seq),
            ));
        }
        if let Some(p) = prev {
            if p.body.keyed_from != b.keyed_from {
                return Err(broken(
                    b.first_id,
                    format!(
                        "checkpoint {} says the keyed chain starts at event {}, checkpoint {} said {}",
                        b.seq, b.keyed_from, p.body.seq, p.body.keyed_from
                    ),
                ));
            }
        }
        prev = Some(c);
    }
    Ok(list)
}

/// One pass over the events in id order, checking every link, the MACs when the
/// key is at hand, and every checkpoint's seal on the way.
pub struct Walker<'a> {
    key: Option<&'a KeyBytes>,
    keyed_from: i64,
    checkpoints: &'a [SignedCheckpoint],
    next_checkpoint: usize,
    expected_id: i64,
    prev_hash: String,
    prev_mac: Option<String>,
    /// Events checked so far.
    pub rows: i64,
    /// Events 1 to this were pruned (retention); the walk starts after them.
    pruned_to: i64,
    /// The `audit.prune` event that records that prune was seen.
    prune_recorded: bool,
}

/// The action of the event a retention prune writes; its details name the
/// range removed (`first`, `last`), so the prune itself is in the keyed chain.
pub const PRUNE_ACTION: &str = "audit.prune";

impl<'a> Walker<'a> {
    /// `checkpoints` must have passed [`check_checkpoints`]. Without `key` (an
    /// outside auditor) MACs are not checked; the checkpoints stand in for them.
    pub fn new(
        key: Option<&'a KeyBytes>,
        keyed_from: i64,
        checkpoints: &'a [SignedCheckpoint],
    ) -> Self {
        Walker {
            key,
            keyed_from,
            checkpoints,
            next_checkpoint: 0,
            expected_id: 1,
            prev_hash: GENESIS_HASH.to_string(),
            prev_mac: None,
            rows: 0,
            pruned_to: 0,
            prune_recorded: false,
        }
    }

    /// A walk over a log whose first `first_id - 1` events were pruned: it
    /// starts from the checkpoint that sealed event `first_id - 1` (its hash and
    /// MAC are the links the next event must carry), and expects the
    /// `audit.prune` event recording the prune further on. Fails when no
    /// checkpoint ends there: the events before `first_id` are then simply
    /// missing.
    pub fn after_prune(
        key: Option<&'a KeyBytes>,
        keyed_from: i64,
        checkpoints: &'a [SignedCheckpoint],
        first_id: i64,
    ) -> Result<Self, BrokenLink> {
        let mut walker = Walker::new(key, keyed_from, checkpoints);
        if first_id <= 1 {
            return Ok(walker);
        }
        let Some(index) = checkpoints
            .iter()
            .position(|c| c.body.last_id == first_id - 1)
        else {
            return Err(broken(
                1,
                format!(
                    "the log starts at event {first_id}, but no checkpoint seals the events before it: events 1–{} are missing",
                    first_id - 1
                ),
            ));
        };
        let seal = &checkpoints[index].body;
        walker.next_checkpoint = index + 1;
        walker.expected_id = first_id;
        walker.prev_hash = seal.last_hash.clone();
        walker.prev_mac = seal.last_mac.clone();
        walker.pruned_to = first_id - 1;
        Ok(walker)
    }

    /// The last event pruned before this walk (0: none).
    pub fn pruned_to(&self) -> i64 {
        self.pruned_to
    }

    /// The id of the last event checked (pruned ones counted).
    pub fn last_id(&self) -> i64 {
        self.expected_id - 1
    }

    pub fn last_hash(&self) -> Option<&str> {
        (self.rows > 0 || self.pruned_to > 0).then_some(self.prev_hash.as_str())
    }

    /// The first checkpoint that still lies ahead.
    fn pending(&self) -> Option<&'a SignedCheckpoint> {
        self.checkpoints.get(self.next_checkpoint)
    }

    pub fn push(&mut self, row: &AuditRow) -> Result<(), BrokenLink> {
        if row.id != self.expected_id {
            let reason = if row.id < self.expected_id {
                format!(
                    "event {} appears again or out of order after event {}",
                    row.id,
                    self.expected_id - 1
                )
            } else {
                format!(
                    "event {} is missing (the next event found is {})",
                    self.expected_id, row.id
                )
            };
            return Err(self.sealed_or(broken(self.expected_id, reason)));
        }
        let content = canonical(row);
        if row.prev_hash != self.prev_hash {
            return Err(self.sealed_or(broken(
                row.id,
                "its link to the previous event does not match: events were removed, inserted or reordered here",
            )));
        }
        if hash_of(&self.prev_hash, &content) != row.hash {
            return Err(self.sealed_or(broken(
                row.id,
                "its content was changed after it was written",
            )));
        }
        if row.id >= self.keyed_from {
            let prev = self.prev_mac.as_deref().unwrap_or(&self.prev_hash);
            match (&row.mac, self.key) {
                (None, _) => {
                    return Err(broken(
                        row.id,
                        "it has no MAC although the keyed chain starts before it: it was written without the audit key",
                    ))
                }
                (Some(mac), Some(key)) if mac_of(key, prev, &content) != *mac => {
                    return Err(broken(
                        row.id,
                        "its MAC does not verify: it was changed or rewritten by someone without the audit key (or AUDIT_KEY / SECRET_KEY is not the one it was written with)",
                    ))
                }
                _ => {}
            }
            self.prev_mac = row.mac.clone();
        }
        if let Some(cp) = self.pending() {
            if cp.body.last_id == row.id {
                let mac_differs = self.key.is_some() && cp.body.last_mac != row.mac;
                if cp.body.last_hash != row.hash || mac_differs {
                    return Err(broken(
                        cp.body.first_id,
                        format!(
                            "events {}–{} do not match checkpoint {} that sealed them: one or more of them was changed, removed or reordered",
                            cp.body.first_id, cp.body.last_id, cp.body.seq
                        ),
                    ));
                }
                self.next_checkpoint += 1;
            }
        }
        if self.pruned_to > 0 && row.action == PRUNE_ACTION {
            let details: serde_json::Value = serde_json::from_str(&row.details).unwrap_or_default();
            if details["last"].as_i64() == Some(self.pruned_to) {
                self.prune_recorded = true;
            }
        }
        self.rows += 1;
        self.expected_id += 1;
        self.prev_hash = row.hash.clone();
        Ok(())
    }

    /// A break inside a sealed range is also a mismatch with its checkpoint: say so.
    fn sealed_or(&self, link: BrokenLink) -> BrokenLink {
        match self.pending() {
            Some(cp) if cp.body.first_id <= link.id && link.id <= cp.body.last_id => BrokenLink {
                reason: format!(
                    "{} (inside the range checkpoint {} sealed)",
                    link.reason, cp.body.seq
                ),
                ..link
            },
            _ => link,
        }
    }

    /// After the last event: every checkpoint must have been reached.
    pub fn finish(&self) -> Result<(), BrokenLink> {
        if self.pruned_to > 0 && !self.prune_recorded {
            return Err(broken(
                1,
                format!(
                    "events 1–{} are gone, and no {PRUNE_ACTION} event records their removal: they were deleted, not pruned by Motto",
                    self.pruned_to
                ),
            ));
        }
        if let Some(cp) = self.pending() {
            return Err(broken(
                self.expected_id,
                format!(
                    "checkpoint {} sealed events up to {}, but the log ends at event {}: events at the end were removed",
                    cp.body.seq,
                    cp.body.last_id,
                    self.expected_id - 1
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> KeyBytes {
        KeyBytes::new([b; 32])
    }

    fn event(action: &str) -> AuditRow {
        AuditRow {
            id: 0,
            occurred_at: DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            actor_user_id: Some(7),
            actor_api_key_id: None,
            action: action.into(),
            target_type: Some("user".into()),
            target_id: Some("7".into()),
            outcome: "success".into(),
            source_ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            request_id: Some("r1".into()),
            details: "{}".into(),
            prev_hash: String::new(),
            hash: String::new(),
            mac: None,
        }
    }

    fn fresh_tip(keyed_from: i64) -> ChainTip {
        ChainTip {
            seq: 0,
            last_hash: GENESIS_HASH.into(),
            last_mac: None,
            keyed_from,
        }
    }

    /// `n` events, the first `keyed_from - 1` unkeyed; checkpoints every `every`.
    fn chain(n: i64, keyed_from: i64, every: i64) -> (Vec<AuditRow>, Vec<SignedCheckpoint>) {
        let signer = CheckpointSigner::from_seed(&key(9));
        let mut tip = fresh_tip(keyed_from);
        let (mut rows, mut cps) = (Vec::new(), Vec::<SignedCheckpoint>::new());
        for i in 0..n {
            let mut row = event(&format!("test.{i}"));
            tip.append(&mut row, &key(1));
            rows.push(row);
            if (i + 1) % every == 0 {
                let cp = signer.next(cps.last(), &tip, Utc::now()).unwrap();
                cps.push(cp);
            }
        }
        (rows, cps)
    }

    fn walk(
        rows: &[AuditRow],
        cps: Vec<SignedCheckpoint>,
        mac_key: Option<&KeyBytes>,
    ) -> Result<i64, BrokenLink> {
        let public = CheckpointSigner::from_seed(&key(9)).public_key();
        let cps = check_checkpoints(cps, &public)?;
        let keyed_from = cps.first().map_or(1, |c| c.body.keyed_from);
        let mut w = Walker::new(mac_key, keyed_from, &cps);
        for r in rows {
            w.push(r)?;
        }
        w.finish()?;
        Ok(w.rows)
    }

    #[test]
    fn an_untouched_chain_verifies_with_and_without_the_key() {
        let (rows, cps) = chain(25, 4, 10);
        assert_eq!(cps.len(), 2);
        assert!(rows[..3].iter().all(|r| r.mac.is_none()));
        assert!(rows[3..].iter().all(|r| r.mac.is_some()));
        assert_eq!(walk(&rows, cps.clone(), Some(&key(1))), Ok(25));
        assert_eq!(walk(&rows, cps, None), Ok(25));
    }

    #[test]
    fn hash_is_stable_and_changes_with_any_field() {
        let base = chain_hash(GENESIS_HASH, &event("a"));
        assert_eq!(base, chain_hash(GENESIS_HASH, &event("a")));
        let mut r = event("a");
        r.details = "{\"a\":1}".into();
        assert_ne!(chain_hash(GENESIS_HASH, &r), base);
        let mut r = event("a");
        r.occurred_at += chrono::Duration::microseconds(1);
        assert_ne!(chain_hash(GENESIS_HASH, &r), base);
        assert_ne!(chain_hash(&"1".repeat(64), &event("a")), base);
    }

    /// Someone with write access but without the key edits event 15 and
    /// recomputes every public hash after it: the MAC names event 15; without
    /// the key, the checkpoint that sealed it does.
    #[test]
    fn a_rewritten_event_is_caught_by_its_mac_or_by_its_checkpoint() {
        let (mut rows, cps) = chain(25, 1, 10);
        rows[14].details = "{\"forged\":true}".into();
        let mut prev = rows[13].hash.clone();
        for r in rows.iter_mut().skip(14) {
            r.prev_hash = prev.clone();
            r.hash = chain_hash(&prev, r);
            prev = r.hash.clone();
        }
        let with_key = walk(&rows, cps.clone(), Some(&key(1))).unwrap_err();
        assert_eq!(with_key.id, 15, "{with_key:?}");
        assert!(with_key.reason.contains("MAC does not verify"));
        let outsider = walk(&rows, cps, None).unwrap_err();
        assert_eq!(outsider.id, 11, "{outsider:?}");
        assert!(outsider.reason.contains("checkpoint 2"), "{outsider:?}");
    }

    /// A log whose first events were pruned at a checkpoint verifies from that
    /// seal when the prune is recorded in the chain; a start anywhere else, or
    /// a removal without the prune's event, is caught.
    #[test]
    fn a_pruned_log_verifies_from_the_seal_its_prune_names() {
        let (mut rows, mut cps) = chain(20, 1, 10);
        // Event 21 records the prune of events 1–10, and a checkpoint seals it.
        let signer = CheckpointSigner::from_seed(&key(9));
        let mut tip = fresh_tip(1);
        let last = rows.last().unwrap();
        (tip.seq, tip.last_hash, tip.last_mac) = (20, last.hash.clone(), last.mac.clone());
        let mut prune = event(PRUNE_ACTION);
        prune.details = "{\"first\":1,\"last\":10}".into();
        tip.append(&mut prune, &key(1));
        rows.push(prune);
        cps.push(signer.next(cps.last(), &tip, Utc::now()).unwrap());
        let public = signer.public_key();
        let cps = check_checkpoints(cps, &public).unwrap();
        let mac_key = key(1);
        let walk_from = |rows: &[AuditRow], first: i64| -> Result<i64, BrokenLink> {
            let mut w = Walker::after_prune(Some(&mac_key), 1, &cps, first)?;
            for r in rows {
                w.push(r)?;
            }
            w.finish()?;
            Ok(w.last_id())
        };
        assert_eq!(walk_from(&rows[10..], 11), Ok(21));
        // No checkpoint ends at event 4.
        let err = walk_from(&rows[5..], 6).unwrap_err();
        assert!(err.reason.contains("events 1–5 are missing"), "{err:?}");
        // Events removed at a seal, but no prune event records it.
        let err = walk_from(&rows[10..20], 11).unwrap_err();
        assert!(err.reason.contains("no audit.prune event"), "{err:?}");
    }

    #[test]
    fn a_truncated_tail_is_caught_by_the_last_checkpoint() {
        let (rows, cps) = chain(25, 1, 10);
        let err = walk(&rows[..17], cps, None).unwrap_err();
        assert_eq!(err.id, 18);
        assert!(
            err.reason.contains("events at the end were removed"),
            "{err:?}"
        );
    }

    #[test]
    fn reordered_events_are_caught() {
        let (mut rows, cps) = chain(25, 1, 10);
        rows.swap(4, 5);
        let err = walk(&rows, cps, None).unwrap_err();
        assert_eq!(err.id, 5);
        assert!(err.reason.contains("missing"), "{err:?}");
    }

    #[test]
    fn a_forged_a_missing_and_a_replaced_checkpoint_are_named() {
        let (rows, cps) = chain(30, 1, 10);
        let mut forged = cps.clone();
        forged[1].body.last_id = 19;
        forged[1].body.count = 9;
        let err = walk(&rows, forged, None).unwrap_err();
        assert!(err
            .reason
            .contains("checkpoint 2 does not carry a valid signature"));

        let mut missing = cps.clone();
        missing.remove(1);
        let err = walk(&rows, missing, None).unwrap_err();
        assert_eq!(err.id, 11);
        assert!(err.reason.contains("checkpoint 2 is missing"), "{err:?}");

        // A checkpoint signed by someone else's key.
        let stranger = CheckpointSigner::from_seed(&key(3));
        let mut tip = fresh_tip(1);
        for r in &rows[..20] {
            tip.seq = r.id;
            tip.last_hash = r.hash.clone();
            tip.last_mac = r.mac.clone();
        }
        let mut replaced = cps.clone();
        replaced[1] = stranger.next(Some(&cps[0]), &tip, Utc::now()).unwrap();
        let err = walk(&rows, replaced, None).unwrap_err();
        assert!(err.reason.contains("forged or altered"), "{err:?}");
    }

    #[test]
    fn a_checkpoint_survives_a_round_trip_through_its_line() {
        let (_, cps) = chain(10, 1, 5);
        let line = cps[1].to_line();
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        assert_eq!(SignedCheckpoint::parse(&line).unwrap(), cps[1]);
    }

    #[test]
    fn an_event_survives_a_round_trip_through_an_export_line() {
        let (rows, _) = chain(3, 1, 5);
        let line = serde_json::to_string(&rows[2]).unwrap();
        let back: AuditRow = serde_json::from_str(&line).unwrap();
        assert_eq!(back, rows[2]);
    }

    #[test]
    fn public_keys_round_trip_and_bad_ones_are_explained() {
        let public = CheckpointSigner::from_seed(&key(9)).public_key();
        assert_eq!(parse_public_key(&encode_public_key(&public)), Ok(public));
        assert!(parse_public_key("abc")
            .unwrap_err()
            .contains("64 hexadecimal"));
        assert_eq!(key_id(&public).len(), 16);
    }
}
