/** Exit codes: 0 ok, 1 the turn failed, 2 a mistake in the input (tree, flags, files). */
export const EXIT = { ok: 0, turnFailed: 1, usage: 2 } as const;
