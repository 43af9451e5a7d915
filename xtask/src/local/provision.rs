//! Creates the template's tables and buckets in the stand-ins, as the template declares them:
//! keys, indexes and time-to-live for tables; names for buckets.

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::create_bucket::CreateBucketError;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_sesv2::operation::create_email_identity::CreateEmailIdentityError;

use crate::local::template::{SecretValue, Table, Template};
use crate::logs::Logs;

/// The stand-ins' clients.
pub struct Clients {
    pub sqs: aws_sdk_sqs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub ses: aws_sdk_sesv2::Client,
}

impl Clients {
    /// Clients of the running stand-ins.
    pub async fn of(stand_ins: &crate::local::standins::StandIns) -> Self {
        use crate::local::standins::{
            dynamodb_client, s3_client, secrets_client, ses_client, sqs_client,
        };
        Self {
            sqs: sqs_client(&stand_ins.moto_url).await,
            dynamodb: dynamodb_client(&stand_ins.dynamodb_url).await,
            s3: s3_client(&stand_ins.moto_url).await,
            secrets: secrets_client(&stand_ins.moto_url).await,
            ses: ses_client(&stand_ins.moto_url).await,
        }
    }
}

pub async fn provision(template: &Template, clients: &Clients, logs: &Logs) -> Result<()> {
    let Clients {
        sqs,
        dynamodb,
        s3,
        secrets,
        ses,
    } = clients;
    for table in &template.tables {
        create_table(table, dynamodb, logs)
            .await
            .with_context(|| format!("cannot create the table {}", table.name))?;
    }
    for secret in &template.secrets {
        let value = secret_value(&secret.value)?;
        let created = secrets
            .create_secret()
            .name(&secret.name)
            .secret_string(value)
            .send()
            .await;
        let exists = |e: &CreateSecretError| e.is_resource_exists_exception();
        unless_there(created, exists, || format!("the secret {}", secret.name))?;
    }
    for identity in &template.email_identities {
        // moto, like SES once verified, then accepts mail from this sender.
        let created = ses
            .create_email_identity()
            .email_identity(identity)
            .send()
            .await;
        let exists = |e: &CreateEmailIdentityError| e.is_already_exists_exception();
        unless_there(created, exists, || format!("the email identity {identity}"))?;
    }
    for bucket in &template.buckets {
        let created = s3.create_bucket().bucket(&bucket.name).send().await;
        let exists = |e: &CreateBucketError| e.is_bucket_already_owned_by_you();
        unless_there(created, exists, || format!("the bucket {}", bucket.name))?;
    }
    // Queues first without their redrive policies, then the policies, which name other queues.
    for queue in &template.queues {
        let mut create = sqs.create_queue().queue_name(&queue.name);
        if let Some(seconds) = queue.visibility_timeout_secs {
            create = create.attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                seconds.to_string(),
            );
        }
        create
            .send()
            .await
            .with_context(|| format!("cannot create the queue {}", queue.name))?;
    }
    for queue in &template.queues {
        if let Some((dead_letter, count)) = &queue.redrive {
            let policy = serde_json::json!({
                "deadLetterTargetArn": format!("arn:aws:sqs:{}:{}:{dead_letter}", crate::local::template::REGION, crate::local::template::ACCOUNT_ID),
                "maxReceiveCount": count,
            });
            sqs.set_queue_attributes()
                .queue_url(&queue.url)
                .attributes(
                    aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                    policy.to_string(),
                )
                .send()
                .await
                .with_context(|| format!("cannot set the redrive policy of {}", queue.name))?;
        }
    }
    // Policies after their buckets: moto, like S3, applies them to anonymous reads.
    for (bucket, document) in &template.bucket_policies {
        let Some(document) = local_policy(document) else {
            continue;
        };
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(document.to_string())
            .send()
            .await
            .with_context(|| format!("cannot set the policy of {bucket}"))?;
    }
    Ok(())
}

