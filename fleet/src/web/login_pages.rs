//! `GET /login`, `POST /login`, `POST /logout`: the pages' login form and
//! what it posts.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::auth::Me;
use super::error::{Fail, PageError};
use super::login::{log_in, session_cookie};
use super::login_page::{local_path, login_page, LOGIN_COOKIE};
use super::login_session::{self, Session};
use super::App;

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

pub async fn login_form(
    session: axum::Extension<Option<Session>>,
    axum::extract::Query(q): axum::extract::Query<NextParam>,
) -> Response {
    let next = q.next.as_deref().unwrap_or("/recordings");
    if session.0.is_some() {
        return Redirect::to(local_path(next)).into_response();
    }
    login_page(StatusCode::OK, next, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login_post(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = f.next.as_deref().unwrap_or("/recordings").to_string();
    let cookie = login_session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !login_session::same_token(cookie, &f.csrf) || f.csrf.is_empty() {
        return login_page(
            StatusCode::FORBIDDEN,
            &next,
            Some("The login form expired or was not this server's: try again."),
        );
    }
    match log_in(&app, &f.user, &f.password, client, &headers).await {
        Ok((token, _, _)) => {
            let mut r = Redirect::to(local_path(&next)).into_response();
            let h = r.headers_mut();
            h.append(header::SET_COOKIE, session_cookie(&app, &token));
            h.append(
                header::SET_COOKIE,
                login_session::set_cookie(LOGIN_COOKIE, "", 0, false),
            );
            r
        }
        Err(f @ Fail::Internal(_)) => PageError(f).into_response(),
        Err(f) => login_page(f.status(), &next, Some(&f.message())),
    }
}

pub async fn logout_post(State(app): State<Arc<App>>, Me(s): Me) -> Response {
    if let Err(e) = login_session::end(&app.accounts, &s.token_sha256).await {
        return PageError(Fail::Internal(e)).into_response();
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        login_session::set_cookie(app.cookie(), "", 0, app.secure()),
    );
    r
}
