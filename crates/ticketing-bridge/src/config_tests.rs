//! Configuration tests (TK-08): every bad value names its variable; the key stays secret.

use secrecy::ExposeSecret;

use super::*;

fn base() -> Env {
    Env::from_pairs([
        ("DATABASE_URL", "postgres://localhost/x"),
        ("NATS_URL", "nats://localhost:4222"),
        ("CALLERS", "tests:0123456789abcdef0123:*:*"),
        ("FRESHDESK_DOMAIN", "acme.freshdesk.com"),
        ("FRESHDESK_API_KEY", "k3y-value"),
    ])
}

#[test]
fn tk_08_domain_and_key_are_configuration_and_the_key_is_a_secret() {
    let c = Config::from_env(&base()).unwrap();
    assert_eq!(c.freshdesk.base_url, "https://acme.freshdesk.com");
    assert_eq!(c.freshdesk.ticket_url, "https://acme.freshdesk.com/a/tickets/{id}");
    assert_eq!(c.freshdesk.api_key.expose_secret(), "k3y-value");
    let debug = format!("{c:?}");
    assert!(!debug.contains("k3y-value"), "the key never shows in Debug output");
    assert_eq!(c.common.grpc_addr.port(), 50054);
    assert_eq!(c.common.admin_addr.port(), 9054);

    let file = std::env::temp_dir().join(format!("tk08-key-{}", std::process::id()));
    std::fs::write(&file, "from-file\n").unwrap();
    let mut env = base();
    env.set("FRESHDESK_API_KEY", "");
    env.set("FRESHDESK_API_KEY_FILE", file.to_str().unwrap());
    assert_eq!(Config::from_env(&env).unwrap().freshdesk.api_key.expose_secret(), "from-file");
    std::fs::remove_file(file).ok();
}

#[test]
fn tk_08_bad_values_name_their_variable() {
    let cases: &[(&str, &str, &str)] = &[
        ("FRESHDESK_API_KEY", "", "FRESHDESK_API_KEY"),
        ("FRESHDESK_DOMAIN", "", "FRESHDESK_DOMAIN"),
        ("FRESHDESK_DOMAIN", "not a host", "FRESHDESK_DOMAIN"),
        ("FRESHDESK_URL", "http://127.0.0.1:7006", "FRESHDESK_URL"),
        ("FRESHDESK_RATE_PER_MINUTE", "0", "FRESHDESK_RATE_PER_MINUTE"),
        ("FRESHDESK_CREATE_PER_MINUTE", "999", "FRESHDESK_CREATE_PER_MINUTE"),
        ("FRESHDESK_BACKOFF_MAX", "1ms", "FRESHDESK_BACKOFF_MAX"),
        ("FRESHDESK_GROUPS", "hotline", "FRESHDESK_GROUPS"),
        ("FRESHDESK_GROUPS", "hotline:abc", "FRESHDESK_GROUPS"),
        ("FRESHDESK_REF_FIELD", "payops_ref", "FRESHDESK_REF_FIELD"),
        ("FRESHDESK_TICKET_URL", "https://x/a/tickets/", "FRESHDESK_TICKET_URL"),
        ("ATTENTION_TICKET_TYPE", "Nonsense", "ATTENTION_TICKET_TYPE"),
        ("ATTENTION_GROUP", "unknown", "ATTENTION_GROUP"),
        ("ATTENTION_REQUESTER_EMAIL", "nobody", "ATTENTION_REQUESTER_EMAIL"),
        ("FRESHDESK_CONCURRENCY", "9", "DB_MAX_CONNECTIONS"),
        ("CALLERS", "short:abc", "CALLERS"),
    ];
    for (var, value, named) in cases {
        let mut env = base();
        env.set(*var, *value);
        let err = Config::from_env(&env).unwrap_err();
        assert_eq!(err.var, *named, "{var}={value}: {err}");
        assert!(!err.to_string().contains("k3y-value"));
    }
}

#[test]
fn url_instead_of_domain_and_groups_parse() {
    let mut env = base();
    env.set("FRESHDESK_DOMAIN", "");
    env.set("FRESHDESK_URL", "http://127.0.0.1:7006/");
    env.set("FRESHDESK_GROUPS", "hotline:43000000001, payments:43000000002");
    env.set("FRESHDESK_ORDER_FIELD", "none");
    let c = Config::from_env(&env).unwrap();
    assert_eq!(c.freshdesk.base_url, "http://127.0.0.1:7006");
    assert_eq!(c.catalog.group_id("payments"), Some(43_000_000_002));
    assert_eq!(c.freshdesk.order_field, None);
    assert_eq!(c.catalog.ticket_types.len(), 7);
}

#[test]
fn test_env_keeps_what_is_set() {
    let mut env = base();
    env.set("FRESHDESK_DOMAIN", "");
    env.set("FRESHDESK_BURST", "1");
    let c = Config::for_tests(env, "http://127.0.0.1:1", "k").unwrap();
    assert_eq!(c.rates.burst, 1);
    assert_eq!(c.rates.per_minute, 600_000);
    assert_eq!(c.create_retry_wait, Duration::ZERO);
}
