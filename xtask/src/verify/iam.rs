//! The functions' DynamoDB permissions held against the calls they make.
//!
//! During `cargo xtask test` every DynamoDB request of the project's functions passes the fault
//! door, which notes each call as IAM authorizes it ([`calls`]): the action (a transaction's
//! items are authorized one by one, as `PutItem`, `UpdateItem`, `DeleteItem`,
//! `ConditionCheckItem`), the resource (the table or an index) and the kind of item, by the
//! prefix of its partition key (`ORDER#`). After the last test, [`check`] holds that ledger
//! against each function's statements in `template.yaml`:
//! - every call is granted, and its item's prefix matches the statement's
//!   `dynamodb:LeadingKeys` where it names them (else the function fails on AWS);
//! - every DynamoDB action a function is granted was called by it, on every kind of item the
//!   statement's `LeadingKeys` name (else the grant is more than its code uses), except in
//!   a statement whose `Sid` ends in `OnFailure`, `OnExpiry` or `OnUpgrade`: what a function
//!   does only when its work failed (give an `Idempotency-Key` back), once a rate window has
//!   expired, or after the project's own settings were upgraded (rehash a password), named as
//!   such in the template, which one run cannot show.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use serde_norway::Value as Yaml;

/// One kind of call, as IAM authorizes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    pub action: String,
    pub index: bool,
    /// The prefix of the item's partition key, for an item of the table (not of an index).
    pub prefix: Option<String>,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = if self.index { "index" } else { "table" };
        write!(
            f,
            "{} {on} {}",
            self.action,
            self.prefix.as_deref().unwrap_or("-")
        )
    }
}

/// The calls one DynamoDB request makes, from its operation (`X-Amz-Target`) and JSON body.
pub fn calls(operation: &str, body: &[u8]) -> Vec<Call> {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let item = |action: &str, key: &Value| Call {
        action: action.to_owned(),
        index: false,
        prefix: key["pk"]["S"].as_str().map(prefix),
    };
    match operation {
        "GetItem" | "UpdateItem" | "DeleteItem" => vec![item(operation, &request["Key"])],
        "PutItem" => vec![item(operation, &request["Item"])],
        "TransactWriteItems" | "TransactGetItems" => each(&request["TransactItems"])
            .iter()
            .filter_map(|entry| {
                let (kind, part) = entry.as_object()?.iter().next()?;
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    _ => return None,
                };
                let key = if kind == "Put" {
                    &part["Item"]
                } else {
                    &part["Key"]
                };
                Some(item(action, key))
            })
            .collect(),
        "BatchGetItem" => tables(&request["RequestItems"])
            .flat_map(|table| each(&table["Keys"]))
            .map(|key| item(operation, key))
            .collect(),
        "BatchWriteItem" => tables(&request["RequestItems"])
            .flat_map(each)
            .map(|write| match write.get("PutRequest") {
                Some(put) => item(operation, &put["Item"]),
                None => item(operation, &write["DeleteRequest"]["Key"]),
            })
            .collect(),
        "Query" | "Scan" => {
            let index = request.get("IndexName").is_some();
            let prefix = (!index)
                .then(|| partition_value(&request))
                .flatten()
                .map(prefix);
            vec![Call {
                action: operation.to_owned(),
                index,
                prefix,
            }]
        }
        other => vec![Call {
            action: other.to_owned(),
            index: false,
            prefix: None,
        }],
    }
}

