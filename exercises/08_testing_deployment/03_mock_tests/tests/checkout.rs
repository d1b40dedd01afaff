//! Your tests of `mock_tests::Checkout`. The implementation in src/lib.rs is correct: every
//! test here must pass on it, and each known bug must make one fail. Mock its three
//! collaborators with mockall (README.md shows how) and check what it asks of them: which
//! calls, with what, how often, in which order — and which never.

#[allow(unused_imports)]
use mock_tests::{
    ChargeId, Checkout, CheckoutError, CustomerId, MailError, Mailer, Order, OrderId, OrderStore,
    PaymentError, PaymentGateway, Receipt, StoreError,
};

// Your tests go here.
