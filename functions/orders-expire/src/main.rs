//! The expiry job (EventBridge Scheduler, every 5 minutes): unpaid orders past their
//! `expires_at` become `expired`, give their stock back, and have their PaymentIntents withdrawn.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::events::Error> {
    let (_, state) = shared::start::<handler::State>().await?;
    shared::events::run(state, handler::expire).await
}