fn each(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn tables(items: &Value) -> impl Iterator<Item = &Value> {
    items.as_object().into_iter().flat_map(|m| m.values())
}

/// The value a base-table query names for `pk` (`pk = :pk` in its key condition).
fn partition_value(query: &Value) -> Option<&str> {
    let condition = query["KeyConditionExpression"].as_str()?;
    let placeholder = condition
        .split(" AND ")
        .find_map(|part| part.trim().strip_prefix("pk = "))?
        .trim();
    query["ExpressionAttributeValues"][placeholder]["S"].as_str()
}

/// A partition key's kind: up to and including its first `#` (`ORDER#01J…` → `ORDER#`).
fn prefix(pk: &str) -> String {
    match pk.find('#') {
        Some(at) => pk[..=at].to_owned(),
        None => pk.to_owned(),
    }
}

/// The `Sid` endings of statements a run cannot be asked to show: what a function does only when
/// its work failed (give an `Idempotency-Key` back), once a rate window has expired (an hour
/// on), or after an upgrade of the project's own settings (rehash a password).
const UNSEEN: [&str; 3] = ["OnFailure", "OnExpiry", "OnUpgrade"];

/// A DynamoDB statement of a function's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Used only when the function's work failed, a window expired or settings were upgraded
    /// (`Sid: …OnFailure`, `…OnExpiry`, `…OnUpgrade`).
    pub on_failure: bool,
    pub actions: Vec<String>,
    pub index: bool,
    /// `dynamodb:LeadingKeys` patterns (`ORDER#*`), if the statement names them.
    pub leading_keys: Option<Vec<String>>,
}

/// Each function's DynamoDB statements in the template, by logical id (functions without any
/// included).
pub fn grants(template: &str) -> anyhow::Result<BTreeMap<String, Vec<Grant>>> {
    let template: Yaml = serde_norway::from_str(template)?;
    let mut out = BTreeMap::new();
    let Some(resources) = template["Resources"].as_mapping() else {
        anyhow::bail!("the template has no Resources");
    };
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let mut grants = Vec::new();
        for policy in seq(&resource["Properties"]["Policies"]) {
            for statement in seq(&policy["Statement"]) {
                let actions: Vec<String> = strings(&statement["Action"])
                    .into_iter()
                    .filter_map(|a| a.strip_prefix("dynamodb:").map(str::to_owned))
                    .collect();
                if actions.is_empty() || statement["Effect"].as_str() != Some("Allow") {
                    continue;
                }
                let resource = untagged(&statement["Resource"]);
                let index = resource.as_str().is_some_and(|r| r.contains("/index/"));
                let keys =
                    &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                let leading_keys = keys.as_sequence().map(|_| strings(keys));
                grants.push(Grant {
                    on_failure: statement["Sid"]
                        .as_str()
                        .is_some_and(|sid| UNSEEN.iter().any(|suffix| sid.ends_with(suffix))),
                    actions,
                    index,
                    leading_keys,
                });
            }
        }
        if let Some(name) = name.as_str() {
            out.insert(name.to_owned(), grants);
        }
    }
    Ok(out)
}

fn seq(value: &Yaml) -> &[Yaml] {
    value.as_sequence().map_or(&[], Vec::as_slice)
}

