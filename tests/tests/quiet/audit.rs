//! The audit log holds an entry for every write the `api` suite made as staff or an admin, by
//! the request that made it: the suite noted each (`helpers::record_shop_write`), and this
//! walks the log of each actor to find them all.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::helpers::{admin_token, env, get_as};

#[tokio::test]
async fn every_shop_write_of_the_api_suite_has_its_entry_in_the_audit_log() {
    let noted = std::fs::read_to_string(env("STOREFRONT_SHOP_WRITES")).unwrap();
    let writes: Vec<Value> = noted
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        writes.len() > 100,
        "the api suite made {} writes",
        writes.len()
    );
    let mut by_actor: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for write in &writes {
        let actor = write["actor"].as_str().unwrap().to_owned();
        by_actor.entry(actor).or_default().push(write);
    }
    let admin = admin_token().await;
    let mut missing = Vec::new();
    let mut kinds = BTreeSet::new();
    for (actor, writes) in &by_actor {
        let mut logged = BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/admin/audit?actor_id={actor}&limit=100");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = get_as(&admin, &path).await.expect(200);
            for entry in page["items"].as_array().unwrap() {
                assert_eq!(entry["actor_id"], actor.as_str());
                assert!(entry["changes"].is_object(), "{entry}");
                logged.insert(entry["request_id"].as_str().unwrap().to_owned());
                kinds.insert(entry["action"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        missing.extend(
            writes
                .iter()
                .filter(|w| !logged.contains(w["request_id"].as_str().unwrap()))
                .map(|w| format!("{} {}", w["method"], w["path"])),
        );
    }
    assert!(
        missing.is_empty(),
        "{} of {} writes have no entry: {:?}",
        missing.len(),
        writes.len(),
        &missing[..missing.len().min(10)]
    );
    for kind in [
        "product.create",
        "product.update",
        "role.set",
        "refund.create",
        "order.ship",
    ] {
        assert!(kinds.contains(kind), "no {kind} entry among {kinds:?}");
    }
}
