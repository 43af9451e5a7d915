//! What an order costs, in integer cents: the one pricing function that the quote, the order,
//! refunds and reports all call, so that they can never disagree. Pure: no table, no clock.
//!
//! 1. `subtotal` = Σ unit price × quantity.
//! 2. `discount` (one code): a percent of the subtotal, or fixed cents capped at the subtotal;
//!    split over the lines in proportion to their totals, the remainder cents to the largest
//!    lines first (the earlier of two equal lines first), so that the lines' shares add up.
//! 3. `shipping`: the method's price plus its price per kg × the order's weight in kg rounded
//!    up, or 0 when `subtotal − discount` reaches the method's free-shipping threshold.
//! 4. `tax`: at the address's rate, on each line after its discount and on shipping, each
//!    rounded half away from zero. Prices that include tax hold it (`amount × rate / (1 +
//!    rate)`, and the total is `subtotal − discount + shipping`); otherwise it is added.

use serde::Serialize;

/// Basis points in one whole: a rate of 1900 bps is 19 %.
pub const BPS: i64 = 10_000;

/// One line to price: what a unit costs and weighs, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub weight_grams: i64,
}

/// A discount code's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// 1–100 percent of the subtotal.
    Percent(i64),
    /// Cents off, at most the subtotal.
    Fixed(i64),
}

/// What a shipping method charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shipping {
    pub price_cents: i64,
    pub per_kg_cents: i64,
    /// Free when the subtotal after its discount is at least this.
    pub free_over_cents: Option<i64>,
}

/// Everything about an order's price that is not its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terms {
    pub discount: Option<Discount>,
    /// `None`: the shop ships for free (no shipping zone is set up).
    pub shipping: Option<Shipping>,
    /// The tax rate of the address's region, in basis points (0 where no rate applies).
    pub rate_bps: i64,
    pub prices_include_tax: bool,
}

/// A line's part of the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LinePrice {
    pub line_total_cents: i64,
    pub discount_cents: i64,
    pub tax_cents: i64,
}

/// An order's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Priced {
    pub lines: Vec<LinePrice>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    /// The tax of the lines and of shipping: added to the total, or (prices including tax)
    /// the part of it that is tax.
    pub tax_cents: i64,
    pub shipping_tax_cents: i64,
    pub total_cents: i64,
}

/// Prices `items` under `terms`.
pub fn price(items: &[Item], terms: &Terms) -> Priced {
    let totals: Vec<i64> = items
        .iter()
        .map(|i| i.unit_price_cents.saturating_mul(i.quantity))
        .collect();
    let subtotal: i64 = totals.iter().sum();
    let discount = terms.discount.map_or(0, |d| discount_of(d, subtotal));
    let shares = split(discount, &totals);
    let weight: i64 = items
        .iter()
        .map(|i| i.weight_grams.saturating_mul(i.quantity))
        .sum();
    let shipping = terms
        .shipping
        .map_or(0, |s| shipping_of(&s, weight, subtotal - discount));
    let lines: Vec<LinePrice> = totals
        .iter()
        .zip(&shares)
        .map(|(&total, &share)| LinePrice {
            line_total_cents: total,
            discount_cents: share,
            tax_cents: tax_of(total - share, terms.rate_bps, terms.prices_include_tax),
        })
        .collect();
    let shipping_tax = tax_of(shipping, terms.rate_bps, terms.prices_include_tax);
    let tax = lines.iter().map(|l| l.tax_cents).sum::<i64>() + shipping_tax;
    let mut total = subtotal - discount + shipping;
    if !terms.prices_include_tax {
        total += tax;
    }
    Priced {
        lines,
        subtotal_cents: subtotal,
        discount_cents: discount,
        shipping_cents: shipping,
        tax_cents: tax,
        shipping_tax_cents: shipping_tax,
        total_cents: total,
    }
}

