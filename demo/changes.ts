/**
 * What one step of the rehearsal changed, from the states before and after it and the emulator's
 * call log: pure functions, so that what the demo prints and writes to steps.json is testable.
 */
import type { ResourceState } from "../harness/deployment";
import { sameJson } from "../harness/pulumi-host";
import type { Op } from "./show";
import type { Step } from "./options";

/** One entry of DIR/steps.json. */
export interface StepRecord {
    step: Step;
    /** AWS operations other than Describe*, Get*, List*, in the order the emulator received them. */
    writes: string[];
    /** The publicKey output after the step; null when the stack has none (before up, after destroy). */
    publicKey: string | null;
}

const READ_OPERATION = /^(Describe|Get|List)/;

export function writesOf(calls: { operation: string }[]): string[] {
    return calls.map((c) => c.operation).filter((op) => !READ_OPERATION.test(op));
}

/**
 * How `now` (a resource whose step just completed) differs from the same URN before: created,
 * replaced (a new id), updated (other inputs or outputs), or nothing (undefined). A component
 * never shows as updated: its outputs arrive after its step.
 */
export function changeOf(before: ResourceState | undefined, now: ResourceState): Op | undefined {
    if (!before) return "+";
    if (!now.custom) return undefined;
    if (before.id !== now.id) return "+-";
    return sameJson(before.inputs, now.inputs) && sameJson(before.outputs, now.outputs)
        ? undefined
        : "~";
}

/** Resources of `before` (by URN and id) that `after` no longer holds: deleted, or replaced and deleted. */
export function deletedBetween(before: ResourceState[], after: ResourceState[]): ResourceState[] {
    const kept = new Set(after.filter((r) => !r.delete).map((r) => `${r.urn} ${r.id}`));
    return before.filter((r) => !r.delete && !kept.has(`${r.urn} ${r.id}`));
}

/** The output names whose values a refresh read back differently (secret values never shown: names only). */
export function differingOutputs(before: ResourceState, after: ResourceState): string[] {
    const names = [...new Set([...Object.keys(before.outputs), ...Object.keys(after.outputs)])];
    return names.filter((k) => !sameJson(before.outputs[k], after.outputs[k])).sort();
}

/** The publicKey output as steps.json records it. */
export function publicKeyOf(outputs: Record<string, unknown> | undefined): string | null {
    const key = outputs?.publicKey;
    return typeof key === "string" && key ? key : null;
}
