// The HTTP API's shapes, named after the types generated from its OpenAPI document
// (openapi.json -> src/api-schema.ts by `npm run api-types`); never written by hand.
import type { components } from "./api-schema";

type Schemas = components["schemas"];

export type User = Schemas["UserPublic"];
export type Priority = Schemas["Priority"];
export type Task = Schemas["TaskPublic"];
export type TaskPage = Schemas["TaskPage"];
export type TaskStatus = Schemas["TaskStatus"];
export type ToolCall = Schemas["ToolCallPublic"];
export type ChatReply = Schemas["ChatReply"];
export type ConversationSummary = Schemas["ConversationSummary"];
export type Message = Schemas["MessagePublic"];
export type Conversation = Schemas["ConversationPublic"];
