//! Spaces: where documents live, and the rules of who may do what in one.
//!
//! Every person has a personal space that only they can reach. Shared spaces
//! have members (people, or groups of people) with a role. A person's role in a
//! space is the highest they hold directly or through any of their groups;
//! [`allows`] is the whole rule table, and the server decides every access to a
//! space's documents with it.

use serde::{Deserialize, Serialize};

/// A member's role, lowest first: each role may do everything the one before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceRole {
    /// Read, search, ask the assistant.
    Viewer,
    /// And create, edit, move and trash documents.
    Editor,
    /// And manage members and settings, delete the space.
    Owner,
}

impl SpaceRole {
    pub const ALL: [SpaceRole; 3] = [SpaceRole::Viewer, SpaceRole::Editor, SpaceRole::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            SpaceRole::Viewer => "viewer",
            SpaceRole::Editor => "editor",
            SpaceRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<SpaceRole> {
        SpaceRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Something a person may want to do in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpaceAction {
    /// List, open, search, see revisions, export, ask the assistant about.
    Read,
    /// Create, edit, restore a revision, move in or out, trash, restore from the trash.
    Write,
    /// Delete a trashed document for good.
    Purge,
    /// Add and remove members, change roles, rename, describe.
    Manage,
    /// Delete the space itself.
    Delete,
}

impl SpaceAction {
    pub const ALL: [SpaceAction; 5] = [
        SpaceAction::Read,
        SpaceAction::Write,
        SpaceAction::Purge,
        SpaceAction::Manage,
        SpaceAction::Delete,
    ];

    /// The lowest role that may do this.
    pub fn needs(self) -> SpaceRole {
        match self {
            SpaceAction::Read => SpaceRole::Viewer,
            SpaceAction::Write | SpaceAction::Purge => SpaceRole::Editor,
            SpaceAction::Manage | SpaceAction::Delete => SpaceRole::Owner,
        }
    }
}

/// What kind of space it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceKind {
    /// One person's own: they are its only member and owner, for good.
    Personal,
    /// A team's: members and groups with roles.
    Shared,
}

impl SpaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Personal => "personal",
            SpaceKind::Shared => "shared",
        }
    }

    pub fn parse(s: &str) -> Option<SpaceKind> {
        match s {
            "personal" => Some(SpaceKind::Personal),
            "shared" => Some(SpaceKind::Shared),
            _ => None,
        }
    }
}

/// Whether someone whose highest role in a space of `kind` is `role` (`None`:
/// not a member, directly or through a group) may do `action` there.
///
/// Administrators get no implicit role: they manage spaces from the admin
/// console, and reading a space's documents needs membership like anyone's.
/// A personal space cannot be deleted or have its members changed: it goes
/// with its person.
pub fn allows(kind: SpaceKind, role: Option<SpaceRole>, action: SpaceAction) -> bool {
    if kind == SpaceKind::Personal && matches!(action, SpaceAction::Manage | SpaceAction::Delete) {
        return false;
    }
    role.is_some_and(|role| role >= action.needs())
}

/// Where a source of membership comes from: set in Motto, or kept in step with
/// an identity provider (and then not editable in Motto).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MembershipSource {
    Local,
    External,
}

impl MembershipSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipSource::Local => "local",
            MembershipSource::External => "external",
        }
    }

    pub fn parse(s: &str) -> Option<MembershipSource> {
        match s {
            "local" => Some(MembershipSource::Local),
            "external" => Some(MembershipSource::External),
            _ => None,
        }
    }
}

/// Longest space name and description, in characters.
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2_000;

/// Who may create shared spaces (an administrator's setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceCreation {
    /// Anyone with an account (the default).
    #[default]
    Everyone,
    /// Administrators only.
    Admins,
}

impl SpaceCreation {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceCreation::Everyone => "everyone",
            SpaceCreation::Admins => "admins",
        }
    }

    pub fn parse(s: &str) -> Option<SpaceCreation> {
        match s {
            "everyone" => Some(SpaceCreation::Everyone),
            "admins" => Some(SpaceCreation::Admins),
            _ => None,
        }
    }
}

/// A space as its member sees it in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceSummary {
    pub id: i64,
    pub kind: SpaceKind,
    pub name: String,
    pub description: String,
    /// The viewer's own (highest) role there.
    pub role: SpaceRole,
}

/// One member of a space: a person or a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceMember {
    /// The person's username or the group's name.
    pub name: String,
    pub is_group: bool,
    pub role: SpaceRole,
}

/// A group as the admin console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: i64,
    pub name: String,
    /// Made in Motto, or kept in step with an identity provider.
    pub source: MembershipSource,
    pub members: i64,
    /// How many spaces the group is a member of.
    pub spaces: i64,
}

/// One person in a group, and whether Motto or the identity provider put them there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub username: String,
    pub source: MembershipSource,
}

/// A group, its people and the spaces it belongs to, for its admin page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: GroupSummary,
    pub members: Vec<GroupMember>,
    /// (space name, the group's role there).
    pub spaces: Vec<(String, SpaceRole)>,
}

/// A shared space as the admin console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceOverview {
    pub id: i64,
    pub name: String,
    /// Usernames of its direct owners.
    pub owners: Vec<String>,
    /// People and groups that are members (a group counts once).
    pub members: i64,
    /// Live documents.
    pub documents: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_back_and_are_ordered() {
        for role in SpaceRole::ALL {
            assert_eq!(SpaceRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(SpaceRole::parse("admin"), None);
        assert!(SpaceRole::Viewer < SpaceRole::Editor && SpaceRole::Editor < SpaceRole::Owner);
    }

    /// The whole table, written out by hand from the words, so a change
    /// to the rules has to change this too.
    #[test]
    fn the_rule_table() {
        use SpaceAction::*;
        let shared = |role: Option<SpaceRole>| {
            SpaceAction::ALL
                .into_iter()
                .filter(|&a| allows(SpaceKind::Shared, role, a))
                .collect::<Vec<_>>()
        };
        assert_eq!(shared(None), vec![]);
        assert_eq!(shared(Some(SpaceRole::Viewer)), vec![Read]);
        assert_eq!(shared(Some(SpaceRole::Editor)), vec![Read, Write, Purge]);
        assert_eq!(
            shared(Some(SpaceRole::Owner)),
            vec![Read, Write, Purge, Manage, Delete]
        );
        let personal = SpaceAction::ALL
            .into_iter()
            .filter(|&a| allows(SpaceKind::Personal, Some(SpaceRole::Owner), a))
            .collect::<Vec<_>>();
        assert_eq!(personal, vec![Read, Write, Purge]);
        assert!(!allows(SpaceKind::Personal, None, Read));
    }
}
