/**
 * A record of side effects by idempotency key: a replayed tool call (after a crash, a retry or a
 * resume) finds its first record and does not act twice.
 */
export interface SideEffect {
  key: string;
  kind: string;
  details: Record<string, unknown>;
  at: string;
}

export interface SideEffectLedger {
  /** Records the effect under `key` unless it exists; returns the stored one and whether it is new. */
  record(effect: Omit<SideEffect, 'at'>): Promise<{ effect: SideEffect; created: boolean }>;
  list(kind?: string): Promise<SideEffect[]>;
}

export class MemoryLedger implements SideEffectLedger {
  private readonly effects = new Map<string, SideEffect>();

  async record(effect: Omit<SideEffect, 'at'>): Promise<{ effect: SideEffect; created: boolean }> {
    const existing = this.effects.get(effect.key);
    if (existing) return { effect: existing, created: false };
    const stored = { ...effect, at: new Date().toISOString() };
    this.effects.set(effect.key, stored);
    return { effect: stored, created: true };
  }

  async list(kind?: string): Promise<SideEffect[]> {
    return [...this.effects.values()].filter((effect) => kind === undefined || effect.kind === kind);
  }
}
