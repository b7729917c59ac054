// Module options as an application writes them, checked by `npm run typecheck` (never run): the key sources exclude
// each other in the types (the `@ts-expect-error` lines fail the type-check if two of them are ever accepted).
import { Rs256AuthModule, type Rs256AuthModuleOptions } from '../../src/index.js';

export const modules = [
  Rs256AuthModule.forRoot(),
  Rs256AuthModule.forRoot({ keys: { privateKeyPath: 'keys/private.pem', publicKeyPath: ['keys/public.pem', { path: 'keys/old.pem', kid: 'old' }] } }),
  Rs256AuthModule.forRoot({ keys: { privateKeyPath: 'keys/private.pem', publicKey: '-----BEGIN PUBLIC KEY-----' } }),
  Rs256AuthModule.forRoot({ keys: { jwksUri: 'https://id.example.com/jwks.json', remote: { cooldown: 10 } }, tokens: { audience: 'api' } }),
  Rs256AuthModule.forRoot({ keys: { issuerUrl: 'https://id.example.com' }, strategy: undefined, tokens: { audience: 'api' } }),
  Rs256AuthModule.forRoot({ keys: { trustedIssuers: ['https://a.example.com'], issuerResolver: () => undefined }, tokens: { audience: 'api' } }),
  Rs256AuthModule.forRoot({ keys: { reloadOnSignal: true, watchFiles: false, rotation: { interval: '30d', store: 'redis' } } }),
  Rs256AuthModule.forRoot({ keys: { pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'jwt', keyLabel: 'jwt' } } }),
  Rs256AuthModule.forRootAsync({
    useFactory: async (): Promise<Rs256AuthModuleOptions> => ({ keys: { jwksUri: 'https://id.example.com/jwks.json' } }),
  }),
];

// @ts-expect-error a JWK Set URI and local keys: a resource server signs nothing
export const uriAndFiles: Rs256AuthModuleOptions = { keys: { jwksUri: 'https://id.example.com/jwks.json', publicKeyPath: 'keys/public.pem' } };
// @ts-expect-error a JWK Set URI and an issuer URL: the issuer URL finds the JWK Set URI by discovery
export const uriAndIssuer: Rs256AuthModuleOptions = { keys: { jwksUri: 'https://id.example.com/jwks.json', issuerUrl: 'https://id.example.com' } };
export const issuersAndIssuerUrl: Rs256AuthModuleOptions = {
  // @ts-expect-error several issuers and an issuer URL
  keys: { trustedIssuers: ['https://a.example.com'], issuerUrl: 'https://b.example.com' },
};
// @ts-expect-error fetch bounds without a fetched key set
export const boundsWithLocalKeys: Rs256AuthModuleOptions = { keys: { privateKeyPath: 'keys/private.pem', remote: { cooldown: 10 } } };
// @ts-expect-error a signing key in custody where keys are fetched: a resource server signs nothing
export const signerWithIssuer: Rs256AuthModuleOptions = { keys: { issuerUrl: 'https://id.example.com', pkcs11: { module: 'lib.so' } } };
// @ts-expect-error automatic rotation where keys are fetched: only the issuer rotates its keys
export const rotationWithUri: Rs256AuthModuleOptions = { keys: { jwksUri: 'https://id.example.com/jwks.json', rotation: { interval: '30d' } } };
// @ts-expect-error the flat shape: key options are under keys
export const flatKeys: Rs256AuthModuleOptions = { privateKeyPath: 'keys/private.pem' };
