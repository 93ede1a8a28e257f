//! GeoReport's XML form, written from the same JSON value as the JSON form.
//!
//! The spec's XML names each list and each of its items: `<services><service>…`,
//! `<attributes><attribute>…`, `<values><value>…`. A JSON array under a key is written as
//! that key's element holding one element per item, named by [`item_name`]. `null` becomes an
//! empty element, as in the spec's examples.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::Value;

/// The element of one item of a list element.
fn item_name(list: &str) -> &str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "notes" => "note",
        "errors" => "error",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// The document: `root` holds `value` (an array becomes a list of items under it).
pub fn document(root: &str, value: &Value) -> String {
    let mut writer = Writer::new(Vec::new());
    let written = writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|_| element(&mut writer, root, value));
    // writing into a Vec cannot fail
    debug_assert!(written.is_ok());
    String::from_utf8(writer.into_inner()).unwrap_or_default()
}

fn element(writer: &mut Writer<Vec<u8>>, name: &str, value: &Value) -> std::io::Result<()> {
    writer.write_event(Event::Start(BytesStart::new(name)))?;
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            writer.write_event(Event::Text(BytesText::new(if *b {
                "true"
            } else {
                "false"
            })))?;
        }
        Value::Number(n) => {
            writer.write_event(Event::Text(BytesText::new(&n.to_string())))?;
        }
        Value::String(s) => {
            writer.write_event(Event::Text(BytesText::new(s)))?;
        }
        Value::Array(items) => {
            let item = item_name(name);
            for v in items {
                element(writer, item, v)?;
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                element(writer, k, v)?;
            }
        }
    }
    writer.write_event(Event::End(BytesEnd::new(name)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_name_their_items_and_text_is_escaped() {
        let doc = document(
            "services",
            &json!([{"service_code": "03.01.01", "service_name": "室温<不达标> & 停热", "metadata": true,
                     "group": null}]),
        );
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><services><service>\
             <service_code>03.01.01</service_code>\
             <service_name>室温&lt;不达标&gt; &amp; 停热</service_name>\
             <metadata>true</metadata><group></group></service></services>"
        );
    }

    #[test]
    fn nested_lists_follow_the_spec_names() {
        let doc = document(
            "service_definition",
            &json!({"service_code": "x", "attributes": [
                {"code": "kind", "order": 1, "values": [{"key": "help", "name": "求助"}]}]}),
        );
        assert!(doc.contains(
            "<attributes><attribute><code>kind</code><order>1</order>\
             <values><value><key>help</key><name>求助</name></value></values>\
             </attribute></attributes>"
        ));
        let errors = document("errors", &json!([{"code": 404, "description": "no such"}]));
        assert!(errors.ends_with(
            "<errors><error><code>404</code><description>no such</description></error></errors>"
        ));
    }
}
