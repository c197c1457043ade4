//! What the contract cases cannot show: masking, both time forms, codes as numbers. The
//! decision table itself is tested over the contract cases (`tests/it/contracts.rs`, CT-04).

use super::*;

#[test]
fn a_card_number_never_passes_with_more_than_four_digits() {
    assert_eq!(mask("455853******6656"), "************6656");
    assert_eq!(mask("4242424242424242"), "************4242");
    assert_eq!(mask(""), "");
}

#[test]
fn tg_13_terminal_times_are_read_as_a_local_clock_in_both_forms() {
    let at = NaiveDateTime::parse_from_str("20251007154058", "%Y%m%d%H%M%S").unwrap();
    assert_eq!(local_time("20251007154058"), Some(Some(at)));
    assert_eq!(local_time("2025-10-07T15:40:58.000Z"), Some(Some(at)), "the Z is false: same local clock");
    assert_eq!(local_time(""), Some(None), "refusals before a card carry no time");
    assert_eq!(local_time("yesterday"), None);
}

#[test]
fn codes_are_strings_in_production_and_integers_are_read_too() {
    let v = serde_json::json!({"a": "2", "b": 2, "c": "", "d": 2.5});
    let j = Json::new("unit", "codes", &v);
    assert_eq!(code(&j, "a").unwrap(), "2");
    assert_eq!(code(&j, "b").unwrap(), "2");
    assert!(code(&j, "c").is_err() && code(&j, "d").is_err() && code(&j, "e").is_err());
}
