//! Sending email through Amazon SES (v2), from the sender the deployment configures.
//!
//! A failed send never fails the operation that asked for it: the caller logs it and carries
//! on. The SDK already retries throttling and transient errors.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::error::cause_chain;

/// One email, in plain text and HTML.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: String) -> Self {
        Self { client, from }
    }

    /// Sends `email`; on failure logs why (never the recipient or the content) and returns false.
    pub async fn send(&self, email: Email, kind: &'static str) -> bool {
        let content = |text: &str| Content::builder().data(text).charset("UTF-8").build();
        let (Ok(subject), Ok(text), Ok(html)) = (
            content(&email.subject),
            content(&email.text),
            content(&email.html),
        ) else {
            tracing::error!(
                email.kind = kind,
                "email not sent: cannot build its content"
            );
            return false;
        };
        let message = Message::builder()
            .subject(subject)
            .body(Body::builder().text(text).html(html).build())
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match sent {
            Ok(_) => {
                tracing::info!(email.kind = kind, "email sent");
                true
            }
            Err(err) => {
                tracing::error!(email.kind = kind, error = %cause_chain(&err), "email not sent");
                false
            }
        }
    }
}
