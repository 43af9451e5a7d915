//! The shop's metrics, in CloudWatch's embedded metric format (EMF): at the end of each
//! invocation a function writes what it counted as JSON lines on stdout, which CloudWatch Logs
//! turns into metrics of the `METRICS_NAMESPACE` namespace (`Storefront/<stage>`). No call to
//! CloudWatch's API, no permission to grant, nothing when nothing happened. Without
//! `METRICS_NAMESPACE` (unit tests, the project's tools) nothing is recorded.
//!
//! | Metric            | Unit                | Counted when |
//! |-------------------|---------------------|--------------|
//! | `OrdersPlaced`    | Count               | a checkout wrote its order |
//! | `RevenueCents`    | none (minor units)  | an order's payment arrived and the order became paid |
//! | `PaymentFailures` | Count               | the payment provider reported a failed attempt |
//! | `ColdStarts`      | Count, by `Function`| a function's process started |
//! | `ServerErrors`    | Count               | a function answered 5xx, or panicked (the canary's alarm) |
//! | `RefundsFailed`   | Count               | a refund failed: money is still owed to a customer (an alarm) |
//! | `PaymentMismatches` | Count             | a payment arrived that is not its order's total (an alarm; it is refunded) |
//!
//! Each line also carries, as properties (not metrics: they cost nothing), the API request's id
//! (`request_id`, as in the log lines) and the order it counted (`order_id`), so that a figure
//! can be traced to what made it (CloudWatch Logs Insights reads them).

use std::future::Future;
use std::sync::OnceLock;

use metrics::Unit;
use metrics_cloudwatch_embedded::Collector;

const ORDERS_PLACED: &str = "OrdersPlaced";
const REVENUE_CENTS: &str = "RevenueCents";
const PAYMENT_FAILURES: &str = "PaymentFailures";
const COLD_STARTS: &str = "ColdStarts";
const SERVER_ERRORS: &str = "ServerErrors";
const REFUNDS_FAILED: &str = "RefundsFailed";
const PAYMENT_MISMATCHES: &str = "PaymentMismatches";
const REQUEST_ID: &str = "request_id";
const ORDER_ID: &str = "order_id";

static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();

/// Starts recording, if `METRICS_NAMESPACE` names a namespace, and counts this cold start.
/// Called once by [`crate::start`].
pub fn init() {
    let namespace = std::env::var("METRICS_NAMESPACE").unwrap_or_default();
    if namespace.is_empty() || COLLECTOR.get().is_some() {
        return;
    }
    let collector = match metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(namespace)
        .init()
    {
        Ok(collector) => collector,
        Err(err) => {
            tracing::warn!(error = %err, "metrics are not recorded");
            return;
        }
    };
    let _ = COLLECTOR.set(collector);
    metrics::describe_counter!(ORDERS_PLACED, Unit::Count, "orders written by a checkout");
    metrics::describe_counter!(PAYMENT_FAILURES, Unit::Count, "failed payment attempts");
    metrics::describe_counter!(COLD_STARTS, Unit::Count, "function processes started");
    metrics::describe_counter!(SERVER_ERRORS, Unit::Count, "5xx answers and panics");
    metrics::describe_counter!(REFUNDS_FAILED, Unit::Count, "refunds that failed");
    metrics::describe_counter!(
        PAYMENT_MISMATCHES,
        Unit::Count,
        "payments not of the order's total"
    );
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    metrics::counter!(COLD_STARTS, "Function" => function).increment(1);

    // A panic is a failed invocation (a 500 at the gateway): counted, and written out before
    // the runtime reports it, as nothing runs after it.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |panic| {
        server_error();
        flush();
        report(panic);
    }));
}

/// A checkout wrote the order `order_id`.
pub fn order_placed(order_id: &str) {
    set_property(ORDER_ID, order_id);
    metrics::counter!(ORDERS_PLACED).increment(1);
}

/// The payment of `cents` for `order_id` arrived and the order is paid.
pub fn payment_received(order_id: &str, cents: i64) {
    set_property(ORDER_ID, order_id);
    metrics::counter!(REVENUE_CENTS).increment(u64::try_from(cents).unwrap_or(0));
}

/// The payment provider reported a failed payment attempt for `order_id`.
pub fn payment_failed(order_id: &str) {
    set_property(ORDER_ID, order_id);
    metrics::counter!(PAYMENT_FAILURES).increment(1);
}

/// A refund for `order_id` failed: the money is still owed.
pub fn refund_failed(order_id: &str) {
    set_property(ORDER_ID, order_id);
    metrics::counter!(REFUNDS_FAILED).increment(1);
}

/// A payment for `order_id` was not the order's total in its currency.
pub fn payment_mismatch(order_id: &str) {
    set_property(ORDER_ID, order_id);
    metrics::counter!(PAYMENT_MISMATCHES).increment(1);
}

/// The function answered 5xx.
pub fn server_error() {
    metrics::counter!(SERVER_ERRORS).increment(1);
}

/// The API request the next lines belong to.
pub fn set_request_id(request_id: &str) {
    set_property(REQUEST_ID, request_id);
}

fn set_property(name: &'static str, value: &str) {
    if let Some(collector) = COLLECTOR.get() {
        collector.set_property(name, value.to_owned());
    }
}

/// Writes what was counted since the last flush, a line per set of dimensions, and forgets it
/// and the invocation's properties.
pub fn flush() {
    if let Some(collector) = COLLECTOR.get() {
        if let Err(err) = collector.flush(std::io::stdout().lock()) {
            tracing::warn!(error = %err, "metrics not written");
        }
        collector.remove_property(REQUEST_ID);
        collector.remove_property(ORDER_ID);
    }
}

/// `work`, then [`flush`]: how a function that is not behind the API ends each invocation.
pub async fn flushed<T>(work: impl Future<Output = T>) -> T {
    let output = work.await;
    flush();
    output
}
