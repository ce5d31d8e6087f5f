//! `metadata` of an answer: token usage with prices as decimal strings (protocol.md §6.3), and
//! the app's citations.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::apps::DifyApp;

const PROMPT_UNIT_PRICE: f64 = 0.001;
const COMPLETION_UNIT_PRICE: f64 = 0.002;
const PRICE_UNIT: f64 = 0.001;

/// Token counts are whitespace-separated words: plausible, deterministic, cheap.
pub(crate) fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

fn price(tokens: usize, unit_price: f64) -> f64 {
    tokens as f64 * unit_price * PRICE_UNIT
}

/// Prices are decimal strings, as Dify's `Decimal` fields serialize (computed ones with 7
/// decimals).
pub(crate) fn usage(prompt_tokens: usize, answer: &str, started: Instant) -> Value {
    let completion_tokens = words(answer);
    let prompt_price = price(prompt_tokens, PROMPT_UNIT_PRICE);
    let completion_price = price(completion_tokens, COMPLETION_UNIT_PRICE);
    json!({
        "prompt_tokens": prompt_tokens,
        "prompt_unit_price": PROMPT_UNIT_PRICE.to_string(),
        "prompt_price_unit": PRICE_UNIT.to_string(),
        "prompt_price": format!("{prompt_price:.7}"),
        "completion_tokens": completion_tokens,
        "completion_unit_price": COMPLETION_UNIT_PRICE.to_string(),
        "completion_price_unit": PRICE_UNIT.to_string(),
        "completion_price": format!("{completion_price:.7}"),
        "total_tokens": prompt_tokens + completion_tokens,
        "total_price": format!("{:.7}", prompt_price + completion_price),
        "currency": "USD",
        "latency": started.elapsed().as_secs_f64(),
    })
}

pub(crate) fn metadata(
    app: &DifyApp,
    prompt_tokens: usize,
    answer: &str,
    started: Instant,
) -> Value {
    let mut m = Map::new();
    m.insert("usage".into(), usage(prompt_tokens, answer, started));
    if !app.spec.retriever_resources.is_empty() {
        m.insert(
            "retriever_resources".into(),
            Value::Array(app.spec.retriever_resources.clone()),
        );
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_decimal_strings() {
        let u = usage(1033, &"w ".repeat(128), Instant::now());
        assert_eq!(u["prompt_price"], "0.0010330");
        assert_eq!(u["completion_price"], "0.0002560");
        assert_eq!(u["total_price"], "0.0012890");
        assert_eq!(u["total_tokens"], 1161);
        assert_eq!(u["prompt_unit_price"], "0.001");
        assert_eq!(u["completion_unit_price"], "0.002");
        assert_eq!(u["completion_price_unit"], "0.001");
    }
}
