//! The refunds job (EventBridge Scheduler, every 5 minutes): every refund Stripe has not taken
//! yet (it was down, or answered 5xx) and whose next attempt is due is asked of Stripe again,
//! until Stripe takes it or refuses it.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::events::Error> {
    let (_, state) = shared::start::<handler::State>().await?;
    shared::events::run(state, handler::retry).await
}