/// A bucket policy as moto can hold it: without the statements conditioned on
/// `aws:SecureTransport`. moto applies a `Deny` without reading its condition, so the
/// TLS-only statement would refuse every request; the local stack speaks plain HTTP on
/// loopback, where that statement has nothing to do. `None` when nothing is left.
fn local_policy(document: &serde_json::Value) -> Option<serde_json::Value> {
    let mut document = document.clone();
    let statements = document.get_mut("Statement")?.as_array_mut()?;
    statements.retain(|statement| {
        !statement["Condition"]
            .to_string()
            .contains("aws:SecureTransport")
    });
    (!statements.is_empty()).then_some(document)
}

/// A secret's value, generated as Secrets Manager would for `GenerateSecretString`.
fn secret_value(value: &SecretValue) -> Result<String> {
    match value {
        SecretValue::Literal(text) => Ok(text.clone()),
        SecretValue::Generated {
            template,
            key,
            length,
            exclude_punctuation,
        } => {
            const LETTERS: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            const PUNCTUATION: &[u8] = b"!#$%&()*+,-.:;<=>?@[]^_{|}~";
            let alphabet: Vec<u8> = if *exclude_punctuation {
                LETTERS.to_vec()
            } else {
                [LETTERS, PUNCTUATION].concat()
            };
            let generated = crate::tools::random_from(&alphabet, *length)?;
            match (template, key) {
                (Some(template), Some(key)) => {
                    let mut json: serde_json::Value = serde_json::from_str(template)
                        .context("SecretStringTemplate is not JSON")?;
                    json[key.as_str()] = serde_json::Value::String(generated);
                    Ok(json.to_string())
                }
                _ => Ok(generated),
            }
        }
    }
}

fn key_schema(pairs: &[(String, String)]) -> Result<Vec<KeySchemaElement>> {
    pairs
        .iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .context("an incomplete key schema")
        })
        .collect()
}

async fn create_table(table: &Table, client: &aws_sdk_dynamodb::Client, logs: &Logs) -> Result<()> {
    let mut request = client
        .create_table()
        .table_name(&table.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&table.key_schema)?));
    for (name, kind) in &table.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()?,
        );
    }
    for index in &table.indexes {
        let mut projection =
            Projection::builder().projection_type(ProjectionType::from(index.projection.as_str()));
        for attribute in &index.non_key_attributes {
            projection = projection.non_key_attributes(attribute);
        }
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(projection.build())
                .build()?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            // Kept from an earlier `cargo xtask dev` (its data lives in .local/data).
            logs.runner(&format!(
                "table {} already exists; kept with its data (delete .local/data to start afresh)",
                table.name
            ));
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    }
    if let Some(attribute) = &table.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(&table.name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await?;
    }
    Ok(())
}

/// A create call's result, where the thing existing already (a stand-in kept from an earlier
/// run) is as good as creating it.
fn unless_there<T, E, R>(
    created: Result<T, SdkError<E, R>>,
    exists: impl Fn(&E) -> bool,
    what: impl FnOnce() -> String,
) -> Result<()>
where
    SdkError<E, R>: std::error::Error + Send + Sync + 'static,
{
    match created {
        Ok(_) => Ok(()),
        Err(err) if err.as_service_error().is_some_and(exists) => Ok(()),
        Err(err) => Err(err).with_context(|| format!("cannot create {}", what())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_follows_its_template() {
        let value = secret_value(&SecretValue::Generated {
            template: Some(r#"{"kid": "k1"}"#.into()),
            key: Some("key".into()),
            length: 64,
            exclude_punctuation: true,
        })
        .unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&value).unwrap_or_default();
        assert_eq!(json["kid"], "k1");
        let key = json["key"].as_str().unwrap_or_default();
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()), "{key}");
    }

    #[test]
    fn tls_only_statements_stay_out_of_the_local_policies() {
        let tls_only = serde_json::json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        let public = serde_json::json!({"Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/products/*"});
        let both = serde_json::json!({"Version": "2012-10-17", "Statement": [public, tls_only]});
        assert_eq!(
            super::local_policy(&both),
            Some(serde_json::json!({"Version": "2012-10-17", "Statement": [public]}))
        );
        let only = serde_json::json!({"Version": "2012-10-17", "Statement": [tls_only]});
        assert_eq!(super::local_policy(&only), None);
    }
}
