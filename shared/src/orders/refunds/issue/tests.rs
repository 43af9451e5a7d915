//! Refund plans: what lines give back, what fits, what is refused.

use super::super::fixture::{self, refused as code};
use super::*;

const V1: &str = "01JAAAAAAAAAAAAAAAAAAAAA01";
const V2: &str = "01JAAAAAAAAAAAAAAAAAAAAA02";
const V9: &str = "01JAAAAAAAAAAAAAAAAAAAAA09";

fn id(s: &str) -> Id {
    Id::parse(s).expect("an id")
}

fn ask(amount: Option<i64>, lines: Option<&[(Id, i64)]>, restock: bool) -> Ask {
    Ask {
        amount,
        lines: lines.map(<[_]>::to_vec),
        restock,
        reason: "r".to_owned(),
        actor: Principal::with_role("a1", crate::auth::Role::Admin),
        fit: false,
    }
}

#[test]
fn lines_give_back_their_paid_share_and_amounts_never_pass_the_payment() {
    // Three shirts at 20.00 with 6.00 of discount and 10.26 of tax, and 4.90 shipping.
    let mut order = fixture::paid(&[(V1, 2000, 3, 600, 1026), (V2, 1500, 1, 0, 285)], 490);
    assert_eq!(order.total_cents, 6000 - 600 + 1026 + 1500 + 285 + 490);
    let two = plan(&order, &ask(None, Some(&[(id(V1), 2)]), true)).expect("planned");
    assert_eq!(two.amount_cents, (6000 - 600 + 1026) * 2 / 3);
    assert_eq!(two.lines, vec![(0, 2, 0)]);
    order.lines[0].refunded_quantity = 2;
    order.refunded_cents = two.amount_cents;
    let last = plan(&order, &ask(None, Some(&[(id(V1), 1)]), false)).expect("planned");
    assert_eq!(two.amount_cents + last.amount_cents, 6000 - 600 + 1026);
    assert_eq!(
        code(plan(&order, &ask(None, Some(&[(id(V1), 2)]), false)).unwrap_err()),
        "lines[0].quantity: at most 1 units of this line are left to refund"
    );
    let left = order.total_cents - order.refunded_cents;
    assert!(plan(&order, &ask(Some(left), None, false)).is_ok());
    assert_eq!(
        code(plan(&order, &ask(Some(left + 1), None, false)).unwrap_err()),
        "refund_exceeds_payment"
    );
}

#[test]
fn a_refund_that_is_not_one_thing_says_which_field_is_wrong() {
    let order = fixture::paid(&[(V1, 2000, 3, 0, 0)], 0);
    let v1 = || vec![(id(V1), 1)];
    for (amount, lines, restock, wanted) in [
        (
            Some(100),
            Some(v1()),
            false,
            "amount_cents: give amount_cents or lines, not both",
        ),
        (None, None, false, "amount_cents: is required without lines"),
        (
            Some(100),
            None,
            true,
            "restock: puts lines back in stock: give lines",
        ),
        (
            None,
            Some(vec![]),
            false,
            "lines: must name at least one line",
        ),
        (
            None,
            Some(vec![(id(V9), 1)]),
            false,
            "lines[0].variant_id: is not a line of this order",
        ),
        (
            None,
            Some(vec![(id(V1), 1), (id(V1), 1)]),
            false,
            "lines[1].variant_id: names a line a second time",
        ),
    ] {
        let err = plan(&order, &ask(amount, lines.as_deref(), restock)).unwrap_err();
        assert_eq!(code(err), wanted);
    }
    let mut unpaid = order.clone();
    unpaid.status = OrderStatus::PendingPayment;
    assert_eq!(
        code(plan(&unpaid, &ask(Some(1), None, false)).unwrap_err()),
        "invalid_transition"
    );
    let free = fixture::paid(&[(V1, 0, 1, 0, 0), (V2, 100, 1, 0, 0)], 0);
    assert_eq!(
        code(plan(&free, &ask(None, Some(&[(id(V1), 1)]), false)).unwrap_err()),
        "lines: nothing was paid for these units"
    );
}

#[test]
fn a_fitted_refund_gives_back_what_is_left_and_restocks_every_unit_asked() {
    let mut order = fixture::paid(&[(V1, 2000, 3, 0, 0)], 0);
    order.lines[0].refunded_quantity = 1;
    order.refunded_cents = 2000;
    let mut fitted = ask(None, Some(&[(id(V1), 3)]), true);
    fitted.fit = true;
    let planned = plan(&order, &fitted).expect("planned");
    assert_eq!(
        planned.amount_cents, 4000,
        "two units were not refunded yet"
    );
    assert_eq!(planned.lines, vec![(0, 2, 1)]);
    assert_eq!(
        planned.restock,
        vec![(0, 3)],
        "all three come back to stock"
    );
    order.refunded_cents = 5500;
    let planned = plan(&order, &fitted).expect("planned");
    assert_eq!(
        planned.amount_cents, 500,
        "no more than the payment has left"
    );
    order.lines[0].refunded_quantity = 3;
    let planned = plan(&order, &fitted).expect("planned");
    assert_eq!((planned.amount_cents, planned.lines.len()), (0, 0));
}
