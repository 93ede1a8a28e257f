//! Masking of personal data outside the handling department (DESIGN.md §1 "Privacy").

/// `13812341234` → `138****1234`; short numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        let keep = n.min(2);
        let tail: String = chars[n - keep..].iter().collect();
        format!("{}{tail}", "*".repeat(n - keep))
    }
}

/// `张三` → `张*`, `欧阳娜娜` → `欧***`, `Li Lei` → `L*****`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// `zhang.san@example.com` → `z***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Text published to anyone (Open311's GET): runs of 7 or more digits (phone, ID card, bank
/// numbers; an ID card's final X included) keep their first three and last two digits, e-mail
/// addresses their domain, and the appellant's own name, where it appears, its first character.
pub fn redact_text(text: &str, appellant_name: &str) -> String {
    let name = appellant_name.trim();
    let named = if name.chars().count() >= 2 {
        text.replace(name, &mask_name(name))
    } else {
        text.to_owned()
    };
    let mut out = String::with_capacity(named.len());
    for (i, word) in named.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('@') && word.contains('.') {
            let (lead, rest) =
                word.split_at(word.find(|c: char| c.is_ascii_alphanumeric()).unwrap_or(0));
            out.push_str(lead);
            out.push_str(&mask_email(rest));
        } else {
            out.push_str(word);
        }
    }
    mask_digit_runs(&out)
}

fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit() || (matches!(chars[i], 'x' | 'X') && i - start == 17))
        {
            i += 1;
        }
        let run = &chars[start..i];
        if run.len() >= 7 {
            out.extend(&run[..3]);
            out.extend(std::iter::repeat_n('*', run.len() - 5));
            out.extend(&run[run.len() - 2..]);
        } else {
            out.extend(run);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_prefix_and_last_four() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("0412-5551234"), "041****1234");
        assert_eq!(mask_phone("12345"), "***45");
    }

    #[test]
    fn names_keep_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("王"), "王*");
    }

    #[test]
    fn emails_keep_the_domain() {
        assert_eq!(mask_email("zhang.san@example.com"), "z***@example.com");
        assert_eq!(mask_email("broken"), "***");
    }

    #[test]
    fn published_text_hides_numbers_mail_and_the_appellants_name() {
        let text = "我是张三丰，电话13812341234，身份证21030219800101123X，邮箱 zsf@example.com。楼高 18 层，2026年供暖";
        let out = redact_text(text, "张三丰");
        assert_eq!(
            out,
            "我是张**，电话138******34，身份证210*************3X，邮箱 z***@example.com。楼高 18 层，2026年供暖"
        );
        assert_eq!(redact_text("室温14度", "王"), "室温14度");
    }
}
