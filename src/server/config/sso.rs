//! How people sign in: with a password (`local`), through an OpenID Provider
//! (`oidc`), or both; and the provider's settings (`OIDC_*`).

use super::{reader::Reader, ClientAuth, LoginMethods, OidcSettings};
use secrecy::SecretString;
use url::Url;

pub(super) fn read(r: &mut Reader, prod: bool) -> (LoginMethods, Option<OidcSettings>) {
    let oidc = read_oidc(r, prod);
    let mut methods = LoginMethods {
        local: true,
        oidc: oidc.is_some(),
        local_admins_only: r.boolean("LOCAL_LOGIN_ADMINS_ONLY", false),
    };
    if let Some(raw) = r.raw("LOGIN_METHODS") {
        let mut local = false;
        let mut sso = false;
        for part in raw.split(',').map(|p| p.trim().to_ascii_lowercase()) {
            match part.as_str() {
                "local" => local = true,
                "oidc" => sso = true,
                "" => {}
                other => r.error(
                    "LOGIN_METHODS",
                    format!("{other:?} is not a login method; use local, oidc or local,oidc"),
                ),
            }
        }
        if !local && !sso {
            r.error(
                "LOGIN_METHODS",
                "names no login method; use local, oidc or local,oidc",
            );
            local = true;
        }
        if sso && oidc.is_none() {
            r.error(
                "LOGIN_METHODS",
                "includes oidc but OIDC_ISSUER is not set; set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET",
            );
        }
        methods.local = local;
        methods.oidc = sso && oidc.is_some();
    }
    if methods.local_admins_only && !methods.local {
        r.error(
            "LOCAL_LOGIN_ADMINS_ONLY",
            "needs local in LOGIN_METHODS (it keeps password login for administrators only)",
        );
    }
    if methods.local_admins_only && !methods.oidc {
        r.error(
            "LOCAL_LOGIN_ADMINS_ONLY",
            "would leave everyone but administrators without a way in; set up OIDC_* too",
        );
    }
    (methods, oidc)
}

fn read_oidc(r: &mut Reader, prod: bool) -> Option<OidcSettings> {
    let issuer = r.raw("OIDC_ISSUER");
    let client_id = r.raw("OIDC_CLIENT_ID");
    let client_secret = r.raw("OIDC_CLIENT_SECRET").map(SecretString::from);
    let Some(issuer) = issuer else {
        for (name, set) in [
            ("OIDC_CLIENT_ID", client_id.is_some()),
            ("OIDC_CLIENT_SECRET", client_secret.is_some()),
        ] {
            if set {
                r.error(
                    name,
                    "is set but OIDC_ISSUER is not; set it too, or remove this",
                );
            }
        }
        return None;
    };
    match Url::parse(&issuer) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => {
            r.refuse_plaintext_to_remote(
                prod,
                "OIDC_ISSUER",
                &u,
                u.scheme() == "https",
                "uses plain http to another machine in production: sign-ins could be forged on the way; use https",
            );
        }
        _ => {
            r.error(
                "OIDC_ISSUER",
                format!("{issuer:?} is not an http(s) URL such as https://login.example.com/realms/acme"),
            );
            return None;
        }
    }
    let Some(client_id) = client_id else {
        r.error(
            "OIDC_CLIENT_ID",
            "must be set with OIDC_ISSUER (the client id the provider gave Motto)",
        );
        return None;
    };
    let client_auth = match r
        .raw("OIDC_CLIENT_AUTH")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("client_secret_basic") => {
            let Some(client_secret) = client_secret else {
                r.error(
                    "OIDC_CLIENT_SECRET",
                    "must be set with OIDC_ISSUER (the client secret the provider gave Motto), \
                     or set OIDC_CLIENT_AUTH=private_key_jwt with OIDC_PRIVATE_KEY_FILE",
                );
                return None;
            };
            ClientAuth::Secret(client_secret)
        }
        Some("private_key_jwt") => read_private_key(r)?,
        Some(other) => {
            r.error(
                "OIDC_CLIENT_AUTH",
                format!("{other:?} is not supported; use client_secret_basic or private_key_jwt"),
            );
            return None;
        }
    };
    let scopes: Vec<String> = r
        .raw("OIDC_SCOPES")
        .unwrap_or_else(|| "openid email profile".into())
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        r.error("OIDC_SCOPES", "must include openid");
    }
    let display_name = r
        .raw("OIDC_DISPLAY_NAME")
        .unwrap_or_else(|| "single sign-on".into());
    if display_name.chars().count() > 60 {
        r.error("OIDC_DISPLAY_NAME", "must be at most 60 characters");
    }
    let groups_claim = r.raw("OIDC_GROUPS_CLAIM");
    let admin_group = r.raw("OIDC_ADMIN_GROUP");
    if admin_group.is_some() && groups_claim.is_none() {
        r.error(
            "OIDC_ADMIN_GROUP",
            "needs OIDC_GROUPS_CLAIM (the claim whose values name the person's groups)",
        );
    }
    Some(OidcSettings {
        issuer,
        client_id,
        client_auth,
        scopes,
        display_name,
        create_accounts: r.boolean("OIDC_CREATE_ACCOUNTS", true),
        sync_profile: r.boolean("OIDC_SYNC_PROFILE", true),
        groups_claim,
        admin_group,
    })
}

/// `private_key_jwt`: the key file (read and checked now, so a bad key stops
/// Motto at start rather than at someone's sign-in), its algorithm and id.
fn read_private_key(r: &mut Reader) -> Option<ClientAuth> {
    let Some(path) = r.raw("OIDC_PRIVATE_KEY_FILE") else {
        r.error(
            "OIDC_PRIVATE_KEY_FILE",
            "must be set with OIDC_CLIENT_AUTH=private_key_jwt (a PEM private key whose public key the provider has)",
        );
        return None;
    };
    let alg = r
        .raw("OIDC_PRIVATE_KEY_ALG")
        .unwrap_or_else(|| "RS256".into())
        .to_ascii_uppercase();
    let pem = match std::fs::read_to_string(&path) {
        Ok(pem) => pem,
        Err(e) => {
            r.error("OIDC_PRIVATE_KEY_FILE", format!("cannot read {path}: {e}"));
            return None;
        }
    };
    let parsed = match alg.as_str() {
        "RS256" | "PS256" => jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map(|_| ()),
        "ES256" => jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).map(|_| ()),
        _ => {
            r.error(
                "OIDC_PRIVATE_KEY_ALG",
                format!("{alg:?} is not supported; use RS256, PS256 or ES256"),
            );
            return None;
        }
    };
    if parsed.is_err() {
        r.error(
            "OIDC_PRIVATE_KEY_FILE",
            format!("{path} is not a PEM private key for {alg}"),
        );
        return None;
    }
    Some(ClientAuth::PrivateKeyJwt {
        pem: SecretString::from(pem),
        alg,
        kid: r.raw("OIDC_PRIVATE_KEY_ID"),
    })
}
