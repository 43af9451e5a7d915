//! How the resolver reads a function, its events, a secret and a table.

use super::*;

impl Resolver<'_> {
    pub(super) fn function(
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

    pub(super) fn event(&self, name: &str, event: &Value) -> Result<Option<Event>> {
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
    pub(super) fn json(&self, value: &Value) -> Result<serde_json::Value> {
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

    pub(super) fn secret_value(&self, props: &Value) -> Result<SecretValue> {
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

    pub(super) fn table(&self, id: &str, props: &Value) -> Result<Table> {
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
