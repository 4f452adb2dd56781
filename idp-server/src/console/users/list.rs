//! The list of an organisation's users (search by email, the API's cursor
//! pages) and the form that creates one.

use super::{Paths, UserView, field, is_about_the_form, raw};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::{Refused, encode};
use crate::console::page::{Layout, Section, Tab};
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::json;

#[derive(Template)]
#[template(path = "console/users.html")]
struct ListPage {
    layout: Layout,
    /// The console's users path of this organisation.
    base: String,
    /// The email searched for (empty: no search).
    email: String,
    email_error: Option<String>,
    users: Vec<UserView>,
    /// The next page's link, when there is one.
    next: Option<String>,
    /// Whether this is a later page (a link back to the first).
    later: bool,
}

/// `GET …/users[?email=][&cursor=]`.
pub(super) async fn index<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
) -> Response<Bytes> {
    let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let email = field(&query, "email");
    let cursor = field(&query, "cursor");
    let mut api = at.api.clone();
    if !email.is_empty() {
        api.push_str(&format!("?email={}", encode(&email)));
    } else if !cursor.is_empty() {
        api.push_str(&format!("?cursor={}", encode(&cursor)));
    }
    let mut page = ListPage {
        layout: c.layout(
            "Users",
            Section::Organisations,
            Some((&at.slug, Tab::Users)),
        ),
        base: at.console.clone(),
        email,
        email_error: None,
        users: Vec::new(),
        next: None,
        later: !cursor.is_empty(),
    };
    match c.get(&api).await {
        Ok(v) => {
            page.users = v["items"]
                .as_array()
                .map(|items| items.iter().map(UserView::from_json).collect())
                .unwrap_or_default();
            page.next = v["next_cursor"]
                .as_str()
                .map(|next| format!("{}?cursor={}", at.console, encode(next)));
            c.render(StatusCode::OK, &page)
        }
        Err(r) if r.status == StatusCode::UNPROCESSABLE_ENTITY => {
            page.email_error = Some(r.field("email").unwrap_or(&r.detail).to_owned());
            c.render(r.status, &page)
        }
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/user_new.html")]
struct NewPage {
    layout: Layout,
    base: String,
    email: String,
    name: String,
    email_error: Option<String>,
    name_error: Option<String>,
    password_error: Option<String>,
    /// What went wrong that no field shows.
    summary: Option<String>,
}

impl NewPage {
    fn blank<S: Backend>(c: &Console<'_, S>, at: &Paths) -> Self {
        Self {
            layout: c.layout(
                "New user",
                Section::Organisations,
                Some((&at.slug, Tab::Users)),
            ),
            base: at.console.clone(),
            email: String::new(),
            name: String::new(),
            email_error: None,
            name_error: None,
            password_error: None,
            summary: None,
        }
    }
}

/// `GET …/users/new`.
pub(super) fn new_form<S: Backend>(c: &Console<'_, S>, at: &Paths) -> Response<Bytes> {
    if !c.may_write(Some(&at.slug)) {
        return c.message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "You may look at this organisation but not change it.",
        );
    }
    c.render(StatusCode::OK, &NewPage::blank(c, at))
}

/// `POST …/users` `email, name, password?`: the new user's page, or the
/// form again with what the API refused next to its field (the password
/// never shown again).
pub(super) async fn create<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let (email, name, password) = (
        field(&form, "email"),
        field(&form, "name"),
        raw(&form, "password"),
    );
    let mut body = json!({"email": email});
    if !name.is_empty() {
        body["name"] = json!(name);
    }
    if !password.is_empty() {
        body["password"] = json!(password);
    }
    match c.send(Method::POST, &at.api, Some(body)).await {
        Ok(v) => {
            let user = UserView::from_json(&v);
            c.done(
                &at.user_rest(&user.id),
                &format!("User {} created", user.email),
            )
        }
        Err(r) if is_about_the_form(&r) => {
            let mut page = NewPage::blank(c, at);
            page.email = email;
            page.name = name;
            fill_errors(&mut page, &r);
            c.render(r.status, &page)
        }
        Err(r) => c.refused(&r),
    }
}

fn fill_errors(page: &mut NewPage, r: &Refused) {
    let shown = ["email", "name", "password"];
    page.email_error = r.field("email").map(str::to_owned);
    page.name_error = r.field("name").map(str::to_owned);
    page.password_error = r.field("password").map(str::to_owned);
    page.summary = Some(r.summary(&shown));
}
