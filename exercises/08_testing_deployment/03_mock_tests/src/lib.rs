//! Checkout: reserve the stock, charge the card, save the order, send the confirmation — each
//! step a call to a collaborator behind a trait. This implementation is correct: your job is
//! the tests (in `tests/checkout.rs`) that prove it talks to its collaborators as it must, with
//! mocks standing in for them.
//!
//! The contract of [`Checkout::place`]:
//!
//! 1. Reserve the order's stock. Out of stock: the error, and nothing is charged.
//! 2. Charge the order's total to its customer under the **idempotency key** `order-<id>`. A
//!    `Timeout` is retried once, under the **same** key (the gateway charges a key only once,
//!    so a retry can never charge twice). A `Declined` card is not retried. A failed charge
//!    releases the reservation.
//! 3. Commit the order with its charge. If that fails, refund the charge, release the
//!    reservation, and return `NotSaved`.
//! 4. Only then send the confirmation email. A failed email does not undo the order (it is
//!    placed and paid): the receipt says `email_sent: false`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderId(pub u64);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerId(pub u64);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub customer: CustomerId,
    pub total_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the card was declined")]
    Declined,
    #[error("the payment gateway did not answer in time")]
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("out of stock")]
    OutOfStock,
    #[error("the database is unavailable")]
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the mail server refused the message")]
pub struct MailError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    #[error("out of stock")]
    OutOfStock,
    #[error("payment failed: {0}")]
    Payment(PaymentError),
    #[error("the order could not be saved; the charge was refunded")]
    NotSaved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub order: OrderId,
    pub charge: ChargeId,
    pub email_sent: bool,
}

pub trait PaymentGateway {
    fn charge(
        &self,
        customer: CustomerId,
        cents: u64,
        idempotency_key: &str,
    ) -> Result<ChargeId, PaymentError>;
    fn refund(&self, charge: ChargeId) -> Result<(), PaymentError>;
}

pub trait OrderStore {
    fn reserve(&self, order: &Order) -> Result<(), StoreError>;
    fn release(&self, order: &Order) -> Result<(), StoreError>;
    fn commit(&self, order: &Order, charge: ChargeId) -> Result<(), StoreError>;
}

pub trait Mailer {
    fn send_confirmation(&self, customer: CustomerId, order: OrderId) -> Result<(), MailError>;
}

pub struct Checkout<P, S, M> {
    payments: P,
    store: S,
    mailer: M,
}

impl<P: PaymentGateway, S: OrderStore, M: Mailer> Checkout<P, S, M> {
    pub fn new(payments: P, store: S, mailer: M) -> Self {
        Checkout {
            payments,
            store,
            mailer,
        }
    }

    pub fn place(&self, order: &Order) -> Result<Receipt, CheckoutError> {
        self.store
            .reserve(order)
            .map_err(|_| CheckoutError::OutOfStock)?;
        let charge = match self.charge(order) {
            Ok(charge) => charge,
            Err(e) => {
                // The order is not going ahead: its stock goes back on sale.
                let _ = self.store.release(order);
                return Err(CheckoutError::Payment(e));
            }
        };
        if self.store.commit(order, charge).is_err() {
            let _ = self.payments.refund(charge);
            let _ = self.store.release(order);
            return Err(CheckoutError::NotSaved);
        }
        let email_sent = self
            .mailer
            .send_confirmation(order.customer, order.id)
            .is_ok();
        Ok(Receipt {
            order: order.id,
            charge,
            email_sent,
        })
    }

    fn charge(&self, order: &Order) -> Result<ChargeId, PaymentError> {
        let key = format!("order-{}", order.id.0);
        match self
            .payments
            .charge(order.customer, order.total_cents, &key)
        {
            Err(PaymentError::Timeout) => {
                self.payments
                    .charge(order.customer, order.total_cents, &key)
            }
            other => other,
        }
    }
}
