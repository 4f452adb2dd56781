//! Upstream login: the provider as the relying party of a tenant's
//! upstreams (GitHub, Google, Microsoft, any OpenID Provider).

mod relying_party;
