// The peer of bench/run.sh: oidc-provider (the OpenID-certified Node
// provider) on loopback, with clients equivalent to ours:
// - `bench`, client_secret_basic, client_credentials; a token asked for
//   with resource=urn:bench:api is a JWT signed ES256 (as our access tokens
//   are); one asked for without a resource is opaque (oidc-provider stores
//   opaque tokens and introspects those; a JWT access token it does not
//   store and answers active:false for).
// - introspection enabled, allowed for any authenticated client (as ours).
// Keys: an RSA (RS256) and a P-256 (ES256) key generated at start.
// In-memory adapter (its default), production mode, one process.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PEER_PORT || 3100);
const issuer = `http://127.0.0.1:${port}`;
const jwk = (kp, alg) => ({ ...kp.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: alg });

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-bench-secret-bench-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: {
    keys: [
      jwk(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256'),
      jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'),
    ],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'api',
        audience: 'urn:bench:api',
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`peer listening on ${issuer}`));
