//! What each function of the template is given to do in the benchmark: a request it answers
//! with success, made anew for every invocation where the work consumes something (an order to
//! ship, a reset token to spend, a refresh token to rotate), against a shop seeded for it. The
//! state an invocation consumes is made before it is sent, so it is not in the function's
//! figures.

use anyhow::Result;
use serde_json::Value;

use crate::local::lambda::Outcome;
use crate::local::template::Template;

/// How much of the benchmark a function gets: a password hash, an image re-encoding or a report
/// of thousands of orders takes tens of milliseconds, and is measured fewer times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    Light,
    Heavy,
}

/// What a successful invocation answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// An HTTP response with a 2xx status.
    Success,
    /// An HTTP response with exactly this status (the fallback function's 404).
    Status(u16),
    /// A job's or trigger's own output, with no failed record in it.
    Job,
}

/// What is made for each invocation of a subject before it is sent: a fresh account, a token
/// to spend, an order in the state the function moves it from. One variant a kind of request,
/// so a subject without one does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepare {
    /// The sample as it is.
    Nothing,
    /// The sample with a customer's token.
    AsCustomer,
    /// The sample with an admin's token.
    AsAdmin,
    AdminOrdersDeliver,
    AdminOrdersShip,
    AdminReports,
    Contact,
    Image,
    Login,
    Logout,
    Mail,
    OrdersCancel,
    OrdersCreate,
    OrdersGet,
    PasswordReset,
    PasswordResetConfirm,
    PaymentsWebhook,
    ProductImages,
    ProductsCreate,
    ProductsDelete,
    ProductsGet,
    ProductsUpdate,
    InventoryMovements,
    VariantsCreate,
    VariantsStock,
    VariantsUpdate,
    CheckoutQuote,
    ShippingZonesDelete,
    TaxRatesDelete,
    DiscountsCreate,
    DiscountsUpdate,
    OrdersRefund,
    ReturnsCreate,
    ReturnsHandle,
    CustomersGet,
    OrdersTimeline,
    Refresh,
    Register,
    Reports,
    SetRole,
    UpdateMe,
}

pub struct Subject {
    /// The function's logical id in the template (or [`FLOOR`]).
    pub id: &'static str,
    /// What each invocation is given.
    pub prepare: Prepare,
    /// Its sample event, edited per invocation.
    pub sample: &'static str,
    pub load: Load,
    pub answer: Answer,
    /// What one invocation does, for the table.
    pub does: &'static str,
}

/// The null `lambda_http` function of the bench's fixture (`xtask/fixture/floor`).
pub const FLOOR: &str = "Floor";
pub const FLOOR_BINARY: &str = "floor";

const fn light(
    id: &'static str,
    prepare: Prepare,
    sample: &'static str,
    does: &'static str,
) -> Subject {
    Subject {
        id,
        prepare,
        sample,
        load: Load::Light,
        answer: Answer::Success,
        does,
    }
}

/// A subject measured fewer times (see [`Load`]).
const fn heavy(subject: Subject) -> Subject {
    Subject {
        load: Load::Heavy,
        ..subject
    }
}

