import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider'

interface Entry {
  payload: AdapterPayload
  expiresAt: number | undefined
}

const now = () => Math.floor(Date.now() / 1000)

/**
 * In-memory storage for every oidc-provider model. It outlives a Provider instance, so rebuilding the
 * Provider (key rotation) keeps sessions, grants and tokens.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>()
  /** How long a rotated refresh token of this client keeps working (Auth0's "Reuse Interval"), in seconds. */
  reuseIntervalFor: (clientId: unknown) => number = () => 0

  adapterFactory(): AdapterFactory {
    return (model) => new ModelAdapter(this, model)
  }

  get(model: string, id: string): AdapterPayload | undefined {
    const key = `${model}:${id}`
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.payload
  }

  set(model: string, id: string, payload: AdapterPayload, expiresIn?: number): void {
    const expiresAt = expiresIn ? now() + expiresIn : undefined
    this.#entries.set(`${model}:${id}`, { payload, expiresAt })
  }

  delete(model: string, id: string): void {
    this.#entries.delete(`${model}:${id}`)
  }

  /** Live payloads of one model, with their ids. */
  *list(model: string): Generator<[string, AdapterPayload]> {
    const prefix = `${model}:`
    for (const key of [...this.#entries.keys()]) {
      if (!key.startsWith(prefix)) continue
      const id = key.slice(prefix.length)
      const payload = this.get(model, id)
      if (payload) yield [id, payload]
    }
  }

  deleteWhere(predicate: (payload: AdapterPayload, model: string) => boolean): number {
    let deleted = 0
    for (const [key, entry] of [...this.#entries]) {
      const model = key.slice(0, key.indexOf(':'))
      if (predicate(entry.payload, model)) {
        this.#entries.delete(key)
        deleted++
      }
    }
    return deleted
  }
}

class ModelAdapter implements Adapter {
  constructor(
    private readonly store: MemoryStore,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.store.set(this.model, id, payload, expiresIn)
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = this.store.get(this.model, id)
    if (payload && this.model === 'RefreshToken' && this.#withinReuseInterval(payload)) {
      // oidc-provider revokes the whole grant when a consumed refresh token comes back; inside the reuse
      // interval Auth0 accepts it instead, so it is handed out as not yet consumed.
      return { ...payload, consumed: undefined }
    }
    return payload
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    for (const [, payload] of this.store.list(this.model)) {
      if (payload.uid === uid) return payload
    }
    return undefined
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    for (const [, payload] of this.store.list(this.model)) {
      if (payload.userCode === userCode) return payload
    }
    return undefined
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.model, id)
    // The first consumption starts the reuse interval; reuses inside it must not extend it.
    if (payload && !payload.consumed) payload.consumed = Math.floor(Date.now() / 1000)
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.model, id)
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.deleteWhere((payload) => payload.grantId === grantId)
  }

  #withinReuseInterval(payload: AdapterPayload): boolean {
    return (
      typeof payload.consumed === 'number' &&
      now() - payload.consumed < this.store.reuseIntervalFor(payload.clientId)
    )
  }
}
