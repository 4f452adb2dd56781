//! Just enough HTML reading to use an OP's login, consent and form_post
//! pages: forms, their inputs and buttons. idp-server's integration tests
//! read its pages with it too, so there is one form reader in the project.

use url::Url;

/// An `<input>` or `<button>` of a form.
#[derive(Clone, Debug)]
pub struct Field {
    /// `input` or `button`.
    pub tag: &'static str,
    /// `type` (lowercase; `text` when absent for inputs, `submit` for buttons).
    pub kind: String,
    /// `name`.
    pub name: Option<String>,
    /// `value`.
    pub value: Option<String>,
    /// `id`.
    pub id: Option<String>,
}

/// A `<form>`.
#[derive(Clone, Debug)]
pub struct Form {
    /// `action` resolved against the page URL.
    pub action: Url,
    /// `method`, uppercase (`GET` by default).
    pub method: String,
    /// Its inputs and buttons, in order.
    pub fields: Vec<Field>,
    /// Its HTML, from `<form` to `</form>`.
    pub html: String,
}

impl Form {
    /// Name/value pairs of the hidden inputs.
    pub fn hidden(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|f| f.tag == "input" && f.kind == "hidden")
            .filter_map(|f| Some((f.name.clone()?, f.value.clone().unwrap_or_default())))
            .collect()
    }

    /// The value of the hidden input `name` (e.g. a CSRF token).
    pub fn hidden_value(&self, name: &str) -> Option<String> {
        self.hidden()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Whether it has a password field.
    pub fn has_password(&self) -> bool {
        self.fields.iter().any(|f| f.kind == "password")
    }
}

/// Decodes the HTML entities templates emit in attribute values.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail.find(';').and_then(|end| {
            let e = &tail[1..end];
            let c = match e {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                _ if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Attribute `name` of an opening tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let pattern = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&pattern) {
        let start = from + pos;
        let after = start + pattern.len();
        if start > 0 && lower.as_bytes()[start - 1].is_ascii_whitespace() {
            let rest = &tag[after..];
            let value = if let Some(r) = rest.strip_prefix('"') {
                r.split('"').next()
            } else if let Some(r) = rest.strip_prefix('\'') {
                r.split('\'').next()
            } else {
                rest.split(|c: char| c.is_ascii_whitespace() || c == '>')
                    .next()
            };
            return value.map(unescape);
        }
        from = after;
    }
    None
}

fn fields(form_html: &str) -> Vec<Field> {
    let mut out = Vec::new();
    let lower = form_html.to_ascii_lowercase();
    let mut i = 0;
    while i < lower.len() {
        let next_input = lower[i..].find("<input").map(|p| (p + i, "input"));
        let next_button = lower[i..].find("<button").map(|p| (p + i, "button"));
        let Some((pos, tag)) = [next_input, next_button].into_iter().flatten().min() else {
            break;
        };
        let end = form_html[pos..]
            .find('>')
            .map_or(form_html.len(), |e| pos + e);
        let open = &form_html[pos..end];
        let kind = attr(open, "type")
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_else(|| {
                if tag == "input" {
                    "text".into()
                } else {
                    "submit".into()
                }
            });
        out.push(Field {
            tag,
            kind,
            name: attr(open, "name"),
            value: attr(open, "value"),
            id: attr(open, "id"),
        });
        i = end.max(pos + 1);
    }
    out
}

/// Every form of a page.
pub fn forms(html: &str, page: &Url) -> Vec<Form> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = lower[from..].find("<form") {
        let start = from + p;
        let end = lower[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e + "</form>".len());
        let form_html = &html[start..end];
        let open = &form_html[..form_html.find('>').unwrap_or(form_html.len())];
        let action = attr(open, "action").unwrap_or_default();
        if let Ok(action) = page.join(&action) {
            out.push(Form {
                action,
                method: attr(open, "method")
                    .unwrap_or_else(|| "get".into())
                    .to_ascii_uppercase(),
                fields: fields(form_html),
                html: form_html.to_owned(),
            });
        }
        from = end;
    }
    out
}

/// The `src` of every `<iframe>` of a page, resolved against its URL.
pub fn iframes(html: &str, page: &Url) -> Vec<Url> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = lower[from..].find("<iframe") {
        let start = from + p;
        let end = html[start..].find('>').map_or(html.len(), |e| start + e);
        if let Some(src) = attr(&html[start..end], "src")
            && let Ok(u) = page.join(&src)
        {
            out.push(u);
        }
        from = end;
    }
    out
}

/// The target of a `<meta http-equiv="refresh" content="N;url=…">`.
pub fn meta_refresh(html: &str, page: &Url) -> Option<Url> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("<meta") {
        let start = from + p;
        let end = html[start..].find('>').map_or(html.len(), |e| start + e);
        let tag = &html[start..end];
        if attr(tag, "http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
            && let Some(content) = attr(tag, "content")
        {
            let url = content
                .split_once(';')
                .map(|(_, rest)| rest.trim())
                .and_then(|rest| {
                    rest.strip_prefix("url=")
                        .or_else(|| rest.strip_prefix("URL="))
                })?;
            return page.join(url).ok();
        }
        from = end;
    }
    None
}
