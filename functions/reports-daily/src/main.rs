//! The daily sales report (EventBridge Scheduler, 02:00 UTC): the previous UTC day's orders
//! into `reports/YYYY-MM-DD.csv` and `.json`.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::events::Error> {
    let (_, state) = shared::start::<handler::State>().await?;
    shared::events::run(state, handler::report).await
}
