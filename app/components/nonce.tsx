import { createContext, useContext, type ReactNode } from 'react'

/**
 * The CSP nonce of the document being rendered. Only the server knows it: browsers hide nonce attributes from
 * scripts, so on the client this is '' and React keeps the server-rendered attribute.
 */
const NonceContext = createContext('')

export function NonceProvider({ nonce, children }: { nonce: string; children: ReactNode }) {
  return <NonceContext.Provider value={nonce}>{children}</NonceContext.Provider>
}

export const useNonce = () => useContext(NonceContext)
