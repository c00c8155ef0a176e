/**
 * TEST-ONLY key pair of the e2e enterprise app's private_key_jwt client (e2e/stack.ts). It is published in this
 * repository, so anyone can sign with it: never register this public key with a real Auth0 application.
 */
export const e2eEnterpriseClientKey = {
  alg: 'ES256',
  privateKeyPem: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWkoVTAZdJJtX6Cj5
l3IVjvhTOJAR5wqxzCEp5Msh07ChRANCAAQXWcqF14J6sEWzLHRZd1+vgpUsAk2P
b8t+CDxTpWL7qvX9mHmIaGiJuLVZtFZuyAXLandw/VlgnfoH7KLVXJfc
-----END PRIVATE KEY-----`,
  publicJwk: {
    kty: 'EC',
    crv: 'P-256',
    x: 'F1nKhdeCerBFsyx0WXdfr4KVLAJNj2_Lfgg8U6Vi-6o',
    y: '9f2YeYhoaIm4tVm0Vm7IBctqd3D9WWCd-gfsotVcl9w',
    alg: 'ES256',
    use: 'sig',
  },
} as const
