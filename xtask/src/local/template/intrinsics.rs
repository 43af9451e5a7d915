//! How the resolver reads conditions, references and intrinsics (`!Ref`, `!GetAtt`, `!Sub`, ...).

use super::*;

impl Resolver<'_> {
    /// The value of the condition `name` in the `Conditions` section.
    pub(super) fn condition(&self, name: &str, depth: usize) -> Result<bool> {
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
    pub(super) fn truth(&self, value: &Value, depth: usize) -> Result<bool> {
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
    pub(super) fn decide(&self, value: &Value) -> Result<Option<Value>> {
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
    pub(super) fn strings(&self, value: &Value) -> Result<Vec<String>> {
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

    pub(super) fn reference(&self, name: &str) -> Result<String> {
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

    pub(super) fn queue_url(&self, name: &str) -> String {
        let base = self
            .names
            .queue_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://sqs.{REGION}.amazonaws.com"));
        format!("{}/{ACCOUNT_ID}/{name}", base.trim_end_matches('/'))
    }

    pub(super) fn attribute(&self, resource: &str, attribute: &str) -> Result<String> {
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
    pub(super) fn string(&self, value: &Value) -> Result<String> {
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

    pub(super) fn intrinsic(&self, name: &str, arg: &Value) -> Result<String> {
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

    pub(super) fn substitute(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String> {
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
}
