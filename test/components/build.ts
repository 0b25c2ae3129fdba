/** Builds the component under the mocks, recording each resource's parent. */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, Recorded, settle, TARGET } from "./mocks";
import { ResetAccess, ResetAccessArgs } from "../../components/reset-access";

export const STEP = (type: string) => `pulumi-nodejs:dynamic/ec2-reset-access:${type}`;

export async function build(
    args: Partial<ResetAccessArgs> = {},
    options: Parameters<typeof installMocks>[0] = {},
) {
    const recorded = installMocks(options);
    const parents = new Map<string, pulumi.Resource | undefined>();
    const resourceOptions = new Map<string, pulumi.ResourceOptions>();
    const component = new ResetAccess(
        "reset",
        { instanceId: TARGET.instanceId, ...args },
        {
            transformations: [
                ({ name, opts }) => (
                    parents.set(name, opts.parent),
                    resourceOptions.set(name, opts),
                    undefined
                ),
            ],
        },
    );
    await promiseOf(component.targetState);
    await settle();
    return { component, recorded, parents, resourceOptions };
}

export function byName(recorded: Recorded[], name: string, type?: string): Recorded {
    const found = recorded.find((r) => r.name === name && (!type || r.type === type));
    assert.ok(found, `no resource named ${name}; have ${recorded.map((r) => r.name).join(", ")}`);
    return found;
}
