//! The mail function: takes jobs off the mail queue (SQS), renders each email and sends it
//! through SES. A job that fails is reported back to the queue alone, which retries it and,
//! after the last try, keeps it in the dead-letter queue.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::events::Error> {
    let (_, state) = shared::start::<handler::State>().await?;
    shared::events::run(state, handler::handle).await
}
