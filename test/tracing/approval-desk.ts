/** The desk of the approval tracing tests: a handoff to lead waits for a person's approval; no retries. */
export const APPROVAL_DESK = `version: 1
name: desk
root: desk
retry: { attempts: 0 }
agents:
  desk: { description: Front desk., prompt: Route., children: [lead] }
  lead:
    description: The lead.
    prompt: Lead.
    approval: required
    handoff: { payload: { reason: { type: string, description: Why. } } }
`;