/// What a discount takes off `subtotal`: a percent of it (rounded half away from zero), or a
/// fixed amount, never more than the subtotal nor less than nothing.
pub fn discount_of(discount: Discount, subtotal: i64) -> i64 {
    let off = match discount {
        Discount::Percent(percent) => rounded(i128::from(subtotal) * i128::from(percent), 100),
        Discount::Fixed(cents) => cents,
    };
    off.clamp(0, subtotal.max(0))
}

/// `amount` split over lines in proportion to `totals`: each line's share rounded down, then
/// the cents left over one each to the largest lines first (the earlier of equal lines
/// first). The shares add up to `amount` when it is at most the sum of `totals`, and no share
/// is more than its line.
pub fn split(amount: i64, totals: &[i64]) -> Vec<i64> {
    let sum: i64 = totals.iter().sum();
    if amount <= 0 || sum <= 0 {
        return vec![0; totals.len()];
    }
    let amount = amount.min(sum);
    let mut shares: Vec<i64> = totals
        .iter()
        .map(|&t| floor_div(i128::from(amount) * i128::from(t), i128::from(sum)))
        .collect();
    let mut left = amount - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..totals.len()).collect();
    order.sort_by(|&a, &b| totals[b].cmp(&totals[a]).then(a.cmp(&b)));
    for index in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        if shares[index] < totals[index] {
            shares[index] += 1;
            left -= 1;
        }
    }
    shares
}

/// What shipping costs for an order of `weight_grams` whose subtotal after its discount is
/// `discounted`: its price plus its price per started kilogram, or nothing over its threshold.
pub fn shipping_of(method: &Shipping, weight_grams: i64, discounted: i64) -> i64 {
    if method
        .free_over_cents
        .is_some_and(|free| discounted >= free)
    {
        return 0;
    }
    let kilograms = (weight_grams.max(0) + 999) / 1000;
    method
        .price_cents
        .saturating_add(method.per_kg_cents.saturating_mul(kilograms))
}

/// The tax of `amount` at `rate_bps`: added to it (`amount × rate`), or inside it when prices
/// include tax (`amount × rate / (1 + rate)`), rounded half away from zero.
pub fn tax_of(amount: i64, rate_bps: i64, included: bool) -> i64 {
    let numerator = i128::from(amount) * i128::from(rate_bps);
    if included {
        rounded(numerator, i128::from(BPS + rate_bps))
    } else {
        rounded(numerator, i128::from(BPS))
    }
}

/// What a customer paid for a line: its total less its discount, with its tax when the tax
/// was added (prices that include tax already hold it).
pub fn paid_for_line(line_total: i64, discount: i64, tax: i64, prices_include_tax: bool) -> i64 {
    let discounted = line_total.saturating_sub(discount);
    if prices_include_tax {
        discounted
    } else {
        discounted.saturating_add(tax)
    }
}

/// The share of `paid` (a line's, for `quantity` units) that `units` more units give back
/// after `before` units were refunded already: `⌊paid × (before + units) / quantity⌋ −
/// ⌊paid × before / quantity⌋`, so that refunding a line's units in any steps gives back
/// exactly what was paid for it, and never more.
pub fn refund_share(paid: i64, quantity: i64, before: i64, units: i64) -> i64 {
    if quantity <= 0 {
        return 0;
    }
    let upto = |k: i64| floor_div(i128::from(paid) * i128::from(k), i128::from(quantity));
    upto(before.saturating_add(units).min(quantity)) - upto(before.clamp(0, quantity))
}

/// `numerator / denominator` (positive) rounded half away from zero.
fn rounded(numerator: i128, denominator: i128) -> i64 {
    let half = denominator / 2;
    let q = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        -((-numerator + half) / denominator)
    };
    // An even denominator's half rounds up above; an odd one has no exact half.
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

