/**
 * The starter tree `switchboard init` writes: small, complete and lint-clean, with offline hints so
 * it runs without an API key, and the `$schema` line editors read to complete and check it.
 */

export interface StarterOptions {
  /** The tree name (default `starter`). */
  name?: string | undefined;
  /** Where the JSON Schema is, relative to the new file or as a URL. */
  schema: string;
}

/** The text of a starter tree. */
export function starterTreeText(options: StarterOptions): string {
  return `# yaml-language-server: $schema=${options.schema}
# A starter tree: a front desk that routes to two specialists, who can escalate to a person.
# Edit it, then: npx switchboard lint <file> · switchboard draw <file> -o tree.svg · switchboard dev <file>
version: 1
name: ${options.name ?? 'starter'}
description: A front desk, two specialists and a person to escalate to.
root: front_desk
escalation: person

agents:
  front_desk:
    description: Greets the user and routes the request to the right specialist.
    prompt: |
      You are the front desk. Find out what the user needs in one question at most, then hand off:
      billing questions to billing, technical problems to technical. Do not solve them yourself.
    children: [billing, technical]
    offline:
      reply: Hello! Tell me what you need and I will put you through to the right person.

  billing:
    description: Charges, refunds and invoices.
    prompt: You are the billing specialist. Answer questions about charges, refunds and invoices.
    escalate: [person]
    handoff:
      payload:
        reason: { type: string, description: The billing question in one line. }
    offline:
      keywords: [invoice, refund, charge, charged, bill, payment]

  technical:
    description: Errors, outages and how-to questions about the product.
    prompt: You are the technical specialist. Diagnose the problem step by step.
    escalate: [person]
    handoff:
      payload:
        symptom: { type: string, description: The problem in one line. }
    offline:
      keywords: [error, bug, crash, broken, not working, how do i]

  person:
    kind: human
    description: A person on the team who takes over what the agents cannot settle.
    handoff:
      tool: escalate_to_person
      payload:
        reason: { type: string, description: Why a person is needed. }
    offline:
      keywords: [human, person, real person, speak to someone]
`;
}
