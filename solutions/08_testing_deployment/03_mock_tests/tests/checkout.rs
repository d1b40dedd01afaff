//! Reference tests: one scenario per test, each mock told exactly which calls to expect (with
//! which arguments, how many times, in which order), so that an extra call, a missing one or
//! one out of order fails the test. A mock checks its `times` when it is dropped, at the end of
//! the test.

use mock_tests::{
    ChargeId, Checkout, CheckoutError, CustomerId, MailError, Mailer, Order, OrderId, OrderStore,
    PaymentError, PaymentGateway, Receipt, StoreError,
};
use mockall::predicate::eq;
use mockall::{Sequence, mock};

mock! {
    Payments {}
    impl PaymentGateway for Payments {
        fn charge(
            &self,
            customer: CustomerId,
            cents: u64,
            idempotency_key: &str,
        ) -> Result<ChargeId, PaymentError>;
        fn refund(&self, charge: ChargeId) -> Result<(), PaymentError>;
    }
}

mock! {
    Store {}
    impl OrderStore for Store {
        fn reserve(&self, order: &Order) -> Result<(), StoreError>;
        fn release(&self, order: &Order) -> Result<(), StoreError>;
        fn commit(&self, order: &Order, charge: ChargeId) -> Result<(), StoreError>;
    }
}

mock! {
    Mail {}
    impl Mailer for Mail {
        fn send_confirmation(&self, customer: CustomerId, order: OrderId) -> Result<(), MailError>;
    }
}

fn order() -> Order {
    Order {
        id: OrderId(42),
        customer: CustomerId(7),
        total_cents: 2_500,
    }
}

const CHARGE: ChargeId = ChargeId(900);

#[test]
fn a_paid_order_is_reserved_charged_committed_and_then_confirmed_in_that_order() {
    let mut seq = Sequence::new();
    let (mut payments, mut store, mut mail) =
        (MockPayments::new(), MockStore::new(), MockMail::new());
    store
        .expect_reserve()
        .with(eq(order()))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    payments
        .expect_charge()
        .withf(|customer, cents, key| {
            *customer == CustomerId(7) && *cents == 2_500 && key == "order-42"
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(CHARGE));
    store
        .expect_commit()
        .with(eq(order()), eq(CHARGE))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    mail.expect_send_confirmation()
        .with(eq(CustomerId(7)), eq(OrderId(42)))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    store.expect_release().never();
    payments.expect_refund().never();
    let checkout = Checkout::new(payments, store, mail);
    assert_eq!(
        checkout.place(&order()),
        Ok(Receipt {
            order: OrderId(42),
            charge: CHARGE,
            email_sent: true
        })
    );
}

#[test]
fn out_of_stock_charges_nothing_and_sends_nothing() {
    let (mut payments, mut store, mut mail) =
        (MockPayments::new(), MockStore::new(), MockMail::new());
    store
        .expect_reserve()
        .times(1)
        .returning(|_| Err(StoreError::OutOfStock));
    payments.expect_charge().never();
    store.expect_commit().never();
    mail.expect_send_confirmation().never();
    let checkout = Checkout::new(payments, store, mail);
    assert_eq!(checkout.place(&order()), Err(CheckoutError::OutOfStock));
}

#[test]
fn a_timeout_is_retried_once_under_the_same_key() {
    let mut seq = Sequence::new();
    let (mut payments, mut store, mut mail) =
        (MockPayments::new(), MockStore::new(), MockMail::new());
    store.expect_reserve().returning(|_| Ok(()));
    payments
        .expect_charge()
        .withf(|_, _, key| key == "order-42")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(PaymentError::Timeout));
    payments
        .expect_charge()
        .withf(|_, _, key| key == "order-42")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(CHARGE));
    store.expect_commit().times(1).returning(|_, _| Ok(()));
    mail.expect_send_confirmation().returning(|_, _| Ok(()));
    let checkout = Checkout::new(payments, store, mail);
    assert_eq!(checkout.place(&order()).map(|r| r.charge), Ok(CHARGE));
}

#[test]
fn a_declined_card_is_not_retried_and_the_stock_is_released() {
    let (mut payments, mut store, mut mail) =
        (MockPayments::new(), MockStore::new(), MockMail::new());
    store.expect_reserve().returning(|_| Ok(()));
    payments
        .expect_charge()
        .times(1)
        .returning(|_, _, _| Err(PaymentError::Declined));
    store
        .expect_release()
        .with(eq(order()))
        .times(1)
        .returning(|_| Ok(()));
    store.expect_commit().never();
    mail.expect_send_confirmation().never();
    let checkout = Checkout::new(payments, store, mail);
    assert_eq!(
        checkout.place(&order()),
        Err(CheckoutError::Payment(PaymentError::Declined))
    );
}

#[test]
fn an_order_that_cannot_be_saved_is_refunded_released_and_not_confirmed() {
    let (mut payments, mut store, mut mail) =
        (MockPayments::new(), MockStore::new(), MockMail::new());
    store.expect_reserve().returning(|_| Ok(()));
    payments
        .expect_charge()
        .times(1)
        .returning(|_, _, _| Ok(CHARGE));
    store
        .expect_commit()
        .times(1)
        .returning(|_, _| Err(StoreError::Unavailable));
    payments
        .expect_refund()
        .with(eq(CHARGE))
        .times(1)
        .returning(|_| Ok(()));
    store.expect_release().times(1).returning(|_| Ok(()));
    mail.expect_send_confirmation().never();
    let checkout = Checkout::new(payments, store, mail);
    assert_eq!(checkout.place(&order()), Err(CheckoutError::NotSaved));
}

#[test]
fn a_failed_email_does_not_undo_a_placed_order() {
    let (mut payments, mut store, mut mail) =
        (MockPayments::new(), MockStore::new(), MockMail::new());
    store.expect_reserve().returning(|_| Ok(()));
    payments
        .expect_charge()
        .times(1)
        .returning(|_, _, _| Ok(CHARGE));
    store.expect_commit().times(1).returning(|_, _| Ok(()));
    mail.expect_send_confirmation()
        .times(1)
        .returning(|_, _| Err(MailError));
    payments.expect_refund().never();
    store.expect_release().never();
    let checkout = Checkout::new(payments, store, mail);
    assert_eq!(
        checkout.place(&order()),
        Ok(Receipt {
            order: OrderId(42),
            charge: CHARGE,
            email_sent: false
        })
    );
}
