//! The local stack's Stripe: functions whose template reads `StripeApiBase` are pointed at
//! localstripe, and a function routed at `POST /payments/stripe/webhook` is registered with it
//! as the webhook endpoint, signed with the secret its `STRIPE_WEBHOOK_SECRET_ARN` names, so
//! that paying at localstripe sends a real signed event back through the local API.

use anyhow::{Context as _, Result, anyhow};
use shared::testing::localstripe;

use crate::local::stack::Stack;
use crate::local::standins::StandIns;
use crate::local::template::Event;
use crate::logs::emit;

const WEBHOOK_PATH: &str = "/payments/stripe/webhook";

/// Registers the stack's webhook function with localstripe, if it has one.
pub async fn connect(stack: &Stack, stand_ins: &StandIns) -> Result<()> {
    let webhook = stack.template.functions.iter().find(|f| {
        f.events
            .iter()
            .any(|e| matches!(e, Event::Http { path: Some(path), .. } if path == WEBHOOK_PATH))
    });
    let Some(function) = webhook else {
        return Ok(());
    };
    let secret_name = function
        .environment
        .get("STRIPE_WEBHOOK_SECRET_ARN")
        .ok_or_else(|| anyhow!("{} has no STRIPE_WEBHOOK_SECRET_ARN", function.logical_id))?;
    let secrets = crate::local::standins::secrets_client(&stand_ins.moto_url).await;
    let text = secrets
        .get_secret_value()
        .secret_id(secret_name)
        .send()
        .await
        .context("cannot read the webhook secret from the local Secrets Manager")?
        .secret_string
        .unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let current = value["current"]
        .as_str()
        .ok_or_else(|| anyhow!("the webhook secret has no `current`"))?;
    let url = format!("http://{}{WEBHOOK_PATH}", stack.api);
    localstripe::register_webhook(&stand_ins.stripe_url, secret_name, &url, current)
        .await
        .map_err(|e| anyhow!("cannot register the webhook with localstripe: {e}"))?;
    emit(&format!("· localstripe sends its webhooks to {url}"));
    Ok(())
}
