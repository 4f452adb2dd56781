//! A throwaway PKI for running the provider over https in-process, as the
//! OpenID Foundation's suite requires: a test CA and a leaf certificate it
//! signed for `localhost` and `127.0.0.1` (ECDSA P-256, rcgen with
//! aws-lc-rs). The server gets the leaf through [`TestPki::server_tls`]; the
//! relying party trusts the CA through [`TestPki::root_certificate`].

use idp_server::config::TlsConfig;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A test CA and a leaf for `localhost` and `127.0.0.1`, all PEM.
#[derive(Clone)]
pub struct TestPki {
    /// The CA certificate: the extra root (`reqwest::Certificate::from_pem`).
    pub ca_pem: String,
    /// The leaf certificate (the server's chain).
    pub cert_pem: String,
    /// The leaf's private key (PKCS#8).
    pub key_pem: String,
}

impl TestPki {
    /// A new CA and leaf (a few milliseconds).
    pub fn generate() -> Result<Self, rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "idp conformance test CA (throwaway)");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_pem = ca.self_signed(&ca_key)?.pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate()?;
        let mut leaf =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert_pem = leaf.signed_by(&key, &issuer)?.pem();
        Ok(Self {
            ca_pem,
            cert_pem,
            key_pem: key.serialize_pem(),
        })
    }

    /// The server side: set `Config::tls` to this.
    pub fn server_tls(&self) -> TlsConfig {
        TlsConfig::from_pem(self.cert_pem.clone(), self.key_pem.clone())
    }

    /// The CA as a reqwest root certificate (the `root` argument of
    /// `conformance::run_module` and friends).
    pub fn root_certificate(&self) -> reqwest::Result<reqwest::Certificate> {
        reqwest::Certificate::from_pem(self.ca_pem.as_bytes())
    }

    /// A client that trusts this CA and no other, and follows no redirects.
    pub fn client(&self) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(self.root_certificate()?)
            .redirect(reqwest::redirect::Policy::none())
            .build()
    }
}
