// The API's input limits, read from its OpenAPI document (openapi.json) by vite.config.ts at build time.
declare const __API_LIMITS__: { chatMessageMaxLength: number; passwordMinLength: number };

/** The longest chat message the API accepts, in Unicode code points (Python's len). */
export const CHAT_MESSAGE_MAX_LENGTH = __API_LIMITS__.chatMessageMaxLength;

/** The shortest password the API accepts at sign-up. */
export const PASSWORD_MIN_LENGTH = __API_LIMITS__.passwordMinLength;

/** Length as the API counts it: code points, so an emoji is one character, not two UTF-16 units. */
export function apiLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
