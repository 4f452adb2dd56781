//! What the runner is pointed at: the issuer, the statically registered
//! clients the plans use, and the test user who logs in on the OP's pages.

/// A registered client (static, or registered by a Dynamic-plan module).
#[derive(Clone, Debug, Default)]
pub struct StaticClient {
    /// `client_id`.
    pub id: String,
    /// `client_secret` (empty for `private_key_jwt` clients).
    pub secret: String,
    /// The client's key, for `private_key_jwt`.
    pub key: Option<std::sync::Arc<super::key::RpKey>>,
}

/// The test user.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// Login name, typed into the login form's text or email field.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The OP under test and how to use it (the suite's plan configuration).
#[derive(Clone, Debug)]
pub struct Target {
    /// Issuer; discovery is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// `client`: authenticates with client_secret_basic.
    pub client: Option<StaticClient>,
    /// `client2`: a second client (client_secret_basic), for the refresh test.
    pub client2: Option<StaticClient>,
    /// `client_secret_post`: a client registered for client_secret_post.
    pub client_post: Option<StaticClient>,
    /// The redirect URI registered for all three clients. Nothing needs to
    /// listen there: the runner reads the redirect, it never follows it.
    pub redirect_uri: String,
    /// The user who logs in.
    pub user: Option<TestUser>,
    /// The `post_logout_redirect_uri` registered for `client` (logout plans).
    pub post_logout_redirect_uri: Option<String>,
    /// The OP's JWK Set from before its keys were rotated, for
    /// `oidcc-server-rotate-keys` (rotate, then run that module with it).
    pub previous_jwks: Option<serde_json::Value>,
    /// Where the relying party publishes its keys and request objects for
    /// the OP to fetch (Dynamic plan): an address to listen on, and the URL
    /// the OP reaches it at (default `http://{address}`).
    pub rp_host: Option<(String, Option<String>)>,
}
