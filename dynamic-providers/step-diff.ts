/**
 * The diff of the steps on the target: replaced (performed again) only when the digest of the
 * reset's inputs changed (lib/reset-digest.ts); any other difference (the helper instance, the
 * document, the context a re-run preflight read) is no change: the step already did its work,
 * and re-running one step alone would touch the target outside the chain that holds it.
 * State written before the digest existed: a change of `rotation`, `publicKey` or `users`
 * replaces, as the earlier diff did.
 */
import * as pulumi from "@pulumi/pulumi";

export async function stepDiff(
    _id: pulumi.ID,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.DiffResult> {
    const keys =
        olds.resetDigest === undefined ? ["rotation", "publicKey", "users"] : ["resetDigest"];
    const changed = keys.filter(
        (key) => key in news && JSON.stringify(olds[key]) !== JSON.stringify(news[key]),
    );
    return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
}
