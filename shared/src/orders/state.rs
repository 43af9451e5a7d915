//! The order state machine, in one place: which moves exist, who may make them, and what each
//! does to stock and money. A pure function, so every pair of states is tested here; the
//! repository then makes each move a conditional write on the state it starts from, so of two
//! racing moves only one can win.
//!
//! ```text
//! pending_payment ──pay──▶ paid ──ship──▶ shipped ──deliver──▶ delivered
//!        │  └──expire──▶ expired          │
//!        └──cancel──▶ cancelled ◀──cancel (shop only, refund)
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
    Expired,
}

impl OrderStatus {
    pub const ALL: [Self; 6] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A status as a query names it (`?status=paid`); the error is the field's message.
impl std::str::FromStr for OrderStatus {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
            .ok_or("must be pending_payment, paid, shipped, delivered, cancelled or expired")
    }
}

/// Who asks for a cancellation: the customer may cancel only what is not paid yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Owner,
    Shop,
}

/// A move asked of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Stripe says the money arrived.
    Pay,
    Ship,
    Deliver,
    Cancel(Actor),
    /// The payment window closed (the expiry job).
    Expire,
}

/// A move that is allowed, and its effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: OrderStatus,
    pub to: OrderStatus,
    /// The order's units go back to stock.
    pub returns_stock: bool,
    /// Money was taken and must be given back.
    pub refunds: bool,
}

/// A move that is not allowed: `invalid_transition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub action: Action,
}

impl InvalidTransition {
    /// The sentence for the client.
    pub fn detail(&self) -> String {
        let verb = match self.action {
            Action::Pay => "paid",
            Action::Ship => "shipped",
            Action::Deliver => "delivered",
            Action::Cancel(Actor::Owner) if self.from == OrderStatus::Paid => {
                return "A paid order can be cancelled only by the shop.".to_owned();
            }
            Action::Cancel(_) => "cancelled",
            Action::Expire => "expired",
        };
        format!("An order that is {} cannot be {verb}.", self.from.as_str())
    }
}

/// The move `action` makes from `from`, or why it cannot be made.
pub fn next(from: OrderStatus, action: Action) -> Result<Transition, InvalidTransition> {
    use OrderStatus::*;
    let (to, returns_stock, refunds) = match (from, action) {
        (PendingPayment, Action::Pay) => (Paid, false, false),
        (PendingPayment, Action::Cancel(_)) => (Cancelled, true, false),
        (PendingPayment, Action::Expire) => (Expired, true, false),
        (Paid, Action::Cancel(Actor::Shop)) => (Cancelled, true, true),
        (Paid, Action::Ship) => (Shipped, false, false),
        (Shipped, Action::Deliver) => (Delivered, false, false),
        _ => return Err(InvalidTransition { from, action }),
    };
    Ok(Transition {
        from,
        to,
        returns_stock,
        refunds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const ACTIONS: [Action; 6] = [
        Action::Pay,
        Action::Ship,
        Action::Deliver,
        Action::Cancel(Actor::Owner),
        Action::Cancel(Actor::Shop),
        Action::Expire,
    ];

    /// Every (state, action) pair: the moves the contract allows, and nothing else.
    #[test]
    fn every_state_and_action_pair_is_decided() {
        let allowed: &[(OrderStatus, Action, OrderStatus, bool, bool)] = &[
            (PendingPayment, Action::Pay, Paid, false, false),
            (
                PendingPayment,
                Action::Cancel(Actor::Owner),
                Cancelled,
                true,
                false,
            ),
            (
                PendingPayment,
                Action::Cancel(Actor::Shop),
                Cancelled,
                true,
                false,
            ),
            (PendingPayment, Action::Expire, Expired, true, false),
            (Paid, Action::Cancel(Actor::Shop), Cancelled, true, true),
            (Paid, Action::Ship, Shipped, false, false),
            (Shipped, Action::Deliver, Delivered, false, false),
        ];
        let mut checked = 0;
        for from in OrderStatus::ALL {
            for action in ACTIONS {
                let expected = allowed
                    .iter()
                    .find(|(f, a, ..)| *f == from && *a == action)
                    .map(|&(from, _, to, returns_stock, refunds)| Transition {
                        from,
                        to,
                        returns_stock,
                        refunds,
                    });
                match expected {
                    Some(transition) => assert_eq!(next(from, action), Ok(transition)),
                    None => assert_eq!(next(from, action), Err(InvalidTransition { from, action })),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 36);
    }

    #[test]
    fn stock_comes_back_only_from_states_that_hold_it() {
        for from in OrderStatus::ALL {
            for action in ACTIONS {
                if let Ok(t) = next(from, action) {
                    assert_eq!(
                        t.returns_stock,
                        matches!(t.to, Cancelled | Expired),
                        "{from:?} {action:?}"
                    );
                    assert!(matches!(from, PendingPayment | Paid) || !t.returns_stock);
                }
            }
        }
    }

    #[test]
    fn a_refused_move_says_why() {
        let err = next(Paid, Action::Cancel(Actor::Owner)).err();
        assert_eq!(
            err.map(|e| e.detail()).as_deref(),
            Some("A paid order can be cancelled only by the shop.")
        );
        let err = next(Delivered, Action::Ship).err();
        assert_eq!(
            err.map(|e| e.detail()).as_deref(),
            Some("An order that is delivered cannot be shipped.")
        );
    }

    #[test]
    fn statuses_are_written_as_the_contract_spells_them() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(json, status.as_str());
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
    }
}
