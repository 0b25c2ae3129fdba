/**
 * The diff every custom step uses: any changed input replaces the resource, so changing an
 * input (e.g. `rotation`) performs the operation again, and an unchanged one does nothing.
 */
import * as pulumi from "@pulumi/pulumi";

export async function replaceOnChange(
    _id: pulumi.ID,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.DiffResult> {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    const changed = [...keys].filter(
        (key) =>
            key !== "__provider" &&
            key in news &&
            JSON.stringify(olds[key]) !== JSON.stringify(news[key]),
    );
    return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
}