fn strings(value: &Yaml) -> Vec<String> {
    match value {
        Yaml::String(one) => vec![one.clone()],
        Yaml::Sequence(many) => many
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn untagged(value: &Yaml) -> &Yaml {
    match value {
        Yaml::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

/// Whether an IAM `StringLike` pattern (`*` any run, `?` one character) matches `text`.
fn like(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            (p, t) = (p + 1, t + 1);
        } else if p < pattern.len() && pattern[p] == '*' {
            (star, mark, p) = (Some(p), t, p + 1);
        } else if let Some(s) = star {
            (p, mark, t) = (s + 1, mark + 1, mark + 1);
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A key of a kind: `ORDER#` stands for `ORDER#01J…`; a key without `#` (`ADMINS`) for itself.
fn a_key(prefix: &str) -> String {
    if prefix.ends_with('#') {
        format!("{prefix}01J")
    } else {
        prefix.to_owned()
    }
}

/// Whether `grant` allows `call`. A prefix stands for every key that starts with it.
fn allows(grant: &Grant, call: &Call) -> bool {
    grant.index == call.index
        && grant.actions.contains(&call.action)
        && match (&grant.leading_keys, &call.prefix) {
            (None, _) => true,
            (Some(patterns), Some(prefix)) => patterns.iter().any(|p| like(p, &a_key(prefix))),
            (Some(_), None) => false,
        }
}

/// What is wrong between the grants and the calls, a line each; empty when they agree.
pub fn check(
    grants: &BTreeMap<String, Vec<Grant>>,
    ledger: &BTreeMap<String, BTreeSet<Call>>,
) -> Vec<String> {
    let mut problems = append_only(grants);
    for (function, statements) in grants {
        let none = BTreeSet::new();
        let calls = ledger.get(function).unwrap_or(&none);
        for call in calls {
            if !statements.iter().any(|g| allows(g, call)) {
                problems.push(format!(
                    "{function} calls {} on {}{} and is not granted it",
                    call.action,
                    if call.index { "an index" } else { "the table" },
                    call.prefix
                        .as_deref()
                        .map(|p| format!(" ({p}… items)"))
                        .unwrap_or_default()
                ));
            }
        }
        for grant in statements.iter().filter(|g| !g.on_failure) {
            for action in &grant.actions {
                if !calls
                    .iter()
                    .any(|c| &c.action == action && c.index == grant.index)
                {
                    problems.push(format!(
                        "{function} is granted dynamodb:{action} on {} and never called it",
                        if grant.index {
                            "the indexes"
                        } else {
                            "the table"
                        }
                    ));
                }
            }
            // Each action on each kind of item: a statement that grants `PutItem` and
            // `UpdateItem` on `ORDER#` and `USER#` must have put and updated both kinds.
            for pattern in grant.leading_keys.iter().flatten() {
                for action in &grant.actions {
                    let used = calls.iter().any(|c| {
                        &c.action == action
                            && c.prefix.as_ref().is_some_and(|p| like(pattern, &a_key(p)))
                    });
                    if !used {
                        problems.push(format!(
                            "{function} is granted dynamodb:{action} on {pattern} items and never did it"
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// The audit log is only ever added to: no function may write `AUDIT#` items but with
/// `PutItem` (each entry is put on the condition that its key is new, in shared::audit), and no
/// function may write the table without naming the keys it writes (which would include them).
pub fn append_only(grants: &BTreeMap<String, Vec<Grant>>) -> Vec<String> {
    const WRITES: [&str; 4] = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"];
    let mut problems = Vec::new();
    for (function, statements) in grants {
        for grant in statements.iter().filter(|g| !g.index) {
            let writes: Vec<&String> = grant
                .actions
                .iter()
                .filter(|a| WRITES.contains(&a.as_str()))
                .collect();
            if writes.is_empty() {
                continue;
            }
            let Some(patterns) = &grant.leading_keys else {
                problems.push(format!(
                    "{function} may write every key of the table, the audit log's included"
                ));
                continue;
            };
            let audit = patterns.iter().any(|p| like(p, "AUDIT#01J"));
            if audit && writes.iter().any(|a| a.as_str() != "PutItem") {
                problems.push(format!(
                    "{function} may change or delete audit entries: only PutItem is granted on AUDIT# keys"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_audit_entries_may_be_written() {
        let grant = |actions: &[&str], keys: Option<&[&str]>| Grant {
            on_failure: false,
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            index: false,
            leading_keys: keys.map(|k| k.iter().map(|p| (*p).to_owned()).collect()),
        };
        let template = BTreeMap::from([
            (
                "Good".to_owned(),
                vec![grant(&["PutItem"], Some(&["AUDIT#*"]))],
            ),
            ("Reader".to_owned(), vec![grant(&["GetItem"], None)]),
            (
                "Eraser".to_owned(),
                vec![grant(
                    &["PutItem", "DeleteItem"],
                    Some(&["AUDIT#*", "ORDER#*"]),
                )],
            ),
            ("Wide".to_owned(), vec![grant(&["UpdateItem"], None)]),
            (
                "Star".to_owned(),
                vec![grant(&["UpdateItem"], Some(&["*"]))],
            ),
        ]);
        let problems = append_only(&template);
        assert_eq!(problems.len(), 3, "{problems:?}");
        for bad in ["Eraser", "Wide", "Star"] {
            assert!(
                problems.iter().any(|p| p.starts_with(bad)),
                "{bad}: {problems:?}"
            );
        }
        let ours = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
        )
        .expect("the template");
        let ours = grants(&ours).expect("its grants");
        assert!(ours.values().flatten().any(|g| {
            g.leading_keys
                .as_ref()
                .is_some_and(|k| k.contains(&"AUDIT#*".to_owned()))
        }));
        assert_eq!(append_only(&ours), Vec::<String>::new());
    }

    #[test]
    fn a_transaction_is_authorized_item_by_item() {
        let body = br#"{"TransactItems":[
            {"Put":{"TableName":"t","Item":{"pk":{"S":"ORDER#01J"},"sk":{"S":"ORDER"}}}},
            {"Update":{"TableName":"t","Key":{"pk":{"S":"PRODUCT#01K"},"sk":{"S":"PRODUCT"}}}},
            {"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"USER#01L"},"sk":{"S":"USER"}}}}]}"#;
        let actions: Vec<(String, Option<String>)> = calls("TransactWriteItems", body)
            .into_iter()
            .map(|c| (c.action, c.prefix))
            .collect();
        assert_eq!(
            actions,
            [
                ("PutItem".to_owned(), Some("ORDER#".to_owned())),
                ("UpdateItem".to_owned(), Some("PRODUCT#".to_owned())),
                ("ConditionCheckItem".to_owned(), Some("USER#".to_owned())),
            ]
        );
    }

    #[test]
    fn a_query_is_of_an_index_or_of_a_partition_of_the_table() {
        let on_index = calls(
            "Query",
            br#"{"IndexName":"gsi1","KeyConditionExpression":"gsi1pk = :pk","ExpressionAttributeValues":{":pk":{"S":"CUSTOMER#1"}}}"#,
        );
        assert_eq!(on_index[0].prefix, None);
        assert!(on_index[0].index);
        let on_table = calls(
            "Query",
            br#"{"KeyConditionExpression":"pk = :p AND begins_with(sk, :s)","ExpressionAttributeValues":{":p":{"S":"ORDER#1"},":s":{"S":"L"}}}"#,
        );
        assert_eq!(on_table[0].prefix.as_deref(), Some("ORDER#"));
        assert!(!on_table[0].index);
    }

    #[test]
    fn grants_and_calls_must_agree_both_ways() {
        let template = r#"
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:DeleteItem]
              Resource: !GetAtt Table.Arn
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["ORDER#*", "RATE#*"]
            - Effect: Allow
              Action: dynamodb:Query
              Resource: !Sub "${Table.Arn}/index/*"
            - Sid: ReleaseKeyOnFailure
              Effect: Allow
              Action: dynamodb:UpdateItem
              Resource: !GetAtt Table.Arn
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["IDEMPOTENCY#*"]
"#;
        let grants = grants(template).unwrap_or_default();
        let call = |action: &str, index: bool, prefix: Option<&str>| Call {
            action: action.to_owned(),
            index,
            prefix: prefix.map(str::to_owned),
        };
        let ledger = BTreeMap::from([(
            "OrdersFunction".to_owned(),
            BTreeSet::from([
                call("GetItem", false, Some("ORDER#")),
                call("GetItem", false, Some("USER#")),
                call("Query", true, None),
                call("GetItem", false, Some("RATE")),
                call("PutItem", false, Some("ORDER#")),
            ]),
        )]);
        let problems = check(&grants, &ledger);
        assert_eq!(
            problems,
            [
                "OrdersFunction calls GetItem on the table (RATE… items) and is not granted it",
                "OrdersFunction calls GetItem on the table (USER#… items) and is not granted it",
                "OrdersFunction calls PutItem on the table (ORDER#… items) and is not granted it",
                "OrdersFunction is granted dynamodb:DeleteItem on the table and never called it",
                "OrdersFunction is granted dynamodb:DeleteItem on ORDER#* items and never did it",
                "OrdersFunction is granted dynamodb:GetItem on RATE#* items and never did it",
                "OrdersFunction is granted dynamodb:DeleteItem on RATE#* items and never did it",
            ]
        );
    }

    #[test]
    fn string_like_patterns_match_as_iam_does() {
        assert!(like("ORDER#*", "ORDER#01J"));
        assert!(like("*", ""));
        assert!(like("A?C*", "ABCD"));
        assert!(!like("ORDER#*", "ORDERS#open"));
        assert!(!like("USER#", "USER#1"));
    }
}
