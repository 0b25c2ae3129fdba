/**
 * Errors told apart by type or AWS code, never by message text.
 */

/**
 * The AWS error code: the wire code (`Code`, e.g. IAM's "NoSuchEntity", whose SDK name is
 * "NoSuchEntityException"), else the SDK's name (EC2's and SSM's names are their codes).
 */
export function awsErrorCode(err: unknown): string {
    const e = err as { name?: string; Code?: string } | undefined;
    return e?.Code ?? e?.name ?? "";
}

/** A describe call answered without the thing it named (told apart by name, as WaitTimeout). */
export class NotFound extends Error {
    override readonly name = "NotFound";

    constructor(
        readonly what: string,
        readonly id: string,
    ) {
        super(`${what} ${id} not found`);
    }
}

export function isNotFound(err: unknown): boolean {
    return err instanceof Error && err.name === "NotFound";
}
