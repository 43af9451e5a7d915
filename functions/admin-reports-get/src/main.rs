//! `GET /admin/reports/{date}`: links to a day's report files (admins only).

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::reports::Reports;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let reports = Reports::from_config(&sdk, &config, table.clone())?;
    let accounts = Accounts::new(table, &config);
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::get(&reports, &accounts, keys.verifier(), request)
    })
    .await
}
