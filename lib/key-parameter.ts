/**
 * The key parameter's lifecycle. Whose it is: its tag `ec2-reset-access:for=<instanceId>`. Which
 * key it holds: its tag `ec2-reset-access:fingerprint`. A rotation deletes this instance's
 * earlier parameter and creates it again (version 1, so GetParameterHistory shows no earlier
 * key); a parameter without the tag is refused, never overwritten. The delete at `pulumi destroy`
 * removes the parameter only while it still holds the key the deleting resource wrote: with
 * create-before-delete replacement, the old resource's delete runs after the new key is stored.
 */
import {
    DeleteParameterCommand,
    DescribeParametersCommand,
    GetParameterCommand,
    ListTagsForResourceCommand,
    PutParameterCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";

export const KEY_FOR_TAG = "ec2-reset-access:for";
export const KEY_FINGERPRINT_TAG = "ec2-reset-access:fingerprint";

/** undefined when the parameter does not exist; else its tags. */
export async function keyParameterTags(
    ssm: SSMClient,
    name: string,
): Promise<Record<string, string> | undefined> {
    const found = await ssm.send(
        new DescribeParametersCommand({
            ParameterFilters: [{ Key: "Name", Option: "Equals", Values: [name] }],
        }),
    );
    if (!found.Parameters?.length) return undefined;
    const tags = await ssm.send(
        new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: name }),
    );
    return Object.fromEntries((tags.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** Why `name` cannot hold the key of `instanceId` (it exists and is not tagged for it), or undefined. */
export async function keyParameterRefusal(
    ssm: SSMClient,
    name: string,
    instanceId: string,
): Promise<string | undefined> {
    const tags = await keyParameterTags(ssm, name);
    if (!tags || tags[KEY_FOR_TAG] === instanceId) return undefined;
    const owner = tags[KEY_FOR_TAG]
        ? `is tagged ${KEY_FOR_TAG}=${tags[KEY_FOR_TAG]}`
        : `has no ${KEY_FOR_TAG} tag`;
    return (
        `keyParameterName: the parameter ${name} exists and ${owner}, so it is not this tool's key for ${instanceId} ` +
        "(a mistyped name, or a key the runbook stored earlier); this tool never overwrites it. Choose another keyParameterName, " +
        `or, if it is ${instanceId}'s earlier key and nobody needs it, delete it (aws ssm delete-parameter --name ${name}), then run again.`
    );
}

export interface NewKey {
    name: string;
    instanceId: string;
    privateKey: string;
    fingerprint: string;
    kmsKeyId?: string;
    description: string;
}

/** Stores the key as a new parameter: this instance's earlier one is deleted first; another's is refused. */
export async function storeKeyParameter(ssm: SSMClient, key: NewKey): Promise<number> {
    const refusal = await keyParameterRefusal(ssm, key.name, key.instanceId);
    if (refusal) throw new Error(refusal);
    if (await keyParameterTags(ssm, key.name))
        await ssm.send(new DeleteParameterCommand({ Name: key.name }));
    const put = await ssm.send(
        new PutParameterCommand({
            Name: key.name,
            Type: "SecureString",
            KeyId: key.kmsKeyId || undefined,
            Value: key.privateKey,
            Overwrite: false, // created anew: no earlier version stays readable in its history
            Description: key.description,
            Tags: [
                { Key: KEY_FOR_TAG, Value: key.instanceId },
                { Key: KEY_FINGERPRINT_TAG, Value: key.fingerprint },
            ],
        }),
    );
    return put.Version ?? 1;
}

/**
 * Deletes the parameter only while it holds the key of that fingerprint; true when it did. A
 * parameter without the fingerprint tag was written by an earlier version of this tool (with
 * Overwrite): it is deleted only while its version is the one that resource wrote.
 */
export async function deleteKeyParameterIfCurrent(
    ssm: SSMClient,
    name: string,
    fingerprint: string,
    version?: number,
): Promise<boolean> {
    const tags = await keyParameterTags(ssm, name);
    if (!tags) return false;
    if (tags[KEY_FINGERPRINT_TAG] === undefined) {
        const current = await ssm
            .send(new GetParameterCommand({ Name: name }))
            .catch(() => undefined);
        if (!version || current?.Parameter?.Version !== version) return false;
    } else if (tags[KEY_FINGERPRINT_TAG] !== fingerprint) {
        return false;
    }
    await ssm.send(new DeleteParameterCommand({ Name: name })).catch((err) => {
        if ((err as { name?: string })?.name !== "ParameterNotFound") throw err;
    });
    return true;
}
