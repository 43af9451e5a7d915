//! Email, off the request path: a function that wants an email sent puts a [`MailJob`] on the
//! mail queue (SQS) and answers at once; the mail function takes jobs off the queue, renders
//! them and sends them through Amazon SES. A send that fails is retried by the queue, then kept
//! in its dead-letter queue; it never fails or undoes the operation that asked for it.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};
use crate::error::ApiError;

/// What the mail function is asked to do. Jobs carry what the email is about, not the email:
/// the mail function reads the rest (and, for a reset, makes the token) when it sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MailJob {
    /// Someone asked to reset the password of `email`: if it has an account, send it a link.
    PasswordReset { email: String },
    /// An order was paid: its customer gets the confirmation.
    OrderConfirmation { order_id: String },
    /// An order shipped: its customer gets the tracking number.
    ShippingNotice { order_id: String },
    /// `email`'s account is being guessed at: if it has an account, its owner is told.
    LoginWarning { email: String },
    /// A return was asked for, received or rejected (`status`): its customer is told.
    ReturnUpdate { return_id: String, status: String },
}

impl MailJob {
    /// The kind, for log lines (never the address).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::OrderConfirmation { .. } => "order_confirmation",
            Self::ShippingNotice { .. } => "shipping_notice",
            Self::LoginWarning { .. } => "login_warning",
            Self::ReturnUpdate { .. } => "return_update",
        }
    }
}

/// The queue of mail jobs.
#[derive(Debug, Clone)]
pub struct MailQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl MailQueue {
    /// The queue `MAIL_QUEUE_URL` names.
    pub fn from_config(sdk: &aws_config::SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url: config.required(&config.mail_queue_url, "MAIL_QUEUE_URL")?,
        })
    }

    /// The queue at `url`, through `client` (the project's tools, which are not functions).
    pub fn new(client: aws_sdk_sqs::Client, url: String) -> Self {
        Self { client, url }
    }

    pub async fn send(&self, job: &MailJob) -> Result<(), ApiError> {
        let body = serde_json::to_string(job).map_err(ApiError::internal)?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await?;
        Ok(())
    }
}

/// One email, in plain text and HTML.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends email through SES from the configured sender.
#[derive(Debug, Clone)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl Mailer {
    /// The sender `MAIL_FROM` names.
    pub fn from_config(sdk: &aws_config::SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_sesv2::Client::new(sdk),
            from: config.required(&config.mail_from, "MAIL_FROM")?,
        })
    }

    pub async fn send(&self, email: Email) -> Result<(), ApiError> {
        let content = |text: &str| {
            Content::builder()
                .data(text)
                .charset("UTF-8")
                .build()
                .map_err(ApiError::internal)
        };
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await?;
        Ok(())
    }
}

/// Text made safe to put in HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_json_with_its_kind() {
        let job = MailJob::PasswordReset {
            email: "a@b.co".into(),
        };
        let text = serde_json::to_string(&job).unwrap_or_default();
        assert_eq!(text, r#"{"kind":"password_reset","email":"a@b.co"}"#);
        assert_eq!(serde_json::from_str::<MailJob>(&text).ok(), Some(job));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<b>\"A&B\"</b>"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
        );
    }
}
