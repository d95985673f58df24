/**
 * The desk of the reshaped-tree tests, as three YAML versions: with its person, without the person,
 * and without billing (each a valid tree of one name, so a thread moves between them).
 */
export const WITH_PERSON = `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
    escalate: [person]
  billing: { description: Billing., prompt: Billing., escalate: [person] }
  person: { kind: human, description: A person. }
`;
export const WITHOUT_PERSON = `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    children: [billing]
  billing: { description: Billing., prompt: Billing. }
`;

export const WITHOUT_BILLING = `
version: 1
name: desk
root: triage
agents:
  triage:
    description: Front desk.
    prompt: Route.
    escalate: [person]
  person: { kind: human, description: A person. }
`;
