/**
 * A dynamic resource's provider exactly as `pulumi up` would run it: the text the SDK puts in
 * `__provider` (captured under mocks), loaded the way Pulumi's dynamic-provider host loads it.
 */
import * as pulumi from "@pulumi/pulumi";
import { sleep } from "../lib/sleep";
import { loadDynamicProvider } from "./pulumi-host";

export async function serializedProviderText(construct: () => pulumi.Resource): Promise<string> {
    let text: string | undefined;
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (typeof args.inputs.__provider === "string") text = args.inputs.__provider;
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call(args) {
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        },
        "ec2-reset-access",
        "provider-test",
        false,
    );
    const resource = construct();
    await new Promise((resolve) => resource.urn.apply(resolve));
    for (let i = 0; i < 50 && !text; i++) await sleep(20);
    if (!text) throw new Error("the resource registered no __provider");
    return text;
}

export async function hostedProvider(
    construct: () => pulumi.Resource,
): Promise<pulumi.dynamic.ResourceProvider> {
    return loadDynamicProvider(await serializedProviderText(construct));
}
