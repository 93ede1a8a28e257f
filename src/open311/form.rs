//! POST requests: the GeoReport form turned into minxin's intake. Pure: the service (its
//! category and attributes) is looked up by the caller.

use std::collections::BTreeMap;

use chrono::DateTime;

use super::model::{Attribute, AttributeValue};
use crate::domain::enums::{AppealKind, AppellantKind, Channel};
use crate::domain::intake::IntakeRequest;

/// The fields of a GeoReport POST, as sent.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Post {
    pub api_key: Option<String>,
    pub jurisdiction_id: Option<String>,
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[code]=v` (and `attribute[code][]=v` for several values)
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Reads the form's pairs (query string and body together). Unknown parameters are ignored,
/// as the spec lets servers do; a parameter given twice is refused.
pub fn parse(pairs: &[(String, String)]) -> Result<Post, Vec<String>> {
    let mut post = Post::default();
    let mut errors = Vec::new();
    for (key, value) in pairs {
        if let Some(rest) = key.strip_prefix("attribute[") {
            let code = rest
                .strip_suffix("][]")
                .or_else(|| rest.strip_suffix(']'))
                .filter(|c| !c.is_empty() && !c.contains(['[', ']']));
            match code {
                Some(code) => post
                    .attributes
                    .entry(code.to_owned())
                    .or_default()
                    .push(value.clone()),
                None => errors.push(format!(
                    "`{key}` is not an attribute; send attributes as attribute[code]=value"
                )),
            }
            continue;
        }
        let slot = match key.as_str() {
            "api_key" => &mut post.api_key,
            "jurisdiction_id" => &mut post.jurisdiction_id,
            "service_code" => &mut post.service_code,
            "lat" => &mut post.lat,
            "long" => &mut post.long,
            "address_string" => &mut post.address_string,
            "address_id" => &mut post.address_id,
            "email" => &mut post.email,
            "device_id" => &mut post.device_id,
            "account_id" => &mut post.account_id,
            "first_name" => &mut post.first_name,
            "last_name" => &mut post.last_name,
            "phone" => &mut post.phone,
            "description" => &mut post.description,
            "media_url" => &mut post.media_url,
            _ => continue,
        };
        if slot.is_some() {
            errors.push(format!("{key} is given more than once"));
        }
        let trimmed = value.trim();
        *slot = (!trimmed.is_empty()).then(|| trimmed.to_owned());
    }
    if errors.is_empty() {
        Ok(post)
    } else {
        Err(errors)
    }
}

/// The attributes every service asks for, before the category's own.
pub fn common_attributes(divisions: &[(String, String)]) -> Vec<Attribute> {
    let list = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, n)| AttributeValue {
                key: (*k).to_owned(),
                name: (*n).to_owned(),
            })
            .collect()
    };
    vec![
        Attribute {
            variable: true,
            code: "division_code".into(),
            datatype: "singlevaluelist".into(),
            required: true,
            datatype_description: Some(
                "the street (街道) or community where the problem is; codes as GET /api/v1/divisions".into(),
            ),
            order: 1,
            description: "所在街道（社区） / Street or community".into(),
            values: divisions
                .iter()
                .map(|(code, name)| AttributeValue {
                    key: code.clone(),
                    name: name.clone(),
                })
                .collect(),
        },
        Attribute {
            variable: true,
            code: "kind".into(),
            datatype: "singlevaluelist".into(),
            required: false,
            datatype_description: Some("default: help".into()),
            order: 2,
            description: "诉求类型 / Kind of appeal".into(),
            values: list(&[
                ("help", "求助 / request for help"),
                ("complaint", "投诉 / complaint"),
                ("report", "举报 / report of wrongdoing"),
                ("consultation", "咨询 / question"),
                ("suggestion", "建议 / suggestion"),
            ]),
        },
        Attribute {
            variable: true,
            code: "confidential".into(),
            datatype: "singlevaluelist".into(),
            required: false,
            datatype_description: Some("default: false".into()),
            order: 3,
            description: "保密：对承办单位隐去诉求人信息 / Hide the resident from the handling department".into(),
            values: list(&[("false", "否 / no"), ("true", "是 / yes")]),
        },
    ]
}

/// The codes of [`common_attributes`], in their order.
pub const COMMON: &[&str] = &["division_code", "kind", "confidential"];

/// Builds the intake from a POST for the service (category) `service_code` named
/// `service_name`, whose category asks `fields` (the attributes after the common ones); the
/// answers to those are kept in the text. Every problem is reported.
pub fn to_intake(
    post: &Post,
    service_code: &str,
    service_name: &str,
    fields: &[Attribute],
) -> Result<IntakeRequest, Vec<String>> {
    let mut errors = Vec::new();
    let description = post.description.clone().unwrap_or_default();
    if description.is_empty() {
        errors.push("description is required: what is the problem?".into());
    }
    let phone = post.phone.clone().unwrap_or_default();
    if phone.is_empty() {
        errors.push("phone is required: the hotline calls back for the follow-up (回访)".into());
    }
    // Chinese order: family name first
    let name = [post.last_name.as_deref(), post.first_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(if post.last_name.as_deref().is_some_and(|n| n.is_ascii()) {
            " "
        } else {
            ""
        });
    // a resident may leave no name (the phone is what the follow-up needs)
    let name = if name.is_empty() {
        "未留姓名".to_owned()
    } else {
        name
    };
    let coordinates = match (&post.lat, &post.long) {
        (None, None) => None,
        (Some(lat), Some(long)) => match (lat.parse::<f64>(), long.parse::<f64>()) {
            (Ok(lat), Ok(long))
                if lat.is_finite()
                    && long.is_finite()
                    && (-90.0..=90.0).contains(&lat)
                    && (-180.0..=180.0).contains(&long) =>
            {
                Some((lat, long))
            }
            _ => {
                errors.push(
                    "lat and long must be decimal degrees (lat −90…90, long −180…180)".into(),
                );
                None
            }
        },
        _ => {
            errors.push("lat and long come together".into());
            None
        }
    };
    if coordinates.is_none() && post.address_string.is_none() && post.address_id.is_none() {
        errors.push("a location is required: lat and long, address_string or address_id".into());
    }
    for code in post.attributes.keys() {
        if !COMMON.contains(&code.as_str()) && !fields.iter().any(|f| &f.code == code) {
            let known: Vec<&str> = COMMON
                .iter()
                .copied()
                .chain(fields.iter().map(|f| f.code.as_str()))
                .collect();
            errors.push(format!(
                "this service has no attribute `{code}`; it has: {}",
                known.join(", ")
            ));
        }
    }
    let single = |code: &str| -> Result<Option<&str>, String> {
        match post.attributes.get(code).map(Vec::as_slice) {
            None => Ok(None),
            Some([one]) => Ok(Some(one.trim()).filter(|v| !v.is_empty())),
            Some(_) => Err(format!("attribute[{code}] takes one value")),
        }
    };
    let division_code = match single("division_code") {
        Ok(Some(code)) => code.to_owned(),
        Ok(None) => {
            errors.push(
                "attribute[division_code] is required: the street or community (GET services/{code} lists them)".into(),
            );
            String::new()
        }
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let kind = match single("kind") {
        Ok(None) => AppealKind::Help,
        Ok(Some(k)) => k
            .parse()
            .unwrap_or_else(|e: crate::domain::enums::UnknownValue| {
                errors.push(format!("attribute[kind]: {e}"));
                AppealKind::Help
            }),
        Err(e) => {
            errors.push(e);
            AppealKind::Help
        }
    };
    let confidential = match single("confidential") {
        Ok(None) | Ok(Some("false")) => false,
        Ok(Some("true")) => true,
        Ok(Some(other)) => {
            errors.push(format!(
                "attribute[confidential] is true or false, not `{other}`"
            ));
            false
        }
        Err(e) => {
            errors.push(e);
            false
        }
    };
    let mut answers = Vec::new();
    for field in fields {
        let given: Vec<&str> = post
            .attributes
            .get(&field.code)
            .map(|vs| {
                vs.iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if given.is_empty() {
            if field.required {
                errors.push(format!(
                    "attribute[{}] is required: {}",
                    field.code, field.description
                ));
            }
            continue;
        }
        match check_answer(field, &given) {
            Ok(text) => answers.push(format!("【{}】{}", field.description, text)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut content = description.clone();
    if !answers.is_empty() {
        content.push_str("\n\n");
        content.push_str(&answers.join("\n"));
    }
    if let Some(url) = &post.media_url {
        content.push_str(&format!("\n\n照片链接 / media: {url}"));
    }
    Ok(IntakeRequest {
        appellant_kind: AppellantKind::Citizen,
        kind,
        channel: Some(Channel::Open311),
        title: title_of(service_name, &description),
        content,
        category_code: Some(service_code.to_owned()),
        division_code,
        address: post.address_string.clone(),
        latitude: coordinates.map(|c| c.0),
        longitude: coordinates.map(|c| c.1),
        name,
        phone,
        email: post.email.clone(),
        enterprise_name: None,
        credit_code: None,
        confidential,
        urgency: None,
    })
}

/// The title: the service's name and the start of the description's first line.
fn title_of(service_name: &str, description: &str) -> String {
    let first_line = description.lines().next().unwrap_or("").trim();
    let head: String = first_line.chars().take(60).collect();
    let ellipsis = if first_line.chars().count() > 60 {
        "…"
    } else {
        ""
    };
    format!("{service_name}：{head}{ellipsis}")
        .chars()
        .take(100)
        .collect()
}

/// Checks one answer against its attribute; the answer as text to keep.
fn check_answer(field: &Attribute, given: &[&str]) -> Result<String, String> {
    let code = &field.code;
    let one = || -> Result<&str, String> {
        match given {
            [v] => Ok(v),
            _ => Err(format!("attribute[{code}] takes one value")),
        }
    };
    let choice = |v: &str| -> Result<String, String> {
        field
            .values
            .iter()
            .find(|c| c.key == v)
            .map(|c| c.name.clone())
            .ok_or_else(|| {
                let keys: Vec<&str> = field.values.iter().map(|c| c.key.as_str()).collect();
                format!(
                    "attribute[{code}] is one of: {}; not `{v}`",
                    keys.join(", ")
                )
            })
    };
    let within = |v: &str, max: usize| -> Result<String, String> {
        if v.chars().count() > max {
            Err(format!("attribute[{code}] has more than {max} characters"))
        } else {
            Ok(v.to_owned())
        }
    };
    match field.datatype.as_str() {
        "number" => {
            let v = one()?;
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(v.to_owned()),
                _ => Err(format!("attribute[{code}] is a number, not `{v}`")),
            }
        }
        "datetime" => {
            let v = one()?;
            DateTime::parse_from_rfc3339(v)
                .map(|_| v.to_owned())
                .map_err(|_| {
                    format!(
                        "attribute[{code}] is a date and time with offset (e.g. 2026-12-01T08:00:00+08:00), not `{v}`"
                    )
                })
        }
        "singlevaluelist" => choice(one()?),
        "multivaluelist" => given
            .iter()
            .map(|v| choice(v))
            .collect::<Result<Vec<_>, _>>()
            .map(|names| names.join("、")),
        "text" => within(one()?, 2000),
        _ => within(one()?, 200),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn temperature() -> Attribute {
        Attribute {
            variable: true,
            code: "indoor_temperature".into(),
            datatype: "number".into(),
            required: true,
            datatype_description: None,
            order: 4,
            description: "室内温度（℃）".into(),
            values: vec![],
        }
    }

    fn good() -> Vec<(String, String)> {
        pairs(&[
            ("api_key", "k"),
            ("service_code", "03.01.01"),
            ("lat", "41.108"),
            ("long", "122.994"),
            ("description", "暖气不热\n已经三天了"),
            ("first_name", "三"),
            ("last_name", "张"),
            ("phone", "13812341234"),
            ("attribute[division_code]", "210302001"),
            ("attribute[indoor_temperature]", "14"),
        ])
    }

    #[test]
    fn a_good_post_becomes_an_open311_intake_with_the_answers_in_its_text() {
        let post = parse(&good()).expect("parses");
        let intake = to_intake(&post, "03.01.01", "室温不达标", &[temperature()]).expect("valid");
        assert_eq!(intake.channel, Some(Channel::Open311));
        assert_eq!(intake.kind, AppealKind::Help);
        assert_eq!(intake.name, "张三");
        assert_eq!(intake.division_code, "210302001");
        assert_eq!(intake.title, "室温不达标：暖气不热");
        assert_eq!(
            intake.content,
            "暖气不热\n已经三天了\n\n【室内温度（℃）】14"
        );
        assert_eq!(intake.latitude, Some(41.108));
        assert!(intake.validate().is_ok());
    }

    #[test]
    fn the_common_attributes_are_the_named_ones_in_order() {
        let codes: Vec<String> = common_attributes(&[]).into_iter().map(|a| a.code).collect();
        assert_eq!(codes, COMMON);
    }

    #[test]
    fn every_problem_is_named() {
        let post = parse(&pairs(&[
            ("service_code", "03.01.01"),
            ("lat", "91"),
            ("long", "0"),
            ("attribute[indoor_temperature]", "warm"),
            ("attribute[colour]", "red"),
            ("attribute[kind]", "rant"),
        ]))
        .expect("parses");
        let errors =
            to_intake(&post, "03.01.01", "室温不达标", &[temperature()]).expect_err("invalid");
        let all = errors.join("\n");
        for needle in [
            "description is required",
            "phone is required",
            "lat and long must be",
            "no attribute `colour`",
            "attribute[division_code] is required",
            "attribute[kind]: unknown",
            "attribute[indoor_temperature] is a number",
        ] {
            assert!(all.contains(needle), "{needle} missing from {all}");
        }
    }

    #[test]
    fn repeated_fields_and_bad_attribute_names_are_refused() {
        let errors = parse(&pairs(&[
            ("phone", "1"),
            ("phone", "2"),
            ("attribute[]", "x"),
        ]))
        .expect_err("refused");
        assert_eq!(errors.len(), 2, "{errors:?}");
        let post = parse(&pairs(&[
            ("attribute[tags][]", "a"),
            ("attribute[tags][]", "b"),
        ]))
        .expect("parses");
        assert_eq!(post.attributes["tags"], vec!["a", "b"]);
    }

    #[test]
    fn list_answers_must_be_among_the_choices() {
        let field = Attribute {
            datatype: "multivaluelist".into(),
            code: "rooms".into(),
            required: false,
            values: vec![
                AttributeValue {
                    key: "bed".into(),
                    name: "卧室".into(),
                },
                AttributeValue {
                    key: "living".into(),
                    name: "客厅".into(),
                },
            ],
            ..temperature()
        };
        assert_eq!(
            check_answer(&field, &["bed", "living"]),
            Ok("卧室、客厅".into())
        );
        assert!(check_answer(&field, &["kitchen"]).is_err());
        let when = Attribute {
            datatype: "datetime".into(),
            ..temperature()
        };
        assert!(check_answer(&when, &["2026-12-01T08:00:00+08:00"]).is_ok());
        assert!(check_answer(&when, &["yesterday"]).is_err());
    }

    #[test]
    fn a_location_is_required_and_coordinates_come_in_pairs() {
        let mut items = good();
        items.retain(|(k, _)| k != "lat" && k != "long");
        let post = parse(&items).expect("parses");
        let errors = to_intake(&post, "03.01.01", "x", &[temperature()]).expect_err("no location");
        assert!(errors.iter().any(|e| e.contains("a location is required")));
        items.push(("lat".into(), "41.1".into()));
        let post = parse(&items).expect("parses");
        let errors =
            to_intake(&post, "03.01.01", "x", &[temperature()]).expect_err("half a location");
        assert!(errors.iter().any(|e| e.contains("come together")));
    }
}