/// Every function of the template, the floor first; the report is made before it is fetched.
pub const SUBJECTS: &[Subject] = &[
    light(
        FLOOR,
        Prepare::Nothing,
        "events/health/get.json",
        "a constant 200 (the floor)",
    ),
    light(
        "HealthFunction",
        Prepare::Nothing,
        "events/health/get.json",
        "a constant 200, logged",
    ),
    Subject {
        answer: Answer::Status(404),
        ..light(
            "NotFoundFunction",
            Prepare::Nothing,
            "events/not-found/unknown-route.json",
            "the 404 of an unknown route",
        )
    },
    heavy(light(
        "RegisterFunction",
        Prepare::Register,
        "events/auth-register/register.json",
        "an account (password hash)",
    )),
    heavy(light(
        "LoginFunction",
        Prepare::Login,
        "events/auth-login/login.json",
        "a login (password check, refresh token)",
    )),
    light(
        "RefreshFunction",
        Prepare::Refresh,
        "events/auth-refresh/refresh.json",
        "a refresh token rotated",
    ),
    light(
        "LogoutFunction",
        Prepare::Logout,
        "events/auth-logout/logout.json",
        "a login revoked",
    ),
    light(
        "PasswordResetFunction",
        Prepare::PasswordReset,
        "events/auth-password-reset/request.json",
        "a reset counted and queued",
    ),
    Subject {
        answer: Answer::Job,
        ..light(
            "MailFunction",
            Prepare::Mail,
            "events/mail-send/password-reset.json",
            "a reset token made and mailed",
        )
    },
    heavy(light(
        "PasswordResetConfirmFunction",
        Prepare::PasswordResetConfirm,
        "events/auth-password-reset-confirm/confirm.json",
        "a reset spent (password hash)",
    )),
    light(
        "MeFunction",
        Prepare::AsCustomer,
        "events/me-get/me.json",
        "one account read",
    ),
    light(
        "UpdateMeFunction",
        Prepare::UpdateMe,
        "events/me-update/rename.json",
        "an account renamed",
    ),
    light(
        "SetRoleFunction",
        Prepare::SetRole,
        "events/admin-set-role/promote.json",
        "a role changed",
    ),
    light(
        "ProductsListFunction",
        Prepare::Nothing,
        "events/products-list/list.json",
        "a page of products",
    ),
    light(
        "ProductsGetFunction",
        Prepare::ProductsGet,
        "events/products-get/get.json",
        "one GetItem",
    ),
    light(
        "ProductsCreateFunction",
        Prepare::ProductsCreate,
        "events/products-create/create.json",
        "a product and its SKU claimed",
    ),
    light(
        "ProductsUpdateFunction",
        Prepare::ProductsUpdate,
        "events/products-update/update.json",
        "a product changed",
    ),
    light(
        "ProductsDeleteFunction",
        Prepare::ProductsDelete,
        "events/products-delete/delete.json",
        "a product deactivated",
    ),
    light(
        "VariantsCreateFunction",
        Prepare::VariantsCreate,
        "events/variants-create/create.json",
        "a variant, its SKU and its first stock",
    ),
    light(
        "VariantsUpdateFunction",
        Prepare::VariantsUpdate,
        "events/variants-update/update.json",
        "a variant's price changed",
    ),
    light(
        "VariantsStockFunction",
        Prepare::VariantsStock,
        "events/variants-stock/adjust.json",
        "a restock: the stock and its movement",
    ),
    light(
        "InventoryMovementsFunction",
        Prepare::InventoryMovements,
        "events/inventory-movements/list.json",
        "a page of a variant's ledger",
    ),
    light(
        "ProductImagesFunction",
        Prepare::ProductImages,
        "events/product-images/add-image.json",
        "an image slot and a presigned PUT",
    ),
    Subject {
        answer: Answer::Job,
        ..heavy(light(
            "ImageFunction",
            Prepare::Image,
            "events/image-process/object-created.json",
            "an 800×600 JPEG checked, re-encoded, thumbnailed",
        ))
    },
    light(
        "OrdersCreateFunction",
        Prepare::OrdersCreate,
        "events/orders-create/create.json",
        "a 5-line checkout",
    ),
    light(
        "OrdersListFunction",
        Prepare::AsCustomer,
        "events/orders-list/list.json",
        "a customer's orders",
    ),
    light(
        "OrdersGetFunction",
        Prepare::OrdersGet,
        "events/orders-get/get.json",
        "one order",
    ),
    light(
        "OrdersCancelFunction",
        Prepare::OrdersCancel,
        "events/orders-cancel/cancel.json",
        "a pending order cancelled, stock back",
    ),
    light(
        "AdminOrdersListFunction",
        Prepare::AsAdmin,
        "events/admin-orders-list/list.json",
        "a page of all orders",
    ),
    light(
        "AdminOrdersShipFunction",
        Prepare::AdminOrdersShip,
        "events/admin-orders-ship/ship.json",
        "a paid order shipped, mail queued",
    ),
    light(
        "AdminOrdersRefundFunction",
        Prepare::OrdersRefund,
        "events/admin-orders-refund/refund.json",
        "a paid order's line refunded and restocked",
    ),
    light(
        "ReturnsCreateFunction",
        Prepare::ReturnsCreate,
        "events/orders-returns-create/create.json",
        "a delivered order's unit asked back",
    ),
    light(
        "ReturnsListFunction",
        Prepare::AsAdmin,
        "events/admin-returns-list/list.json",
        "a page of returns",
    ),
    light(
        "ReturnsReceiveFunction",
        Prepare::ReturnsHandle,
        "events/admin-returns-receive/receive.json",
        "a return received, refunded and restocked",
    ),
    light(
        "ReturnsRejectFunction",
        Prepare::ReturnsHandle,
        "events/admin-returns-reject/reject.json",
        "a return rejected",
    ),
    light(
        "CustomersListFunction",
        Prepare::AsAdmin,
        "events/admin-customers-list/list.json",
        "a page of accounts by an email's first letters",
    ),
    light(
        "CustomersGetFunction",
        Prepare::CustomersGet,
        "events/admin-customers-get/get.json",
        "an account and its latest orders",
    ),
    light(
        "AuditListFunction",
        Prepare::AsAdmin,
        "events/admin-audit-list/list.json",
        "a page of the audit log",
    ),
    light(
        "AdminOrdersTimelineFunction",
        Prepare::OrdersTimeline,
        "events/admin-orders-timeline/timeline.json",
        "an order's timeline",
    ),
    light(
        "AdminOrdersDeliverFunction",
        Prepare::AdminOrdersDeliver,
        "events/admin-orders-deliver/deliver.json",
        "a shipped order delivered",
    ),
    light(
        "PaymentsWebhookFunction",
        Prepare::PaymentsWebhook,
        "events/payments-webhook/succeeded.json",
        "a signed payment event, order paid",
    ),
    Subject {
        answer: Answer::Job,
        ..light(
            "ExpireOrdersFunction",
            Prepare::Nothing,
            "events/orders-expire/scheduled.json",
            "the expiry job, nothing due",
        )
    },
    Subject {
        answer: Answer::Job,
        ..light(
            "RefundsRetryFunction",
            Prepare::Nothing,
            "events/refunds-retry/scheduled.json",
            "the refunds job, nothing due",
        )
    },
    Subject {
        answer: Answer::Job,
        ..heavy(light(
            "ReportsFunction",
            Prepare::Reports,
            "events/reports-daily/scheduled.json",
            "the daily report of 3000 orders",
        ))
    },
    light(
        "AdminReportsFunction",
        Prepare::AdminReports,
        "events/admin-reports-get/get.json",
        "a report's links",
    ),
    light(
        "AdminStatsFunction",
        Prepare::AsAdmin,
        "events/admin-stats/get.json",
        "the dashboard's figures",
    ),
    light(
        "ContactFunction",
        Prepare::Contact,
        "events/contact-create/send.json",
        "a message stored, limit counted",
    ),
    light(
        "AdminMessagesFunction",
        Prepare::AsAdmin,
        "events/admin-messages-list/list.json",
        "a page of messages",
    ),
    // Last: the zone, the rate and the setting they make price the orders measured after them
    // in the callgrind round (the sample zone ships to Germany, where the orders go).
    light(
        "CheckoutQuoteFunction",
        Prepare::CheckoutQuote,
        "events/checkout-quote/quote.json",
        "a quote of three lines",
    ),
    light(
        "AdminShippingZonesPutFunction",
        Prepare::AsAdmin,
        "events/admin-shipping-zones-put/put.json",
        "a zone replaced, its regions claimed",
    ),
    light(
        "AdminShippingZonesListFunction",
        Prepare::AsAdmin,
        "events/admin-shipping-zones-list/list.json",
        "the shipping zones",
    ),
    light(
        "AdminShippingZonesDeleteFunction",
        Prepare::ShippingZonesDelete,
        "events/admin-shipping-zones-delete/delete.json",
        "a zone deleted, its region freed",
    ),
    light(
        "AdminTaxRatesPutFunction",
        Prepare::AsAdmin,
        "events/admin-tax-rates-put/put.json",
        "a tax rate set",
    ),
    light(
        "AdminTaxRatesListFunction",
        Prepare::AsAdmin,
        "events/admin-tax-rates-list/list.json",
        "the tax rates",
    ),
    light(
        "AdminTaxRatesDeleteFunction",
        Prepare::TaxRatesDelete,
        "events/admin-tax-rates-delete/delete.json",
        "a tax rate removed",
    ),
    light(
        "AdminSettingsPutFunction",
        Prepare::AsAdmin,
        "events/admin-settings-put/put.json",
        "the settings stored",
    ),
    light(
        "AdminDiscountsCreateFunction",
        Prepare::DiscountsCreate,
        "events/admin-discounts-create/create.json",
        "a discount code made",
    ),
    light(
        "AdminDiscountsListFunction",
        Prepare::AsAdmin,
        "events/admin-discounts-list/list.json",
        "a page of discount codes",
    ),
    light(
        "AdminDiscountsUpdateFunction",
        Prepare::DiscountsUpdate,
        "events/admin-discounts-update/update.json",
        "a discount code edited",
    ),
];

