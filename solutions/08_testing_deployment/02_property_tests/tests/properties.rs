//! Reference tests: two properties over generated keys (the round trip, and that the bytes
//! sort as the keys do), with generators that reach the hard cases on purpose — every byte
//! length of an integer, strings with NUL and non-ASCII characters, mixed parts — and a few
//! examples that pin the exact format.

use property_tests::{DecodeError, Part, decode, encode};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// A fixed seed: a failure is the same failure on every run and machine, and no
/// `proptest-regressions` file is needed to replay it.
fn config() -> Config {
    Config {
        cases: 1_000,
        rng_seed: RngSeed::Fixed(0x5EED),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Integers of every byte length (a uniform u64 almost always has 8), and the edges.
fn int() -> impl Strategy<Value = u64> {
    prop_oneof![
        (0u32..=64).prop_flat_map(|bits| {
            let max = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits).saturating_sub(1)
            };
            let min = if bits == 0 { 0 } else { 1u64 << (bits - 1) };
            min..=max
        }),
        Just(0),
        Just(u64::MAX),
    ]
}

/// Short strings from a small alphabet, so that prefixes and shared starts are common, with
/// NUL (the escaped byte), 0x01 and 0xFF-adjacent characters (the escape's neighbours) and a
/// multi-byte one.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!['a', 'b', '\0', '\u{1}', 'ÿ', '€']),
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![int().prop_map(Part::Int), text().prop_map(Part::Str)]
}

fn key() -> impl Strategy<Value = Vec<Part>> {
    prop::collection::vec(part(), 0..4)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_key_decodes_back_to_itself(k in key()) {
        prop_assert_eq!(decode(&encode(&k)), Ok(k));
    }

    #[test]
    fn the_bytes_sort_as_the_keys_do(a in key(), b in key()) {
        prop_assert_eq!(encode(&a).cmp(&encode(&b)), a.cmp(&b), "{:?} vs {:?}", a, b);
    }

    /// Two keys that share their first parts are where ordering bugs show: generate them.
    #[test]
    fn keys_with_a_common_start_sort_as_their_ends_do(
        start in key(), a in key(), b in key()
    ) {
        let (mut x, mut y) = (start.clone(), start);
        x.extend(a);
        y.extend(b);
        prop_assert_eq!(encode(&x).cmp(&encode(&y)), x.cmp(&y));
    }
}

#[test]
fn the_format_is_the_documented_one() {
    assert_eq!(encode(&[Part::Int(0)]), [0x01, 0]);
    assert_eq!(encode(&[Part::Int(0x1234)]), [0x01, 2, 0x12, 0x34]);
    assert_eq!(
        encode(&[Part::Str("a\0".into())]),
        [0x02, b'a', 0, 0xFF, 0, 0x01]
    );
}

#[test]
fn bytes_that_are_no_key_are_refused() {
    assert_eq!(decode(&[0x07]), Err(DecodeError::UnknownTag(0, 0x07)));
    assert_eq!(decode(&[0x01, 9]), Err(DecodeError::IntTooLong(1, 9)));
    assert_eq!(decode(&[0x01, 2, 0x12]), Err(DecodeError::Truncated));
    assert_eq!(decode(&[0x02, b'a']), Err(DecodeError::Truncated));
}
