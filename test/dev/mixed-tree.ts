/** A tree whose agents run on two providers, for the dev page's model label (API and browser tests). */

/** The desk on two providers: triage on Anthropic, billing on an OpenAI-compatible endpoint with a key variable of its own. */
export const MIXED = `version: 1
name: mixed
root: triage
models:
  claude: { provider: anthropic, name: claude-haiku-4-5 }
  groq: { provider: openai, name: llama-3.3-70b, apiKeyEnv: GROQ_API_KEY, baseURL: "https://api.groq.com/openai/v1" }
agents:
  triage:
    description: Front desk. Routes to billing.
    prompt: Route billing questions to billing.
    model: claude
    children: [billing]
  billing:
    description: Charges, refunds and invoices.
    prompt: You are the billing specialist.
    model: groq
    escalate: [person]
  person:
    kind: human
    description: A person on the billing team.
`;

/** Both providers' keys (never sent anywhere: nothing in these tests calls a model). */
export const BOTH_KEYS = { ANTHROPIC_API_KEY: 'sk-ant-test', GROQ_API_KEY: 'gsk-test' };