/// The report is measured over a day of this many orders (three lines each).
pub const REPORT_ORDERS: usize = 3000;
/// The day they are made on, and the run that reports it.
pub(super) const REPORT_DAY_START_MS: u64 = 1_768_435_200_000; // 2026-01-15T00:00:00Z
pub(super) const REPORT_DAY: &str = "2026-01-15";
pub(super) const REPORT_RUN: &str = r#"{"time": "2026-01-16T02:00:00Z"}"#;
pub const CHECKOUT_LINES: usize = 5;
pub(super) const PASSWORD: &str = "correct horse battery staple";

/// Whether the table has a subject for every function of `template`, and no other: `cargo xtask
/// test` checks this, so a function added or renamed without its subject fails there, not in
/// the next benchmark run.
pub fn cover(template: &Template) -> Result<(), String> {
    let functions: Vec<&str> = template
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    let unmeasured: Vec<&str> = functions
        .iter()
        .copied()
        .filter(|id| !SUBJECTS.iter().any(|s| s.id == *id))
        .collect();
    let unknown: Vec<&str> = SUBJECTS
        .iter()
        .map(|s| s.id)
        .filter(|id| *id != FLOOR && !functions.contains(id))
        .collect();
    match (unmeasured.is_empty(), unknown.is_empty()) {
        (true, true) => Ok(()),
        _ => Err(format!(
            "bench/subjects.rs and the template differ: no subject for [{}]; no function for [{}]",
            unmeasured.join(", "),
            unknown.join(", ")
        )),
    }
}

/// Whether `outcome` is what `answer` expects; the reason if not.
pub fn check(answer: Answer, outcome: &Outcome) -> Result<(), String> {
    let Outcome::Response(body) = outcome else {
        return Err(crate::local::lambda::describe(outcome));
    };
    let reply: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let ok = match answer {
        Answer::Success => reply["statusCode"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)),
        Answer::Status(status) => reply["statusCode"].as_u64() == Some(u64::from(status)),
        Answer::Job => reply["batchItemFailures"]
            .as_array()
            .is_none_or(|failures| failures.is_empty()),
    };
    if ok {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(body).chars().take(400).collect())
    }
}
