//! Property tests of the pricing function that the quote, the order, refunds and reports share:
//! for any lines and terms, the lines' discounts add up to the order's, the total is the
//! contract's formula in both tax modes, no amount is negative, and the order of the lines
//! does not change what the order costs; a line refunded in any steps gives back what was paid.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use shared::pricing::{
    Discount, Item, Shipping, Terms, paid_for_line, price, refund_share, tax_of,
};

fn items() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec(
        (0i64..=100_000_000, 1i64..=100, 0i64..=1_000_000).prop_map(|(unit, quantity, grams)| {
            Item {
                unit_price_cents: unit,
                quantity,
                weight_grams: grams,
            }
        }),
        1..=40,
    )
}

fn terms() -> impl Strategy<Value = Terms> {
    let discount = prop_oneof![
        Just(None),
        (1i64..=100).prop_map(|p| Some(Discount::Percent(p))),
        (0i64..=20_000_000_000).prop_map(|c| Some(Discount::Fixed(c))),
    ];
    let shipping = prop::option::of(
        (
            0i64..=100_000_000,
            0i64..=100_000_000,
            prop::option::of(0i64..=100_000_000),
        )
            .prop_map(|(price_cents, per_kg_cents, free_over_cents)| Shipping {
                price_cents,
                per_kg_cents,
                free_over_cents,
            }),
    );
    (discount, shipping, 0i64..=10_000, any::<bool>()).prop_map(
        |(discount, shipping, rate_bps, prices_include_tax)| Terms {
            discount,
            shipping,
            rate_bps,
            prices_include_tax,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The lines' shares of the discount add up to the order's discount, no share is more
    /// than its line, and the discount is never more than the subtotal.
    #[test]
    fn the_lines_discounts_add_up_to_the_orders(items in items(), terms in terms()) {
        let priced = price(&items, &terms);
        let shares: i64 = priced.lines.iter().map(|l| l.discount_cents).sum();
        prop_assert_eq!(shares, priced.discount_cents);
        prop_assert!(priced.discount_cents <= priced.subtotal_cents);
        for line in &priced.lines {
            prop_assert!(line.discount_cents <= line.line_total_cents);
        }
    }

    /// The total is the contract's formula: tax added, or held inside the prices.
    #[test]
    fn the_total_is_the_formula_in_both_tax_modes(items in items(), terms in terms()) {
        let priced = price(&items, &terms);
        let subtotal: i64 = items.iter().map(|i| i.unit_price_cents * i.quantity).sum();
        prop_assert_eq!(priced.subtotal_cents, subtotal);
        let line_tax: i64 = priced.lines.iter().map(|l| l.tax_cents).sum();
        prop_assert_eq!(priced.tax_cents, line_tax + priced.shipping_tax_cents);
        let before_tax = priced.subtotal_cents - priced.discount_cents + priced.shipping_cents;
        if terms.prices_include_tax {
            prop_assert_eq!(priced.total_cents, before_tax);
            prop_assert!(priced.tax_cents <= before_tax);
        } else {
            prop_assert_eq!(priced.total_cents, before_tax + priced.tax_cents);
        }
        for (line, item) in priced.lines.iter().zip(&items) {
            let taxed = line.line_total_cents - line.discount_cents;
            prop_assert_eq!(line.tax_cents, tax_of(taxed, terms.rate_bps, terms.prices_include_tax));
            prop_assert_eq!(line.line_total_cents, item.unit_price_cents * item.quantity);
        }
    }

    /// No amount of any order is negative.
    #[test]
    fn no_amount_is_negative(items in items(), terms in terms()) {
        let priced = price(&items, &terms);
        let amounts = [
            priced.subtotal_cents,
            priced.discount_cents,
            priced.shipping_cents,
            priced.tax_cents,
            priced.shipping_tax_cents,
            priced.total_cents,
        ];
        prop_assert!(amounts.iter().all(|&a| a >= 0), "{:?}", amounts);
        for line in &priced.lines {
            prop_assert!(line.discount_cents >= 0 && line.tax_cents >= 0);
        }
    }

    /// Rounding is stable: the same order priced again, or with its lines in another order,
    /// costs the same; and tax never falls as the amount grows.
    #[test]
    fn rounding_is_stable(
        items in items(),
        terms in terms(),
        rotate in any::<prop::sample::Index>(),
        amount in 0i64..=10_000_000_000,
        rate in 0i64..=10_000,
        included in any::<bool>(),
    ) {
        let priced = price(&items, &terms);
        prop_assert_eq!(&price(&items, &terms), &priced);
        let mut turned = items.clone();
        turned.rotate_left(rotate.index(items.len()));
        let again = price(&turned, &terms);
        prop_assert_eq!(again.subtotal_cents, priced.subtotal_cents);
        prop_assert_eq!(again.discount_cents, priced.discount_cents);
        prop_assert_eq!(again.shipping_cents, priced.shipping_cents);
        prop_assert_eq!(again.total_cents, priced.total_cents);
        prop_assert!(tax_of(amount + 1, rate, included) >= tax_of(amount, rate, included));
        prop_assert!(tax_of(amount, rate, included) <= amount);
    }

    /// Refunding a line's units in any steps gives back exactly what was paid for the line,
    /// each step its fair part (never more than its units' worth rounded up), and refunding
    /// every line of an order in full gives back the order's total less its shipping.
    #[test]
    fn a_lines_refunds_in_any_steps_add_up_to_what_was_paid(
        items in items(),
        terms in terms(),
        steps in prop::collection::vec(1i64..=5, 1..30),
    ) {
        let priced = price(&items, &terms);
        let mut refunded = 0;
        for (item, line) in items.iter().zip(&priced.lines) {
            let paid = paid_for_line(
                line.line_total_cents,
                line.discount_cents,
                line.tax_cents,
                terms.prices_include_tax,
            );
            let quantity = item.quantity;
            let (mut before, mut back) = (0, 0);
            for units in steps.iter().cycle() {
                if before >= quantity {
                    break;
                }
                let units = (*units).min(quantity - before);
                let share = refund_share(paid, quantity, before, units);
                prop_assert!(share >= 0);
                prop_assert!(share <= (paid * units + quantity - 1) / quantity + 1);
                back += share;
                before += units;
            }
            prop_assert_eq!(back, paid);
            prop_assert_eq!(refund_share(paid, quantity, quantity, 1), 0, "nothing left to give");
            refunded += back;
        }
        let shipping = priced.shipping_cents
            + if terms.prices_include_tax { 0 } else { priced.shipping_tax_cents };
        prop_assert_eq!(refunded + shipping, priced.total_cents);
    }
}
