//! Reads a SAM template into what the local stack needs: functions with their routes, triggers
//! and environment, tables and buckets. The template is the only description of these; the
//! runner derives everything from it.
//!
//! CloudFormation intrinsics, short or long form, are resolved to local names: `!Ref`,
//! `!GetAtt`, `!Sub`, `!Join`, `!Select`, `!Split`, `!FindInMap`, and `!If` with the
//! `Conditions` it names (a resource whose `Condition` is false is left out). Any other
//! intrinsic, or one where the runner needs another kind of value, stops the load with its name.

mod intrinsics;
mod resources;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_norway::Value;
use serde_norway::value::TaggedValue;

/// The local account and region every name and ARN is made with.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// How a template's names become local ones.
#[derive(Debug, Clone, Default)]
pub struct NameOptions {
    /// `AWS::StackName`.
    pub stack_name: String,
    /// Appended to every table and bucket name, so test runs never share data.
    pub suffix: String,
    /// Parameter values that replace the template's defaults.
    pub parameters: BTreeMap<String, String>,
    /// Where queue URLs (`!Ref` of a queue) point: the local SQS stand-in, or AWS's form.
    pub queue_endpoint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub functions: Vec<Function>,
    pub tables: Vec<Table>,
    pub buckets: Vec<Bucket>,
    pub secrets: Vec<Secret>,
    /// `AWS::SES::EmailIdentity` addresses or domains.
    pub email_identities: Vec<String>,
    /// `AWS::S3::BucketPolicy`: the bucket's name and the policy document, resolved.
    pub bucket_policies: Vec<(String, serde_json::Value)>,
    pub queues: Vec<Queue>,
}

/// An `AWS::SQS::Queue`.
#[derive(Debug, Clone)]
pub struct Queue {
    pub logical_id: String,
    pub name: String,
    pub url: String,
    pub visibility_timeout_secs: Option<u64>,
    /// `RedrivePolicy`: the dead-letter queue's name and the receives before a message goes there.
    pub redrive: Option<(String, u32)>,
}

