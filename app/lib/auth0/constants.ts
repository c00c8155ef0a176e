/** Which kind of token `verifyToken`, `decodeToken` and `isValid` check. */
export enum Token {
  ID = 'id',
  ACCESS = 'access',
  /** The original README's spelling of `ACCESS`: the same value, so either can be passed. */
  // eslint-disable-next-line @typescript-eslint/no-duplicate-enum-values
  AccessToken = 'access',
}

/** Where the tokens live: in an encrypted cookie (Browser) or in a server-side store keyed by a cookie (Server). */
export enum SessionStrategy {
  Browser = 'browser',
  Server = 'server',
}

/** How long a session lasts at most when `absoluteSessionLifetimeSeconds` is not set. */
export const defaultAbsoluteSessionLifetimeSeconds = 7 * 24 * 3600
