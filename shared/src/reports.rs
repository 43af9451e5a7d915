//! The daily sales report: one UTC day's orders, read page by page through the orders' index
//! of ids (ULIDs, so a day is one key range), folded into per-product units and revenue and
//! totals by status, and written as `reports/YYYY-MM-DD.csv` and `.json` in the reports bucket.
//! The files hold nothing but the day's orders, in a fixed order: a rerun writes the same bytes.
//! Admins fetch them through presigned links that work for 15 minutes.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use time::{Date, OffsetDateTime, Time};

use crate::auth::Principal;
use crate::config::{Config, ConfigError};
use crate::db::Table;
use crate::error::ApiError;
use crate::orders::repo;
use crate::orders::state::OrderStatus;

/// How long a report's download links work.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// One variant's sales in a day (from orders that are paid, shipped or delivered).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProductSales {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    pub name: String,
    /// Its option values, `Size: M; Colour: Red` (empty for a product without options).
    pub options: String,
    pub units: i64,
    pub revenue_cents: i64,
}

/// Orders of one status in a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusTotal {
    pub orders: u64,
    pub total_cents: i64,
}

/// The report of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub date: String,
    pub currency: String,
    pub orders: u64,
    /// What the day's paid, shipped and delivered orders brought in.
    pub revenue_cents: i64,
    /// Those orders' money, as each was priced: Σ of the lines, the discounts taken off, the
    /// shipping charged and the tax (added, or held in the prices).
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub tax_cents: i64,
    pub products: Vec<ProductSales>,
    pub totals_by_status: BTreeMap<&'static str, StatusTotal>,
}

impl Report {
    /// The report as CSV: one row per variant sold, by variant id.
    pub fn csv(&self) -> String {
        let mut out = String::from("product_id,variant_id,sku,name,options,units,revenue_cents\n");
        for p in &self.products {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                csv_field(&p.product_id),
                csv_field(&p.variant_id),
                csv_field(&p.sku),
                csv_field(&p.name),
                csv_field(&p.options),
                p.units,
                p.revenue_cents
            ));
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). A leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so that a spreadsheet does not run it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The links of `GET /admin/reports/{date}`.
#[derive(Debug, Serialize)]
pub struct ReportLinks {
    pub date: String,
    pub csv_url: String,
    pub json_url: String,
}

/// The reports: the orders they are made from, and the bucket they are kept in.
#[derive(Debug, Clone)]
pub struct Reports {
    table: Table,
    s3: aws_sdk_s3::Client,
    bucket: String,
    currency: String,
}

/// The UTC day before `time`: the day a run at 02:00 reports on.
pub fn day_before(time: OffsetDateTime) -> Date {
    time.date().previous_day().unwrap_or(time.date())
}

/// A `YYYY-MM-DD` date, or `400` naming `date`.
pub fn parse_date(text: &str) -> Result<Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format)
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| ApiError::validation("date", "must be a day as YYYY-MM-DD"))
}