/// An `AWS::SecretsManager::Secret`: known locally by its name, which `!Ref` resolves to.
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub value: SecretValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    /// `SecretString`.
    Literal(String),
    /// `GenerateSecretString`: a random string, alone or set at `key` of the JSON `template`.
    Generated {
        template: Option<String>,
        key: Option<String>,
        length: usize,
        exclude_punctuation: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    /// The crate folder (`CodeUri`), relative to the template.
    pub code_uri: String,
    /// The binary cargo builds (`Metadata.BuildProperties.Binary`, else the folder's name).
    pub binary: String,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    pub environment: BTreeMap<String, String>,
    /// `LoggingConfig`: `JSON` or `Text`, and the application log level.
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An `HttpApi` route; `None` for both is the API's `$default` route.
    Http {
        name: String,
        method: Option<String>,
        path: Option<String>,
    },
    /// An `S3` trigger on a bucket of the template.
    S3 {
        name: String,
        bucket: String,
        events: Vec<String>,
        /// `(prefix|suffix, value)` rules of `Filter.S3Key.Rules`.
        filter: Vec<(String, String)>,
    },
    /// An `SQS` event source: the queue's logical id, the batch size, and whether the
    /// function reports partial batch failures.
    Sqs {
        name: String,
        queue: String,
        batch_size: u32,
        report_failures: bool,
    },
    /// A `Schedule` (EventBridge rule): `rate(...)` or `cron(...)`.
    Schedule {
        name: String,
        expression: String,
        enabled: bool,
        /// `Input`: a JSON text delivered instead of the scheduled event.
        input: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// `(name, S|N|B)`.
    pub attributes: Vec<(String, String)>,
    /// `(name, HASH|RANGE)`.
    pub key_schema: Vec<(String, String)>,
    pub indexes: Vec<Index>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub logical_id: String,
    pub name: String,
}

impl Template {
    pub fn load(path: &Path, names: &NameOptions) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text, names).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str, names: &NameOptions) -> Result<Self> {
        let doc: Value = serde_norway::from_str(text).context("not YAML")?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| anyhow!("no Resources"))?;

        // Parameters first: their values feed every other name.
        let mut parameters = BTreeMap::new();
        if let Some(params) = doc.get("Parameters").and_then(Value::as_mapping) {
            for (key, spec) in params {
                let key = key.as_str().unwrap_or_default().to_owned();
                let value = match names.parameters.get(&key) {
                    Some(v) => v.clone(),
                    None => spec.get("Default").map(scalar).unwrap_or_default(),
                };
                parameters.insert(key, value);
            }
        }
        let mut resolver = Resolver {
            names,
            parameters,
            physical: BTreeMap::new(),
            types: BTreeMap::new(),
            conditions: doc.get("Conditions").cloned().unwrap_or(Value::Null),
            mappings: doc.get("Mappings").cloned().unwrap_or(Value::Null),
        };
        // A resource whose `Condition` is false does not exist; in the others every `Fn::If`
        // is decided and every `AWS::NoValue` dropped before anything reads them.
        let mut kept = serde_norway::Mapping::new();
        for (id, resource) in resources {
            let name = id.as_str().unwrap_or_default();
            if let Some(condition) = resource.get("Condition") {
                let condition = condition
                    .as_str()
                    .ok_or_else(|| anyhow!("{name}: Condition must be a condition's name"))?;
                if !resolver.condition(condition, 0)? {
                    continue;
                }
            }
            let decided = resolver
                .decide(resource)
                .with_context(|| format!("in {name}"))?
                .unwrap_or(Value::Null);
            kept.insert(id.clone(), decided);
        }
        let resources = &kept;
        for (id, resource) in resources {
            let id = id.as_str().unwrap_or_default().to_owned();
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            resolver.types.insert(id.clone(), kind.to_owned());
        }
        // Physical names of tables and buckets (they may refer to parameters only).
        for (id, resource) in resources {
            let id = id.as_str().unwrap_or_default().to_owned();
            let props = resource.get("Properties");
            // The resource's name property, and whether the service wants it in lower case.
            let (property, lower) = match resolver.types.get(&id).map(String::as_str) {
                Some("AWS::DynamoDB::Table") => ("TableName", false),
                Some("AWS::SecretsManager::Secret") => ("Name", false),
                Some("AWS::SQS::Queue") => ("QueueName", false),
                Some("AWS::S3::Bucket") => ("BucketName", true),
                _ => continue,
            };
            let base = match props.and_then(|p| p.get(property)) {
                Some(given) => resolver.string(given)?,
                None if lower => format!("{}-{}", names.stack_name, id.to_ascii_lowercase()),
                None => format!("{}-{id}", names.stack_name),
            };
            let name = format!("{base}{}", names.suffix);
            let name = if lower {
                name.to_ascii_lowercase()
            } else {
                name
            };
            resolver.physical.insert(id, name);
        }

        let globals = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .map(|g| resolver.decide(g))
            .transpose()
            .context("in Globals")?
            .flatten();
        let globals = globals.as_ref();
        let mut template = Template {
            functions: Vec::new(),
            tables: Vec::new(),
            buckets: Vec::new(),
            secrets: Vec::new(),
            email_identities: Vec::new(),
            bucket_policies: Vec::new(),
            queues: Vec::new(),
        };
        for (id, resource) in resources {
            let id = id.as_str().unwrap_or_default().to_owned();
            let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
            match resolver.types.get(&id).map(String::as_str) {
                Some("AWS::Serverless::Function") => {
                    let function = resolver
                        .function(&id, resource, &props, globals)
                        .with_context(|| format!("in function {id}"))?;
                    template.functions.push(function);
                }
                Some("AWS::DynamoDB::Table") => {
                    template.tables.push(
                        resolver
                            .table(&id, &props)
                            .with_context(|| format!("in table {id}"))?,
                    );
                }
                Some("AWS::S3::Bucket") => template.buckets.push(Bucket {
                    name: resolver.physical[&id].clone(),
                    logical_id: id,
                }),
                Some("AWS::SecretsManager::Secret") => {
                    let value = resolver
                        .secret_value(&props)
                        .with_context(|| format!("in secret {id}"))?;
                    template.secrets.push(Secret {
                        name: resolver.physical[&id].clone(),
                        value,
                    });
                }
                Some("AWS::S3::BucketPolicy") => {
                    let bucket = props
                        .get("Bucket")
                        .map(|v| resolver.string(v))
                        .transpose()?
                        .ok_or_else(|| anyhow!("{id}: a bucket policy needs Bucket"))?;
                    let document = props
                        .get("PolicyDocument")
                        .map(|v| resolver.json(v))
                        .transpose()
                        .with_context(|| format!("in the policy {id}"))?
                        .ok_or_else(|| anyhow!("{id}: a bucket policy needs PolicyDocument"))?;
                    template.bucket_policies.push((bucket, document));
                }
                Some("AWS::SQS::Queue") => {
                    let name = resolver.physical[&id].clone();
                    let visibility_timeout_secs = props
                        .get("VisibilityTimeout")
                        .map(|v| resolver.string(v))
                        .transpose()?
                        .map(|v| v.parse())
                        .transpose()
                        .with_context(|| format!("{id}: VisibilityTimeout is not a number"))?;
                    let redrive = match props.get("RedrivePolicy") {
                        Some(policy) => {
                            let target = policy
                                .get("deadLetterTargetArn")
                                .map(|v| resolver.string(v))
                                .transpose()?
                                .ok_or_else(|| {
                                    anyhow!("{id}: RedrivePolicy needs deadLetterTargetArn")
                                })?;
                            let count = policy
                                .get("maxReceiveCount")
                                .map(|v| resolver.string(v))
                                .transpose()?
                                .unwrap_or_else(|| "10".to_owned());
                            let dead_letter =
                                target.rsplit(':').next().unwrap_or(&target).to_owned();
                            Some((
                                dead_letter,
                                count.parse().context("maxReceiveCount is not a number")?,
                            ))
                        }
                        None => None,
                    };
                    template.queues.push(Queue {
                        logical_id: id.clone(),
                        url: resolver.queue_url(&name),
                        name,
                        visibility_timeout_secs,
                        redrive,
                    });
                }
                Some("AWS::SES::EmailIdentity") => {
                    let identity = props
                        .get("EmailIdentity")
                        .map(|v| resolver.string(v))
                        .transpose()?
                        .ok_or_else(|| anyhow!("{id}: an email identity needs EmailIdentity"))?;
                    template.email_identities.push(identity);
                }
                _ => {}
            }
        }
        Ok(template)
    }

    /// Every event of every function, with its function.
    pub fn events(&self) -> impl Iterator<Item = (&Function, &Event)> {
        self.functions
            .iter()
            .flat_map(|f| f.events.iter().map(move |e| (f, e)))
    }

    pub fn bucket(&self, logical_id: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.logical_id == logical_id)
    }

    /// Every `(method, path)` route of the API, `$default` left out.
    pub fn routes(&self) -> Vec<(String, String, String)> {
        self.events()
            .filter_map(|(function, event)| match event {
                Event::Http {
                    method: Some(method),
                    path: Some(path),
                    ..
                } => Some((
                    method.to_ascii_uppercase(),
                    path.clone(),
                    function.logical_id.clone(),
                )),
                _ => None,
            })
            .collect()
    }
}

/// Resolves intrinsics against the template's parameters and physical names.
struct Resolver<'a> {
    names: &'a NameOptions,
    parameters: BTreeMap<String, String>,
    physical: BTreeMap<String, String>,
    types: BTreeMap<String, String>,
    /// The template's `Conditions` and `Mappings` sections.
    conditions: Value,
    mappings: Value,
}

/// How deep conditions may refer to conditions before the runner calls it a cycle.
const MAX_CONDITION_DEPTH: usize = 32;

fn tagged_name(tagged: &TaggedValue) -> String {
    tagged.tag.to_string().trim_start_matches('!').to_owned()
}

/// An intrinsic in either form, as its name without `Fn::` and its argument: `!Sub x` and
/// `{"Fn::Sub": x}` are both `("Sub", x)`; `!Ref`/`{"Ref": x}` is `("Ref", x)`, and the
/// condition reference `{"Condition": x}` is `("Condition", x)`.
pub fn intrinsic_call(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((tagged_name(tagged), &tagged.value)),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            match key.strip_prefix("Fn::") {
                Some(name) => Some((name.to_owned(), arg)),
                None if key == "Ref" || key == "Condition" => Some((key.to_owned(), arg)),
                None => None,
            }
        }
        _ => None,
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}
