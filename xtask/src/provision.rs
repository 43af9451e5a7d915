//! Creates the template's tables and buckets in the stand-ins, as the template declares them:
//! keys, indexes and time-to-live for tables; names for buckets.

use anyhow::{Context as _, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use crate::logs::Logs;
use crate::template::{Table, Template};

pub async fn provision(
    template: &Template,
    dynamodb: &aws_sdk_dynamodb::Client,
    s3: &aws_sdk_s3::Client,
    logs: &Logs,
) -> Result<()> {
    for table in &template.tables {
        create_table(table, dynamodb, logs)
            .await
            .with_context(|| format!("cannot create the table {}", table.name))?;
    }
    for bucket in &template.buckets {
        let created = s3.create_bucket().bucket(&bucket.name).send().await;
        if let Err(err) = created {
            let owned = err
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you());
            if !owned {
                return Err(err)
                    .with_context(|| format!("cannot create the bucket {}", bucket.name));
            }
        }
    }
    Ok(())
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