fn date_text(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

fn keys(day: Date) -> (String, String) {
    let base = format!("reports/{}", date_text(day));
    (format!("{base}.csv"), format!("{base}.json"))
}

impl Reports {
    /// The reports of `table`, kept in the bucket `REPORTS_BUCKET` names.
    pub fn from_config(
        sdk: &aws_config::SdkConfig,
        config: &Config,
        table: Table,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            table,
            s3: crate::aws::s3(sdk, config),
            bucket: config.required(&config.reports_bucket, "REPORTS_BUCKET")?,
            currency: config.currency.clone(),
        })
    }

    /// Reads the day's orders and folds them into its report.
    pub async fn compile(&self, day: Date) -> Result<Report, ApiError> {
        let start = OffsetDateTime::new_utc(day, Time::MIDNIGHT);
        let from_ms = u64::try_from(start.unix_timestamp()).unwrap_or(0) * 1000;
        let to_ms = from_ms + 86_400_000;
        let mut products: BTreeMap<String, ProductSales> = BTreeMap::new();
        let mut totals: BTreeMap<&'static str, StatusTotal> = OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), StatusTotal::default()))
            .collect();
        let (mut orders, mut revenue) = (0u64, 0i64);
        let mut money = [0i64; 4];
        repo::created_between(&self.table, from_ms, to_ms, |page| {
            for order in page {
                orders += 1;
                let total = totals.entry(order.status.as_str()).or_default();
                total.orders += 1;
                total.total_cents += order.total_cents;
                let sold = matches!(
                    order.status,
                    OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
                );
                if !sold {
                    continue;
                }
                revenue += order.total_cents;
                let priced = crate::orders::model::Totals::of(
                    &order.lines,
                    &order.charges(),
                    &order.currency,
                );
                for (sum, amount) in money.iter_mut().zip([
                    priced.subtotal_cents,
                    priced.discount_cents,
                    priced.shipping_cents,
                    priced.tax_cents,
                ]) {
                    *sum += amount;
                }
                for line in order.lines {
                    let sales = products.entry(line.variant().to_owned()).or_default();
                    if sales.product_id.is_empty() {
                        sales.variant_id = line.variant().to_owned();
                        sales.options = crate::orders::emails::options_text(&line.options);
                        sales.product_id = line.product_id;
                        sales.sku = line.sku;
                        sales.name = line.name;
                    }
                    sales.units += line.quantity;
                    sales.revenue_cents += line.line_total_cents;
                }
            }
        })
        .await?;
        Ok(Report {
            date: date_text(day),
            currency: self.currency.clone(),
            orders,
            revenue_cents: revenue,
            subtotal_cents: money[0],
            discount_cents: money[1],
            shipping_cents: money[2],
            tax_cents: money[3],
            products: products.into_values().collect(),
            totals_by_status: totals,
        })
    }

    /// Builds the day's report and writes its two files (again, if they exist).
    pub async fn write(&self, day: Date) -> Result<Report, ApiError> {
        let report = self.compile(day).await?;
        let (csv_key, json_key) = keys(day);
        let json = serde_json::to_vec_pretty(&report).map_err(ApiError::internal)?;
        for (key, body, content_type) in [
            (
                csv_key,
                report.csv().into_bytes(),
                "text/csv; charset=utf-8",
            ),
            (json_key, json, "application/json"),
        ] {
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(ApiError::unavailable)?;
        }
        Ok(report)
    }

    /// `GET /admin/reports/{date}`: links to the day's files, or `404` when there is no report.
    pub async fn links(&self, principal: &Principal, date: &str) -> Result<ReportLinks, ApiError> {
        principal.require_admin()?;
        let day = parse_date(date)?;
        let (csv_key, json_key) = keys(day);
        match self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(&csv_key)
            .send()
            .await
        {
            Ok(_) => {}
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Err(ApiError::NotFound);
            }
            Err(err) => return Err(ApiError::unavailable(err)),
        }
        let presign = |key: String| async move {
            let config = PresigningConfig::expires_in(LINK_LIFETIME).map_err(ApiError::internal)?;
            self.s3
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map(|request| request.uri().to_owned())
                .map_err(ApiError::internal)
        };
        Ok(ReportLinks {
            date: date_text(day),
            csv_url: presign(csv_key).await?,
            json_url: presign(json_key).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_of_a_run_is_the_day_before_it() {
        let run = OffsetDateTime::new_utc(
            Date::from_calendar_date(2026, time::Month::March, 1).unwrap(),
            Time::from_hms(2, 0, 0).unwrap(),
        );
        assert_eq!(date_text(day_before(run)), "2026-02-28");
    }

    #[test]
    fn dates_are_yyyy_mm_dd_only() {
        assert!(parse_date("2026-11-21").is_ok());
        for bad in [
            "2026-11-31",
            "2026-1-2",
            "21.11.2026",
            "",
            "2026-11-21T00:00:00Z",
            "../x",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Mug"), "Mug");
        assert_eq!(csv_field("Mug, blue"), "\"Mug, blue\"");
        assert_eq!(csv_field("the \"best\""), "\"the \"\"best\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
