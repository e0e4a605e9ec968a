import type { CheckpointId } from '../grading/checkpoints';
import type { LabStepSpec } from './labs.types';

/**
 * Small builders the catalogue writes its steps with, so every API line has one shape (`METHOD path
 * {json}`, the body real JSON a grader can paste into curl) and a step reads like the lab sheet.
 */

/** One API line: the body, when there is one, as compact JSON after the path. */
export function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): string {
  return body === undefined ? `${method} ${path}` : `${method} ${path} ${JSON.stringify(body)}`;
}

/** `POST /api/topics/<topic>/messages` with these values, one message each. */
export function produce(topic: string, values: string[]): string {
  return call('POST', `/api/topics/${topic}/messages`, { messages: values.map((value) => ({ value })) });
}

/** `klab produce <topic> v1 v2 ...`. */
export function klabProduce(topic: string, values: string[]): string {
  return `klab produce ${topic} ${values.join(' ')}`;
}

/** `prefix1` .. `prefixN` from `from`. */
export function numbered(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
}

export function step(text: string, watch: string, api: string[], cli: string[], checkpoint: CheckpointId | null = null): LabStepSpec {
  return { text, watch, api, cli, checkpoint };
}