fn floor_div(numerator: i128, denominator: i128) -> i64 {
    i64::try_from(numerator.div_euclid(denominator)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(unit: i64, quantity: i64) -> Item {
        Item {
            unit_price_cents: unit,
            quantity,
            weight_grams: 250,
        }
    }

    #[test]
    fn tax_rounds_half_away_from_zero_added_or_included() {
        // 7.25 % of 1000 = 72.5 → 73; of 200 = 14.5 → 15; 19 % inside 1190 = 190.
        assert_eq!(tax_of(1000, 725, false), 73);
        assert_eq!(tax_of(200, 725, false), 15);
        assert_eq!(tax_of(1190, 1900, true), 190);
        // 19 % inside 999 = 159.50… → 160; inside 1 cent → 0.
        assert_eq!(tax_of(999, 1900, true), 160);
        assert_eq!(tax_of(1, 1900, true), 0);
        assert_eq!(tax_of(0, 1900, false), 0);
        assert_eq!(tax_of(-1000, 725, false), -73);
        assert_eq!(tax_of(1234, 0, false), 0);
        assert_eq!(tax_of(1234, BPS, false), 1234);
    }

    #[test]
    fn a_discount_is_split_in_proportion_with_the_cents_left_to_the_largest_lines() {
        // 100 over 3 equal lines: 33 each, the one cent left to the first.
        assert_eq!(split(100, &[500, 500, 500]), [34, 33, 33]);
        // 10 over 1000 and 3000: 2.5 and 7.5 → 2 and 7, the cent left to the larger.
        assert_eq!(split(10, &[1000, 3000]), [2, 8]);
        assert_eq!(split(0, &[1000]), [0]);
        assert_eq!(split(5000, &[1000, 2000]), [1000, 2000]);
        assert_eq!(split(7, &[]), Vec::<i64>::new());
    }

    #[test]
    fn percent_rounds_and_fixed_is_capped_at_the_subtotal() {
        assert_eq!(discount_of(Discount::Percent(10), 1995), 200);
        assert_eq!(discount_of(Discount::Percent(100), 1995), 1995);
        assert_eq!(discount_of(Discount::Fixed(500), 1995), 500);
        assert_eq!(discount_of(Discount::Fixed(5000), 1995), 1995);
    }

    #[test]
    fn shipping_charges_per_started_kilogram_and_nothing_over_the_threshold() {
        let method = Shipping {
            price_cents: 490,
            per_kg_cents: 100,
            free_over_cents: Some(5000),
        };
        assert_eq!(shipping_of(&method, 0, 1000), 490);
        assert_eq!(shipping_of(&method, 1, 1000), 590);
        assert_eq!(shipping_of(&method, 1000, 1000), 590);
        assert_eq!(shipping_of(&method, 1001, 1000), 690);
        assert_eq!(shipping_of(&method, 1001, 4999), 690);
        assert_eq!(shipping_of(&method, 1001, 5000), 0);
    }

    #[test]
    fn a_us_order_adds_tax_and_a_german_one_holds_it() {
        let items = [item(1999, 2), item(500, 1)];
        let method = Shipping {
            price_cents: 500,
            per_kg_cents: 0,
            free_over_cents: None,
        };
        let us = price(
            &items,
            &Terms {
                discount: Some(Discount::Percent(10)),
                shipping: Some(method),
                rate_bps: 725,
                prices_include_tax: false,
            },
        );
        // 4498 − 450 (split 400 + 50) + 500 shipping; tax 7.25 % of 3598, 450 and 500.
        assert_eq!((us.subtotal_cents, us.discount_cents), (4498, 450));
        assert_eq!(
            us.lines
                .iter()
                .map(|l| l.discount_cents)
                .collect::<Vec<_>>(),
            [400, 50]
        );
        assert_eq!(
            us.lines.iter().map(|l| l.tax_cents).collect::<Vec<_>>(),
            [261, 33]
        );
        assert_eq!((us.shipping_tax_cents, us.tax_cents), (36, 330));
        assert_eq!(us.total_cents, 4498 - 450 + 500 + 330);
        let de = price(
            &items,
            &Terms {
                discount: None,
                shipping: Some(method),
                rate_bps: 1900,
                prices_include_tax: true,
            },
        );
        // 19 % inside 3998 (638.33), 500 (79.83) and 500 (79.83).
        assert_eq!(de.tax_cents, 638 + 80 + 80);
        assert_eq!(de.total_cents, 4498 + 500);
    }
}
