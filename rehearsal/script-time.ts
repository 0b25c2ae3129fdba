/**
 * How long the commands' scripts ran, as the emulator reports it (ExecutionElapsedTime): real
 * seconds of this machine's work, taken out of a run's wall-clock time so that the variance of
 * a real script on a busy machine does not pass for AWS time.
 */
import {
    GetCommandInvocationCommand,
    ListCommandInvocationsCommand,
    ListCommandsCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";

/**
 * Seconds the scripts of every command the emulator knows ran, summed over their invocations
 * and each invocation's steps (the probe document has one per platform: GetCommandInvocation
 * then needs the step's PluginName; a skipped step ran for no time).
 */
export async function scriptSeconds(ssm = new SSMClient({})): Promise<number> {
    let total = 0;
    for (const command of (await ssm.send(new ListCommandsCommand({}))).Commands ?? []) {
        const invocations =
            (
                await ssm.send(
                    new ListCommandInvocationsCommand({
                        CommandId: command.CommandId,
                        Details: true,
                    }),
                )
            ).CommandInvocations ?? [];
        for (const invocation of invocations) {
            for (const plugin of invocation.CommandPlugins ?? []) {
                const out = await ssm.send(
                    new GetCommandInvocationCommand({
                        CommandId: command.CommandId,
                        InstanceId: invocation.InstanceId,
                        PluginName: plugin.Name,
                    }),
                );
                total += isoSeconds(out.ExecutionElapsedTime ?? "");
            }
        }
    }
    return total;
}

/** ISO 8601 durations as SSM writes ExecutionElapsedTime: "PT1.234S", "PT2M3.5S" → seconds. */
export function isoSeconds(duration: string): number {
    const match = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(
        duration,
    );
    if (!match) return 0;
    const [, h, m, s] = match;
    return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}
