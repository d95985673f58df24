/**
 * Test helpers for trees, shared by Switchboard's own tests and yours (`switchboard/testing`).
 */
export { ScriptedChatModel, call } from './models/scripted.js';
export type { ScriptStep, ScriptedRequest } from './models/scripted.js';
export { startFakeOpenAI } from './testing/fake-openai-server.js';
export type { FakeOpenAIServer, FakeRequest, FakeResponse, FakeHandler } from './testing/fake-openai-server.js';
export { startFakeAnthropic } from './testing/fake-anthropic-server.js';
export type { FakeAnthropicServer, FakeAnthropicRequest, FakeAnthropicResponse, FakeAnthropicHandler, FakeAnthropicBlock } from './testing/fake-anthropic-server.js';
export { captureLogs } from './testing/capture-logs.js';
export type { CapturedLogs } from './testing/capture-logs.js';
export { FaultyChatModel } from './testing/faulty-model.js';
export type { Fault, FaultOptions } from './testing/faulty-model.js';
