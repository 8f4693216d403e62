//! The YAML writer against a real YAML parser: any JSON value, emitted, reads back
//! (with serde_yaml) as the same value; and the strings YAML 1.1 loaders misread are
//! always quoted.

use kiln::emit;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Strings that stress quoting: YAML indicators, reserved words, number-likes,
/// whitespace at the ends, newlines, control and non-ASCII characters.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,12}",
        "[a-z0-9:#\\- \\n]{0,16}",
        prop::sample::select(vec![
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "true",
            "False",
            "null",
            "~",
            "1.0",
            "0x1F",
            "1e3",
            "010",
            ".5",
            "12:30",
            "2024-05-01",
            "-",
            "- a",
            "? a",
            ": a",
            "a: b",
            "a #b",
            " lead",
            "trail ",
            "",
            "\t",
            "a\nb",
            "a\nb\n",
            "a\n\n",
            "\n",
            "\n\na",
            " x\ny",
            "é€😀",
            "\u{85}",
            "\u{2028}",
            "\u{feff}x",
            "\r\n",
            "\0",
            "'q'",
            "\"q\"",
            "<<",
            "=",
            "...",
            "---",
            "| x",
            "> x",
            "%x",
            "@x",
            "`x",
            "!x",
            "&x",
            "*x",
            "[a]",
            "{a}",
            ",",
            "#",
            ".inf",
            "-.inf",
            ".NaN",
            "+1",
            "1_000",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn read_back(yaml: &str) -> Value {
    match serde_yaml::from_str::<Value>(yaml) {
        Ok(v) => v,
        Err(e) => panic!("emitted YAML does not parse: {e}\n---\n{yaml}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn emitted_yaml_reads_back_as_the_same_value(v in json_value()) {
        let yaml = emit::value_to_yaml(&v);
        prop_assert_eq!(read_back(&yaml), v, "YAML was:\n{}", yaml);
    }

    #[test]
    fn strings_as_values_and_keys_read_back(s in tricky_string()) {
        let mut m = Map::new();
        m.insert(s.clone(), Value::String(s.clone()));
        m.insert("list".to_owned(), Value::Array(vec![Value::String(s.clone())]));
        let v = Value::Object(m);
        let yaml = emit::value_to_yaml(&v);
        prop_assert_eq!(read_back(&yaml), v, "YAML was:\n{}", yaml);
    }
}

#[test]
fn yaml_1_1_booleans_and_numbers_are_quoted() {
    for s in [
        "yes", "no", "on", "off", "y", "n", "1.0", "12:30", "0x1F", "1e3", "010",
    ] {
        let yaml = emit::value_to_yaml(&serde_json::json!({ "k": s }));
        assert_eq!(yaml, format!("k: \"{s}\"\n"));
    }
}

#[test]
fn documents_are_separated() {
    let objects: Vec<kiln::lower::Object> = (0..3)
        .map(|i| {
            kiln::lower::Object::from_value(
                "a",
                "",
                serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}")}}),
            )
        })
        .collect();
    let yaml = emit::to_yaml(&objects);
    assert_eq!(yaml.matches("\n---\n").count(), 2);
    assert!(!yaml.starts_with("---"));
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or(Value::Null))
        .collect();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[2]["metadata"]["name"], "c2");
}
