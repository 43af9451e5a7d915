//! Reads a SAM template into what the local stack needs: functions with their routes, triggers
//! and environment, tables and buckets. The template is the only description of these; the
//! runner derives everything from it.
//!
//! CloudFormation intrinsics, short or long form, are resolved to local names: `!Ref`,
//! `!GetAtt`, `!Sub`, `!Join`, `!Select`, `!Split`, `!FindInMap`, and `!If` with the
//! `Conditions` it names (a resource whose `Condition` is false is left out). Any other
//! intrinsic, or one where the runner needs another kind of value, stops the load with its name.

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
            let name = match resolver.types.get(&id).map(String::as_str) {
                Some("AWS::DynamoDB::Table") => {
                    let given = props.and_then(|p| p.get("TableName"));
                    let base = match given {
                        Some(v) => resolver.string(v)?,
                        None => format!("{}-{id}", names.stack_name),
                    };
                    format!("{base}{}", names.suffix)
                }
                Some("AWS::SecretsManager::Secret") => {
                    let given = props.and_then(|p| p.get("Name"));
                    let base = match given {
                        Some(v) => resolver.string(v)?,
                        None => format!("{}-{id}", names.stack_name),
                    };
                    format!("{base}{}", names.suffix)
                }
                Some("AWS::SQS::Queue") => {
                    let given = props.and_then(|p| p.get("QueueName"));
                    let base = match given {
                        Some(v) => resolver.string(v)?,
                        None => format!("{}-{id}", names.stack_name),
                    };
                    format!("{base}{}", names.suffix)
                }
                Some("AWS::S3::Bucket") => {
                    let given = props.and_then(|p| p.get("BucketName"));
                    let base = match given {
                        Some(v) => resolver.string(v)?,
                        None => format!("{}-{}", names.stack_name, id.to_ascii_lowercase()),
                    };
                    format!("{base}{}", names.suffix).to_ascii_lowercase()
                }
                _ => continue,
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

    pub fn bucket(&self, logical_id: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.logical_id == logical_id)
    }

    /// Every `(method, path)` route of the API, `$default` left out.
    pub fn routes(&self) -> Vec<(String, String, String)> {
        let mut routes = Vec::new();
        for function in &self.functions {
            for event in &function.events {
                if let Event::Http {
                    method: Some(method),
                    path: Some(path),
                    ..
                } = event
                {
                    routes.push((
                        method.to_ascii_uppercase(),
                        path.clone(),
                        function.logical_id.clone(),
                    ));
                }
            }
        }
        routes
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

impl Resolver<'_> {
    /// The value of the condition `name` in the `Conditions` section.
    fn condition(&self, name: &str, depth: usize) -> Result<bool> {
        if depth > MAX_CONDITION_DEPTH {
            bail!("the condition {name} refers to itself");
        }
        let spec = self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("no condition named {name}"))?;
        self.truth(spec, depth + 1)
            .with_context(|| format!("in the condition {name}"))
    }

    /// Evaluates a condition function: `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`.
    fn truth(&self, value: &Value, depth: usize) -> Result<bool> {
        let Some((name, arg)) = intrinsic_call(value) else {
            bail!("expected a condition function, found {value:?}");
        };
        let items = || {
            arg.as_sequence()
                .ok_or_else(|| anyhow!("Fn::{name} expects a list"))
        };
        Ok(match name.as_str() {
            "Equals" => match items()?.as_slice() {
                [a, b] => self.string(a)? == self.string(b)?,
                _ => bail!("Fn::Equals expects two values"),
            },
            "Not" => match items()?.as_slice() {
                [c] => !self.truth(c, depth)?,
                _ => bail!("Fn::Not expects one condition"),
            },
            "And" => {
                let mut all = true;
                for c in items()? {
                    all &= self.truth(c, depth)?;
                }
                all
            }
            "Or" => {
                let mut any = false;
                for c in items()? {
                    any |= self.truth(c, depth)?;
                }
                any
            }
            "Condition" => self.condition(
                arg.as_str()
                    .ok_or_else(|| anyhow!("Condition expects a name"))?,
                depth,
            )?,
            other => bail!("Fn::{other} is not a condition function"),
        })
    }

    /// A tree with every `Fn::If` replaced by the branch its condition picks, and every
    /// `AWS::NoValue` removed from its mapping or list; `None` when the whole value is `NoValue`.
    fn decide(&self, value: &Value) -> Result<Option<Value>> {
        if let Some((name, arg)) = intrinsic_call(value) {
            if name == "Ref" && arg.as_str() == Some("AWS::NoValue") {
                return Ok(None);
            }
            if name == "If" {
                let [condition, yes, no] = arg.as_sequence().map(Vec::as_slice).unwrap_or_default()
                else {
                    bail!("Fn::If expects [condition, value if true, value if false]");
                };
                let condition = condition
                    .as_str()
                    .ok_or_else(|| anyhow!("Fn::If expects a condition's name first"))?;
                let chosen = if self.condition(condition, 0)? {
                    yes
                } else {
                    no
                };
                return self.decide(chosen);
            }
        }
        Ok(Some(match value {
            Value::Mapping(map) => {
                let mut out = serde_norway::Mapping::new();
                for (key, item) in map {
                    if let Some(item) = self.decide(item)? {
                        out.insert(key.clone(), item);
                    }
                }
                Value::Mapping(out)
            }
            Value::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.decide(item)?);
                }
                Value::Sequence(out)
            }
            Value::Tagged(tagged) => Value::Tagged(Box::new(TaggedValue {
                tag: tagged.tag.clone(),
                value: self.decide(&tagged.value)?.unwrap_or(Value::Null),
            })),
            other => other.clone(),
        }))
    }

    /// A value that must end up a list of strings: a list, or `Fn::Split`.
    fn strings(&self, value: &Value) -> Result<Vec<String>> {
        if let Some((name, arg)) = intrinsic_call(value) {
            return match (name.as_str(), arg.as_sequence().map(Vec::as_slice)) {
                ("Split", Some([delimiter, source])) => {
                    let delimiter = self.string(delimiter)?;
                    if delimiter.is_empty() {
                        bail!("Fn::Split needs a delimiter");
                    }
                    Ok(self
                        .string(source)?
                        .split(delimiter.as_str())
                        .map(str::to_owned)
                        .collect())
                }
                ("Split", _) => bail!("Fn::Split expects [delimiter, string]"),
                (other, _) => {
                    bail!("Fn::{other} does not give a list; the local runner needs one here")
                }
            };
        }
        value
            .as_sequence()
            .ok_or_else(|| anyhow!("expected a list, found {value:?}"))?
            .iter()
            .map(|v| self.string(v))
            .collect()
    }

    fn reference(&self, name: &str) -> Result<String> {
        Ok(match name {
            "AWS::Region" => REGION.to_owned(),
            "AWS::AccountId" => ACCOUNT_ID.to_owned(),
            "AWS::StackName" => self.names.stack_name.clone(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::NoValue" => String::new(),
            _ => {
                if let Some(value) = self.parameters.get(name) {
                    value.clone()
                } else if let Some(physical) = self.physical.get(name) {
                    if self.types.get(name).is_some_and(|t| t == "AWS::SQS::Queue") {
                        // A queue's `Ref` is its URL.
                        self.queue_url(physical)
                    } else {
                        physical.clone()
                    }
                } else if self.types.contains_key(name) {
                    // Functions, APIs and the like are known locally by their logical id.
                    name.to_owned()
                } else {
                    bail!("!Ref {name}: no such parameter or resource")
                }
            }
        })
    }

    fn queue_url(&self, name: &str) -> String {
        let base = self
            .names
            .queue_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://sqs.{REGION}.amazonaws.com"));
        format!("{}/{ACCOUNT_ID}/{name}", base.trim_end_matches('/'))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String> {
        let kind = self
            .types
            .get(resource)
            .ok_or_else(|| anyhow!("!GetAtt {resource}.{attribute}: no such resource"))?;
        let name = self
            .physical
            .get(resource)
            .cloned()
            .unwrap_or_else(|| resource.to_owned());
        Ok(match (kind.as_str(), attribute) {
            ("AWS::DynamoDB::Table", "Arn") => {
                format!("arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}")
            }
            ("AWS::S3::Bucket", "Arn") => format!("arn:aws:s3:::{name}"),
            ("AWS::S3::Bucket", "DomainName") => format!("{name}.s3.amazonaws.com"),
            ("AWS::Serverless::Function", "Arn") => {
                format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}")
            }
            ("AWS::SQS::Queue", "Arn") => format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"),
            (_, "Arn") => format!("arn:aws:local:{REGION}:{ACCOUNT_ID}:{name}"),
            _ => format!("{name}.{attribute}"),
        })
    }

    /// Resolves a value that must end up a string.
    fn string(&self, value: &Value) -> Result<String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Tagged(_) | Value::Mapping(_) => match intrinsic_call(value) {
                Some((name, arg)) => self.intrinsic(&name, arg),
                None => bail!("expected a string, found {value:?}"),
            },
            other => bail!("expected a string, found {other:?}"),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Result<String> {
        match name {
            "Ref" => self.reference(arg.as_str().unwrap_or_default()),
            "GetAtt" => {
                let (resource, attribute) = match arg {
                    Value::String(s) => s
                        .split_once('.')
                        .map(|(a, b)| (a.to_owned(), b.to_owned()))
                        .ok_or_else(|| anyhow!("!GetAtt {s}: expected Resource.Attribute"))?,
                    Value::Sequence(seq) if seq.len() == 2 => {
                        (self.string(&seq[0])?, self.string(&seq[1])?)
                    }
                    other => bail!("!GetAtt {other:?}: expected Resource.Attribute"),
                };
                self.attribute(&resource, &attribute)
            }
            "Sub" => match arg {
                Value::String(text) => self.substitute(text, &BTreeMap::new()),
                Value::Sequence(seq) if seq.len() == 2 => {
                    let text = seq[0].as_str().unwrap_or_default();
                    let mut vars = BTreeMap::new();
                    if let Some(map) = seq[1].as_mapping() {
                        for (k, v) in map {
                            vars.insert(k.as_str().unwrap_or_default().to_owned(), self.string(v)?);
                        }
                    }
                    self.substitute(text, &vars)
                }
                other => bail!("!Sub {other:?}: expected a string or [string, variables]"),
            },
            "Join" => {
                let seq = arg.as_sequence().filter(|s| s.len() == 2);
                let Some(seq) = seq else {
                    bail!("!Join expects [delimiter, [values]]")
                };
                let delimiter = seq[0].as_str().unwrap_or_default();
                let parts = seq[1]
                    .as_sequence()
                    .ok_or_else(|| anyhow!("!Join expects a list of values"))?
                    .iter()
                    .map(|v| self.string(v))
                    .collect::<Result<Vec<_>>>()?;
                Ok(parts.join(delimiter))
            }
            "Select" => match arg.as_sequence().map(Vec::as_slice) {
                Some([index, list]) => {
                    let index: usize = self
                        .string(index)?
                        .parse()
                        .context("Fn::Select's index is not a number")?;
                    let items = self.strings(list)?;
                    let count = items.len();
                    items
                        .into_iter()
                        .nth(index)
                        .ok_or_else(|| anyhow!("Fn::Select: index {index} of a list of {count}"))
                }
                _ => bail!("Fn::Select expects [index, list]"),
            },
            "FindInMap" => match arg.as_sequence().map(Vec::as_slice) {
                Some([map, top, second]) => {
                    let (map, top, second) =
                        (self.string(map)?, self.string(top)?, self.string(second)?);
                    let found = self
                        .mappings
                        .get(map.as_str())
                        .and_then(|m| m.get(top.as_str()))
                        .and_then(|m| m.get(second.as_str()))
                        .ok_or_else(|| anyhow!("Fn::FindInMap: no {map}.{top}.{second}"))?;
                    self.string(found)
                }
                _ => bail!("Fn::FindInMap expects [map, top-level key, second-level key]"),
            },
            "Split" => bail!("Fn::Split gives a list; the local runner needs a string here"),
            "If" => bail!("Fn::If is only decided inside a resource or Globals"),
            other => bail!("the intrinsic {other} is not supported by the local runner"),
        }
    }

    fn substitute(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("!Sub {text}: unclosed ${{"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = vars.get(name) {
                out.push_str(value);
            } else if let Some((resource, attribute)) = name.split_once('.')
                && !name.starts_with("AWS::")
            {
                out.push_str(&self.attribute(resource, attribute)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn function(
        &self,
        id: &str,
        resource: &Value,
        props: &Value,
        globals: Option<&Value>,
    ) -> Result<Function> {
        let setting = |key: &str| props.get(key).or_else(|| globals.and_then(|g| g.get(key)));
        let code_uri = props
            .get("CodeUri")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("CodeUri must be a local folder"))?
            .trim_end_matches('/')
            .to_owned();
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| code_uri.rsplit('/').next().unwrap_or(&code_uri).to_owned());
        let number = |key: &str, default: u64| -> Result<u64> {
            match setting(key) {
                Some(v) => self
                    .string(v)?
                    .parse()
                    .with_context(|| format!("{key} is not a number")),
                None => Ok(default),
            }
        };
        let mut environment = BTreeMap::new();
        for source in [globals, Some(props)].into_iter().flatten() {
            let vars = source
                .get("Environment")
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping);
            for (key, value) in vars.into_iter().flatten() {
                let key = key.as_str().unwrap_or_default().to_owned();
                let value = self
                    .string(value)
                    .with_context(|| format!("in the variable {key}"))?;
                environment.insert(key, value);
            }
        }
        let logging = |key: &str| -> Result<Option<String>> {
            match setting("LoggingConfig").and_then(|l| l.get(key)) {
                Some(v) => Ok(Some(self.string(v)?)),
                None => Ok(None),
            }
        };
        let mut events = Vec::new();
        if let Some(map) = props.get("Events").and_then(Value::as_mapping) {
            for (name, event) in map {
                let name = name.as_str().unwrap_or_default().to_owned();
                let parsed = self
                    .event(&name, event)
                    .with_context(|| format!("in the event {name}"))?;
                events.extend(parsed);
            }
        }
        Ok(Function {
            logical_id: id.to_owned(),
            code_uri,
            binary,
            timeout_secs: number("Timeout", 3)?,
            memory_mb: number("MemorySize", 128)?,
            environment,
            log_format: logging("LogFormat")?,
            log_level: logging("ApplicationLogLevel")?,
            events,
        })
    }

    fn event(&self, name: &str, event: &Value) -> Result<Option<Event>> {
        let props = event.get("Properties").cloned().unwrap_or(Value::Null);
        let kind = event.get("Type").and_then(Value::as_str).unwrap_or("");
        let optional = |key: &str| -> Result<Option<String>> {
            props.get(key).map(|v| self.string(v)).transpose()
        };
        Ok(Some(match kind {
            "HttpApi" => Event::Http {
                name: name.to_owned(),
                method: optional("Method")?,
                path: optional("Path")?,
            },
            "S3" => {
                let bucket = match props.get("Bucket") {
                    Some(Value::Tagged(t)) if tagged_name(t) == "Ref" => {
                        t.value.as_str().unwrap_or_default().to_owned()
                    }
                    Some(Value::Mapping(m)) => m
                        .get("Ref")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    _ => bail!("an S3 event's Bucket must be !Ref to a bucket of the template"),
                };
                let events = match props.get("Events") {
                    Some(Value::Sequence(seq)) => {
                        seq.iter().map(|v| self.string(v)).collect::<Result<_>>()?
                    }
                    Some(v) => vec![self.string(v)?],
                    None => bail!("an S3 event needs Events"),
                };
                let mut filter = Vec::new();
                let rules = props
                    .get("Filter")
                    .and_then(|f| f.get("S3Key"))
                    .and_then(|k| k.get("Rules"))
                    .and_then(Value::as_sequence);
                for rule in rules.into_iter().flatten() {
                    let rule_name = rule.get("Name").map(|v| self.string(v)).transpose()?;
                    let value = rule.get("Value").map(|v| self.string(v)).transpose()?;
                    if let (Some(n), Some(v)) = (rule_name, value) {
                        filter.push((n.to_ascii_lowercase(), v));
                    }
                }
                Event::S3 {
                    name: name.to_owned(),
                    bucket,
                    events,
                    filter,
                }
            }
            "SQS" => {
                let queue = match props.get("Queue") {
                    Some(Value::Tagged(t)) if tagged_name(t) == "GetAtt" => t.value.as_str(),
                    Some(Value::Mapping(m)) => m.get("Fn::GetAtt").and_then(Value::as_str),
                    _ => None,
                }
                .and_then(|v| v.strip_suffix(".Arn"))
                .ok_or_else(|| anyhow!("an SQS event's Queue must be !GetAtt <queue>.Arn"))?;
                let batch_size = optional("BatchSize")?
                    .map(|v| v.parse())
                    .transpose()
                    .context("BatchSize is not a number")?
                    .unwrap_or(10);
                let report_failures = props
                    .get("FunctionResponseTypes")
                    .and_then(Value::as_sequence)
                    .is_some_and(|types| {
                        types
                            .iter()
                            .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                    });
                Event::Sqs {
                    name: name.to_owned(),
                    queue: queue.to_owned(),
                    batch_size,
                    report_failures,
                }
            }
            "Schedule" | "ScheduleV2" => {
                let expression = optional("Schedule")?
                    .or(optional("ScheduleExpression")?)
                    .ok_or_else(|| anyhow!("a schedule needs an expression"))?;
                let enabled = match props.get("Enabled") {
                    Some(Value::Bool(b)) => *b,
                    _ => optional("State")?.is_none_or(|s| s.eq_ignore_ascii_case("ENABLED")),
                };
                Event::Schedule {
                    name: name.to_owned(),
                    expression,
                    enabled,
                    input: optional("Input")?,
                }
            }
            // Other triggers (SQS, streams) are not emulated; the runner says so at start.
            _ => return Ok(None),
        }))
    }

    /// A whole YAML tree as JSON, every intrinsic in it resolved.
    fn json(&self, value: &Value) -> Result<serde_json::Value> {
        Ok(match value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(_) | Value::String(_) | Value::Tagged(_) => {
                serde_json::Value::String(self.string(value)?)
            }
            Value::Mapping(map) => {
                if intrinsic_call(value).is_some() {
                    serde_json::Value::String(self.string(value)?)
                } else {
                    let mut out = serde_json::Map::new();
                    for (key, item) in map {
                        out.insert(
                            key.as_str().unwrap_or_default().to_owned(),
                            self.json(item)?,
                        );
                    }
                    serde_json::Value::Object(out)
                }
            }
            Value::Sequence(items) => {
                serde_json::Value::Array(items.iter().map(|v| self.json(v)).collect::<Result<_>>()?)
            }
        })
    }

    fn secret_value(&self, props: &Value) -> Result<SecretValue> {
        if let Some(literal) = props.get("SecretString") {
            return Ok(SecretValue::Literal(self.string(literal)?));
        }
        let Some(spec) = props.get("GenerateSecretString") else {
            bail!("a secret needs SecretString or GenerateSecretString");
        };
        let text = |key: &str| spec.get(key).map(|v| self.string(v)).transpose();
        Ok(SecretValue::Generated {
            template: text("SecretStringTemplate")?,
            key: text("GenerateStringKey")?,
            length: text("PasswordLength")?
                .map(|l| l.parse())
                .transpose()
                .context("PasswordLength is not a number")?
                .unwrap_or(32),
            exclude_punctuation: text("ExcludePunctuation")?.is_some_and(|v| v == "true"),
        })
    }

    fn table(&self, id: &str, props: &Value) -> Result<Table> {
        let pairs = |value: Option<&Value>, a: &str, b: &str| -> Result<Vec<(String, String)>> {
            let mut out = Vec::new();
            for item in value.and_then(Value::as_sequence).into_iter().flatten() {
                let first = item.get(a).map(|v| self.string(v)).transpose()?;
                let second = item.get(b).map(|v| self.string(v)).transpose()?;
                match (first, second) {
                    (Some(x), Some(y)) => out.push((x, y)),
                    _ => bail!("expected {a} and {b} in {item:?}"),
                }
            }
            Ok(out)
        };
        let mut indexes = Vec::new();
        let gsis = props
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence);
        for gsi in gsis.into_iter().flatten() {
            let projection = gsi.get("Projection");
            indexes.push(Index {
                name: gsi
                    .get("IndexName")
                    .map(|v| self.string(v))
                    .transpose()?
                    .ok_or_else(|| anyhow!("an index needs IndexName"))?,
                key_schema: pairs(gsi.get("KeySchema"), "AttributeName", "KeyType")?,
                projection: projection
                    .and_then(|p| p.get("ProjectionType"))
                    .map(|v| self.string(v))
                    .transpose()?
                    .unwrap_or_else(|| "ALL".to_owned()),
                non_key_attributes: projection
                    .and_then(|p| p.get("NonKeyAttributes"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .map(|v| self.string(v))
                    .collect::<Result<_>>()?,
            });
        }
        let ttl = props.get("TimeToLiveSpecification");
        let ttl_enabled = matches!(ttl.and_then(|t| t.get("Enabled")), Some(Value::Bool(true)));
        Ok(Table {
            name: self.physical[id].clone(),
            attributes: pairs(
                props.get("AttributeDefinitions"),
                "AttributeName",
                "AttributeType",
            )?,
            key_schema: pairs(props.get("KeySchema"), "AttributeName", "KeyType")?,
            indexes,
            ttl_attribute: match ttl.and_then(|t| t.get("AttributeName")) {
                Some(v) if ttl_enabled => Some(self.string(v)?),
                _ => None,
            },
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: { Type: String, Default: dev }
  Origins: { Type: String, Default: "http://localhost:5173" }
Globals:
  Function:
    Timeout: 10
    LoggingConfig: { LogFormat: JSON, ApplicationLogLevel: INFO }
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        ORIGINS: !Ref Origins
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "shop-${Stage}"
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
        - { AttributeName: sk, AttributeType: S }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
        - { AttributeName: sk, KeyType: RANGE }
      GlobalSecondaryIndexes:
        - IndexName: byEmail
          KeySchema: [{ AttributeName: sk, KeyType: HASH }]
          Projection: { ProjectionType: KEYS_ONLY }
      TimeToLiveSpecification: { AttributeName: ttl, Enabled: true }
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "shop-${Stage}-uploads-${AWS::AccountId}"
  Keys:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub "shop-${Stage}-keys"
      GenerateSecretString:
        SecretStringTemplate: '{"kid": "k1"}'
        GenerateStringKey: key
        PasswordLength: 48
        ExcludePunctuation: true
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "${Uploads.Arn}/public/*"
  Sender:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: shop@example.com
  Thing:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: thing-bin } }
    Properties:
      CodeUri: functions/thing/
      MemorySize: 256
      Environment:
        Variables:
          BUCKET_ARN: !GetAtt Uploads.Arn
          LONG_FORM: { "Fn::Sub": "${Uploads}/x" }
          TABLE_ARN: !Sub "${Table.Arn}/index/*"
          LITERAL: !Sub "${!NotAVariable}"
          SECRET: !Ref Keys
      Events:
        Get: { Type: HttpApi, Properties: { Path: "/things/{id}", Method: get } }
        Fallback: { Type: HttpApi }
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter: { S3Key: { Rules: [{ Name: prefix, Value: incoming/ }] } }
        Nightly: { Type: Schedule, Properties: { Schedule: "cron(0 2 * * ? *)" } }
"#;

    fn parse(names: &NameOptions) -> Template {
        Template::parse(SAMPLE, names).unwrap_or_else(|e| panic!("{e:#}"))
    }

    fn names() -> NameOptions {
        NameOptions {
            stack_name: "local".into(),
            suffix: "-t1".into(),
            parameters: BTreeMap::from([("Origins".into(), "*".into())]),
            queue_endpoint: None,
        }
    }

    #[test]
    fn tables_and_buckets_get_their_declared_names_with_the_run_suffix() {
        let template = parse(&names());
        assert_eq!(template.tables[0].name, "shop-dev-t1");
        assert_eq!(template.buckets[0].name, "shop-dev-uploads-123456789012-t1");
        let table = &template.tables[0];
        assert_eq!(table.key_schema[1], ("sk".to_owned(), "RANGE".to_owned()));
        assert_eq!(table.indexes[0].projection, "KEYS_ONLY");
        assert_eq!(table.ttl_attribute.as_deref(), Some("ttl"));
    }

    #[test]
    fn environment_intrinsics_resolve_to_local_names() {
        let template = parse(&names());
        let env = &template.functions[0].environment;
        assert_eq!(env["TABLE_NAME"], "shop-dev-t1");
        assert_eq!(env["ORIGINS"], "*", "parameter override wins");
        assert_eq!(
            env["BUCKET_ARN"],
            "arn:aws:s3:::shop-dev-uploads-123456789012-t1"
        );
        assert_eq!(env["LONG_FORM"], "shop-dev-uploads-123456789012-t1/x");
        assert_eq!(
            env["TABLE_ARN"],
            "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-t1/index/*"
        );
        assert_eq!(env["LITERAL"], "${NotAVariable}");
        assert_eq!(env["SECRET"], "shop-dev-keys-t1");
    }

    #[test]
    fn functions_carry_settings_globals_and_events() {
        let template = parse(&names());
        let f = &template.functions[0];
        assert_eq!(f.binary, "thing-bin");
        assert_eq!(f.code_uri, "functions/thing");
        assert_eq!((f.timeout_secs, f.memory_mb), (10, 256));
        assert_eq!(f.log_format.as_deref(), Some("JSON"));
        assert_eq!(f.events.len(), 4);
        assert!(f.events.contains(&Event::Http {
            name: "Fallback".into(),
            method: None,
            path: None
        }));
        assert!(f.events.contains(&Event::S3 {
            name: "Upload".into(),
            bucket: "Uploads".into(),
            events: vec!["s3:ObjectCreated:*".into()],
            filter: vec![("prefix".into(), "incoming/".into())],
        }));
        assert_eq!(
            template.routes(),
            vec![("GET".into(), "/things/{id}".into(), "Thing".into())]
        );
    }

    #[test]
    fn secrets_and_email_identities_are_read() {
        let template = parse(&names());
        assert_eq!(template.secrets[0].name, "shop-dev-keys-t1");
        assert_eq!(
            template.secrets[0].value,
            SecretValue::Generated {
                template: Some(r#"{"kid": "k1"}"#.into()),
                key: Some("key".into()),
                length: 48,
                exclude_punctuation: true,
            }
        );
        assert_eq!(
            template.email_identities,
            vec!["shop@example.com".to_owned()]
        );
    }

    #[test]
    fn an_unknown_reference_is_named() {
        let broken = SAMPLE.replace("!Ref Origins", "!Ref Nowhere");
        let err = Template::parse(&broken, &names())
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("Nowhere"), "{err}");
    }

    const CONDITIONAL: &str = r#"
Parameters:
  Stage: { Type: String, Default: prod }
  Hosts: { Type: String, Default: "a.example,b.example,c.example" }
Mappings:
  Sizes: { prod: { Memory: "1024" }, dev: { Memory: "128" } }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: { "Fn::Not": [{ Condition: IsProd }] }
  ProdInUsEast: !And [!Condition IsProd, !Equals [!Ref "AWS::Region", us-east-1]]
Resources:
  DevOnly:
    Type: AWS::S3::Bucket
    Condition: IsDev
    Properties: { BucketName: dev-only }
  Always:
    Type: AWS::S3::Bucket
    Properties: { BucketName: !If [IsProd, prod-bucket, dev-bucket] }
  Thing:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/thing/
      MemorySize: !FindInMap [Sizes, !Ref Stage, Memory]
      Environment:
        Variables:
          SECOND_HOST: !Select [1, !Split [",", !Ref Hosts]]
          MODE: { "Fn::If": [ProdInUsEast, east, elsewhere] }
          DEBUG: !If [IsDev, "1", !Ref "AWS::NoValue"]
"#;

    #[test]
    fn conditions_mappings_and_list_intrinsics_are_resolved() {
        let template = Template::parse(CONDITIONAL, &NameOptions::default())
            .unwrap_or_else(|e| panic!("{e:#}"));
        let buckets: Vec<&str> = template.buckets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(buckets, ["prod-bucket"], "the dev-only bucket is left out");
        let thing = &template.functions[0];
        assert_eq!(thing.memory_mb, 1024);
        assert_eq!(thing.environment["SECOND_HOST"], "b.example");
        assert_eq!(thing.environment["MODE"], "east");
        assert!(
            !thing.environment.contains_key("DEBUG"),
            "NoValue removes the variable"
        );

        let mut dev = NameOptions::default();
        dev.parameters.insert("Stage".into(), "dev".into());
        let template = Template::parse(CONDITIONAL, &dev).unwrap_or_else(|e| panic!("{e:#}"));
        let mut buckets: Vec<&str> = template.buckets.iter().map(|b| b.name.as_str()).collect();
        buckets.sort_unstable();
        assert_eq!(buckets, ["dev-bucket", "dev-only"]);
        assert_eq!(template.functions[0].memory_mb, 128);
        assert_eq!(template.functions[0].environment["DEBUG"], "1");
        assert_eq!(template.functions[0].environment["MODE"], "elsewhere");
    }

    #[test]
    fn what_the_runner_cannot_resolve_is_refused_by_name() {
        let cases = [
            (
                "!Select [1, !Split [\",\", !Ref Hosts]]",
                "!Select [7, !Split [\",\", !Ref Hosts]]",
                "index 7",
            ),
            (
                "!FindInMap [Sizes, !Ref Stage, Memory]",
                "!FindInMap [Sizes, test, Memory]",
                "Sizes.test.Memory",
            ),
            (
                "!Split [\",\", !Ref Hosts]]",
                "!Cidr [\"10.0.0.0/16\", 4, 8]]",
                "Cidr",
            ),
            (
                "IsDev: { \"Fn::Not\": [{ Condition: IsProd }] }",
                "IsDev: !Not [!Condition IsDev]",
                "refers to itself",
            ),
            ("Condition: IsDev", "Condition: IsStaging", "IsStaging"),
            (
                "!Equals [!Ref Stage, prod]",
                "!Select [0, [prod]]",
                "Select is not a condition function",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(CONDITIONAL.contains(from), "{from}");
            let broken = CONDITIONAL.replace(from, to);
            let err = Template::parse(&broken, &NameOptions::default())
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(err.contains(expected), "{to}: {err}");
        }
    }
}
