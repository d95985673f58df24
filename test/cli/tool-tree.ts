/**
 * A small tree whose billing agent calls one tool that only a project's tools module defines (the
 * offline model calls it for "invoice"): shared by the project-file and tools-module tests.
 */
export function treeCallingTool(name: string, tool: string, invoiceId: string): string {
  return `version: 1
name: ${name}
root: triage
agents:
  triage:
    description: Front desk. Routes to billing.
    prompt: Route billing questions to billing.
    children: [billing]
    offline: { reply: Hello! }
  billing:
    description: Charges, refunds and invoices.
    prompt: You are the billing specialist.
    tools: [${tool}]
    escalate: [person]
    offline:
      keywords: [invoice, charged]
      tools:
        ${tool}: { keywords: [invoice], args: { id: ${invoiceId} } }
  person:
    kind: human
    description: A person on the billing team.
    offline: { keywords: [person, human] }
`;
}
