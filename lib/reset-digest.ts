/**
 * One digest of everything that decides what a reset does. Every step on the target carries it
 * as an input, and a step is replaced only when it changes (dynamic-providers/step-diff.ts):
 * changing the key, the users or the key type re-runs the whole chain in order (stop, backup,
 * move, reset, release), never a lone reset step against a target that is not held; and a
 * change of a helper attribute (a replaced helper instance, a new document) re-runs nothing.
 */
import { createHash } from "node:crypto";

export interface ResetInputs {
    instanceId: string;
    rotation: string;
    /** The public key installed ("" for Windows). */
    publicKey: string;
    /** Normalized users list. */
    users: string;
    /** "" when the operator gave the public key. */
    keyType: string;
    platform: string;
}

export function resetDigest(inputs: ResetInputs): string {
    const canonical = JSON.stringify([
        inputs.instanceId,
        inputs.rotation,
        inputs.publicKey,
        inputs.users,
        inputs.keyType,
        inputs.platform,
    ]);
    return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}
